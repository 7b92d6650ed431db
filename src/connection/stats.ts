/**
 * What this process sent to each host, whoever sent it (a playbook run, the fleet lock, the deploy
 * history): SSH connections opened and commands run (one exec channel each, the round trips). For
 * benchmarks: with LAGO_PROVISION_STATS=FILE the tally is written to FILE as JSON when the process
 * exits (`{"hosts": {"web1": {"connections": 1, "roundTrips": 2}}}`).
 */
import { writeFileSync } from "node:fs";
import process from "node:process";

export interface HostTally {
  connections: number;
  roundTrips: number;
}

const tally = new Map<string, HostTally>();

export function countOn(host: string, what: keyof HostTally): void {
  const t = tally.get(host) ?? { connections: 0, roundTrips: 0 };
  t[what]++;
  tally.set(host, t);
}

export const connectionStats = (): Record<string, HostTally> => Object.fromEntries(tally);

const statsFile = process.env.LAGO_PROVISION_STATS;
if (statsFile) {
  process.on("exit", () => {
    try {
      writeFileSync(statsFile, JSON.stringify({ hosts: connectionStats() }) + "\n");
    } catch {
      // Statistics never change how a run ends.
    }
  });
}
