/**
 * Ansible YAML inventories: `all:` with hosts, children and vars (recursively), plus `group_vars/` and
 * `host_vars/` beside the file. Resolves each host's variables with Ansible's precedence, turns them
 * into connection settings, and matches host patterns (`web:&prod:!db`, `lago-*`).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import type { ConnectionSettings } from "../connection/settings.ts";
import { UserError } from "../core/errors.ts";
import { renderString } from "../vars/template.ts";
import type { Inventory, InventoryGroup, InventoryHost, Vars } from "./model.ts";
import { Problems } from "./problems.ts";
import { didYouMean } from "../core/suggest.ts";
import { readValid } from "./validate.ts";
import type { YamlFile } from "./yaml.ts";

type RawGroup = {
  hosts?: Record<string, Vars | null>;
  children?: Record<string, RawGroup | null>;
  vars?: Vars;
};

/**
 * Load an inventory file and the `group_vars/` and `host_vars/` beside it. Throws one ConfigError
 * listing every problem in all of those files.
 */
export function loadInventory(path: string): Inventory {
  const problems = new Problems();
  const doc = problems.try(() => readValid(path, "inventory"));
  const inventory = doc ? buildInventory(doc, problems) : undefined;
  const base = dirname(path);
  const groupFiles = varsDir(join(base, "group_vars"), problems);
  const hostFiles = varsDir(join(base, "host_vars"), problems);
  if (inventory) {
    checkNames(groupFiles, [...inventory.groups.keys()], "group", problems);
    checkNames(hostFiles, inventory.hosts.map((h) => h.name), "host", problems);
  }
  problems.throwIfAny();
  resolveVars(inventory!, groupFiles, hostFiles);
  return inventory!;
}

interface Building {
  inventory: Inventory;
  byName: Map<string, InventoryHost>;
}

function buildInventory(doc: YamlFile, problems: Problems): Inventory {
  const inventory: Inventory = { file: doc.file, hosts: [], groups: new Map() };
  const b: Building = { inventory, byName: new Map() };
  const top = (doc.value ?? {}) as Record<string, RawGroup | null>;
  const all = group(b, "all");
  for (const [name, raw] of Object.entries(top)) {
    if (name !== "all") link(all, group(b, name));
    visit(b, doc, name, raw ?? {}, [name]);
  }
  const ungrouped = group(b, "ungrouped");
  link(all, ungrouped);
  for (const h of inventory.hosts) {
    if (![...inventory.groups.values()].some((g) => g.name !== "all" && g.hosts.includes(h.name))) {
      ungrouped.hosts.push(h.name);
    }
  }
  all.hosts = []; // hosts listed under `all:` directly are in `ungrouped`; `all` reaches everyone through it
  const cycle = setDepths(inventory, all);
  if (cycle) {
    const { line, col } = doc.locate([]);
    problems.add({ file: doc.file, line, col, path: "", message: `group cycle: ${cycle.join(" → ")}` });
  }
  return inventory;
}

function group(b: Building, name: string): InventoryGroup {
  let g = b.inventory.groups.get(name);
  if (!g) {
    b.inventory.groups.set(name, g = { name, hosts: [], children: [], parents: [], depth: 0, vars: {} });
  }
  return g;
}

function link(parent: InventoryGroup, child: InventoryGroup): void {
  if (!parent.children.includes(child.name)) parent.children.push(child.name);
  if (!child.parents.includes(parent.name)) child.parents.push(parent.name);
}

function visit(b: Building, doc: YamlFile, name: string, raw: RawGroup, path: string[]): void {
  const g = group(b, name);
  Object.assign(g.vars, raw.vars);
  for (const [pattern, vars] of Object.entries(raw.hosts ?? {})) {
    for (const host of expandHostRange(pattern)) {
      if (!g.hosts.includes(host)) g.hosts.push(host);
      let h = b.byName.get(host);
      if (!h) {
        const { line, col } = doc.locate([...path, "hosts", pattern], "key");
        h = { name: host, groups: [], vars: {}, source: { file: doc.file, line, col } };
        b.inventory.hosts.push(h);
        b.byName.set(host, h);
      }
      Object.assign(h.vars, vars);
    }
  }
  for (const [childName, child] of Object.entries(raw.children ?? {})) {
    link(g, group(b, childName));
    visit(b, doc, childName, child ?? {}, [...path, "children", childName]);
  }
}

