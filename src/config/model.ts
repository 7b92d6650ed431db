/**
 * What the config layer hands to the engine. Plays and tasks use the engine's types (defined beside
 * the code that runs them, in src/engine/model.ts): task keywords separated from module arguments,
 * free-form strings already turned into `{ [freeForm]: "..." }`, every task with its source position.
 */
export type { Play, RoleRef, SourceRef, Task, TaskKeywords } from "../engine/model.ts";
export type { ConnectionSettings } from "../connection/settings.ts";
import type { Play, SourceRef } from "../engine/model.ts";
import type { Secret } from "../output/redact.ts";
import type { Problem } from "./problems.ts";

export type Vars = Record<string, unknown>;

export interface Playbook {
  /** The playbook file, as shown in messages. */
  file: string;
  plays: Play[];
}

export interface InventoryHost {
  name: string;
  /**
   * Every group the host is in, directly or through child groups: `all` first, then by depth
   * (parents before children), then by name. `ungrouped` when it is in no other group.
   */
  groups: string[];
  /**
   * Variables after Ansible's precedence, lowest first: `all` (inventory, then group_vars/all) <
   * other groups in the inventory (parent < child) < their group_vars/ files < the host in the
   * inventory < host_vars/ (src/config/ansible/inventory-vars.ts).
   */
  vars: Vars;
  /** Where the host is first listed. */
  source: SourceRef;
}

export interface InventoryGroup {
  name: string;
  /** Hosts listed directly under this group (not through children), in inventory order. */
  hosts: string[];
  children: string[];
  parents: string[];
  /** Longest distance from `all` (all = 0): deeper groups' variables win. */
  depth: number;
  /** `ansible_group_priority` (default 1): among groups of the same depth, higher wins. */
  priority: number;
  /** The group's own variables: inventory file, then its group_vars/ file on top. */
  vars: Vars;
}

export interface Inventory {
  /** The (first) inventory source, as shown in messages. */
  file: string;
  /** Every source given (`-i` several times), in order. */
  sources: string[];
  /** What Ansible would warn about (files for unknown groups, skipped keys): shown, not fatal. */
  warnings: Problem[];
  /** Values that were encrypted with ansible-vault: redacted wherever they would be shown. */
  secrets: Secret[];
  /** Texts marked `!unsafe`: used as written, never rendered as templates. */
  unsafe: string[];
  /** Every host, in the order the inventory first lists them. */
  hosts: InventoryHost[];
  /** Every group by name, including `all` and `ungrouped`. */
  groups: Map<string, InventoryGroup>;
}
