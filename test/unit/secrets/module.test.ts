/**
 * lago_secrets beyond its fixture table: no secret value in anything a plan or a refusal says, and a
 * plan that does not know the run's mode (the same in check and apply for the same probe and stores).
 */
import { describe, expect, it } from "vitest";
import type { UserError } from "../../../src/core/errors.ts";
import { describeStep } from "../../../src/modules/describe.ts";
import { modules } from "../../../src/modules/index.ts";
import { contextFor } from "../modules/harness.ts";
import { planCases, VALUES } from "../modules/lago_secrets.cases.ts";

const mod = modules.lago_secrets;

/** Everything a plan or a refusal shows a person, or the plan itself (`whole`). */
function planned(c: (typeof planCases)[number], check: boolean, whole = false): string {
  const parsed = mod.args.safeParse(c.args);
  if (!parsed.success) return "";
  try {
    const p = mod.plan(
      parsed.data,
      c.facts,
      contextFor({ ...c, vars: { ...c.vars, check_mode: check, ansible_check_mode: check } }),
    );
    return JSON.stringify(whole ? p : [p.reason, p.diffs, p.steps.map(describeStep), p.assumes]);
  } catch (e) {
    return `${(e as UserError).message} ${(e as UserError).hint}`;
  }
}

describe("lago_secrets", () => {
  it("never shows a value: reasons, diffs, steps as described, errors and hints", () => {
    const text = planCases.map((c) => planned(c, false)).join("\n");
    for (const v of Object.values(VALUES)) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(v.slice(0, 12));
    }
  });

  it("plans the same in check and apply: the mode is the engine's business", () => {
    for (const c of planCases) expect(planned(c, true, true), c.name).toBe(planned(c, false, true));
  });
});
