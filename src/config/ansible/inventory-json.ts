/**
 * An inventory shown as ansible-inventory shows it: `--list` (groups with their hosts and children,
 * `_meta.hostvars` with each host's variables after precedence), `--graph` (the tree of groups and
 * hosts) and `--host NAME` (one host's variables). Pure: the loaded inventory in, JSON or text out.
 */
import type { Inventory, InventoryGroup, Vars } from "../model.ts";

/** Variables ansible-inventory never shows (magic variables Ansible sets itself). */
const INTERNAL_VARS = new Set([
  "ansible_diff_mode",
  "ansible_config_file",
  "ansible_facts",
  "ansible_forks",
  "ansible_inventory_sources",
  "ansible_limit",
  "ansible_playbook_python",
  "ansible_run_tags",
  "ansible_skip_tags",
  "ansible_verbosity",
  "ansible_version",
  "inventory_dir",
  "inventory_file",
  "inventory_hostname",
  "inventory_hostname_short",
  "groups",
  "group_names",
  "omit",
  "playbook_dir",
]);

/** The variables ansible-inventory shows: internal ones dropped, `!unsafe` texts marked as it marks them. */
function shown(vars: Vars, unsafe: Set<string>): Vars {
  const mark = (v: unknown): unknown =>
    typeof v === "string" && unsafe.has(v)
      ? { __ansible_unsafe: v }
      : Array.isArray(v)
      ? v.map(mark)
      : v && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mark(x)]))
      : v;
  return Object.fromEntries(
    Object.entries(vars).filter(([k]) => !INTERNAL_VARS.has(k)).map(([k, v]) => [k, mark(v)]),
  );
}

/** `ansible-inventory --list`: every group reachable from `all`, then `_meta.hostvars`. */
export function inventoryList(inventory: Inventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const visit = (group: InventoryGroup) => {
    const entry: Record<string, unknown> = {};
    if (group.name !== "all" && group.hosts.length) entry.hosts = [...group.hosts];
    if (group.children.length) entry.children = [...group.children];
    for (const child of group.children) {
      if (!seen.has(child)) seen.add(child), visit(inventory.groups.get(child)!);
    }
    if (Object.keys(entry).length) out[group.name] = entry;
  };
  visit(inventory.groups.get("all")!);
  const hostvars: Record<string, Vars> = {};
  const unsafe = new Set(inventory.unsafe);
  for (const host of inventory.hosts) {
    const vars = shown(host.vars, unsafe);
    if (Object.keys(vars).length) hostvars[host.name] = vars;
  }
  return { _meta: { hostvars }, ...out };
}

/** `ansible-inventory --host NAME`: the host's variables. */
export const inventoryHostVars = (inventory: Inventory, name: string): Vars | undefined => {
  const host = inventory.hosts.find((h) => h.name === name);
  return host && shown(host.vars, new Set(inventory.unsafe));
};

/** `ansible-inventory --graph [GROUP]`: `@group:` lines, children and hosts indented by `  |--`. */
export function inventoryGraph(inventory: Inventory, start = "all"): string | undefined {
  const top = inventory.groups.get(start);
  if (!top) return undefined;
  const lines: string[] = [];
  const name = (text: string, depth: number) => (depth ? "  |".repeat(depth) + "--" + text : text);
  const walk = (group: InventoryGroup, depth: number) => {
    lines.push(name(`@${group.name}:`, depth));
    for (const child of group.children) walk(inventory.groups.get(child)!, depth + 1);
    if (group.name !== "all") { for (const host of group.hosts) lines.push(name(host, depth + 1)); }
  };
  walk(top, 0);
  return lines.join("\n");
}