/** Depth = longest path from `all`. Returns the groups of a cycle, if there is one. */
function setDepths(inventory: Inventory, all: InventoryGroup): string[] | undefined {
  const walk = (g: InventoryGroup, trail: string[]): string[] | undefined => {
    for (const name of g.children) {
      if (trail.includes(name)) return [...trail.slice(trail.indexOf(name)), name];
      const child = inventory.groups.get(name)!;
      child.depth = Math.max(child.depth, g.depth + 1);
      const cycle = walk(child, [...trail, name]);
      if (cycle) return cycle;
    }
  };
  return walk(all, ["all"]);
}

/** Groups containing the host (directly or via children), in variable precedence order. */
function memberships(inventory: Inventory, host: string): string[] {
  const found = new Set<string>();
  const up = (name: string) => {
    if (found.has(name)) return;
    found.add(name);
    for (const p of inventory.groups.get(name)!.parents) up(p);
  };
  for (const g of inventory.groups.values()) if (g.hosts.includes(host)) up(g.name);
  found.add("all");
  const priority = (g: InventoryGroup) => Number(g.vars.ansible_group_priority ?? 1);
  return [...found].map((n) => inventory.groups.get(n)!).sort((a, b) =>
    a.depth - b.depth || priority(a) - priority(b) || a.name.localeCompare(b.name)
  ).map((g) => g.name);
}

interface VarsFile {
  vars: Vars;
  /** The file (or first file of a directory), for messages. */
  doc: YamlFile;
}

/** `group_vars/NAME.yml`, `NAME.yaml`, or a directory `NAME/` of such files (merged in name order). */
function varsDir(dir: string, problems: Problems): Map<string, VarsFile> {
  const out = new Map<string, VarsFile>();
  if (!existsSync(dir)) return out;
  const read = (file: string) => problems.try(() => readValid(file, "host_vars"));
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    const isYaml = (f: string) => /\.ya?ml$/.test(f);
    const files = statSync(full).isDirectory()
      ? readdirSync(full).filter(isYaml).sort().map((f) => join(full, f))
      : isYaml(entry)
      ? [full]
      : [];
    const docs = files.map(read).filter((d): d is YamlFile => d !== undefined);
    if (docs.length) {
      const name = entry.replace(/\.ya?ml$/, "");
      out.set(name, { doc: docs[0], vars: Object.assign({}, ...docs.map((d) => d.value ?? {})) });
    }
  }
  return out;
}

/** A group_vars/host_vars file for a group or host the inventory does not have is most likely a typo. */
function checkNames(files: Map<string, VarsFile>, names: string[], what: string, problems: Problems): void {
  for (const [name, { doc }] of files) {
    if (names.includes(name)) continue;
    problems.add({
      file: doc.file,
      line: 1,
      col: 1,
      path: "",
      message: `no ${what} '${name}' in the inventory${didYouMean(name, names)}`,
    });
  }
}

/**
 * Each host's groups and variables. Ansible's order, lowest first: inventory-file group vars <
 * group_vars/ files < inventory-file host vars < host_vars/ file; among groups, `all` < parents <
 * children (then ansible_group_priority, then name).
 */
function resolveVars(
  inventory: Inventory,
  groupFiles: Map<string, VarsFile>,
  hostFiles: Map<string, VarsFile>,
) {
  const inline = new Map([...inventory.groups].map(([name, g]) => [name, { ...g.vars }]));
  for (const [name, file] of groupFiles) Object.assign(inventory.groups.get(name)!.vars, file.vars);
  for (const h of inventory.hosts) {
    h.groups = memberships(inventory, h.name);
    const layers = [
      ...h.groups.map((g) => inline.get(g)),
      ...h.groups.map((g) => groupFiles.get(g)?.vars),
      h.vars,
      hostFiles.get(h.name)?.vars,
    ];
    h.vars = Object.assign({}, ...layers);
  }
}

