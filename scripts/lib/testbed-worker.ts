/**
 * Hosts of their own for each vitest worker, so e2e files can run side by side and none sees another's
 * leftovers. A worker's hosts are named and numbered below the testbed's own (LAGO_TESTBED_PREFIX,
 * LAGO_TESTBED_PORT_BASE): worker 2 of the default testbed has lago-tb-w2-1.. on 127.0.0.1:2221..
 */

import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

/** Ports per worker: room for 9 hosts each, and for 9 workers below the next testbed's base (+100). */
export const PORTS_PER_WORKER = 10;
export const MAX_WORKERS = 9;

export interface WorkerTestbed {
  prefix: string;
  portBase: number;
}

/**
 * The prefix and port base of worker `poolId` (vitest's VITEST_POOL_ID, 1..maxWorkers) for the testbed
 * whose own prefix and port base are given.
 */
export function workerTestbed(poolId: number, base: WorkerTestbed): WorkerTestbed {
  if (!Number.isInteger(poolId) || poolId < 1 || poolId > MAX_WORKERS) {
    throw new Error(`testbed: worker ${poolId} is out of range (1..${MAX_WORKERS})`);
  }
  return { prefix: `${base.prefix}w${poolId}-`, portBase: base.portBase + PORTS_PER_WORKER * poolId };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `name` is a host of one of the workers of the testbed with this prefix (for `down`). */
export function isWorkerHost(name: string, prefix: string): boolean {
  return new RegExp(`^${escapeRegExp(prefix)}w[1-9]-[1-9][0-9]*$`).test(name);
}

/**
 * A worker number no other running e2e file of this testbed holds: the lowest free one of 1..MAX_WORKERS,
 * held as a directory `dir/N` with the holder's pid in it (mkdir is atomic). vitest's VITEST_POOL_ID cannot
 * say it: when the unit and e2e projects run in one vitest run, every worker gets pool id 1 (vitest 4.1),
 * and two files side by side took the same hosts. A slot whose holder died is taken back (renamed away
 * first, so that two claimers cannot both take it).
 */
export function claimWorkerSlot(dir: string, pid = process.pid): number {
  mkdirSync(dir, { recursive: true });
  for (let n = 1; n <= MAX_WORKERS; n++) {
    const slot = join(dir, String(n));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkdirSync(slot);
        writeFileSync(join(slot, "pid"), String(pid));
        return n;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      if (!holderDied(slot)) break;
      try {
        const away = `${slot}.stale-${pid}-${attempt}`;
        renameSync(slot, away);
        rmSync(away, { recursive: true, force: true });
      } catch { /* another claimer took it back first */ }
    }
  }
  throw new Error(`testbed: all ${MAX_WORKERS} worker slots in ${dir} are held by running processes`);
}

/** Gives the slot back (only if this process holds it). */
export function releaseWorkerSlot(dir: string, n: number, pid = process.pid): void {
  const slot = join(dir, String(n));
  if (holderOf(slot) === pid) rmSync(slot, { recursive: true, force: true });
}

function holderOf(slot: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(join(slot, "pid"), "utf8"), 10);
  } catch {
    return undefined;
  }
}

/** The holder is gone (or never wrote its pid and the slot is older than a minute). */
function holderDied(slot: string): boolean {
  const pid = holderOf(slot);
  if (pid === undefined || Number.isNaN(pid)) {
    try {
      return Date.now() - statSync(slot).mtimeMs > 60_000;
    } catch {
      return true;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}
