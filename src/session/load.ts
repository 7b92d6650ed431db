/**
 * The session's first stage, once per command: the inventory and the playbook read and validated
 * (every problem of every file at once), `--limit` checked, `-e` parsed, the fleet topology computed,
 * and each host's connection settings. Nothing here contacts a host: a mistake stops the command
 * before the first connection.
 */
import {
  checkLimit,
  checkPattern,
  formatProblem,
  loadConfig,
  loadInventory,
  resolveConnection,
  selectHosts,
} from "../config/index.ts";
import { parseExtraVars } from "../config/extra-vars.ts";
import { extraVarsProblems } from "../config/validate.ts";
import { checkConnectionFiles } from "../connection/credentials.ts";
import type { VaultSecret } from "../config/ansible/vault.ts";
import type { Inventory, Playbook } from "../config/model.ts";
import { UserError } from "../core/errors.ts";
import type { RunHost } from "../engine/run.ts";
import { fleetTopology, type Topology, topologyVars } from "../fleet/topology.ts";

export interface LoadRequest {
  /** The inventory file (the first one: the secrets store and the run journal are beside it). */
  inventory: string;
  /** Further inventories (`-i` given several times), merged after it as Ansible merges them. */
  inventories?: string[];
  /** Vault passwords from the command line; none: ANSIBLE_VAULT_PASSWORD_FILE, if set. */
  vault?: VaultSecret[];
  /** The playbook, for commands that run one (read-only commands need none). */
  playbook?: string;
  /** `--limit`: checked against the inventory here. */
  limit?: string;
  /** The error for a `--limit` that cannot be used (a saved plan's names the plan); `--limit: …` by default. */
  badLimit?(problem: string): UserError;
  /** `-e` options as given. */
  extraVars?: string[];
  /** `--accept-new-host-keys`: record unknown host keys (changed ones are still refused). */
  acceptNewHostKeys?: boolean;
  /** Told what Ansible would warn about in the inventory (a group_vars file for no group): not fatal. */
  warn?(line: string): void;
}

export interface Loaded {
  inventory: Inventory;
  playbook?: Playbook;
  /** `-e` values, parsed once. */
  extraVars: Record<string, unknown>;
  topology: Topology;
  /** Every inventory host with its connection settings and variables (the topology's included). */
  hosts: RunHost[];
  /** The hosts `--limit` selects, in inventory order. */
  selected: string[];
  limit?: string;
}

/** Read and validate everything the command needs from files; throws a UserError naming each mistake. */
export function load(req: LoadRequest): Loaded {
  const extraVars = parseExtraVars(req.extraVars ?? []);
  const extraProblems = extraVarsProblems(extraVars);
  if (extraProblems.length > 0) throw new UserError(extraProblems.join("\n"));
  let inventory: Inventory;
  let playbook: Playbook | undefined;
  const sources = [req.inventory, ...(req.inventories ?? [])];
  const vault = req.vault?.length ? { secrets: req.vault } : undefined;
  if (req.playbook !== undefined) {
    ({ inventory, playbook } = loadConfig(sources, req.playbook, { vault }));
  } else {
    inventory = loadInventory(sources, { refuseAmbiguous: true, vault });
  }
  if (req.limit !== undefined) {
    // A playbook run needs a host to run on; read-only commands only need a pattern that makes sense.
    const problem = (req.playbook !== undefined ? checkLimit : checkPattern)(inventory, req.limit);
    if (problem) throw req.badLimit?.(problem) ?? new UserError(`--limit: ${problem}`);
  }
  for (const w of inventory.warnings) req.warn?.(`warning: ${formatProblem(w)}`);
  const selected = selectHosts(inventory, "all", req.limit);
  const topology = fleetTopology(inventory);
  const hosts = inventory.hosts.map((h) => {
    const settings = resolveConnection(h.name, h.vars, { inventory });
    if (req.acceptNewHostKeys) settings.hostKeyChecking = "accept-new";
    // A key or known_hosts file that cannot serve stops the command here, before any host is contacted.
    checkConnectionFiles(settings);
    return { name: h.name, settings, vars: { ...topologyVars(topology, h.name), ...h.vars } };
  });
  return { inventory, playbook, extraVars, topology, hosts, selected, limit: req.limit };
}
