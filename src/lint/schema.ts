/**
 * Schema rules: every file is validated exactly as `apply` validates it (`validateDocument`, the same
 * JSON Schemas and messages), and each problem gets the id of the rule it breaks. Then what the
 * playbook loader checks across files: roles that exist and handlers that answer every `notify`.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { checkPattern } from "../config/inventory.ts";
import type { FileKind as SchemaKind } from "../config/json-schema.ts";
import type { Inventory } from "../config/model.ts";
import { didYouMean } from "../core/suggest.ts";
import { validateDocument } from "../config/validate.ts";
import type { KeyPath } from "../config/yaml.ts";
import { cwd } from "../runtime.ts";
import { displayPath } from "../config/problems.ts";
import { importMistake } from "../modules/import_tasks.ts";
import { findLocalFile, LOCAL_FILES } from "../config/local-files.ts";
import { UserError } from "../core/errors.ts";
import {
  atPath,
  type FileKind,
  importTarget,
  inventoryOf,
  isMap,
  listOf,
  playsOf,
  type Project,
  roleDirOf,
  type SourceFile,
  type TaskSite,
  tasksOf,
} from "./project.ts";
import type { Report, Rule } from "./types.ts";

const schema = (id: string, title: string, explanation: string): Rule => ({
  id,
  family: "schema",
  severity: "error",
  title,
  explanation,
});

export const schemaRules: Rule[] = [
  schema(
    "yaml-syntax",
    "The file is not valid YAML",
    "The file cannot be parsed (bad indentation, an unclosed quote, a tab, or the same key twice in one " +
      "mapping), so nothing else in it can be checked and apply would stop before contacting any host. " +
      "Fix the syntax at the position shown; duplicate keys are refused because YAML would silently keep " +
      "only the last one.",
  ),
  schema(
    "unknown-module",
    "A task uses a module that does not exist",
    "Every task runs exactly one module from the registry (command, shell, package, file, copy, template, " +
      "service, wait_for, git, debug, stat, ...). An unknown name is usually a typo, and the message " +
      "suggests the nearest module. Ansible's long names (`ansible.builtin.copy`) name the same modules.",
  ),
  schema(
    "unknown-argument",
    "A module is given an argument it does not have",
    "Module arguments are checked against the module's schema, as Ansible's argument_spec does: an " +
      "argument the module does not know is refused rather than ignored, because an ignored `creates:` or " +
      "`mode:` silently changes what the task does. The message names the nearest valid argument.",
  ),
  schema(
    "unknown-key",
    "A play, task, inventory or config key is not known",
    "Plays, task keywords, inventory groups and connection variables have a fixed set of keys. A key " +
      "that is not one of them is most likely misspelled (`become_usr`, `handler`, `varss`), and the " +
      "message suggests the nearest one. Own variables go under `vars:`.",
  ),
  schema(
    "missing-required",
    "A required argument or key is missing",
    "The module or the file format needs this argument or key to do anything (a template without " +
      "`dest`, a play without `hosts`). Add it; the schemas in schemas/ describe every key.",
  ),
  schema(
    "wrong-type",
    "A value has the wrong type",
    "The value is not of the type the schema asks for (a list where a string is expected, a number " +
      "where a boolean is expected). YAML 1.2 reads `yes`/`no` as strings and `0640` as the number 640: " +
      'write true/false and quote file modes ("0640"). A {{ template }} is accepted anywhere a module ' +
      "argument is rendered at run time.",
  ),
  schema(
    "invalid-value",
    "A value is not one of the allowed values or forms",
    "The value has the right type but is outside what the key accepts: not one of the listed choices " +
      "(`state: stated`), not matching the expected form (a percentage, a variable name), or out of " +
      "range. The message says what is expected and, for choices, the nearest valid one.",
  ),
  schema(
    "module-count",
    "A task has no module or more than one",
    "A task runs exactly one module. With none, there is nothing to run (often the module name is " +
      "misspelled or indented under the wrong key); with two, split them into two tasks.",
  ),
  schema(
    "missing-role",
    "A play uses a role that cannot be found",
    "Roles are looked up in roles/ beside the playbook and in roles/ in the working directory. A role " +
      "that is not there stops apply before any host is contacted; check the name (the message suggests " +
      "the nearest role) or run lint from the project root.",
  ),
  schema(
    "missing-import",
    "An import_tasks names a file that cannot be found",
    "`import_tasks:` reads its file when the playbook is loaded, relative to the file that imports it (a " +
      "role's tasks/ folder, the playbook's folder), so apply stops before any host is contacted when it is " +
      "not there. Its name cannot use variables, and loop, register, notify and the like go on the imported " +
      "tasks themselves, not on the import.",
  ),
  schema(
    "missing-file",
    "A template or file to copy that cannot be found",
    "`template: src`, `copy: src` and `docker_compose: env_template` name a file on this machine, looked " +
      "up in the role's templates/ or files/ folder, beside the playbook, then in the working directory. " +
      "A name that finds nothing there, or finds a directory, stops apply when the files load, before any " +
      "host is contacted; the message lists where it looked.",
  ),
  schema(
    "unknown-handler",
    "A task notifies a handler that does not exist",
    "`notify:` names a handler (or a `listen:` topic) of the same play or of the role. A name that no " +
      "handler answers would never restart anything, so apply refuses it; the message suggests the " +
      "nearest handler name.",
  ),
  {
    ...schema(
      "inventory-skipped",
      "Something in an inventory that Ansible (and apply) skips",
      "A group_vars/ or host_vars/ file for a group or host the inventory does not have, a key in a group " +
        "other than hosts, children and vars, a group that is not a mapping: Ansible skips them with a " +
        "warning, and so does apply. They are most likely typos (the message suggests the nearest name).",
    ),
    severity: "warning",
  },
  schema(
    "unknown-group-or-host",
    "A group or host name the inventory does not have",
    "A play's `hosts:` pattern must name groups or hosts that exist (or use a glob); otherwise the play " +
      "runs on no host. Apply refuses it; the message suggests the nearest name.",
  ),
];

const SCHEMA_KIND: Partial<Record<FileKind, SchemaKind>> = {
  playbook: "playbook",
  tasks: "tasks",
  handlers: "handlers",
  defaults: "vars",
  vars: "vars",
  inventory: "inventory",
  group_vars: "host_vars",
  host_vars: "host_vars",
};

/** Which rule a validation message breaks. */
export function schemaRuleOf(message: string): string {
  if (/^(YAML syntax error|duplicate key)/.test(message)) return "yaml-syntax";
  const unknown = /^unknown (module|argument|key)\b/.exec(message);
  if (unknown) return `unknown-${unknown[1]}`;
  if (message.startsWith("missing required")) return "missing-required";
  if (/^has (no module|\d+ modules)/.test(message)) return "module-count";
  if (
    /^should be (an? (string|integer|number|boolean|list|mapping)\b|true or false|empty)/.test(message) &&
    !/ or '/.test(message)
  ) return "wrong-type";
  return "invalid-value";
}

