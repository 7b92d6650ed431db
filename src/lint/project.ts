/**
 * What lint looks at: the files under the given paths, each parsed once and classified by where it
 * lives, as the config loader lays a project out (`roles/NAME/{tasks,handlers,defaults,vars,templates,
 * files}`, `group_vars/`, `host_vars/` beside an inventory, `vars_files` named by a playbook), plus the
 * plays and tasks inside them with their key paths, for the rule families to walk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { loadInventory } from "../config/inventory.ts";
import type { VaultSecret } from "../config/ansible/vault.ts";
import type { ModuleRegistry } from "../config/json-schema.ts";
import type { Inventory } from "../config/model.ts";
import { ConfigError, displayPath, type Problem } from "../config/problems.ts";
import { type KeyPath, parseYaml, type YamlFile } from "../config/yaml.ts";
import { UserError } from "../core/errors.ts";
import { importedFile } from "../modules/import_tasks.ts";
import { moduleKeyOf } from "../config/ansible/module-names.ts";
import { useOurNames } from "../config/task-names.ts";
import { isTemplated } from "../vars/template.ts";
import type { Position } from "./types.ts";

export type FileKind =
  | "playbook"
  | "tasks"
  | "handlers"
  | "defaults"
  | "vars"
  | "inventory"
  | "group_vars"
  | "host_vars"
  | "template"
  | "file";

export interface SourceFile {
  /** As shown to the user (relative to the working directory when below it, `/` separators). */
  file: string;
  abs: string;
  kind: FileKind;
  text: string;
  /** The parsed document (YAML kinds only, when it parses). */
  doc?: YamlFile;
  /** Why it does not parse. */
  parseError?: Problem;
  /** The role this file belongs to (`roles/NAME/...`). */
  role?: string;
}

export interface Project {
  files: SourceFile[];
  modules: ModuleRegistry;
  /** Vault passwords for the inventories (none: ANSIBLE_VAULT_PASSWORD_FILE, if set). */
  vault?: VaultSecret[];
}

export type Vars = Record<string, unknown>;

/** One task or handler, wherever it is written. */
export interface TaskSite {
  file: SourceFile;
  path: KeyPath;
  raw: Vars;
  /** The module key (undefined when the task has none; schema rules report that). */
  module?: string;
  /** Module arguments, free-form strings turned into `{ cmd: "..." }` as the loader does. */
  args: unknown;
  /** The play it belongs to (playbook tasks), or undefined for role files. */
  play?: PlaySite;
}

export interface PlaySite {
  file: SourceFile;
  index: number;
  raw: Vars;
  roles: { name: string; vars: Vars; path: KeyPath }[];
}

const SKIP_DIRS = new Set(["node_modules", ".git", "dist"]);
const YAML = /\.ya?ml$/;
const MAX_TEXT = 1 << 20;

export interface LoadOptions {
  modules: ModuleRegistry;
  vault?: VaultSecret[];
  /** Display paths matching this are left out. */
  exclude?: (file: string) => boolean;
}

/** Find, read, parse and classify every file under `paths`. A path that does not exist is a UserError. */
export function loadProject(paths: string[], options: LoadOptions): Project {
  const found: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UserError(`no such file or directory: ${p}`);
    walk(resolve(p), found, true);
  }
  const selected = [...new Set(found)].sort().flatMap((abs) => {
    const file = displayPath(abs).split(sep).join("/");
    const kind = kindByLocation(abs);
    return options.exclude?.(file) || kind === null ? [] : [{ abs, file, kind }];
  });
  const files: SourceFile[] = [];
  for (const { abs, file, kind } of selected) {
    const text = readFileSync(abs, "utf8");
    if (kind === "template" || kind === "file") {
      if (text.length <= MAX_TEXT && !text.includes("\0")) {
        files.push({ file, abs, kind, text, role: roleOf(abs) });
      }
      continue;
    }
    const source: SourceFile = { file, abs, kind: kind ?? "vars", text, role: roleOf(abs) };
    try {
      source.doc = parseYaml(text, file);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      source.parseError = e.problems[0];
    }
    if (kind === undefined) source.kind = kindByContent(source, options.modules);
    files.push(source);
  }
  markVarsFiles(files);
  markImportedFiles(files, options.modules);
  return { files, modules: options.modules, vault: options.vault };
}

