/**
 * The testbed as a whole: `up` (images, containers, keys, inventory), `down`, `status`. This module is
 * the public API; the CLI (scripts/testbed.ts) and the e2e harness (test/e2e/testbed.ts) both use it.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "zx";
import { ensureImages } from "./testbed-image.ts";
import {
  authorizeKey,
  ensureHost,
  hostFor,
  type HostStatus,
  listHosts,
  listWorkerHosts,
  removeHost,
  type TestbedHost,
  waitSystemReady,
} from "./testbed-hosts.ts";
import { writeInventory, writeKnownHosts } from "./testbed-inventory.ts";
import { withLock } from "./testbed-lock.ts";
import { hostIndex, hostPrefix, log, testbedPaths } from "./testbed-paths.ts";
import { ensureKey, waitSsh } from "./testbed-ssh.ts";

export * from "./testbed-hosts.ts";
export { ensureImage, ensureImages, recipeHash } from "./testbed-image.ts";
export { inventoryText, knownHostsText, writeInventory, writeKnownHosts } from "./testbed-inventory.ts";
export { type Codename, CODENAMES, hostName, testbedPaths } from "./testbed-paths.ts";
export { ensureKey, sshArgs, type SshOptions, sshRun, waitSsh } from "./testbed-ssh.ts";

export interface Testbed {
  inventoryPath: string;
  hosts: TestbedHost[];
  keyPath: string;
  knownHostsPath: string;
}

async function requireDocker(): Promise<void> {
  const r = await $`docker info --format {{.ServerVersion}}`.quiet().nothrow();
  if (r.exitCode !== 0) {
    throw new Error(
      `testbed: docker is not usable: run \`bash scripts/prepare-machine.sh demo\` (as root) first: ${r.stderr.trim()}`,
    );
  }
}

export interface UpOptions {
  /** Recreate every host from its image, for tests that need pristine hosts (a few seconds more). */
  fresh?: boolean;
}

/**
 * Brings up exactly `count` hosts (lago-tb-1..count, alternating bookworm/trixie). Running hosts on the
 * current image are kept as they are (unless `fresh`); hosts numbered above `count` are removed.
 */
export async function up(count = 3, opts: UpOptions = {}): Promise<Testbed> {
  if (!Number.isInteger(count) || count < 1 || count > 50) {
    throw new Error(`testbed: bad host count ${count}`);
  }
  await requireDocker();
  // Machine-wide, not per clone: every clone drives the same containers.
  return await withLock(join(tmpdir(), `lago-testbed-${hostPrefix()}up.lock`), () => upLocked(count, opts));
}

async function upLocked(count: number, opts: UpOptions): Promise<Testbed> {
  const paths = testbedPaths();
  const publicKey = await ensureKey(paths.keyPath);
  const hosts = Array.from({ length: count }, (_, i) => hostFor(i + 1));
  await ensureImages(hosts.map((h) => h.codename));

  const stale = (await listHosts()).filter((h) => opts.fresh || hostIndex(h.name)! > count);
  await Promise.all(stale.map((h) => removeHost(h.name)));

  await Promise.all(hosts.map(async (h) => {
    const how = await ensureHost(h);
    await authorizeKey(h.name, publicKey);
    await waitSystemReady(h.name);
    log(`${h.name} (${h.codename}) on 127.0.0.1:${h.port}: ${how}`);
  }));

  await writeKnownHosts(hosts, paths.knownHostsPath);
  writeInventory(hosts, paths);
  await Promise.all(hosts.map((h) => waitSsh(h, paths)));
  return {
    inventoryPath: paths.inventoryPath,
    hosts,
    keyPath: paths.keyPath,
    knownHostsPath: paths.knownHostsPath,
  };
}

/**
 * Removes the testbed's containers (by label), its e2e workers' too, and nothing else: images and caches
 * stay.
 */
export async function down(): Promise<string[]> {
  const hosts = [...await listHosts(), ...await listWorkerHosts()];
  await Promise.all(hosts.map((h) => removeHost(h.name)));
  return hosts.map((h) => h.name);
}

export async function status(): Promise<HostStatus[]> {
  return await listHosts();
}
