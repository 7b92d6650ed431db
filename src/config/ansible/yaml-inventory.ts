/**
 * YAML inventories, walked as Ansible's YAML plugin walks them: every top-level key is a group with
 * `hosts`, `children` and `vars` in the order written; `hosts: web1` (a single name) is allowed; empty
 * sections are skipped; host keys may carry a port (`db1:2222`) or ranges (`web[01:03]`). Other keys
 * in a group are skipped with a warning, as Ansible does. Mistakes Ansible refuses are refused with
 * their position.
 */
import type { KeyPath, YamlFile } from "../yaml.ts";
import { ConfigError } from "../problems.ts";
import { didYouMean } from "../../core/suggest.ts";
import { expandHostPattern, HostPatternError, MAX_RANGE_HOSTS } from "./host-pattern.ts";
import { type InventoryData, InventoryDataError, subDocument } from "./inventory-data.ts";

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const typeName = (v: unknown) =>
  Array.isArray(v) ? "a list" : v === null ? "empty" : typeof v === "object" ? "a mapping" : `a ${typeof v}`;

/** Add the inventory in `doc` to `data`. */
export function addYamlInventory(doc: YamlFile, data: InventoryData): void {
  const fail = (path: KeyPath, message: string, at: "key" | "value" = "value"): never => {
    const { line, col } = doc.locate(path, at);
    throw new ConfigError([{ file: doc.file, line, col, path: path.join("/"), message }]);
  };
  const warn = (path: KeyPath, message: string) => {
    const { line, col } = doc.locate(path, "key");
    data.warnings.push({ file: doc.file, line, col, path: path.join("/"), message });
  };
  const top = doc.value;
  if (top === null || top === undefined) {
    // Ansible's YAML plugin refuses it, then its INI plugin reads it as an empty inventory.
    const { line, col } = doc.locate([]);
    data.warnings.push({ file: doc.file, line, col, path: "", message: "the inventory has no hosts" });
    return;
  }
  if (!isMapping(top)) fail([], `an inventory should be a mapping of groups (all: …), not ${typeName(top)}`);
  if (isMapping(top) && "plugin" in top) {
    fail(
      ["plugin"],
      `this is the configuration of the inventory plugin '${top.plugin}', which lago-provision does not run: ` +
        `export a static inventory with: ansible-inventory -i ${doc.file} --list -y > static.yml`,
    );
  }

  const group = (name: string, value: unknown, path: KeyPath): string => {
    if (!isMapping(value) && value !== null) {
      warn(
        path,
        `skipped: group '${name}' should be a mapping (hosts, children, vars), not ${typeName(value)}`,
      );
      return name;
    }
    data.addGroup(name);
    if (value === null) return name;
    for (const section of ["vars", "children", "hosts"]) {
      if (typeof value[section] === "string") value[section] = { [value[section] as string]: null };
      else if (section in value && !isMapping(value[section]) && value[section] !== null) {
        fail(
          [...path, section],
          `'${section}' of group '${name}' should be a mapping, not ${typeName(value[section])}`,
        );
      }
    }
    for (const [key, section] of Object.entries(value)) {
      const at = [...path, key];
      if (!["vars", "children", "hosts"].includes(key)) {
        const hint = didYouMean(key, ["hosts", "children", "vars"]) ||
          " (a group has hosts, children and vars)";
        warn(at, `skipped: unknown key '${key}' in group '${name}'${hint}`);
        continue;
      }
      if (section === null) continue;
      const entries = Object.entries(section as Record<string, unknown>);
      if (key === "vars") {
        data.varsDocs.push(subDocument(doc, at, section));
        for (const [k, v] of entries) data.setGroupVariable(name, k, v);
      } else if (key === "children") {
        for (const [child, childValue] of entries) {
          group(child, childValue, [...at, child]);
          attempt([...at, child], () => data.addChild(name, child));
        }
      } else {
        for (const [pattern, vars] of entries) hosts(name, pattern, vars, [...at, pattern]);
      }
    }
    return name;
  };

  const hosts = (groupName: string, pattern: string, value: unknown, path: KeyPath) => {
    const vars = value || {};
    if (!isMapping(vars)) {
      fail(
        path,
        `the variables of host '${pattern}' should be a mapping (key: value), not ${typeName(vars)}`,
      );
    }
    const { line, col } = doc.locate(path, "key");
    if (value) data.varsDocs.push(subDocument(doc, path, vars));
    const expanded = attempt(path, () => expandHostPattern(pattern, MAX_RANGE_HOSTS - data.hosts.size));
    for (const host of expanded.hosts) {
      data.addHost(host, { file: doc.file, line, col }, groupName, expanded.port);
      for (const [k, v] of Object.entries(vars as Record<string, unknown>)) data.setHostVariable(host, k, v);
    }
  };

  const attempt = <T>(path: KeyPath, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InventoryDataError || e instanceof HostPatternError) fail(path, e.message, "key");
      throw e;
    }
  };

  for (const [name, value] of Object.entries(top as Record<string, unknown>)) group(name, value, [name]);
}
