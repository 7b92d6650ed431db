/** debug: print a message or a variable's value. Needs no host state and changes nothing. */
import { z } from "zod";
import { UserError } from "../core/errors.ts";
import { defineModule, type ModuleDefinition, unchanged } from "./types.ts";

const debugArgs = z.object({
  msg: z.unknown().optional().describe("What to print (text, or any value). Default: Hello world!"),
  var: z.string().regex(/^[A-Za-z_][\w.-]*$/, {
    error: "should be a variable name like app_dir or result.stdout",
  })
    .optional().describe("Name of a variable whose value to print instead of msg (dots reach inside)."),
}).strict().superRefine((a, ctx) => {
  if (a.msg !== undefined && a.var !== undefined) {
    ctx.addIssue({ code: "custom", path: ["var"], message: "give msg or var, not both" });
  }
});
type DebugArgs = z.infer<typeof debugArgs>;

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

export const debugModule: ModuleDefinition<DebugArgs, undefined> = defineModule({
  name: "debug",
  description: "Print a message or the value of a variable (registered results, facts).",
  args: debugArgs,
  freeForm: "msg",
  probe: () => null,
  plan(a, _facts, ctx) {
    if (a.var === undefined) {
      const msg = a.msg ?? "Hello world!";
      return unchanged(show(msg), { msg });
    }
    let value: string;
    try {
      // `{{ name }}` alone yields the value itself (JSON for lists and objects).
      value = ctx.renderTemplate(`{{ ${a.var} }}`, `debug var ${a.var}`);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      value = "VARIABLE IS NOT DEFINED!";
    }
    return unchanged(`${a.var} = ${value}`, { [a.var]: value });
  },
});
