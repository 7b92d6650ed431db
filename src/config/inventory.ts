/**
 * Inventories as Ansible reads them (src/config/ansible/): INI and YAML files, several sources, a
 * directory, a list of hosts; `group_vars/` and `host_vars/` beside each source; Ansible Vault. This
 * module turns them into the inventory the engine runs on (each host's groups and variables with
 * Ansible's precedence), matches host patterns (`web:&prod:!db`, `lago-*`) and turns a host's variables
 * into connection settings.
 */
import { statSync } from "node:fs";
import { UserError } from "../core/errors.ts";
import { newFindings, type VaultOptions } from "./ansible/ansible-files.ts";
import type { VarsDocument } from "./ansible/inventory-data.ts";
import { inventoryMistakes } from "./ansible/inventory-mistakes.ts";
import { isHostList, parseSources } from "./ansible/inventory-sources.ts";
import { hostVars, readVarsFiles, sortedGroups } from "./ansible/inventory-vars.ts";
import { vaultSecretsFromEnv } from "./ansible/vault-secrets.ts";
import type { Inventory, InventoryGroup } from "./model.ts";
import { displayPath, type Problem, Problems } from "./problems.ts";
import { didYouMean } from "../core/suggest.ts";
import { jinjaInDocument } from "./jinja-check.ts";
import { validateDocument } from "./validate.ts";

export { expandHostPattern } from "./ansible/host-pattern.ts";

export interface InventoryOptions {
  /** Vault passwords (default: ANSIBLE_VAULT_PASSWORD_FILE, if set). */
  vault?: VaultOptions;
  /** Refuse Jinja2 in variables (a run renders them; listing the inventory does not). */
  refuseJinja?: boolean;
  /**
   * Refuse what Ansible only warns about but a run cannot mean: a group and a host of the same name, no
   * hosts at all (apply, plan, upgrade and lint; `lago-provision inventory` lists as Ansible does).
   */
  refuseAmbiguous?: boolean;
}

/**
 * Load inventory sources (files, directories, host lists; several `-i` merge in order) and the
 * `group_vars/` and `host_vars/` beside each. Throws one ConfigError listing every problem.
 */
