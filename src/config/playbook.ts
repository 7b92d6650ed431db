/**
 * Playbooks and roles: reads a playbook, the roles it uses (`roles/NAME/{tasks,handlers,defaults,vars}/
 * main.yml`) and its vars_files, validates all of them, then normalises every task into
 * `{ name, module, args, keywords, source, role? }` (src/config/model.ts). Every problem in every
 * file is reported at once, before any host is contacted.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import { modules as defaultRegistry } from "../modules/index.ts";
import { cwd } from "../runtime.ts";
import { importedFile, importMistake } from "../modules/import_tasks.ts";
import { UserError } from "../core/errors.ts";
import { isTemplated } from "../vars/template.ts";
import { templateMistakes } from "../vars/template-check.ts";
import { findLocalFile, LOCAL_FILES, readLocalFile } from "./local-files.ts";
import { checkPattern } from "./inventory.ts";
import { jinjaInDocument, jinjaInTemplates } from "./jinja-check.ts";
import type { FileKind, ModuleRegistry } from "./json-schema.ts";
import type { BlockFrame, Inventory, Play, Playbook, RoleRef, Task, TaskKeywords, Vars } from "./model.ts";
import { displayPath, type Problem, Problems } from "./problems.ts";
import type { handlerKeywords, playSchema } from "./schema.ts";
import { didYouMean } from "../core/suggest.ts";
import { BLOCK_SECTIONS } from "./task-names.ts";
import { problemAt, readValid, validateDocument } from "./validate.ts";
import { type KeyPath, readYaml, type YamlFile } from "./yaml.ts";

export interface PlaybookOptions {
  /** Directories searched for roles before `roles/` beside the playbook and `roles/` in the working directory. */
  rolesPath?: string[];
  /** When given, every play's `hosts:` pattern is checked against it. */
  inventory?: Inventory;
  /** Module registry (default: all modules). */
  modules?: ModuleRegistry;
}

type RawPlay = z.input<typeof playSchema>;
type RawTask = z.input<typeof handlerKeywords> & Record<string, unknown>;
type RoleEntry = Exclude<NonNullable<RawPlay["roles"]>[number], string>;

interface LoadedRole {
  ref: RoleRef;
  tasks?: YamlFile;
  handlers?: YamlFile;
  defaults: Vars;
  vars: Vars;
  /** Every file of the role that was read (for the Jinja2 check). */
  docs: YamlFile[];
}

/** A task's `notify`, kept to check that some handler answers it. */
interface Notify {
  names: string[];
  doc: YamlFile;
  kind: FileKind;
  path: KeyPath;
}