function walk(abs: string, out: string[], top: boolean): void {
  const stat = statSync(abs);
  if (stat.isFile()) {
    if (top || YAML.test(abs) || /[\\/](templates|files)[\\/]/.test(abs)) out.push(abs);
    return;
  }
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(abs)) {
    if (SKIP_DIRS.has(entry) || (entry.startsWith(".") && !YAML.test(entry))) continue;
    if (entry === ".lago-provision-lint.yml") continue;
    walk(`${abs}${sep}${entry}`, out, false);
  }
}

const ROLE_SUBDIRS: Record<string, FileKind | null> = {
  tasks: "tasks",
  handlers: "handlers",
  defaults: "defaults",
  vars: "vars",
  templates: "template",
  files: "file",
  meta: null,
};

/** The kind a file has by where it is; undefined when only its content can tell; null to skip it. */
function kindByLocation(abs: string): FileKind | undefined | null {
  const dirs = abs.split(sep).slice(0, -1);
  const r = dirs.lastIndexOf("roles");
  if (r >= 0 && dirs.length > r + 2) {
    const kind = ROLE_SUBDIRS[dirs[r + 2]];
    if (kind !== undefined) return kind;
  }
  if (dirs.includes("templates")) return "template";
  if (dirs.includes("files")) return "file";
  if (!YAML.test(abs)) return null;
  if (dirs.includes("group_vars")) return "group_vars";
  if (dirs.includes("host_vars")) return "host_vars";
  if (dirs[dirs.length - 1] === "vars") return "vars";
  return undefined;
}

function roleOf(abs: string): string | undefined {
  const dirs = abs.split(sep).slice(0, -1);
  const r = dirs.lastIndexOf("roles");
  return r >= 0 && dirs.length > r + 2 ? dirs[r + 1] : undefined;
}

const GROUP_KEYS = new Set(["hosts", "children", "vars"]);

/**
 * A list of tasks (items with a module, none with `hosts`) is a tasks file, another list a playbook; a
 * mapping of groups (or anything under inventory/) an inventory; else vars.
 */
