/**
 * assert: fail the host with a clear message unless every condition holds (variable validation at the
 * top of a role). Conditions are `when`-style expressions (`lago_version != 'latest'`), evaluated
 * against the task's variables. Needs no host state and changes nothing.
 */
import { z } from "zod";
import { UserError } from "../core/errors.ts";
import { evaluateCondition } from "../vars/expression.ts";
import { defineModule, type ModuleDefinition, unchanged } from "./types.ts";

const condition = z.union([z.string().min(1), z.boolean()]);

const assertArgs = z.object({
  that: z.union([condition, z.array(condition).min(1)]).describe(
    "Conditions that must all hold: expressions like in `when` (lago_api_port | int > 0), booleans, or a " +
      "list of them.",
  ),
  // May render to "" (a message made of {{#if}} parts for the failure at hand): then the default.
  fail_msg: z.string().optional().describe(
    "The failure message (default, or when it renders empty: the first condition that does not hold).",
  ),
  success_msg: z.string().optional().describe("The message when every condition holds."),
}).strict();
type AssertArgs = z.infer<typeof assertArgs>;

export const assertModule: ModuleDefinition<AssertArgs, undefined> = defineModule({
  name: "assert",
  description: "Fail with a clear message unless every condition (a `when`-style expression) holds.",
  args: assertArgs,
  probe: () => null,
  plan(a, _facts, ctx) {
    const that = Array.isArray(a.that) ? a.that : [a.that];
    for (const cond of that) {
      if (!evaluateCondition(cond, ctx.vars, "assert")) {
        // With several conditions, name the one that failed.
        const which = that.length > 1 ? ` (failed: ${String(cond)})` : "";
        throw new UserError(a.fail_msg ? `${a.fail_msg}${which}` : `assertion failed: ${String(cond)}`);
      }
    }
    const msg = a.success_msg ||
      (that.length === 1 ? "the condition holds" : `all ${that.length} conditions hold`);
    return unchanged(msg, { msg });
  },
});
