/**
 * The lago role's input checks that need several variables or their rendered values (the assert tasks
 * at the top of roles/lago/tasks/main.yml, which run before any host is changed; each variable's type
 * and choices are checked at load: test/unit/config/role-vars.test.ts), run as the engine runs them: role defaults < role vars < the inventory's
 * values < task vars < loop item, arguments rendered, then the assert module's verdict. Each row is an
 * inventory an operator could write and the first error it gets (or none).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { UserError } from "../../../src/core/errors.ts";
import { assertModule } from "../../../src/modules/assert.ts";
import type { ModuleContext } from "../../../src/modules/types.ts";
import { evaluateCondition } from "../../../src/vars/expression.ts";
import { renderDeep } from "../../../src/vars/template.ts";
import { QUEUES } from "../../../src/fleet/topology.ts";
import { MADE_UP_SECRETS } from "./made-up-secrets.ts";

interface AssertTask {
  name: string;
  assert: unknown;
  loop?: unknown;
  when?: string;
  vars?: Record<string, unknown>;
}

const defaults = parse(readFileSync("roles/lago/defaults/main.yml", "utf8"));
const roleVars = parse(readFileSync("roles/lago/vars/main.yml", "utf8")) ?? {};
const asserts = (parse(readFileSync("roles/lago/tasks/main.yml", "utf8")) as AssertTask[])
  .filter((t) => "assert" in t);

const lago_secret_values = { secrets: MADE_UP_SECRETS };

/** The first assert that refuses these inventory values, as its message; "" when all pass. */
function firstRefusal(inventory: Record<string, unknown>): string {
  const base = {
    ...defaults,
    ...roleVars,
    inventory_hostname: "lago.example.com",
    lago_secret_values,
    ...inventory,
  };
  for (const task of asserts) {
    const vars = { ...base, ...task.vars };
    const items = task.loop === undefined ? [undefined] : renderDeep(task.loop, vars, task.name) as unknown[];
    for (const item of items) {
      const itemVars = item === undefined ? vars : { ...vars, item };
      if (task.when !== undefined && !evaluateCondition(task.when, itemVars, task.name)) continue;
      const args = assertModule.args.parse(renderDeep(task.assert, itemVars, task.name));
      try {
        assertModule.plan(args, undefined, { vars: itemVars } as unknown as ModuleContext);
      } catch (e) {
        if (e instanceof UserError) return e.message;
        throw e;
      }
    }
  }
  return "";
}

const cases: { name: string; inventory: Record<string, unknown>; refused: string }[] = [
  { name: "the defaults", inventory: {}, refused: "" },
  {
    name: "SMTP without a port",
    inventory: { lago_smtp_address: "smtp.example.com", lago_smtp_port: "" },
    refused: "lago_smtp_address is set: lago_smtp_port must be its port (587 upstream), not ''",
  },
  { name: "SMTP on the default port", inventory: { lago_smtp_address: "smtp.example.com" }, refused: "" },
  {
    name: "alerts and wallets workers before their scripts exist",
    inventory: { lago_version: "v1.50.0", lago_dedicated_workers: ["events", "alerts"] },
    refused:
      "lago_dedicated_workers: 'alerts' has a worker from Lago v1.51.0 on, and lago_version is v1.50.0: upgrade first or leave it out",
  },
  {
    name: "alerts and wallets workers from v1.51.0",
    inventory: { lago_version: "v1.51.0", lago_dedicated_workers: ["alerts", "wallets"] },
    refused: "",
  },
  {
    name: "every v1.50 queue on v1.50.0",
    inventory: {
      lago_version: "v1.50.0",
      lago_dedicated_workers: QUEUES.filter((q) => q !== "alerts" && q !== "wallets"),
    },
    refused: "",
  },
  {
    name: "a queue Lago does not have",
    inventory: { lago_dedicated_workers: ["mailers"] },
    refused: "lago_dedicated_workers: 'mailers' is not one of events, pdfs, billing",
  },
  {
    name: "a later release's queue, compared as numbers (v1.100.0 is after v1.51.0)",
    inventory: { lago_version: "v1.100.0", lago_dedicated_workers: ["wallets"] },
    refused: "",
  },
  {
    name: "a first organization without its admin's email",
    inventory: { lago_create_org: true, lago_org_name: "Acme", lago_org_user_email: "" },
    refused: "lago_create_org needs lago_org_name and lago_org_user_email",
  },
  {
    name: "inventory/example.yml's production start",
    inventory: {
      lago_create_org: true,
      lago_org_name: "Example Inc",
      lago_org_user_email: "billing-admin@example.com",
      lago_disable_signup: true,
      tls_mode: "letsencrypt",
    },
    refused: "",
  },
  {
    name: "extra environment repeating a name the role sets",
    inventory: { lago_extra_env: { LAGO_SMTP_PORT: "25" } },
    refused: "lago_extra_env: LAGO_SMTP_PORT is set by the role already",
  },
  {
    name: "environment for a service the project does not have",
    inventory: { lago_service_env: { sidekiq: { SIDEKIQ_CONCURRENCY: 5 } } },
    refused: "lago_service_env: sidekiq is not a service of Lago's project",
  },
  {
    name: "a Redis URL lago.env cannot hold",
    inventory: { lago_redis_url: "redis://:pa'ss@redis:6379" },
    refused: "lago_redis_url contains a single quote",
  },
];

describe("lago role: what it refuses before any host is changed", () => {
  it.each(cases)("$name", ({ inventory, refused }) => {
    const got = firstRefusal(inventory);
    if (refused === "") expect(got).toBe("");
    else expect(got).toContain(refused);
  });
});
