/**
 * What the config layer hands to the engine: inventories, and plays and tasks with task keywords
 * separated from module arguments (a module never sees `when` or `notify`), free-form strings already
 * turned into `{ [freeForm]: "..." }`, every task with its source position.
 */
export type { ConnectionSettings } from "../connection/settings.ts";
import type { Secret } from "../output/redact.ts";
import type { Problem } from "./problems.ts";

export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

export interface TaskKeywords {
  when?: string | boolean | (string | boolean)[];
  loop?: unknown[] | string;
  /** Written as Ansible's `with_items` (flattened one level) or `with_dict` (entries): how to read `loop`. */
  loop_from?: "with_items" | "with_dict";
  loop_var?: string;
  register?: string;
  notify?: string[];
  tags?: string[];
  changed_when?: string | boolean | (string | boolean)[];
  failed_when?: string | boolean | (string | boolean)[];
  ignore_errors?: boolean;
  become?: boolean;
  become_user?: string;
  vars?: Record<string, unknown>;
  no_log?: boolean;
  /** Overrides the run's mode for this task: false runs it under --check, true never applies it. */
  check_mode?: boolean;
  /** Run on the first host of the batch only; its result stands for every host of the batch. */
  run_once?: boolean;
  /** Handlers only: extra names this handler answers to. */
  listen?: string[];
}

export interface RoleRef {
  name: string;
  dir: string;
}

/** One block a task is in: which one (unique in its play) and in which of its lists. */
export interface BlockFrame {
  id: number;
  section: "block" | "rescue" | "always";
}

export interface Task {
  name: string;
  module: string;
  args: Record<string, unknown>;
  keywords: TaskKeywords;
  source: SourceRef;
  role?: RoleRef;
  /** Variables the task's role brings: defaults (lowest precedence) and role vars/params. */
  roleDefaults?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  /**
   * The blocks the task is in, outermost first (their keywords are already on the task): the engine
   * runs a block's rescue and always from these.
   */
  blocks?: BlockFrame[];
}

export interface Play {
  name: string;
  hosts: string;
  vars: Record<string, unknown>;
  tasks: Task[];
  handlers: Task[];
  become?: boolean;
  becomeUser?: string;
  serial?: (number | string)[];
  gatherFacts: boolean;
  maxFailPercentage?: number;
  anyErrorsFatal?: boolean;
  source: SourceRef;
}

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
