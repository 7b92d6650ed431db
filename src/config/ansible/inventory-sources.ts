/**
 * Inventory sources as `ansible -i` takes them, each added in turn to one InventoryData: a YAML file
 * (`.yml`, `.yaml`, `.json`), an INI file (any other name; a file without extension is YAML when it
 * reads as a mapping), a directory (every file in it, in name order, recursively, skipping hidden
 * files, `group_vars/`, `host_vars/` and the extensions Ansible skips there, `.ini` included), or a
 * list of hosts (`web1,web2:2222,`). Dynamic sources (scripts, plugin configurations, TOML) are
 * refused with the command that exports them as a static inventory.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { ConfigError, displayPath } from "../problems.ts";
import { parseAnsibleYaml, readAnsibleText, type ReadFindings, type VaultOptions } from "./ansible-files.ts";
import { parseAddress } from "./host-pattern.ts";
import { parseIniInventory } from "./ini-inventory.ts";
import { InventoryData } from "./inventory-data.ts";
import { byCodePoint } from "./vars-files.ts";
import { addYamlInventory } from "./yaml-inventory.ts";

const YAML_EXTENSIONS = [".yml", ".yaml", ".json"];
/** Ansible's INVENTORY_IGNORE_EXTS and the names it always skips inside an inventory directory. */
const IGNORED_IN_DIRECTORY = new RegExp(
  "^\\.|^host_vars$|^group_vars$|^vars_plugins$|" +
    [".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"]
      .map((e) => e.replace(/[.*+?^${}()|[\]\\~]/g, "\\$&") + "$").join("|"),
);

/** A comma-separated host list (`-i 'web1,web2,'`) rather than a path. */
export const isHostList = (source: string): boolean => source.includes(",") && !existsSync(source);

/** Parse every source, in order, into one inventory (reconciled as Ansible does). */
export function parseSources(sources: string[], vault: VaultOptions, found: ReadFindings): InventoryData {
  const data = new InventoryData();
  for (const source of sources) {
    if (isHostList(source)) hostList(source, data);
    else if (!existsSync(source)) {
      throw new ConfigError([{
        file: displayPath(source),
        line: 1,
        col: 1,
        path: "",
        message: "inventory not found",
      }]);
    } else parsePath(source, data, vault, found);
  }
  data.reconcile();
  return data;
}

function parsePath(path: string, data: InventoryData, vault: VaultOptions, found: ReadFindings): void {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort(byCodePoint)) {
      if (!IGNORED_IN_DIRECTORY.test(entry)) parsePath(join(path, entry), data, vault, found);
    }
    return;
  }
  const fail = (message: string): never => {
    throw new ConfigError([{ file: displayPath(path), line: 1, col: 1, path: "", message }]);
  };
  const exportHint = `export it as a static inventory with: ansible-inventory -i ${
    displayPath(path)
  } --list -y > static.yml`;
  const { text, file, encrypted } = readAnsibleText(path, vault, found);
  const ext = extname(path).toLowerCase();
  if (text.startsWith("#!") && (statSync(path).mode & 0o111) !== 0) {
    fail(`an executable script is a dynamic inventory, which lago-provision does not run: ${exportHint}`);
  }
  if (ext === ".toml") fail(`TOML inventories are not read: ${exportHint}`);
  if (YAML_EXTENSIONS.includes(ext)) {
    return addYamlInventory(parseAnsibleYaml(text, file, vault, found, encrypted), data);
  }
  if (ext === "") {
    const doc = tryYaml(() => parseAnsibleYaml(text, file, vault, found, encrypted));
    if (doc && typeof doc.value === "object" && doc.value !== null && !Array.isArray(doc.value)) {
      return addYamlInventory(doc, data);
    }
  }
  parseIniInventory(text, file, data);
}

/** A file without extension is YAML only when it reads as YAML (else Ansible reads it as INI). */
function tryYaml<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
}

/** `-i 'web1,web2:2222,'`: each name (with an optional port) in `ungrouped`. */
function hostList(source: string, data: InventoryData): void {
  for (const entry of source.split(",").map((h) => h.trim()).filter(Boolean)) {
    const address = parseAddress(entry);
    const [host, port] = address && !address.host.includes("[")
      ? [address.host, address.port]
      : [entry, undefined];
    if (!data.hosts.has(host)) data.addHost(host, { file: "-i", line: 1, col: 1 }, "ungrouped", port);
  }
}