/** Load and validate a playbook with its roles and vars_files. Throws one ConfigError listing every problem. */
export function loadPlaybook(path: string, options: PlaybookOptions = {}): Playbook {
  const registry = options.modules ?? defaultRegistry;
  const doc = readYaml(path, { what: "playbook" });
  const problems = new Problems();
  problems.add(...validateDocument(doc, "playbook", { modules: registry }));
  const base = dirname(path);
  const search = [...(options.rolesPath ?? []), join(base, "roles"), join(cwd(), "roles")];
  const roles = new Map<string, LoadedRole>();
  const varsFiles = new Map<string, Vars>();
  const varsDocs: YamlFile[] = [];
  const raws = (Array.isArray(doc.value) ? doc.value : []) as RawPlay[];

  // Load every file the plays refer to, so that their problems are reported together.
  raws.forEach((play, i) => {
    if (!isObject(play)) return;
    for (const [j, file] of listOf(play.vars_files).entries()) {
      if (typeof file !== "string") continue;
      const full = resolve(base, file);
      const at = (message: string) => problems.add(problemAt(doc, "playbook", [i, "vars_files", j], message));
      if (isTemplated(file)) at("templates are not supported in vars_files paths");
      else if (!existsSync(full)) at(`file not found: ${displayPath(full)}`);
      else {
        const vars = problems.try(() => readValid(full, "vars"));
        if (vars) varsDocs.push(vars);
        varsFiles.set(full, (vars?.value ?? {}) as Vars);
      }
    }
    for (const [j, entry] of listOf(play.roles).entries()) {
      const name = typeof entry === "string" ? entry : isObject(entry) ? entry.role : undefined;
      if (typeof name !== "string" || roles.has(name)) continue;
      const dir = findRole(name, base, search);
      if (dir) roles.set(name, loadRole(name, dir, registry, problems));
      else problems.add(problemAt(doc, "playbook", [i, "roles", j], roleNotFound(name, search)));
    }
    if (options.inventory && (typeof play.hosts === "string" || Array.isArray(play.hosts))) {
      const error = checkPattern(options.inventory, hostsPattern(play.hosts));
      if (error) problems.add(problemAt(doc, "playbook", [i, "hosts"], error));
    }
  });
  problems.throwIfAny();

  const imports: Imports = { files: new Map(), reported: new Set(), problems };
  const plays = raws.map((raw, i) => {
    const notifies: Notify[] = [];
    const play = normalisePlay(raw, i, {
      doc,
      registry,
      notifies,
      roles,
      varsFiles: listOf(raw.vars_files).map((f) => varsFiles.get(resolve(base, f))!),
      imports,
      blocks: { next: 0 },
    });
    checkNotify(play, notifies, problems);
    return play;
  });
  // Jinja2 anywhere handlebars is read (arguments, variables, templates): refused with the equivalent.
  const read = [doc, ...varsDocs, ...[...roles.values()].flatMap((r) => r.docs), ...imports.files.values()];
  for (const d of read) if (d) problems.add(...jinjaInDocument(d));
  for (
    const dir of [
      join(base, "templates"),
      ...[...roles.values()].map((r) => join(r.ref.dir, "templates")),
    ]
  ) {
    problems.add(...jinjaInTemplates(dir));
  }
  problems.throwIfAny();
  return { file: doc.file, plays };
}

interface PlayContext {
  doc: YamlFile;
  registry: ModuleRegistry;
  notifies: Notify[];
  roles: Map<string, LoadedRole>;
  varsFiles: Vars[];
  imports: Imports;
  /** The next block's id (unique in the play). */
  blocks: { next: number };
}

/** Files read by import_tasks (shared by all plays: a role in two plays reads its imports once). */
interface Imports {
  files: Map<string, YamlFile | undefined>;
  /** Problems already reported, so a role used twice does not report them twice. */
  reported: Set<string>;
  problems: Problems;
}

function normalisePlay(raw: RawPlay, i: number, ctx: PlayContext): Play {
  const { doc } = ctx;
  const own = (key: "pre_tasks" | "tasks" | "post_tasks" | "handlers") =>
    normaliseTasks(doc, "playbook", [i, key], raw[key] as RawTask[] | undefined, ctx);
  const entries = listOf(raw.roles).map((e) => (typeof e === "string" ? { role: e } : e));
  const roleTasks = (kind: "tasks" | "handlers") =>
    entries.flatMap((entry) => {
      const role = ctx.roles.get(entry.role)!;
      const file = role[kind];
      return file ? normaliseTasks(file, kind, [], file.value as RawTask[] | null, ctx, { role, entry }) : [];
    });
  const hosts = hostsPattern(raw.hosts);
  const serial = raw.serial === undefined ? undefined : listOf(raw.serial);
  const { line, col } = doc.locate([i]);
  const play: Play = {
    name: raw.name ?? hosts,
    hosts,
    vars: Object.assign({}, raw.vars, ...ctx.varsFiles),
    tasks: [...own("pre_tasks"), ...roleTasks("tasks"), ...own("tasks"), ...own("post_tasks")],
    handlers: [...roleTasks("handlers"), ...own("handlers")],
    become: raw.become,
    becomeUser: raw.become_user,
    serial,
    gatherFacts: raw.gather_facts ?? true,
    maxFailPercentage: raw.max_fail_percentage,
    anyErrorsFatal: raw.any_errors_fatal,
    source: { file: doc.file, line, col },
  };
  return dropUndefined(play);
}

