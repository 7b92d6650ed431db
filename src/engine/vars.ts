/**
 * Variable precedence, lowest first (documented in docs/architecture.md):
 *   role defaults < inventory group vars < inventory host vars < host facts < play vars
 *   < role vars/params < task vars < registered results and set_fact < loop item < extra vars (-e)
 * (registered results and set_fact above task vars, as Ansible's precedence has them)
 * Group-vs-host order inside the inventory is resolved by the inventory loader.
 */
import type { HostFacts } from "../core/types.ts";
import { factVars } from "../vars/magic.ts";

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

export function mergeVars(l: VarLayers): Record<string, unknown> {
  return {
    ...l.roleDefaults,
    ...l.inventory,
    ...(l.facts ? factVars(l.facts) : {}),
    ...l.play,
    ...l.roleVars,
    ...l.task,
    ...l.registered,
    ...l.loop,
    ...l.extra,
    ...l.magic,
  };
}