function kindByContent(f: SourceFile, modules: ModuleRegistry): FileKind {
  const value = f.doc?.value;
  if (Array.isArray(value)) return looksLikeTasks(value, modules) ? "tasks" : "playbook";
  const dirs = f.abs.split(sep);
  if (dirs.includes("inventory") || dirs.includes("inventories")) return "inventory";
  if (isMap(value)) {
    const groups = Object.values(value);
    const looksLikeGroups = groups.length > 0 &&
      groups.every((g) => g === null || (isMap(g) && Object.keys(g).every((k) => GROUP_KEYS.has(k))));
    if ("all" in value || looksLikeGroups) return "inventory";
  }
  if (f.parseError && /(^|\/)playbooks\//.test(f.file)) return "playbook";
  return "vars";
}

/**
 * Files an `import_tasks` names are tasks files (handlers files when a handlers list imports them),
 * wherever they are, as apply reads them; followed through imports of imports.
 */
function looksLikeTasks(items: unknown[], modules: ModuleRegistry): boolean {
  return items.length > 0 &&
    items.every((item) =>
      isMap(item) && !("hosts" in item) &&
      Object.keys(item).some((k) => moduleKeyOf(k, modules) !== undefined)
    );
}

function markImportedFiles(files: SourceFile[], modules: ModuleRegistry): void {
  const byAbs = new Map(files.map((f) => [f.abs, f]));
  const queue = files.filter((f) => f.kind === "playbook" || f.kind === "tasks" || f.kind === "handlers");
  while (queue.length) {
    const f = queue.shift()!;
    for (const t of tasksOf(f, modules)) {
      const target = importTarget(t);
      const imported = target && byAbs.get(target);
      if (!imported || imported === f) continue;
      const kind = t.path.includes("handlers") || f.kind === "handlers" ? "handlers" : "tasks";
      // Read again as what it is now: its own imports show only once it is read as tasks.
      if (imported.kind !== kind) imported.kind = kind, queue.push(imported);
    }
  }
}

/** The absolute path an `import_tasks` task names (undefined for other tasks or a templated name). */
export function importTarget(t: TaskSite): string | undefined {
  const file = t.module === "import_tasks" ? importedFile(t.args) : undefined;
  return file === undefined || isTemplated(file) ? undefined : resolve(dirname(t.file.abs), file);
}

/** Files named in a playbook's vars_files are vars files, whatever their location suggested. */
function markVarsFiles(files: SourceFile[]): void {
  const byAbs = new Map(files.map((f) => [f.abs, f]));
  for (const f of files) {
    if (f.kind !== "playbook") continue;
    for (const play of listOf(f.doc?.value)) {
      for (const name of listOf(isMap(play) ? play.vars_files : undefined)) {
        const target = typeof name === "string" ? byAbs.get(resolve(dirname(f.abs), name)) : undefined;
        if (target && target.kind !== "playbook") target.kind = "vars";
      }
    }
  }
}

// ---- plays and tasks ----

const TASK_LISTS = ["pre_tasks", "tasks", "post_tasks", "handlers"] as const;

/** The plays of a playbook, with their roles. */
export function playsOf(f: SourceFile): PlaySite[] {
  if (f.kind !== "playbook" || !Array.isArray(f.doc?.value)) return [];
  return (f.doc.value as unknown[]).flatMap((raw, index) => {
    if (!isMap(raw)) return [];
    const roles = listOf(raw.roles).flatMap((entry, j) => {
      const name = typeof entry === "string" ? entry : isMap(entry) ? entry.role : undefined;
      const vars = isMap(entry) && isMap(entry.vars) ? entry.vars : {};
      return typeof name === "string" ? [{ name, vars, path: [index, "roles", j] }] : [];
    });
    return [{ file: f, index, raw, roles }];
  });
}

/** Every task and handler of a playbook or a role's tasks/handlers file. */
export function tasksOf(f: SourceFile, modules: ModuleRegistry): TaskSite[] {
  // Every rule family walks the tasks: found once per file (again only if its kind was revised).
  const cached = taskCache.get(f);
  if (cached && cached.kind === f.kind && cached.modules === modules) return cached.sites;
  const sites = findTasks(f, modules);
  taskCache.set(f, { kind: f.kind, modules, sites });
  return sites;
}

const taskCache = new WeakMap<SourceFile, { kind: FileKind; modules: ModuleRegistry; sites: TaskSite[] }>();

function findTasks(f: SourceFile, modules: ModuleRegistry): TaskSite[] {
  // `ansible.builtin.copy: {dest: …}` is read as `copy` (src/config/task-names.ts), as apply reads it.
  if (f.doc && (f.kind === "tasks" || f.kind === "handlers" || f.kind === "playbook")) {
    useOurNames(f.doc, f.kind, modules);
  }
  const site = (raw: unknown, path: KeyPath, play?: PlaySite): TaskSite[] => {
    if (!isMap(raw)) return [];
    const module = Object.keys(raw).find((k) => k in modules);
    const value = module === undefined ? undefined : raw[module];
    const freeForm = module === undefined ? undefined : modules[module].freeForm;
    const args = typeof value === "string" && freeForm ? { [freeForm]: value } : value;
    return [{ file: f, path, raw, module, args, play }];
  };
  if (f.kind === "tasks" || f.kind === "handlers") {
    return listOf(f.doc?.value).flatMap((raw, i) => site(raw, [i]));
  }
  return playsOf(f).flatMap((play) =>
    TASK_LISTS.flatMap((key) =>
      listOf(play.raw[key]).flatMap((raw, i) => site(raw, [play.index, key, i], play))
    )
  );
}

// ---- small helpers shared by the rule families ----

export const isMap = (v: unknown): v is Vars => typeof v === "object" && v !== null && !Array.isArray(v);

export const listOf = (
  v: unknown,
): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Visit every value below `value` with its key path (mapping keys and list indexes). */
export function walkValues(
  value: unknown,
  visit: (value: unknown, path: KeyPath, key: string | number | undefined) => void,
  path: KeyPath = [],
): void {
  visit(value, path, path[path.length - 1]);
  if (Array.isArray(value)) value.forEach((v, i) => walkValues(v, visit, [...path, i]));
  else if (isMap(value)) { for (const [k, v] of Object.entries(value)) walkValues(v, visit, [...path, k]); }
}

/** The lines of a file's text (1-based access: `lines[line - 1]`). Cached per file. */
const lineCache = new WeakMap<SourceFile, string[]>();
export function linesOf(f: SourceFile): string[] {
  let lines = lineCache.get(f);
  if (!lines) lineCache.set(f, lines = f.text.split(/\r?\n/));
  return lines;
}

/**
 * Where a position inside a string value (`inner`, 1-based, relative to the string) is in the file:
 * past the opening quote of a quoted scalar, on the following lines of a block scalar (`|`, `>`).
 * Multi-line flow scalars are folded, so positions past their first line fall back to the value.
 */
export function positionInValue(f: SourceFile, path: KeyPath, inner: Position): Position {
  const start = f.doc!.locate(path);
  const lines = linesOf(f);
  const text = lines[start.line - 1] ?? "";
  const ch = text[start.col - 1];
  if (ch === "|" || ch === ">") {
    const indent = /^\s*/.exec(lines[start.line] ?? "")![0].length;
    return { line: start.line + inner.line, col: indent + inner.col };
  }
  if (inner.line !== 1) return start;
  const col = start.col + (ch === '"' || ch === "'" ? 1 : 0) + inner.col - 1;
  return col <= text.length ? { line: start.line, col } : start;
}

/**
 * A key path as messages show it (`tasks/3/template/dest`): in a playbook of one play the play index
 * is left out, as the config loader does.
 */
export function keyPath(f: SourceFile, path: KeyPath): string {
  const single = f.kind === "playbook" && Array.isArray(f.doc?.value) && f.doc.value.length === 1;
  return (single ? path.slice(1) : path).join("/");
}

/** `path: message`, or the message alone for the whole document. */
export const atPath = (f: SourceFile, path: KeyPath, message: string): string => {
  const shown = keyPath(f, path);
  return shown ? `${shown}: ${message}` : message;
};

/** `.../roles/NAME` for a file inside a role. */
export function roleDirOf(f: SourceFile): string | undefined {
  const parts = f.abs.split(sep);
  const r = parts.slice(0, -1).lastIndexOf("roles");
  return f.role === undefined || r < 0 ? undefined : parts.slice(0, r + 2).join(sep);
}

const inventories = new WeakMap<SourceFile, { inventory?: Inventory; problems: Problem[] }>();

/**
 * An inventory file loaded as apply loads it (with the group_vars/ and host_vars/ beside it): the
 * resolved hosts and groups, or the problems that stop apply. Cached per file.
 */
export function inventoryOf(
  f: SourceFile,
  vault?: VaultSecret[],
): { inventory?: Inventory; problems: Problem[] } {
  let loaded = inventories.get(f);
  if (!loaded) {
    try {
      const options = { refuseAmbiguous: true, vault: vault?.length ? { secrets: vault } : undefined };
      loaded = { inventory: loadInventory(f.abs, options), problems: [] };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      loaded = { problems: e.problems };
    }
    inventories.set(f, loaded);
  }
  return loaded;
}

/** The group_vars/ and host_vars/ files that belong to an inventory file (beside it). */
export function inventoryVarsFiles(project: Project, f: SourceFile): SourceFile[] {
  const base = dirname(f.abs);
  const dirs = [`${base}${sep}group_vars${sep}`, `${base}${sep}host_vars${sep}`];
  return project.files.filter((g) => dirs.some((d) => g.abs.startsWith(d)));
}
