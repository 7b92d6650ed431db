/**
 * `lago-provision inventory INVENTORY... --list | --graph [GROUP] | --host NAME` (inventories also as
 * `-i`, repeatable): the inventory as
 * ansible-inventory shows it (same JSON: keys sorted, 4 spaces), so what will be connected to can be
 * checked, or diffed against Ansible's, before anything runs. `--vault-password-file` / `--vault-id`
 * decrypt vaulted values, which are shown as ansible-inventory shows them: still encrypted.
 */
import { inventoryGraph, inventoryHostVars, inventoryList } from "../config/ansible/inventory-json.ts";
import { vaultSecretsFromEnv, vaultSecretsFromOptions } from "../config/ansible/vault-secrets.ts";
import { loadInventory } from "../config/inventory.ts";
import { formatProblem } from "../config/problems.ts";
import { UsageError, UserError } from "../core/errors.ts";
import { writeStderr, writeStdout } from "../runtime.ts";

export interface InventoryCommandOptions {
  list: boolean;
  /** `--graph` (true) or `--graph GROUP`. */
  graph?: boolean | string;
  host?: string;
  vaultPasswordFile: string[];
  vaultId: string[];
}

export function inventoryCommand(sources: string[], opts: InventoryCommandOptions): number {
  const actions = [
    opts.list && "--list",
    opts.graph !== undefined && "--graph",
    opts.host !== undefined && "--host",
  ]
    .filter(Boolean);
  if (actions.length !== 1) {
    throw new UsageError(
      `give exactly one of --list, --graph, --host NAME${
        actions.length ? ` (got ${actions.join(", ")})` : ""
      }`,
    );
  }
  if (sources.length === 0) {
    throw new UsageError("name an inventory: lago-provision inventory INVENTORY --list");
  }
  const group = typeof opts.graph === "string" ? opts.graph : "all";
  const secrets = vaultSecretsFromOptions(opts);
  const inventory = loadInventory(sources, {
    vault: { secrets: secrets.length ? secrets : vaultSecretsFromEnv(), keepEncrypted: true },
  });
  for (const w of inventory.warnings) writeStderr(`warning: ${formatProblem(w)}\n`);
  if (opts.graph !== undefined) {
    const graph = inventoryGraph(inventory, group);
    if (graph === undefined) throw new UserError(`no group '${group}' in the inventory`);
    writeStdout(graph.endsWith("\n") ? graph : graph + "\n");
    return 0;
  }
  if (opts.host !== undefined) {
    const vars = inventoryHostVars(inventory, opts.host);
    if (vars === undefined) throw new UserError(`no host '${opts.host}' in the inventory`);
    writeStdout(asAnsibleJson(vars) + "\n");
    return 0;
  }
  writeStdout(asAnsibleJson(inventoryList(inventory)) + "\n");
  return 0;
}

/** JSON as ansible-inventory prints it: mapping keys sorted, lists in order, 4 spaces. */
export function asAnsibleJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
      : v;
  return JSON.stringify(sorted(value), null, 4);
}
