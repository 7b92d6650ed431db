/**
 * Where an installation's secrets store is: the `lago_secrets_file` variable (relative paths are taken
 * from the inventory's folder), else `lago-secrets.enc` beside the inventory. The module and the
 * `secrets` commands resolve it the same way, so they always open the same file.
 */
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { inventoryMagic } from "../vars/magic.ts";
import { renderString } from "../vars/template.ts";

export const STORE_FILE = "lago-secrets.enc";
export const STORE_VAR = "lago_secrets_file";

/** `configured` (absolute, or relative to the inventory's folder) or the default beside the inventory. */
export function storePath(configured: string | undefined, inventoryDir: string | undefined): string {
  if (configured && isAbsolute(configured)) return configured;
  if (inventoryDir === undefined || inventoryDir === "") {
    throw new UserError(
      `the secrets store is not given and the inventory's location is not known`,
      `set ${STORE_VAR} (or the task's store: argument) to the store's path`,
    );
  }
  return resolve(inventoryDir, configured || STORE_FILE);
}

/** The store of one inventory host (its `lago_secrets_file` may be a template, as in the engine). */
export function storePathOfHost(vars: Record<string, unknown>, inventoryFile: string, host: string): string {
  const magic = inventoryMagic(inventoryFile);
  const raw = vars[STORE_VAR];
  let configured: string | undefined;
  if (raw !== undefined && raw !== null && raw !== "") {
    const value = renderString(String(raw), { ...vars, ...magic }, `host '${host}' ${STORE_VAR}`);
    configured = String(value);
  }
  return storePath(configured, magic.inventory_dir);
}