/** The keywords copied as they are; notify/tags/listen become lists, loop_control.loop_var → loop_var. */
const PLAIN_KEYWORDS = [
  "when",
  "loop",
  "register",
  "changed_when",
  "failed_when",
  "ignore_errors",
  "become",
  "become_user",
  "vars",
  "no_log",
  "check_mode",
  "run_once",
] as const;
const LIST_KEYWORDS = ["notify", "tags", "listen"] as const;

type RoleUse = { role: LoadedRole; entry: RoleEntry };

function normaliseTasks(
  doc: YamlFile,
  kind: FileKind,
  path: KeyPath,
  raws: RawTask[] | null | undefined,
  ctx: PlayContext,
  from?: RoleUse,
  importing: string[] = [],
): Task[] {
  return (raws ?? []).flatMap((raw, i) => {
    const taskPath = [...path, i];
    if (BLOCK_SECTIONS.some((section) => raw[section] !== undefined)) {
      return blockTasks(doc, kind, taskPath, raw, ctx, from, importing);
    }
    const module = Object.keys(raw).find((k) => k in ctx.registry)!;
    if (module === "import_tasks") return importTasks(doc, kind, taskPath, raw, ctx, from, importing);
    const value = raw[module];
    const freeForm = ctx.registry[module].freeForm;
    const args = typeof value === "string" && freeForm ? { [freeForm]: value } : (value ?? {}) as Vars;
    const keywords: TaskKeywords = {};
    for (const k of PLAIN_KEYWORDS) if (raw[k] !== undefined) (keywords as Vars)[k] = raw[k];
    for (const k of LIST_KEYWORDS) if (raw[k] !== undefined) keywords[k] = listOf(raw[k]);
    if (raw.loop_control?.loop_var) keywords.loop_var = raw.loop_control.loop_var;
    // Ansible's older loops (task-names.ts refuses more than one loop on a task).
    if (raw.with_list !== undefined) keywords.loop = raw.with_list;
    for (const from of ["with_items", "with_dict"] as const) {
      if (raw[from] !== undefined) {
        keywords.loop = raw[from] as TaskKeywords["loop"], keywords.loop_from = from;
      }
    }
    if (keywords.notify) {
      ctx.notifies.push({ names: keywords.notify, doc, kind, path: [...taskPath, "notify"] });
    }
    const { line, col } = doc.locate(taskPath);
    const task: Task = {
      name: raw.name ?? (typeof value === "string" ? `${module}: ${value}` : module),
      module,
      args,
      keywords,
      source: { file: doc.file, line, col },
    };
    if (from) applyRole(task, from.role, from.entry);
    checkLocalFile(task, doc, kind, taskPath, ctx.imports);
    return [task];
  });
}

/**
 * A template or file to copy that is missing, not a file, or (a template) cannot render, stops the
 * run when the files load: its name is known from the files alone unless it is templated.
 */
function checkLocalFile(
  task: Task,
  doc: YamlFile,
  kind: FileKind,
  taskPath: KeyPath,
  imports: Imports,
): void {
  const local = LOCAL_FILES[task.module];
  const name = local && task.args[local.arg];
  if (typeof name !== "string" || isTemplated(name)) return;
  const base = { roleDir: task.role?.dir, file: task.source.file };
  const problem = (p: Problem) => reportOnce(imports, p);
  try {
    const found = findLocalFile(name, local.kind, base);
    if (local.kind !== "templates") return;
    const text = new TextDecoder().decode(readLocalFile(name, local.kind, base));
    for (const m of templateMistakes(text)) {
      problem({ file: displayPath(found), line: m.line, col: m.col, path: "", message: m.message });
    }
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const message = e.message.replace(/:\n\s+/, ": ").replaceAll(/\n\s+/g, ", ");
    problem(problemAt(doc, kind, [...taskPath, task.module, local.arg], message));
  }
}

