/**
 * The config layer's entry points: load an inventory and a playbook (with roles, vars_files,
 * group_vars/, host_vars/), validated together so that every problem in every file is reported at
 * once, before any host is contacted.
 *
 * @example
 * const { inventory, playbook } = loadConfig("inventory/prod.yml", "playbooks/site.yml");
 * for (const play of playbook.plays) selectHosts(inventory, play.hosts, "web");
 */
import { UserError } from "../core/errors.ts";
import { checkLimit, type InventoryOptions, loadInventory } from "./inventory.ts";
import type { Inventory, Playbook } from "./model.ts";
import { loadPlaybook, type PlaybookOptions } from "./playbook.ts";
import { Problems } from "./problems.ts";

export {
  checkLimit,
  checkPattern,
  loadInventory,
  matchHosts,
  patternSyntaxError,
  selectHosts,
} from "./inventory.ts";
export { type ConnectionOptions, resolveConnection } from "./connection-vars.ts";
export { loadPlaybook } from "./playbook.ts";
export type { PlaybookOptions } from "./playbook.ts";
export { ConfigError, formatProblem } from "./problems.ts";
export type { Problem } from "./problems.ts";
export { generateSchemas, schemaFiles } from "./json-schema.ts";
export type { FileKind, ModuleRegistry } from "./json-schema.ts";
export { checkDocument, readValid, validateDocument } from "./validate.ts";
export { parseYaml, readYaml } from "./yaml.ts";
export type { YamlFile } from "./yaml.ts";
export type * from "./model.ts";

export interface ConfigOptions extends Omit<PlaybookOptions, "inventory"> {
  /** `--limit` pattern: checked against the inventory too. */
  limit?: string;
  /** Vault passwords (default: ANSIBLE_VAULT_PASSWORD_FILE). */
  vault?: InventoryOptions["vault"];
}

/**
 * Load and validate an inventory and a playbook. Throws one ConfigError listing the problems of all
 * files; a bad `--limit`, or one that matches no host, is a UserError.
 */
export function loadConfig(
  inventoryPath: string | string[],
  playbookPath: string,
  options: ConfigOptions = {},
): { inventory: Inventory; playbook: Playbook } {
  const problems = new Problems();
  const inventory = problems.try(() =>
    loadInventory(inventoryPath, { refuseJinja: true, refuseAmbiguous: true, vault: options.vault })
  );
  const playbook = problems.try(() => loadPlaybook(playbookPath, { ...options, inventory }));
  problems.throwIfAny();
  const limitError = options.limit === undefined ? undefined : checkLimit(inventory!, options.limit);
  if (limitError) throw new UserError(`--limit: ${limitError}`);
  return { inventory: inventory!, playbook: playbook! };
}