export function loadInventory(sources: string | string[], options: InventoryOptions = {}): Inventory {
  const list = Array.isArray(sources) ? sources : [sources];
  const vault = options.vault ?? { secrets: vaultSecretsFromEnv() };
  const found = newFindings();
  const problems = new Problems();
  const data = problems.try(() => parseSources(list, vault, found));
  problems.throwIfAny();
  if (options.refuseAmbiguous) {
    const directory = list.length === 1 && !isHostList(list[0]) && statSync(list[0]).isDirectory();
    problems.add(...inventoryMistakes(data!, list, directory));
    problems.throwIfAny();
  }
  const warnings: Problem[] = [...data!.warnings];
  const files = readVarsFiles(list, data!, vault, found, problems, warnings);
  const unsafe = new Set(found.unsafe);
  for (const doc of [...data!.varsDocs, ...files.docs] as VarsDocument[]) {
    const prefix = (p: Problem) => ({ ...p, path: [doc.pathPrefix, p.path].filter(Boolean).join("/") });
    problems.add(...validateDocument(doc, "host_vars").map(prefix));
    if (options.refuseJinja) problems.add(...jinjaInDocument(doc, unsafe).map(prefix));
  }
  problems.throwIfAny();

  const depth = data!.depths();
  const groups = new Map<string, InventoryGroup>();
  for (const g of data!.groups.values()) {
    groups.set(g.name, {
      name: g.name,
      // Hosts listed under `all:` are in `ungrouped`; `all` reaches everyone through it.
      hosts: g.name === "all" ? [] : [...g.hosts],
      children: [...g.children],
      parents: [...g.parents],
      depth: depth.get(g.name) ?? 1,
      priority: g.priority,
      vars: Object.assign({}, g.vars, ...files.groups.map((source) => source.get(g.name))),
    });
  }
  const hosts = [...data!.hosts.values()].map((h) => ({
    name: h.name,
    groups: sortedGroups(data!, h.name),
    vars: hostVars(data!, files, h.name),
    source: h.source,
  }));
  return {
    file: list[0].includes(",") ? list[0] : displayPath(list[0]),
    sources: list,
    hosts,
    groups,
    warnings,
    secrets: found.secrets,
    unsafe: found.unsafe,
  };
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

/** Why a pattern is wrong (bad syntax, a name that is neither a group nor a host), or undefined. */
export function checkPattern(inventory: Inventory, pattern: string): string | undefined {
  const syntax = patternSyntaxError(pattern);
  if (syntax) return syntax;
  const names = [...inventory.groups.keys(), ...inventory.hosts.map((h) => h.name)];
  for (const term of splitPattern(pattern)) {
    const name = term.replace(/^[&!]/, "");
    if (name === "all" || name === "*" || isGlob(name) || name.startsWith("~") || names.includes(name)) {
      continue;
    }
    return `unknown group or host '${name}' in pattern '${pattern}'${didYouMean(name, names)}`;
  }
}

/**
 * Why a `--limit` cannot be used: a wrong pattern, or one that leaves no host of the inventory to
 * run on (Ansible refuses that too, rather than running nothing and reporting success).
 */
export function checkLimit(inventory: Inventory, limit: string): string | undefined {
  const error = checkPattern(inventory, limit);
  if (error) return error;
  if (matchHosts(inventory, limit).length > 0) return undefined;
  const some = (names: string[]) => names.slice(0, 8).join(", ") + (names.length > 8 ? ", …" : "");
  const groups = [...inventory.groups.keys()].filter((g) => g !== "all" && g !== "ungrouped");
  const hosts = inventory.hosts.map((h) => h.name);
  return `'${limit}' matches no host of ${inventory.file}` +
    (hosts.length
      ? ` (hosts: ${some(hosts)}${groups.length ? `; groups: ${some(groups)}` : ""})`
      : " (it has no hosts)");
}

/**
 * Why a pattern cannot be read, without looking at an inventory: empty, a term with no name, or a
 * `~regex` or glob that is not valid. Patterns come from users (`hosts:`, `--limit`, a saved plan).
 */
export function patternSyntaxError(pattern: string): string | undefined {
  const terms = splitPattern(pattern);
  if (terms.length === 0) return `empty host pattern '${pattern}'`;
  for (const term of terms) {
    const name = term.replace(/^[&!]/, "");
    if (name === "") return `'${term}' without a group or host name in pattern '${pattern}'`;
    if (!name.startsWith("~") && !isGlob(name)) continue;
    try {
      termRegExp(name);
    } catch (e) {
      const why = String((e as Error).message).replace(/^.*: /, "").toLowerCase();
      return name.startsWith("~")
        ? `'${name.slice(1)}' in pattern '${pattern}' is not a valid regular expression (${why})`
        : `'${name}' in pattern '${pattern}' is not a valid wildcard pattern (${why})`;
    }
  }
}

const splitPattern = (pattern: string) => pattern.split(/[:,]/).map((t) => t.trim()).filter(Boolean);
const isGlob = (term: string) => /[*?[]/.test(term);
const termRegExp = (term: string) => term.startsWith("~") ? new RegExp(term.slice(1)) : globToRegExp(term);

function termHosts(inventory: Inventory, term: string): string[] {
  if (term === "all" || term === "*") return inventory.hosts.map((h) => h.name);
  const group = inventory.groups.get(term);
  if (group) return groupHosts(inventory, group);
  if (!isGlob(term) && !term.startsWith("~")) {
    return inventory.hosts.some((h) => h.name === term) ? [term] : [];
  }
  const re = termRegExp(term);
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

/**
 * A shell wildcard as Python's fnmatch (which Ansible uses) reads it: `*`, `?`, `[abc]`, `[!abc]`; a
 * `[` without its `]` is a plain character.
 */
export function globToRegExp(glob: string): RegExp {
  const literal = (c: string) => c.replace(/[.+^${}()|\\[\]*?]/g, "\\$&");
  let body = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") body += ".*";
    else if (c === "?") body += ".";
    else if (c === "[") {
      let end = i + 1;
      if (glob[end] === "!") end++;
      if (glob[end] === "]") end++;
      while (end < glob.length && glob[end] !== "]") end++;
      if (end >= glob.length) {
        body += "\\[";
        continue;
      }
      let set = glob.slice(i + 1, end).replaceAll("\\", "\\\\");
      if (set.startsWith("!")) set = "^" + set.slice(1);
      else if (set.startsWith("^")) set = "\\" + set;
      // A `]` first in the set is a member (fnmatch); in a regular expression it must be escaped.
      set = set.replace(/^(\^?)\]/, "$1\\]");
      body += `[${set}]`;
      i = end;
    } else body += literal(c);
  }
  return new RegExp(`^${body}$`);
}
