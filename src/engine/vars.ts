/**
 * Variable precedence, lowest first (documented in docs/architecture.md):
 *   role defaults < inventory group vars < inventory host vars < host facts < play vars
 *   < role vars/params < registered results < task vars < loop item < extra vars (-e)
 * Group-vs-host order inside the inventory is resolved by the inventory loader.
 */
import type { HostFacts } from "../core/types.ts";

export interface VarLayers {
  roleDefaults?: Record<string, unknown>;
  inventory: Record<string, unknown>;
  facts?: HostFacts;
  play: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  registered: Record<string, unknown>;
  task?: Record<string, unknown>;
  loop?: Record<string, unknown>;
  extra: Record<string, unknown>;
  magic: Record<string, unknown>;
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

export function mergeVars(l: VarLayers): Record<string, unknown> {
  return {
    ...l.roleDefaults,
    ...l.inventory,
    ...(l.facts ? factVars(l.facts) : {}),
    ...l.play,
    ...l.roleVars,
    ...l.registered,
    ...l.task,
    ...l.loop,
    ...l.extra,
    ...l.magic,
  };
}
