/**
 * lago_secrets beyond its fixture table: no secret value in anything a plan or a refusal says, check
 * mode never creates the store, and hosts planned one after another in apply share one generation.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { UserError } from "../../../src/core/types.ts";
import { describeStep } from "../../../src/modules/describe.ts";
import { modules } from "../../../src/modules/index.ts";
import { CORE_SECRETS } from "../../../src/secrets/formats.ts";
import { readStore } from "../../../src/secrets/store.ts";
import { contextFor } from "../modules/harness.ts";
import { GEN_STORE, NO_STORE, planCases, VALUES } from "../modules/lago_secrets.cases.ts";

const mod = modules.lago_secrets;
const bare = {
  dirExists: true,
  files: [
    { path: "/opt/lago/secrets.env", state: "missing", values: {} },
    { path: "/opt/lago/.env", state: "missing", values: {} },
  ],
};

/** Everything a plan or a refusal shows a person. */
function said(c: (typeof planCases)[number]): string {
  const parsed = mod.args.safeParse(c.args);
  if (!parsed.success) return "";
  try {
    const p = mod.plan(parsed.data, c.facts, contextFor(c));
    return JSON.stringify([p.reason, p.diffs, p.steps.map(describeStep), p.assumes]);
  } catch (e) {
    return `${(e as UserError).message} ${(e as UserError).hint}`;
  }
}

describe("lago_secrets", () => {
  it("never shows a value: reasons, diffs, steps as described, errors and hints", () => {
    const text = planCases.map(said).join("\n");
    const generated = readStore(GEN_STORE)!.secrets;
    for (const v of [...Object.values(VALUES), ...Object.values(generated).map((s) => s.value)]) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(v.slice(0, 12));
    }
  });

  it("check mode leaves a missing store missing", () => {
    mod.plan(mod.args.parse({ store: NO_STORE }), bare, contextFor({ check: true }));
    expect(existsSync(NO_STORE)).toBe(false);
  });

  it("apply: the first host generates, the next hosts get the same values; the store is 0600", () => {
    const store = NO_STORE.replace("missing.enc", "fleet.enc");
    const plans = ["h1", "h2", "h3"].map((h) =>
      mod.plan(mod.args.parse({ store }), bare, contextFor({ vars: { inventory_hostname: h } }))
    );
    expect(plans.map((p) => p.result!.generated)).toEqual([[...CORE_SECRETS], [], []]);
    const written = plans.map((p) => p.steps.find((s) => s.kind === "write")!);
    expect(new Set(written.map((s) => s.kind === "write" && s.content)).size).toBe(1);
    expect(plans[1].result!.secrets).toEqual(plans[0].result!.secrets);
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(readFileSync(store, "utf8")).not.toContain("SECRET_KEY_BASE");
  });
});