/** Validate every file as apply does, then the checks across files. */
export function checkSchema(project: Project, report: Report): void {
  for (const f of project.files) {
    if (f.parseError) {
      report("yaml-syntax", f.file, f.parseError, f.parseError.message);
      continue;
    }
    const kind = SCHEMA_KIND[f.kind];
    if (!kind || !f.doc) continue;
    // Templates and conditions: the variables rules report them, located inside their value.
    for (const p of validateDocument(f.doc, kind, { modules: project.modules, texts: false })) {
      report(schemaRuleOf(p.message), f.file, p, p.path ? `${p.path}: ${p.message}` : p.message);
    }
  }
  checkRoles(project, report);
  checkImports(project, report);
  checkLocalFiles(project, report);
  checkHandlers(project, report);
  checkInventories(project, report);
}

/** What loading each inventory finds beyond its schema, and plays' `hosts:` against the inventories. */
function checkInventories(project: Project, report: Report): void {
  const loaded: Inventory[] = [];
  for (const f of project.files) {
    if (f.kind !== "inventory" || !f.doc) continue;
    const { inventory, problems } = inventoryOf(f, project.vault);
    if (inventory) loaded.push(inventory);
    for (const p of problems) {
      // Schema problems come again here, identical: the findings are deduplicated.
      report(schemaRuleOf(p.message), p.file, p, p.path ? `${p.path}: ${p.message}` : p.message);
    }
    for (const w of inventory?.warnings ?? []) {
      if (w.message.startsWith("skipped: unknown key")) continue; // the schema reports it as unknown-key
      report("inventory-skipped", displayPath(w.file), w, w.path ? `${w.path}: ${w.message}` : w.message);
    }
  }
  if (loaded.length === 0) return;
  for (const f of project.files) {
    for (const play of playsOf(f)) {
      const hosts = play.raw.hosts;
      if (typeof hosts !== "string" && !Array.isArray(hosts)) continue;
      const pattern = Array.isArray(hosts) ? hosts.join(":") : hosts;
      const errors = loaded.map((inventory) => checkPattern(inventory, pattern));
      if (errors.every((e) => e !== undefined)) {
        const path = [play.index, "hosts"];
        report("unknown-group-or-host", f.file, f.doc!.locate(path), atPath(f, path, errors[0]!));
      }
    }
  }
}

const roleNames = (project: Project) => [...new Set(project.files.flatMap((f) => (f.role ? [f.role] : [])))];

function checkRoles(project: Project, report: Report): void {
  const known = roleNames(project);
  for (const f of project.files) {
    for (const play of playsOf(f)) {
      for (const { name, path } of play.roles) {
        const search = [join(dirname(f.abs), "roles"), join(cwd(), "roles")];
        const candidates = name.includes("/")
          ? [resolve(dirname(f.abs), name)]
          : search.map((d) => join(d, name));
        if (known.includes(name) || candidates.some((d) => existsSync(d) && statSync(d).isDirectory())) {
          continue;
        }
        const message = `role '${name}' not found${didYouMean(name, known)}`;
        report("missing-role", f.file, f.doc!.locate(path), atPath(f, path, message));
      }
    }
  }
}