/** `web[01:03].lan` → web01.lan, web02.lan, web03.lan; `db-[a:c]`; `[1:9:2]` with a stride. */
export function expandHostRange(pattern: string): string[] {
  const m = /^(.*?)\[([0-9a-z]+):([0-9a-z]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, from, to, step, tail] = m;
  const stride = Number(step ?? 1) || 1;
  const items: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    for (let i = Number(from); i <= Number(to); i += stride) items.push(String(i).padStart(from.length, "0"));
  } else {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += stride) items.push(String.fromCharCode(c));
  }
  return items.flatMap((item) => expandHostRange(`${head}${item}${tail}`));
}

// ---- host patterns ----

/**
 * Hosts matching an Ansible pattern, in inventory order. Terms are separated by `:` or `,`: plain
 * terms add hosts, `&term` keeps only hosts also in term, `!term` removes them. A term is `all`, `*`,
 * a group or host name, a glob (`lago-*`), or `~regex`. An unknown name is a UserError.
 */
export function matchHosts(inventory: Inventory, pattern: string): string[] {
  const error = checkPattern(inventory, pattern);
  if (error) throw new UserError(error);
  const terms = splitPattern(pattern);
  let selected = new Set<string>();
  for (const t of terms.filter((t) => !/^[&!]/.test(t))) {
    for (const h of termHosts(inventory, t)) selected.add(h);
  }
  for (const t of terms.filter((t) => t.startsWith("&"))) {
    const keep = new Set(termHosts(inventory, t.slice(1)));
    selected = new Set([...selected].filter((h) => keep.has(h)));
  }
  for (const t of terms.filter((t) => t.startsWith("!"))) {
    for (const h of termHosts(inventory, t.slice(1))) selected.delete(h);
  }
  return inventory.hosts.map((h) => h.name).filter((h) => selected.has(h));
}

/** Hosts of a play (`hosts:`) narrowed by `--limit`. */
export function selectHosts(inventory: Inventory, pattern: string, limit?: string): string[] {
  const hosts = matchHosts(inventory, pattern);
  if (!limit) return hosts;
  const allowed = new Set(matchHosts(inventory, limit));
  return hosts.filter((h) => allowed.has(h));
}

/** Why a pattern is wrong (a name that is neither a group nor a host), or undefined. */
export function checkPattern(inventory: Inventory, pattern: string): string | undefined {
  const names = [...inventory.groups.keys(), ...inventory.hosts.map((h) => h.name)];
  for (const term of splitPattern(pattern)) {
    const name = term.replace(/^[&!]/, "");
    if (name === "all" || name === "*" || isGlob(name) || name.startsWith("~") || names.includes(name)) {
      continue;
    }
    return `unknown group or host '${name}' in pattern '${pattern}'${didYouMean(name, names)}`;
  }
  if (splitPattern(pattern).length === 0) return `empty host pattern`;
}

