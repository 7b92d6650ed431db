/**
 * Where the testbed keeps its state, and the names it gives things. Paths are absolute and derived from
 * the repository root, so they are the same from `scripts/` (Deno, vitest) and `dist/scripts/` (Node).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const CODENAMES = ["bookworm", "trixie"] as const;
export type Codename = typeof CODENAMES[number];

/** Each container carries this label so `down` removes ours and nothing else. */
export const LABEL = "lago.testbed";
export const IMAGE_REPO = "lago-testbed";

/**
 * Containers are `lago-tb-1..N`. A second, separate testbed on the same machine (a CI run beside a
 * developer's) sets LAGO_TESTBED_PREFIX and LAGO_TESTBED_PORT_BASE.
 */
export const hostPrefix = (): string => process.env.LAGO_TESTBED_PREFIX ?? "lago-tb-";

export const imageName = (codename: Codename): string => `${IMAGE_REPO}:${codename}`;
export const hostName = (index: number): string => `${hostPrefix()}${index}`;
/** The index of one of this testbed's hosts, or null for any other name. */
export function hostIndex(name: string): number | null {
  const rest = name.startsWith(hostPrefix()) ? name.slice(hostPrefix().length) : "";
  return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : null;
}
/** Hosts alternate bookworm, trixie, bookworm, ... so any N >= 2 covers both releases. */
export const codenameOf = (index: number): Codename => CODENAMES[(index - 1) % CODENAMES.length];

export function portBase(): number {
  const raw = process.env.LAGO_TESTBED_PORT_BASE;
  return raw ? Number.parseInt(raw, 10) : 2200;
}
export const portOf = (index: number): number => portBase() + index;

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("testbed: cannot find the repository root (no package.json above)");
    dir = up;
  }
  return dir;
}

export const repoRoot: string = findRoot();

export interface TestbedPaths {
  keyPath: string;
  inventoryPath: string;
  knownHostsPath: string;
  /** debootstrap's .deb cache and the configured rootfs tarballs; survives `down` and fresh clones in CI. */
  cacheDir: string;
}

export function testbedPaths(): TestbedPaths {
  // A second testbed must not overwrite the default one's inventory.
  const separate = process.env.LAGO_TESTBED_PREFIX;
  const inventoryDir = separate ? join(repoRoot, ".testbed", separate) : join(repoRoot, "inventory");
  return {
    keyPath: join(repoRoot, ".testbed", "id_ed25519"),
    inventoryPath: join(inventoryDir, "testbed.yml"),
    knownHostsPath: join(inventoryDir, ".testbed_known_hosts"),
    cacheDir: resolve(process.env.LAGO_TESTBED_CACHE ?? join(repoRoot, ".cache", "testbed")),
  };
}

export const mirror = (): string => process.env.LAGO_TESTBED_MIRROR ?? "http://deb.debian.org/debian";

export const log = (msg: string): void => void process.stderr.write(`[testbed] ${msg}\n`);