/** What the loader checks of every `import_tasks` (importMistake, and that its file exists). */
function checkImports(project: Project, report: Report): void {
  for (const f of project.files) {
    if (f.kind !== "playbook" && f.kind !== "tasks" && f.kind !== "handlers") continue;
    for (const t of tasksOf(f, project.modules)) {
      if (t.module !== "import_tasks") continue;
      const at = (key: string, rule: string, message: string) => {
        const path = [...t.path, key];
        report(
          rule,
          f.file,
          f.doc!.locate(path, key === "import_tasks" ? "value" : "key"),
          atPath(f, path, message),
        );
      };
      const mistake = importMistake(t.raw);
      if (mistake) {
        at(mistake.key, mistake.key === "import_tasks" ? "invalid-value" : "unknown-key", mistake.message);
      }
      const target = importTarget(t);
      if (target && !existsSync(target)) {
        at("import_tasks", "missing-import", `file not found: ${displayPath(target)}`);
      }
    }
  }
}

/** The files templates and copies read on this machine, found as the playbook loader finds them. */
function checkLocalFiles(project: Project, report: Report): void {
  for (const f of project.files) {
    if (f.kind !== "playbook" && f.kind !== "tasks" && f.kind !== "handlers") continue;
    for (const t of tasksOf(f, project.modules)) {
      const local = t.module ? LOCAL_FILES[t.module] : undefined;
      const name = local && isMap(t.args) ? t.args[local.arg] : undefined;
      if (!local || typeof name !== "string" || name.includes("{{")) continue;
      try {
        findLocalFile(name, local.kind, { roleDir: roleDirOf(f), file: f.abs });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        const path = [...t.path, t.module!, local.arg];
        const message = e.message.replace(/:\n\s+/, ": ").replaceAll(/\n\s+/g, ", ");
        report("missing-file", f.file, f.doc!.locate(path), atPath(f, path, message));
      }
    }
  }
}

/** Names handlers answer to: their names and their `listen` topics. */
const handlerNames = (handlers: TaskSite[]): string[] =>
  handlers.flatMap((t) => [t.raw.name, ...listOf(t.raw.listen)]).filter((n): n is string =>
    typeof n === "string"
  );

function checkHandlers(project: Project, report: Report): void {
  // Handlers that do not parse answer nothing we can know of: their role is not checked.
  const broken = new Set(
    project.files.filter((f) => f.kind === "handlers" && f.parseError).map((f) => f.role),
  );
  const roleHandlers = new Map<string, string[]>();
  for (const f of project.files) {
    if (f.kind === "handlers" && f.role) {
      roleHandlers.set(f.role, [
        ...(roleHandlers.get(f.role) ?? []),
        ...handlerNames(tasksOf(f, project.modules)),
      ]);
    }
  }
  // A role's tasks may notify the handlers of every play that uses it (and of that play's other roles).
  const playHandlers = new Map<string, string[]>();
  for (const f of project.files) {
    const tasks = tasksOf(f, project.modules);
    for (const play of playsOf(f)) {
      const own = tasks.filter((t) => t.play?.index === play.index);
      const names = [
        ...handlerNames(own.filter((t) => t.path[1] === "handlers")),
        ...play.roles.flatMap((r) => roleHandlers.get(r.name) ?? []),
      ];
      for (const r of play.roles) playHandlers.set(r.name, [...(playHandlers.get(r.name) ?? []), ...names]);
      if (play.roles.some((r) => broken.has(r.name))) continue;
      for (const t of own) unknownNotify(f, t.path, t.raw.notify, names, "this play", report);
    }
  }
  for (const f of project.files) {
    if (f.kind !== "tasks" || !f.role || broken.has(f.role)) continue;
    const names = [...(roleHandlers.get(f.role) ?? []), ...(playHandlers.get(f.role) ?? [])];
    const where = `role '${f.role}' or the plays that use it`;
    for (const t of tasksOf(f, project.modules)) unknownNotify(f, t.path, t.raw.notify, names, where, report);
  }
}

function unknownNotify(
  f: SourceFile,
  taskPath: KeyPath,
  notify: unknown,
  names: string[],
  where: string,
  report: Report,
): void {
  const list = listOf(notify);
  list.forEach((name, j) => {
    if (typeof name !== "string" || names.includes(name)) return;
    const path = Array.isArray(notify) ? [...taskPath, "notify", j] : [...taskPath, "notify"];
    const message = `no handler '${name}' in ${where}${didYouMean(name, names)}`;
    report("unknown-handler", f.file, f.doc!.locate(path), atPath(f, [...taskPath, "notify"], message));
  });
}
