/**
 * The inventory being built, as Ansible's InventoryData builds it: every source (INI or YAML file,
 * several `-i`, a directory) adds groups, hosts, children and variables to one shared instance, in
 * order, a later value replacing an earlier one. `reconcile` then puts top-level groups under `all` and
 * hosts of no group in `ungrouped`. Pure data: the parsers call it, the loader reads it.
 */
import type { SourceRef } from "../model.ts";
import type { Vars } from "../model.ts";
import type { Problem } from "../problems.ts";
import type { KeyPath, YamlFile } from "../yaml.ts";

export interface DataGroup {
  name: string;
  /** Hosts listed directly in this group, in the order they were added. */
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Vars;
  /** `ansible_group_priority` (default 1): Ansible keeps it apart from the group's variables. */
  priority: number;
}

export interface DataHost {
  name: string;
  vars: Vars;
  /** Where the host is first listed. */
  source: SourceRef;
}

/** A mistake Ansible refuses too (a loop of groups, a child that is not declared). */
export class InventoryDataError extends Error {}

export class InventoryData {
  readonly groups = new Map<string, DataGroup>();
  readonly hosts = new Map<string, DataHost>();
  /** What Ansible would warn about (unknown keys, empty values it skips), for the loader to show. */
  readonly warnings: Problem[] = [];
  /** Every mapping of variables as written (with positions), to check connection variables against. */
  readonly varsDocs: VarsDocument[] = [];

  constructor() {
    this.addGroup("all");
    this.addGroup("ungrouped");
    this.addChild("all", "ungrouped");
  }

  addGroup(name: string): DataGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], parents: [], vars: {}, priority: 1 };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Add a host (once; a port given when it is first added becomes its ansible_port), into `group`. */
  addHost(name: string, source: SourceRef, group?: string, port?: number): DataHost {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, source };
      if (port) host.vars.ansible_port = port;
      this.hosts.set(name, host);
    }
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) throw new InventoryDataError(`could not find group ${group} in the inventory`);
      if (!g.hosts.includes(name)) g.hosts.push(name);
    }
    return host;
  }

  setGroupVariable(group: string, key: string, value: unknown): void {
    const g = this.groups.get(group)!;
    if (key === "ansible_group_priority") g.priority = priorityOf(value, group);
    else g.vars[key] = value;
  }

  setHostVariable(host: string, key: string, value: unknown): void {
    this.hosts.get(host)!.vars[key] = value;
  }

  /** `child` (a group or a host) under `parent`; a loop of groups is refused as Ansible refuses it. */
  addChild(parent: string, child: string): void {
    const p = this.groups.get(parent);
    if (!p) throw new InventoryDataError(`${parent} is not a known group`);
    const c = this.groups.get(child);
    if (!c) {
      if (!this.hosts.has(child)) throw new InventoryDataError(`${child} is not a known host nor group`);
      if (!p.hosts.includes(child)) p.hosts.push(child);
      return;
    }
    if (parent === child) throw new InventoryDataError(`group '${child}' cannot be its own child`);
    if (p.children.includes(child)) return;
    if (this.ancestors(parent).has(child)) {
      throw new InventoryDataError(
        `adding group '${child}' as child to '${parent}' creates a recursive dependency loop`,
      );
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  /** Every group above `name`. */
  ancestors(name: string): Set<string> {
    const found = new Set<string>();
    const up = (n: string) => {
      for (const p of this.groups.get(n)?.parents ?? []) if (!found.has(p)) found.add(p), up(p);
    };
    up(name);
    return found;
  }

  /** Every group a host is in, directly or through child groups (`all` included). */
  hostGroups(host: string): Set<string> {
    const found = new Set<string>();
    for (const g of this.groups.values()) {
      if (g.hosts.includes(host)) found.add(g.name), this.ancestors(g.name).forEach((a) => found.add(a));
    }
    return found;
  }

  /** Ansible's reconcile_inventory: groups without a parent go under `all`, lone hosts into `ungrouped`. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== "all" && this.ancestors(g.name).size === 0) this.addChild("all", g.name);
    }
    const ungrouped = this.groups.get("ungrouped")!;
    for (const host of this.hosts.keys()) {
      const groups = this.hostGroups(host);
      const elsewhere = [...groups].some((g) => g !== "all" && g !== "ungrouped");
      if (groups.has("ungrouped") && elsewhere) ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host);
      else if (!elsewhere && !ungrouped.hosts.includes(host)) ungrouped.hosts.push(host);
    }
  }

  /** Longest distance from `all` (all = 0), as Ansible's group depth. */
  depths(): Map<string, number> {
    const depth = new Map<string, number>([["all", 0]]);
    const walk = (name: string) => {
      for (const child of this.groups.get(name)!.children) {
        if ((depth.get(child) ?? -1) < depth.get(name)! + 1) {
          depth.set(child, depth.get(name)! + 1);
          walk(child);
        }
      }
    };
    walk("all");
    return depth;
  }
}

function priorityOf(value: unknown, group: string): number {
  const n = typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new InventoryDataError(
      `group ${group}: ansible_group_priority should be a whole number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** A mapping of variables to check, and the key path to it in its file (for messages). */
export type VarsDocument = YamlFile & { pathPrefix?: string };

/** The mapping at `path` inside `doc`, as a document of its own (same file, same positions). */
export function subDocument(doc: YamlFile, path: KeyPath, value: unknown): VarsDocument {
  return {
    file: doc.file,
    value,
    locate: (p, at) => doc.locate([...path, ...p], at),
    pathPrefix: path.join("/"),
  };
}

/** Variables written on one line (INI): every position is that line. */
export function lineDocument(file: string, line: number, value: Record<string, unknown>): VarsDocument {
  return { file, value, locate: () => ({ line, col: 1 }) };
}