const splitPattern = (pattern: string) => pattern.split(/[:,]/).map((t) => t.trim()).filter(Boolean);
const isGlob = (term: string) => /[*?[]/.test(term);

function termHosts(inventory: Inventory, term: string): string[] {
  if (term === "all" || term === "*") return inventory.hosts.map((h) => h.name);
  const group = inventory.groups.get(term);
  if (group) return groupHosts(inventory, group);
  if (!isGlob(term) && !term.startsWith("~")) {
    return inventory.hosts.some((h) => h.name === term) ? [term] : [];
  }
  const re = term.startsWith("~") ? new RegExp(term.slice(1)) : globToRegExp(term);
  const groups = [...inventory.groups.values()].filter((g) => re.test(g.name));
  return [
    ...groups.flatMap((g) => groupHosts(inventory, g)),
    ...inventory.hosts.map((h) => h.name).filter((h) => re.test(h)),
  ];
}

function groupHosts(inventory: Inventory, group: InventoryGroup): string[] {
  if (group.name === "all") return inventory.hosts.map((h) => h.name);
  return inventory.hosts.filter((h) => h.groups.includes(group.name)).map((h) => h.name);
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`);
}

// ---- connection settings ----

export interface ConnectionOptions {
  /** To resolve `jump_host` when it names an inventory host. */
  inventory?: Inventory;
  /** Default login user (default: the current user, or root). */
  user?: string;
  /** Home directory for `~` and the default known_hosts (default: the current user's). */
  home?: string;
}

/**
 * How to reach a host, from its (inventory) variables. Templates in connection variables are
 * rendered with the host's own variables. Defaults: port 22, the current user, ~/.ssh/known_hosts,
 * strict host key checking, ssh.
 */
export function resolveConnection(
  name: string,
  vars: Vars,
  options: ConnectionOptions = {},
): ConnectionSettings {
  return resolve(name, vars, options, []);
}

function resolve(name: string, vars: Vars, options: ConnectionOptions, via: string[]): ConnectionSettings {
  const where = `host '${name}'`;
  const get = (key: string): unknown => {
    const v = vars[key];
    return typeof v === "string" ? renderString(v, vars, `${where} ${key}`) : v;
  };
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") {
      throw new UserError(`${where}: ${key} should be a non-empty string, got ${show(v)}`);
    }
    return v;
  };
  const home = options.home ?? homedir();
  const path = (key: string) => str(key)?.replace(/^~(?=$|\/)/, home);
  const port = get("ansible_port") ?? 22;
  const portNumber = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (
    typeof portNumber !== "number" || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535
  ) {
    throw new UserError(`${where}: ansible_port should be an integer from 1 to 65535, got ${show(port)}`);
  }
  const become = get("ansible_become") ?? false;
  const becomeFlag = typeof become === "string" ? /^(true|yes|1)$/i.test(become) : become;
  if (typeof becomeFlag !== "boolean") {
    throw new UserError(`${where}: ansible_become should be true or false`);
  }
  const oneOf = <T extends string>(key: string, allowed: T[], fallback: T): T => {
    const v = str(key) ?? fallback;
    if (!allowed.includes(v as T)) {
      throw new UserError(`${where}: ${key} should be one of ${allowed.join(", ")}, got ${show(v)}`);
    }
    return v as T;
  };
  const settings: ConnectionSettings = {
    name,
    connection: oneOf("ansible_connection", ["ssh", "local"], "ssh"),
    host: str("ansible_host") ?? name,
    port: portNumber,
    user: str("ansible_user") ?? options.user ?? currentUser(),
    keyFile: path("ansible_ssh_private_key_file"),
    passwordEnv: str("ansible_password_env") ?? str("ssh_password_env"),
    knownHostsFile: path("known_hosts_file") ?? join(home, ".ssh", "known_hosts"),
    hostKeyChecking: oneOf("host_key_checking", ["strict", "accept-new"], "strict"),
    become: becomeFlag,
    becomeUser: str("ansible_become_user") ?? "root",
  };
  const jump = str("jump_host");
  if (jump) settings.jump = jumpSettings(jump, settings, options, [...via, name]);
  for (const key of ["keyFile", "passwordEnv"] as const) {
    if (settings[key] === undefined) delete settings[key];
  }
  return settings;
}

/** `jump_host`: an inventory host (with its own settings), or `user@host:port`. */
function jumpSettings(spec: string, target: ConnectionSettings, options: ConnectionOptions, via: string[]) {
  const host = options.inventory?.hosts.find((h) => h.name === spec);
  if (host) {
    if (via.includes(spec)) throw new UserError(`jump_host loop: ${[...via, spec].join(" → ")}`);
    return resolve(spec, host.vars, options, via);
  }
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!m) {
    throw new UserError(
      `host '${target.name}': jump_host should be user@host:port or an inventory host, got '${spec}'`,
    );
  }
  return {
    name: spec,
    connection: "ssh" as const,
    host: m[2].replace(/^\[(.*)\]$/, "$1"),
    port: m[3] ? Number(m[3]) : 22,
    user: m[1] ?? options.user ?? currentUser(),
    knownHostsFile: target.knownHostsFile,
    hostKeyChecking: target.hostKeyChecking,
    become: false,
    becomeUser: "root",
  };
}

function currentUser(): string {
  try {
    return userInfo().username || "root";
  } catch {
    return "root";
  }
}

const show = (v: unknown) => JSON.stringify(v);
