/**
 * import_tasks: the tasks of another file, in place, as in Ansible. Static: the loader
 * (src/config/playbook.ts) replaces the task with the file's tasks when the playbook is loaded, so
 * they are validated with everything else and the engine never runs this module.
 */
import { z } from "zod";
import { isTemplated } from "../vars/template.ts";
import { defineModule, type ModuleDefinition } from "./types.ts";

const importArgs = z.object({
  file: z.string().min(1).describe(
    "The tasks file, relative to the file that imports it (a role's tasks/ folder, the playbook's folder). " +
      "No variables: it is read when the playbook is loaded.",
  ),
}).strict();

/** Keywords an import passes on to every task it brings in (as Ansible does). */
export const IMPORT_KEYWORDS = [
  "name",
  "when",
  "tags",
  "vars",
  "become",
  "become_user",
  "check_mode",
  "no_log",
  "ignore_errors",
  "run_once",
] as const;

/** The file an import names (`import_tasks: FILE` or `{ file: FILE }`), or undefined. */
export function importedFile(value: unknown): string | undefined {
  const file = typeof value === "object" && value !== null ? (value as { file?: unknown }).file : value;
  return typeof file === "string" ? file : undefined;
}

/**
 * What is wrong with an import task itself, as the loader and lint both say it: a key that does not
 * pass on to the imported tasks, or a file name with variables (it is read before anything runs).
 */
export function importMistake(raw: Record<string, unknown>): { key: string; message: string } | undefined {
  const other = Object.keys(raw).find((k) => k !== "import_tasks" && !KEYWORDS.has(k));
  if (other) {
    return { key: other, message: `'${other}' cannot go on import_tasks: put it on the imported tasks` };
  }
  if (isTemplated(importedFile(raw.import_tasks) ?? "")) {
    return {
      key: "import_tasks",
      message: "import_tasks is read when the playbook is loaded: its file name cannot use variables",
    };
  }
  return undefined;
}

const KEYWORDS: ReadonlySet<string> = new Set(IMPORT_KEYWORDS);

export const importTasksModule: ModuleDefinition<z.infer<typeof importArgs>, undefined> = defineModule({
  name: "import_tasks",
  description:
    "Run the tasks of another file here (read when the playbook is loaded; when, tags and vars apply to each).",
  args: importArgs,
  freeForm: "file",
  probe: () => null,
  plan() {
    throw new Error("import_tasks is expanded when the playbook is loaded; it never runs");
  },
});
