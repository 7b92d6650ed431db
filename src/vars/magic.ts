/**
 * The variables every task sees besides the inventory's and the playbook's, defined once: the engine
 * sets them and lint knows them by the same names (`isMagicName`), so a name is defined to both or to
 * neither.
 */
import { dirname, resolve } from "node:path";
import type { HostFacts } from "../core/types.ts";

/** Set by the engine for every task. */
export const MAGIC_NAMES = [
  "inventory_hostname",
  "inventory_file",
  "inventory_dir",
  "check_mode",
  "ansible_check_mode",
] as const;

/** `inventory_file` (absolute) and `inventory_dir`, as tasks and the secrets store see them. */
export function inventoryMagic(inventoryFile: string): { inventory_file: string; inventory_dir: string } {
  const file = resolve(inventoryFile);
  return { inventory_file: file, inventory_dir: dirname(file) };
}

/** Every magic variable of a task on `host`. */
export function magicVars(
  o: { host: string; inventoryFile: string; check: boolean },
): Record<string, unknown> {
  return {
    inventory_hostname: o.host,
    check_mode: o.check,
    ansible_check_mode: o.check,
    ...inventoryMagic(o.inventoryFile),
  };
}

/** Facts are visible as `facts.x` and, for Ansible users, as `ansible_x` names. */
export function factVars(facts: HostFacts): Record<string, unknown> {
  return {
    facts,
    ansible_hostname: facts.hostname,
    ansible_os_family: facts.os_family,
    ansible_distribution: facts.distribution,
    ansible_distribution_version: facts.distribution_version,
    ansible_distribution_release: facts.distribution_release,
    ansible_architecture: facts.architecture,
    ansible_service_mgr: facts.init_system,
    ansible_user_id: facts.user,
  };
}

/** A name the engine defines for every task: the magic ones, `facts` and the `ansible_*` facts. */
export const isMagicName = (name: string): boolean =>
  (MAGIC_NAMES as readonly string[]).includes(name) || name === "facts" || name.startsWith("ansible_");
