/**
 * Each host's variables with Ansible's precedence (its VariableManager, VARIABLE_PRECEDENCE's default),
 * lowest first:
 *
 *   groups in the inventory files (`all`, then parent < child, then ansible_group_priority, then name) <
 *   `group_vars/all` < the other groups' `group_vars/` files (same order) < the host in the inventory <
 *   `host_vars/HOST`
 *
 * where the `group_vars/` and `host_vars/` beside each source are read in the order of the sources.
 * A later value replaces an earlier one (no deep merge, as Ansible's default `hash_behaviour`).
 */
import { existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Vars } from "../model.ts";
import type { Problem } from "../problems.ts";
import { Problems } from "../problems.ts";
import { didYouMean } from "../../core/suggest.ts";
import type { YamlFile } from "../yaml.ts";
import { readAnsibleYaml, type ReadFindings, type VaultOptions } from "./ansible-files.ts";
import type { InventoryData } from "./inventory-data.ts";
import { isHostList } from "./inventory-sources.ts";
import { findVarsFiles, type Listing, varsFileNames } from "./vars-files.ts";

const disk: Listing = {
  // The entry itself, not what it points to: a dangling link is there, and refused when read.
  exists: (p) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  },
  // A dangling link or a link loop is no directory: read as a file, it is refused naming it.
  isDirectory: (p) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  list: (p) => readdirSync(p),
};

/** The variables of one group or host from the files of one source's group_vars/ or host_vars/. */
type FileVars = Map<string, Vars>;

export interface VarsFiles {
  /** Per source, in order: group name → variables from its group_vars/ files. */
  groups: FileVars[];
  /** Per source, in order: host name → variables from its host_vars/ files. */
  hosts: FileVars[];
  /** Every file read, for checking their variables. */
  docs: YamlFile[];
}

/** The directory whose group_vars/ and host_vars/ belong to a source (none for a host list). */
export function sourceBaseDir(source: string): string | undefined {
  if (isHostList(source)) return undefined;
  return existsSync(source) && statSync(source).isDirectory() ? source : dirname(source);
}

/**
 * Read the group_vars/ and host_vars/ files of every source for the inventory's groups and hosts.
 * Files for a group or host the inventory does not have are not read (Ansible ignores them): each is
 * a warning, as it is most likely a typo.
 */
export function readVarsFiles(
  sources: string[],
  data: InventoryData,
  vault: VaultOptions,
  found: ReadFindings,
  problems: Problems,
  warnings: Problem[],
): VarsFiles {
  const out: VarsFiles = { groups: [], hosts: [], docs: [] };
  const warned = new Set<string>();
  for (const source of sources) {
    const base = sourceBaseDir(source);
    const read = (dir: string, names: Iterable<string>, what: "group" | "host"): FileVars => {
      const vars: FileVars = new Map();
      const known = [...names];
      for (const name of known) {
        if (name.startsWith("/")) continue;
        const merged: Vars = {};
        for (const file of findVarsFiles(dir, name, disk)) {
          const doc = problems.try(() => readAnsibleYaml(file, vault, found));
          if (!doc || doc.value === null) continue; // an empty file adds nothing
          if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
            const { line, col } = doc.locate([]);
            problems.add({
              file: doc.file,
              line,
              col,
              path: "",
              message: "should be a mapping of variables (name: value)",
            });
            continue;
          }
          out.docs.push(doc);
          Object.assign(merged, doc.value);
        }
        if (Object.keys(merged).length) vars.set(name, merged);
      }
      for (const [name, path] of varsFileNames(dir, disk)) {
        if (known.includes(name) || warned.has(path)) continue;
        warned.add(path);
        warnings.push({
          file: path,
          line: 1,
          col: 1,
          path: "",
          message: `not read: the inventory has no ${what} '${name}'${didYouMean(name, known)}`,
        });
      }
      return vars;
    };
    out.groups.push(base ? read(join(base, "group_vars"), data.groups.keys(), "group") : new Map());
    out.hosts.push(base ? read(join(base, "host_vars"), data.hosts.keys(), "host") : new Map());
  }
  return out;
}

/** The groups of a host in Ansible's variable order: `all` first, then depth, priority, name. */
export function sortedGroups(data: InventoryData, host: string): string[] {
  const depth = data.depths();
  const groups = [...data.hostGroups(host)].filter((g) => g !== "all").map((g) => data.groups.get(g)!);
  groups.sort((a, b) =>
    depth.get(a.name)! - depth.get(b.name)! || a.priority - b.priority ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  return ["all", ...groups.map((g) => g.name)];
}

/** One host's variables after Ansible's precedence. */
export function hostVars(data: InventoryData, files: VarsFiles, host: string): Vars {
  const [all, ...groups] = sortedGroups(data, host);
  const vars: Vars = {};
  for (const g of [all, ...groups]) Object.assign(vars, data.groups.get(g)!.vars);
  for (const source of files.groups) Object.assign(vars, source.get(all));
  for (const source of files.groups) for (const g of groups) Object.assign(vars, source.get(g));
  Object.assign(vars, data.hosts.get(host)!.vars);
  for (const source of files.hosts) Object.assign(vars, source.get(host));
  return vars;
}
