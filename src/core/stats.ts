/**
 * What this process did, for benchmarks and tests: per host, SSH connections opened and commands run
 * (one exec channel each, the round trips), whoever ran them (a playbook run, the fleet lock, the
 * deploy history); and how many times each configuration file was read. With LAGO_PROVISION_STATS=FILE
 * the tally is written to FILE as JSON when the process exits:
 * `{"hosts": {"web1": {"connections": 1, "roundTrips": 2, "lockRenewals": 0}}, "files": {"/abs/inventory.yml": 1}}`.
 * `lockRenewals` are round trips too: the fleet lock's keep-alive, one every TTL/4 however long the run is.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";

export interface HostTally {
  connections: number;
  roundTrips: number;
  lockRenewals: number;
}

const tally = new Map<string, HostTally>();
const reads = new Map<string, number>();

export function countOn(host: string, what: keyof HostTally): void {
  const t = tally.get(host) ?? { connections: 0, roundTrips: 0, lockRenewals: 0 };
  t[what]++;
  tally.set(host, t);
}

/** A configuration file was read (by its absolute path). */
export function countRead(file: string): void {
  const path = resolve(file);
  reads.set(path, (reads.get(path) ?? 0) + 1);
}

export const connectionStats = (): Record<string, HostTally> => Object.fromEntries(tally);
export const fileReads = (): Record<string, number> => Object.fromEntries(reads);

const statsFile = process.env.LAGO_PROVISION_STATS;
if (statsFile) {
  process.on("exit", () => {
    try {
      writeFileSync(statsFile, JSON.stringify({ hosts: connectionStats(), files: fileReads() }) + "\n");
    } catch {
      // Statistics never change how a run ends.
    }
  });
}
