/**
 * Writes what a playbook run needs to reach the testbed: an Ansible-layout YAML inventory and a
 * known_hosts file holding each container's real host keys (read through docker, not over the network).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { stringify } from "yaml";
import { hostKeys, type TestbedHost } from "./testbed-hosts.ts";
import { CODENAMES, repoRoot, testbedPaths } from "./testbed-paths.ts";

/** How an inventory reaches a testbed host: its published SSH port on this machine, as root. */
export function connectionVars(h: { port: number }, keyPath: string): Record<string, unknown> {
  return {
    ansible_host: "127.0.0.1",
    ansible_port: h.port,
    ansible_user: "root",
    ansible_ssh_private_key_file: keyPath,
  };
}

export function inventoryText(hosts: TestbedHost[], keyPath: string, knownHostsPath: string): string {
  const hostVars = Object.fromEntries(hosts.map((h) => [h.name, connectionVars(h, keyPath)]));
  const children = Object.fromEntries(CODENAMES.map((c) => [c, {
    hosts: Object.fromEntries(hosts.filter((h) => h.codename === c).map((h) => [h.name, {}])),
  }]));
  const doc = { all: { hosts: hostVars, vars: { known_hosts_file: knownHostsPath }, children } };
  return "# Written by `npm run testbed -- up`; rewritten on every run. See docs/testbed.md.\n" +
    stringify(doc);
}

/** `[127.0.0.1]:PORT type key` for every host key of every host. */
export async function knownHostsText(hosts: TestbedHost[]): Promise<string> {
  const lines = await Promise.all(hosts.map(async (h) => {
    const keys = await hostKeys(h.name);
    if (!keys.some((k) => k.startsWith("ssh-ed25519 "))) throw new Error(`${h.name}: no ed25519 host key`);
    return keys.map((k) => `[127.0.0.1]:${h.port} ${k}\n`).join("");
  }));
  return lines.join("");
}

function write(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
}

/** Re-reads every host's keys into known_hosts, e.g. after `regenerateHostKeys` once a test is done. */
export async function writeKnownHosts(
  hosts: TestbedHost[],
  path = testbedPaths().knownHostsPath,
): Promise<void> {
  write(path, await knownHostsText(hosts), 0o644);
}

export function writeInventory(hosts: TestbedHost[], paths = testbedPaths()): void {
  // First line: the JSON Schema, so that editors check the file (see docs/lint.md).
  const schema = relative(dirname(paths.inventoryPath), join(repoRoot, "schemas", "inventory.schema.json"));
  const text = inventoryText(hosts, paths.keyPath, paths.knownHostsPath);
  write(paths.inventoryPath, `# yaml-language-server: $schema=${schema}\n${text}`, 0o644);
}
