/**
 * Tasks as Ansible users write them, read under our names before anything validates them: the module
 * key `ansible.builtin.copy` becomes `copy`, an argument's Ansible alias (`file: dest`) its main name
 * (`path`). The document's value is renamed in place; `locate` and the paths shown in messages
 * still name the keys as written. A task giving an argument under two of its names is a problem.
 */
import { KvError, parseKv } from "./ansible/kv-args.ts";
import { ARGUMENT_ALIASES, moduleKeyOf } from "./ansible/module-names.ts";
import { type FileKind, type JsonSchema, moduleArgsSchema, type ModuleRegistry } from "./json-schema.ts";
import type { KeyPath, YamlFile } from "./yaml.ts";

/** Where the task lists are in a document of each kind, with the lists inside blocks. */
export function taskLists(value: unknown, kind: FileKind): { path: KeyPath; tasks: unknown[] }[] {
  if (!Array.isArray(value)) return [];
  if (kind === "tasks" || kind === "handlers") return withBlocks([], value);
  if (kind !== "playbook") return [];
  return value.flatMap((play, i) =>
    (["pre_tasks", "tasks", "post_tasks", "handlers"] as const).flatMap((key) => {
      const tasks = (play as Record<string, unknown> | null)?.[key];
      return Array.isArray(tasks) ? withBlocks([i, key], tasks) : [];
    })
  );
}

/** A list of tasks, then the `block`, `rescue` and `always` lists of its blocks (nested too). */
function withBlocks(path: KeyPath, tasks: unknown[]): { path: KeyPath; tasks: unknown[] }[] {
  return [
    { path, tasks },
    ...tasks.flatMap((task, i) =>
      BLOCK_SECTIONS.flatMap((section) => {
        const inner = isObj(task) ? task[section] : undefined;
        return Array.isArray(inner) ? withBlocks([...path, i, section], inner) : [];
      })
    ),
  ];
}

/** The task lists of a block, in the order they run. */
export const BLOCK_SECTIONS = ["block", "rescue", "always"] as const;

type Obj = Record<string, unknown>;

/** Renamed mappings: our name → the key as written. */
const renamed = new WeakMap<object, Map<string, string>>();
type NameProblem = { path: KeyPath; message: string };
/** The problems found for each kind a document was read as (lint reads a file as vars, then tasks). */
const done = new WeakMap<YamlFile, Map<FileKind, NameProblem[]>>();

/**
 * Rename the document's tasks to our names (in place, once per document) and return the problems of
 * an argument given twice (its second name is dropped, so it is said once; the same problems again
 * when asked again). `registry` is anything
 * keyed by module name.
 */
export function useOurNames(doc: YamlFile, kind: FileKind, registry: ModuleRegistry): NameProblem[] {
  const kinds = done.get(doc);
  const before = kinds?.get(kind);
  if (before) return before;
  const problems: NameProblem[] = [];
  if (kinds) kinds.set(kind, problems);
  else {
    done.set(doc, new Map([[kind, problems]]));
    const locate = doc.locate;
    doc.locate = (path, at) => locate(writtenPath(doc.value, path), at);
    doc.writtenPath = (path) => writtenPath(doc.value, path);
  }
  for (const { path, tasks } of taskLists(doc.value, kind)) {
    tasks.forEach((task, i) => {
      if (!isObj(task)) return;
      for (const p of loopMistakes(task)) problems.push({ ...p, path: [...path, i, ...p.path] });
      const keys = Object.keys(task);
      const modules = keys.filter((k) => moduleKeyOf(k, registry) !== undefined);
      // Two modules (`copy` and `ansible.builtin.copy`) stay as written: the schema says "two modules".
      if (modules.length !== 1) return;
      const module = moduleKeyOf(modules[0], registry)!;
      if (module !== modules[0]) rename(task, new Map([[modules[0], module]]));
      const shorthand = argumentsOf(task, module, registry);
      if (typeof shorthand === "string") {
        problems.push({ path: [...path, i, module], message: shorthand });
        return;
      }
      const args = task[module];
      const aliases = ARGUMENT_ALIASES[module];
      if (!aliases || !isObj(args)) return;
      const names = new Map<string, string>();
      for (const key of Object.keys(args)) {
        const main = aliases[key];
        if (main === undefined) continue;
        const other = Object.keys(args).find((k) => k !== key && (k === main || aliases[k] === main));
        if (other !== undefined) {
          const message = `'${other}' and '${key}' are the same argument (${main}): keep one`;
          problems.push({ path: [...path, i, module, key], message });
          delete args[key];
          continue;
        }
        names.set(key, main);
      }
      if (names.size) rename(args, names);
    });
  }
  return problems;
}

/** Command-like modules: their `key=value` words other than chdir, creates… are the command. */
const RAW_MODULES = ["command", "shell"];

/**
 * The module's arguments as one mapping, in place: `key=value` shorthand read as Ansible reads it
 * (values typed by the module's schema: `recurse=yes` is true, `timeout=5` is 5), and Ansible's `args:`
 * keyword merged beneath them. A string for a module with a free-form argument stays as it is unless
 * it is all `key=value` (`debug: msg=hi`); command and shell take theirs from among the words. Returns
 * what is wrong, if something is.
 */
