/**
 * One runner for every module's fixture table (`<module>.cases.ts` beside this file): args + facts in,
 * expected plan (or argument error) out; and probe command + raw output in, parsed facts out.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { render } from "../../../src/core/command.ts";
import { refuseMissing } from "../../../src/engine/task.ts";
import { describeStep } from "../../../src/modules/describe.ts";
import { modules } from "../../../src/modules/index.ts";
import type { ModuleCase, ProbeCase } from "./cases.ts";
import { contextFor } from "./harness.ts";

const dir = new URL(".", import.meta.url);

/** The plan, and what the engine does with it on apply: a plan resting on something missing fails. */
function planned(mod: (typeof modules)[string], args: unknown, c: ModuleCase) {
  const plan = mod.plan(args, c.facts, contextFor(c));
  if (!c.check) refuseMissing(plan);
  return plan;
}
const tables = readdirSync(dir).filter((f) => f.endsWith(".cases.ts"));

for (const file of tables) {
  const moduleName = file.replace(/\.cases\.ts$/, "");
  const table = (await import(new URL(file, dir).href)) as {
    planCases?: ModuleCase[];
    probeCases?: ProbeCase[];
  };
  const mod = modules[moduleName];

  describe(`module ${moduleName}`, () => {
    it("is registered", () => expect(mod, `${moduleName} missing from src/modules/index.ts`).toBeDefined());

    for (const c of table.planCases ?? []) {
      it(`plan: ${c.name}`, () => {
        const parsed = mod.args.safeParse(c.args);
        if ("error" in c.expect) {
          if (parsed.success) {
            // Valid arguments, but the host state makes the task fail (a UserError from plan).
            expect(() => planned(mod, parsed.data, c)).toThrow(c.expect.error);
            return;
          }
          expect(parsed.error?.issues.map((i) => `${i.path.join("/")}: ${i.message}`).join("; ")).toContain(
            c.expect.error,
          );
          return;
        }
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
        const plan = planned(mod, parsed.data, c);
        expect(plan.changed).toBe(c.expect.changed);
        if (c.expect.reason !== undefined) expect(plan.reason).toContain(c.expect.reason);
        if (c.expect.steps !== undefined) expect(plan.steps.map(describeStep)).toEqual(c.expect.steps);
        if (c.expect.diffs !== undefined) {
          expect(plan.diffs ?? []).toMatchObject(c.expect.diffs);
        }
        if (c.expect.result !== undefined) expect(plan.result).toMatchObject(c.expect.result);
      });
    }

    for (const c of table.probeCases ?? []) {
      it(`probe: ${c.name}`, () => {
        const args = mod.args.parse(c.args);
        const probe = mod.probe(args, contextFor({}));
        if (c.command === null) return expect(probe).toBeNull();
        expect(probe).not.toBeNull();
        if (c.command !== undefined) expect(render(probe!.command)).toBe(c.command);
        if (c.output) {
          const facts = probe!.parse({ exitCode: 0, stderr: "", ...c.output });
          expect(facts).toEqual(c.facts);
        }
      });
    }
  });
}
