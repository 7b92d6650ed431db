/**
 * The lago role's compose.yml and lago.env, rendered from the role's defaults as the engine renders
 * them, for the host kinds of a fleet (docs/fleet.md): which services each runs, and the SIDEKIQ_*
 * flags, the same on every host. (End to end on real hosts: test/e2e/fleet.test.ts.)
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderText } from "../../../src/vars/template.ts";

const defaults = parse(readFileSync("roles/lago/defaults/main.yml", "utf8"));
const external = { lago_db_external: true, lago_redis_external: true, lago_postgres_host: "db.internal" };

/** What the lago_secrets task registers (values made up: only their presence matters here). */
const SECRETS = Object.fromEntries(
  [
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "LAGO_RSA_PRIVATE_KEY",
    "SECRET_KEY_BASE",
    "LAGO_ENCRYPTION_PRIMARY_KEY",
    "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
    "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
  ].map((name, i) => [name, `test-value-${i}`]),
);

/** As the engine renders them: after lago_secrets registered the secrets (templated defaults read them). */
function render(template: string, overrides: Record<string, unknown>): string {
  const vars = {
    ...defaults,
    inventory_hostname: "web1",
    lago_secret_values: { secrets: SECRETS },
    ...overrides,
  };
  return renderText(readFileSync(`roles/lago/templates/${template}`, "utf8"), vars, template);
}

const services = (overrides: Record<string, unknown>) =>
  Object.keys(parse(render("compose.yml.hbs", overrides)).services).sort();

const sidekiqFlags = (overrides: Record<string, unknown>) => ({
  env: render("lago.env.hbs", overrides)
    .split("\n").filter((l) => l.startsWith("SIDEKIQ_") && !l.startsWith("SIDEKIQ_CONCURRENCY")),
  compose: Object.keys(parse(render("compose.yml.hbs", overrides))["x-backend-env"])
    .filter((k) => /^SIDEKIQ_(?!CONCURRENCY)/.test(k)),
});

describe("lago role: services per host", () => {
  const fleetWorker = {
    ...external,
    lago_services: ["worker", "pdf"],
    lago_migrate: false,
    lago_clock: false,
    lago_dedicated_workers: ["events"],
  };
  /** [case, variables, the services compose.yml defines, sorted and space-separated] */
  const cases: [string, Record<string, unknown>, string][] = [
    ["a single host runs everything", {}, "api api-clock api-worker db front migrate pdf redis"],
    [
      "fleet web host (migrates)",
      { ...external, lago_services: ["api", "front"], lago_clock: false },
      "api front migrate",
    ],
    ["fleet worker host with a dedicated queue", fleetWorker, "api-events-worker api-worker pdf"],
    ["fleet clock host", { ...external, lago_services: ["clock"], lago_migrate: false }, "api-clock"],
    [
      "clock listed, lago_clock false: no clock",
      { lago_services: ["clock", "api"], lago_clock: false },
      "api db migrate redis",
    ],
    [
      "pdf disabled",
      { lago_disable_pdf_generation: true },
      "api api-clock api-worker db front migrate redis",
    ],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => expect(services(overrides).join(" ")).toBe(expected));
  }
});

describe("lago role: SIDEKIQ_* flags", () => {
  it("a single host: its own dedicated queues", () => {
    expect(sidekiqFlags({ lago_dedicated_workers: ["events", "billing"] })).toEqual({
      env: ["SIDEKIQ_EVENTS='true'", "SIDEKIQ_BILLING='true'"],
      compose: ["SIDEKIQ_EVENTS", "SIDEKIQ_BILLING"],
    });
  });

  it("a fleet: every worker's queues on every host, also where no dedicated worker runs", () => {
    const web = sidekiqFlags({ lago_services: ["api", "front"], lago_sidekiq_queues: ["events", "pdfs"] });
    const worker = sidekiqFlags({
      lago_services: ["worker"],
      lago_dedicated_workers: ["pdfs"],
      lago_sidekiq_queues: ["events", "pdfs"],
    });
    expect(web).toEqual(worker);
    expect(web.env).toEqual(["SIDEKIQ_EVENTS='true'", "SIDEKIQ_PDFS='true'"]);
  });
});