/**
 * The tasks of an `import_tasks` file, in its place, each with the import's keywords (its `when`
 * before theirs, tags added, vars beneath theirs, the rest where a task has none). The file is read
 * and validated here, relative to the importing file; a missing file, a loop of imports or a file
 * name with variables is a problem located at the import.
 */
function importTasks(
  doc: YamlFile,
  kind: FileKind,
  taskPath: KeyPath,
  raw: RawTask,
  ctx: PlayContext,
  from: RoleUse | undefined,
  importing: string[],
): Task[] {
  const { imports } = ctx;
  const problem = (message: string, key = "import_tasks"): Task[] => {
    reportOnce(imports, problemAt(doc, kind, [...taskPath, key], message));
    return [];
  };
  const file = importedFile(raw.import_tasks);
  if (file === undefined) return []; // the schema said why
  const mistake = importMistake(raw);
  if (mistake) return problem(mistake.message, mistake.key);
  const self = resolve(doc.file);
  const full = resolve(dirname(self), file);
  const chain = importing.length ? importing : [self];
  if (chain.includes(full)) {
    return problem(`imports itself: ${[...chain, full].map(displayPath).join(" → ")}`);
  }
  if (!existsSync(full)) return problem(`file not found: ${displayPath(full)}`);
  const listKind = kind === "handlers" || taskPath.includes("handlers") ? "handlers" : "tasks";
  if (!imports.files.has(full)) {
    imports.files.set(full, imports.problems.try(() => readValid(full, listKind, { modules: ctx.registry })));
  }
  const imported = imports.files.get(full);
  if (!imported) return [];
  const tasks = normaliseTasks(
    imported,
    listKind,
    [],
    imported.value as RawTask[] | null,
    ctx,
    from,
    [...chain, full],
  );
  for (const t of tasks) inheritImport(t.keywords, raw);
  return tasks;
}

/** Task keywords Ansible refuses on a block ("not a valid attribute for a Block"): they are a task's own. */
const NOT_ON_BLOCKS = [
  "loop",
  "with_items",
  "with_list",
  "with_dict",
  "loop_control",
  "register",
  "changed_when",
  "failed_when",
] as const;

/**
 * A block's tasks in the order they are written (block, rescue, always), each with the block's
 * keywords (as an import passes them on, notify where the task has none) and its place in the block.
 * The engine decides from the places which of them run on a host.
 */
function blockTasks(
  doc: YamlFile,
  kind: FileKind,
  taskPath: KeyPath,
  raw: RawTask,
  ctx: PlayContext,
  from: RoleUse | undefined,
  importing: string[],
): Task[] {
  const wrong = NOT_ON_BLOCKS.find((k) => raw[k] !== undefined);
  if (wrong) {
    const message = `'${wrong}' is not valid on a block (as in Ansible): put it on the block's tasks`;
    reportOnce(ctx.imports, problemAt(doc, kind, [...taskPath, wrong], message, "key"));
    return [];
  }
  const notify = raw.notify === undefined ? undefined : listOf(raw.notify);
  if (notify) ctx.notifies.push({ names: notify, doc, kind, path: [...taskPath, "notify"] });
  const id = ctx.blocks.next++;
  return BLOCK_SECTIONS.flatMap((section) => {
    const list = raw[section] as RawTask[] | undefined;
    const tasks = normaliseTasks(doc, kind, [...taskPath, section], list, ctx, from, importing);
    for (const t of tasks) {
      inheritImport(t.keywords, raw);
      if (notify && !t.keywords.notify) t.keywords.notify = notify;
      t.blocks = [{ id, section } satisfies BlockFrame, ...(t.blocks ?? [])];
    }
    return tasks;
  });
}

