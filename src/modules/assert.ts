/**
 * assert: fail the host with a clear message unless every condition holds (variable validation at the
 * top of a role). Conditions are `when`-style expressions (`lago_version != 'latest'`), evaluated
 * against the task's variables. Needs no host state and changes nothing.
 */
import { z } from "zod";
import { UserError } from "../core/types.ts";
import { evaluateCondition } from "../vars/expression.ts";
import { defineModule, type ModuleContext, type ModuleDefinition, unchanged } from "./types.ts";

const condition = z.union([z.string().min(1), z.boolean()]);

const assertArgs = z.object({
  that: z.union([condition, z.array(condition).min(1)]).describe(
    "Conditions that must all hold: expressions like in `when` (lago_api_port | int > 0), booleans, or a " +
      "list of them.",
  ),
  fail_msg: z.string().min(1).optional().describe(
    "The failure message (default: the first condition that does not hold).",
  ),
  success_msg: z.string().min(1).optional().describe("The message when every condition holds."),
}).strict();
type AssertArgs = z.infer<typeof assertArgs>;

/**
 * The task's variables as an object the expression evaluator can read. A module sees variables only
 * through the template renderer, so each name is read once with the `json` helper (types kept).
 */
function variablesOf(ctx: ModuleContext): Record<string, unknown> {
  const cache = new Map<string, { value: unknown } | null>();
  const read = (name: string): { value: unknown } | null => {
    if (!cache.has(name)) {
      let found: { value: unknown } | null = null;
      if (/^[A-Za-z_]\w*$/.test(name)) {
        try {
          // `{{ name }}` fails on an undefined variable and renders templated values; `json` keeps types.
          const text = ctx.renderTemplate(`{{ ${name} }}`, `assert ${name}`);
          found = { value: typed(ctx.renderTemplate(`{{json ${name}}}`, `assert ${name}`), text) };
        } catch (e) {
          // Only "this name is not defined" means undefined here; a value that is defined but refers
          // to something missing (a secret a first --check has not made yet) must say what is missing.
          const missing = /undefined variable '([^']+)'/.exec(String((e as Error)?.message))?.[1];
          if (!(e instanceof UserError) || (missing !== undefined && missing !== name)) throw e;
        }
      }
      cache.set(name, found);
    }
    return cache.get(name)!;
  };
  return new Proxy({}, {
    getPrototypeOf: () => null,
    getOwnPropertyDescriptor: (_t, key) => {
      const found = typeof key === "string" ? read(key) : null;
      return found
        ? { value: found.value, enumerable: true, configurable: true, writable: false }
        : undefined;
    },
    has: (_t, key) => typeof key === "string" && read(key) !== null,
    get: (_t, key) => (typeof key === "string" ? read(key)?.value : undefined),
  });
}

function typed(json: string, text: string): unknown {
  try {
    const value = json === "" ? null : JSON.parse(json);
    return typeof value === "string" ? text : value;
  } catch {
    return text;
  }
}

export const assertModule: ModuleDefinition<AssertArgs, undefined> = defineModule({
  name: "assert",
  description: "Fail with a clear message unless every condition (a `when`-style expression) holds.",
  args: assertArgs,
  probe: () => null,
  plan(a, _facts, ctx) {
    const vars = variablesOf(ctx);
    const that = Array.isArray(a.that) ? a.that : [a.that];
    for (const cond of that) {
      if (!evaluateCondition(cond, vars, "assert")) {
        // With several conditions, name the one that failed.
        const which = that.length > 1 ? ` (failed: ${String(cond)})` : "";
        throw new UserError(a.fail_msg ? `${a.fail_msg}${which}` : `assertion failed: ${String(cond)}`);
      }
    }
    const msg = a.success_msg ??
      (that.length === 1 ? "the condition holds" : `all ${that.length} conditions hold`);
    return unchanged(msg, { msg });
  },
});