function argumentsOf(task: Obj, module: string, registry: ModuleRegistry): string | undefined {
  const def = registry[module];
  let value = task[module];
  if (typeof value === "string" && module !== "import_tasks") {
    let options: Record<string, string>;
    try {
      options = parseKv(value, RAW_MODULES.includes(module));
    } catch (e) {
      // A free-form string stays whole (its own quoting is the shell's business).
      if (!(e instanceof KvError)) throw e;
      if (!def.freeForm) return e.message;
      options = {};
    }
    const { _raw_params: rest, ...named } = options;
    // No key=value at all: a plain string, which the schema judges (free-form, or "should be a mapping").
    if (!Object.keys(named).length) value = task[module];
    else if (RAW_MODULES.includes(module)) value = { ...named, [def.freeForm!]: rest ?? "" };
    else if (rest === undefined) value = typed(named, moduleArgsSchema(def));
    else if (!def.freeForm) {
      return `'${rest}' is not key=value: write ${module}'s arguments as key=value words or as a mapping`;
    }
    task[module] = value;
  }
  const extra = task.args;
  if (extra !== undefined) {
    if (!isObj(extra)) return "args: should be a mapping of the module's arguments";
    const own = typeof value === "string" && def.freeForm ? { [def.freeForm]: value } : value ?? {};
    if (!isObj(own)) return undefined; // the schema says what is wrong
    task[module] = { ...extra, ...own };
    delete task.args;
  }
  return undefined;
}

const TRUE = ["y", "yes", "on", "1", "true", "t"];
const FALSE = ["n", "no", "off", "0", "false", "f"];

/** `key=value` texts typed as the module's schema wants them (Ansible's argument spec converts them). */
function typed(options: Record<string, string>, schema: JsonSchema): Obj {
  const out: Obj = {};
  for (const [key, text] of Object.entries(options)) {
    const types = typesOf(schema.properties?.[key] ?? {});
    const lower = text.toLowerCase();
    if (text.includes("{{") || types.has("string")) out[key] = text;
    else if (types.has("boolean") && (TRUE.includes(lower) || FALSE.includes(lower))) {
      out[key] = TRUE.includes(lower);
    } else if ((types.has("integer") || types.has("number")) && /^-?\d+(\.\d+)?$/.test(text)) {
      out[key] = Number(text);
    } else if (types.has("array")) out[key] = text.split(",").map((s) => s.trim());
    else out[key] = text;
  }
  return out;
}

/** The JSON types a schema accepts, a plain string only when no pattern restricts it. */
function typesOf(schema: JsonSchema): Set<string> {
  const branches: JsonSchema[] = schema.anyOf ?? schema.oneOf ?? [schema];
  const types = new Set<string>();
  for (const b of branches) {
    if (b.anyOf || b.oneOf) typesOf(b).forEach((t) => types.add(t));
    for (const t of [b.type ?? []].flat() as string[]) {
      if (t !== "string" || (b.pattern === undefined && b.enum === undefined)) types.add(t);
      else types.add("string-pattern");
    }
  }
  return types;
}

/** Ansible's loops we read: `loop` and the lookups `with_items`, `with_list`, `with_dict`. */
const LOOPS = ["loop", "with_items", "with_list", "with_dict"];

/**
 * A task with two loops, or a `with_<lookup>` we do not read: said once (the key is dropped so the
 * schema does not call it unknown too).
 */
function loopMistakes(task: Obj): NameProblem[] {
  const problems: NameProblem[] = [];
  for (const key of Object.keys(task)) {
    if (!key.startsWith("with_") || LOOPS.includes(key)) continue;
    const message = `Ansible's ${key.slice(5)} lookup is not supported here: build the list in a variable ` +
      `and loop over it (loop: "{{ my_list }}")`;
    problems.push({ path: [key], message });
    delete task[key];
  }
  const loops = Object.keys(task).filter((k) => LOOPS.includes(k));
  if (loops.length > 1) {
    problems.push({ path: [loops[1]], message: `a task has one loop: keep ${loops[0]} or ${loops[1]}` });
  }
  return problems;
}

/** Rename keys of `o` in place (written → ours), keeping their order. */
function rename(o: Obj, names: Map<string, string>): void {
  const entries = Object.entries(o);
  for (const [k] of entries) delete o[k];
  const written = new Map<string, string>();
  for (const [k, v] of entries) {
    const ours = names.get(k) ?? k;
    if (ours !== k) written.set(ours, k);
    o[ours] = v;
  }
  renamed.set(o, written);
}

/** A path through the renamed value, with each renamed key as it was written. */
function writtenPath(value: unknown, path: KeyPath): KeyPath {
  let node = value;
  return path.map((segment) => {
    const written = isObj(node) ? renamed.get(node)?.get(String(segment)) : undefined;
    node = isObj(node) || Array.isArray(node) ? (node as Obj)[segment] : undefined;
    return written ?? segment;
  });
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