function inheritImport(k: TaskKeywords, raw: RawTask): void {
  if (raw.when !== undefined) k.when = [...listOf(raw.when), ...listOf(k.when)];
  if (raw.tags !== undefined) k.tags = [...new Set([...listOf(raw.tags), ...(k.tags ?? [])])];
  if (raw.vars !== undefined) k.vars = { ...raw.vars, ...k.vars };
  // The rest only where the task says nothing itself.
  for (const key of ["become", "become_user", "check_mode", "no_log", "ignore_errors", "run_once"] as const) {
    if (k[key] === undefined && raw[key] !== undefined) (k as Vars)[key] = raw[key];
  }
}

/** A problem of a file read once per play (a role's, an import's): reported once for the playbook. */
function reportOnce(imports: Imports, p: Problem): void {
  const id = JSON.stringify(p);
  if (!imports.reported.has(id)) imports.reported.add(id), imports.problems.add(p);
}

/** A role's tasks carry the role (for templates/ and files/), its variables, and the entry's when/tags. */
function applyRole(task: Task, role: LoadedRole, entry: RoleEntry): void {
  task.role = role.ref;
  task.roleDefaults = role.defaults;
  task.roleVars = { ...role.vars, ...entry.vars };
  if (entry.when !== undefined) task.keywords.when = [...listOf(entry.when), ...listOf(task.keywords.when)];
  if (entry.tags !== undefined) {
    task.keywords.tags = [...new Set([...listOf(entry.tags), ...listOf(task.keywords.tags)])];
  }
}

/** Every notified name must be a handler's name or one of its `listen` topics in the same play. */
function checkNotify(play: Play, notifies: Notify[], problems: Problems): void {
  const known = play.handlers.flatMap((h) => [h.name, ...(h.keywords.listen ?? [])]);
  for (const { names, doc, kind, path } of notifies) {
    names.forEach((name, j) => {
      if (known.includes(name)) return;
      const target = Array.isArray(getPath(doc.value, path)) ? [...path, j] : path;
      const message = `no handler '${name}' in this play${didYouMean(name, known)}`;
      problems.add(problemAt(doc, kind, path, message, "value", target));
    });
  }
}

function findRole(name: string, base: string, search: string[]): string | undefined {
  const candidates = name.includes("/")
    ? [isAbsolute(name) ? name : resolve(base, name)]
    : search.map((d) => join(d, name));
  return candidates.find((d) => existsSync(d) && statSync(d).isDirectory());
}

function roleNotFound(name: string, search: string[]): string {
  const known = search.flatMap((d) => (existsSync(d) ? listDirs(d) : []));
  return `role '${name}' not found in ${search.map(displayPath).join(", ")}${didYouMean(name, known)}`;
}

const listDirs = (d: string) => readdirSync(d).filter((f) => statSync(join(d, f)).isDirectory());

function loadRole(name: string, dir: string, registry: ModuleRegistry, problems: Problems): LoadedRole {
  const read = (sub: string, kind: "tasks" | "handlers" | "vars") => {
    const file = ["main.yml", "main.yaml"].map((f) => join(dir, sub, f)).find((f) => existsSync(f));
    return file ? problems.try(() => readValid(file, kind, { modules: registry })) : undefined;
  };
  const [tasks, handlers, defaults, vars] = [
    read("tasks", "tasks"),
    read("handlers", "handlers"),
    read("defaults", "vars"),
    read("vars", "vars"),
  ];
  return {
    ref: { name: basename(name), dir: resolve(dir) },
    tasks,
    handlers,
    defaults: (defaults?.value ?? {}) as Vars,
    vars: (vars?.value ?? {}) as Vars,
    docs: [tasks, handlers, defaults, vars].filter((d): d is YamlFile => d !== undefined),
  };
}

const hostsPattern = (hosts: string | string[]) => (Array.isArray(hosts) ? hosts.join(":") : hosts);
const isObject = (v: unknown): v is Record<string, never> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const listOf = <T>(
  v: T | T[] | undefined | null,
): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function getPath(value: unknown, path: KeyPath): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
