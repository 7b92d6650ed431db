/**
 * A dry run cannot lie by construction: for every module and every case of its fixture table, the
 * probe and the plan are the same in check mode and in apply mode (the context does not say which;
 * the `check_mode` variables a module could read do). What a dry run reports differently is decided by
 * the engine alone (src/engine/task.ts, judgeCheckPlan). lago_secrets included: the secrets stage
 * gathers the store before any host is contacted (src/session/secrets-stage.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { render } from "../../../src/core/command.ts";
import { describeStep } from "../../../src/modules/describe.ts";
import { modules } from "../../../src/modules/index.ts";
import type { Plan } from "../../../src/modules/types.ts";
import type { ModuleCase, ProbeCase } from "./cases.ts";
import { contextFor } from "./harness.ts";

const dir = new URL(".", import.meta.url);
const tables = readdirSync(dir).filter((f) => f.endsWith(".cases.ts"));

/** A context in one mode: the magic variables a template or module could read. */
const inMode = (c: ModuleCase, check: boolean) =>
  contextFor({ ...c, vars: { ...c.vars, check_mode: check, ansible_check_mode: check } });

/** Everything a plan says, as data (steps rendered, probes of wait steps as their commands). */
function shown(plan: Plan) {
  return { ...plan, steps: plan.steps.map(describeStep) };
}

function outcome(run: () => Plan): unknown {
  try {
    return shown(run());
  } catch (e) {
    return { threw: (e as Error).message };
  }
}

for (const file of tables) {
  const name = file.replace(/\.cases\.ts$/, "");
  const { planCases = [], probeCases = [] } = (await import(new URL(file, dir).href)) as {
    planCases?: ModuleCase[];
    probeCases?: ProbeCase[];
  };
  const mod = modules[name];

  describe(`module ${name}: the same probe and plan in check mode and apply`, () => {
    for (const c of planCases) {
      const parsed = mod.args.safeParse(c.args);
      if (!parsed.success) continue;
      it(c.name, () => {
        const probe = (check: boolean) => {
          const p = mod.probe(parsed.data, inMode(c, check));
          return p ? render(p.command) : null;
        };
        expect(probe(true)).toEqual(probe(false));
        const plan = (check: boolean) => outcome(() => mod.plan(parsed.data, c.facts, inMode(c, check)));
        expect(plan(true)).toEqual(plan(false));
      });
    }
    for (const c of probeCases) {
      it(`probe: ${c.name}`, () => {
        const args = mod.args.parse(c.args);
        const probe = (check: boolean) =>
          mod.probe(args, inMode({ name: c.name, args: c.args, expect: { changed: false } }, check));
        expect(probe(true) && render(probe(true)!.command)).toEqual(
          probe(false) && render(probe(false)!.command),
        );
      });
    }
  });
}

describe("no module reads the mode", () => {
  const src = new URL("../../../src/modules/", import.meta.url);
  // A module's folder (docker_compose/) included.
  const files = readdirSync(src, { recursive: true }).map(String);
  for (const f of files.filter((f) => f.endsWith(".ts") && f !== "types.ts")) {
    it(f, () => {
      const text = readFileSync(new URL(f, src), "utf8");
      expect(text).not.toMatch(
        /\bctx\.check\b|\bcheck:|\b(ansible_)?check_mode\b.*\bvars\b|\bvars\b.*\b(ansible_)?check_mode\b/,
      );
    });
  }
});
