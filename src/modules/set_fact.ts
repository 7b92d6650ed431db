/**
 * set_fact: give the host variables for the rest of the run (later tasks and later plays), as Ansible
 * does. The values are the task's arguments, already rendered; the engine keeps them with the host's
 * registered results (src/engine/run.ts), which is their place in Ansible's precedence. Needs no host
 * state and changes nothing.
 */
import { z } from "zod";
import { defineModule, type ModuleDefinition, unchanged } from "./types.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names that are the run's own (`inventory_hostname`…): a fact could not change them. */
const RESERVED = [
  "inventory_hostname",
  "inventory_file",
  "inventory_dir",
  "check_mode",
  "ansible_check_mode",
];

const setFactArgs = z.object({
  cacheable: z.boolean().optional().describe(
    "Ignored: there is no fact cache here, a fact lasts for this run (on every later play), as without it.",
  ),
}).catchall(z.unknown()).superRefine((a, ctx) => {
  const names = Object.keys(a).filter((k) => k !== "cacheable");
  if (names.length === 0) {
    ctx.addIssue({ code: "custom", path: [], message: "give at least one name: value" });
  }
  for (const name of names) {
    if (!NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "should be a variable name: letters, digits and _, not starting with a digit",
      });
    } else if (RESERVED.includes(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "is set by lago-provision itself: choose another name",
      });
    }
  }
}).describe("Variables to set, name: value (values are templated).");
type SetFactArgs = z.infer<typeof setFactArgs>;

/** The facts a set_fact task sets, from its rendered arguments. */
export const factsOf = (args: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(args).filter(([k]) => k !== "cacheable"));

export const setFactModule: ModuleDefinition<SetFactArgs, undefined> = defineModule({
  name: "set_fact",
  description: "Set variables on the host for the rest of the run (later tasks and plays).",
  args: setFactArgs,
  probe: () => null,
  plan(a) {
    const facts = factsOf(a);
    // Names only: a value may be a secret (the redactor knows the secrets, not what was built from them).
    const names = Object.keys(facts).join(", ");
    const note = a.cacheable ? " (cacheable ignored: no fact cache, the fact lasts for this run)" : "";
    return unchanged(`set ${names}${note}`, { ansible_facts: facts });
  },
});
