/**
 * `lock status INVENTORY`: who holds the fleet lock on each host (owner, command, age, expiry), judged
 * with the host's clock. `lock release INVENTORY [--force]`: removes stale locks (expired, or left by
 * a killed run on this controller); a live holder's lock only with --force.
 */
import { describeHeld, lockStatus, releaseLocks } from "../fleet/lock.ts";
import { writeStdout } from "../runtime.ts";
import { openReadOnly } from "../session/fleet.ts";

export interface LockCommandOptions {
  limit?: string;
  acceptNewHostKeys: boolean;
  json: boolean;
  force?: boolean;
}

export async function lockStatusCommand(inventoryPath: string, opts: LockCommandOptions): Promise<number> {
  const s = await openReadOnly({ ...opts, inventory: inventoryPath });
  try {
    const status = await lockStatus(s.fleet.lockHosts(s.hosts), s.me);
    if (opts.json) {
      writeStdout(JSON.stringify({ type: "lock_status", hosts: status }) + "\n");
      return status.some((x) => x.error) ? 1 : 0;
    }
    const width = Math.max(...status.map((x) => x.host.length));
    for (const x of status) {
      const v = x.view;
      const text = x.error
        ? `unreachable: ${x.error}`
        : !v || v.kind === "free"
        ? "free"
        : v.kind === "stale"
        ? `STALE (${v.why}): '${v.record?.command ?? "?"}' by ${v.record?.owner ?? "?"}; ` +
          `\`lago-provision lock release ${inventoryPath}\` removes it`
        : v.kind === "ours"
        ? "held by this process"
        : `held: ${describeHeld(v)}`;
      writeStdout(`${x.host.padEnd(width)}  ${text}\n`);
    }
    const held = status.filter((x) => x.view?.kind === "held");
    if (held.length && held.length < status.length) {
      writeStdout(`(locked on ${held.length} of ${status.length} hosts)\n`);
    }
    return status.some((x) => x.error) ? 1 : 0;
  } finally {
    await s.close();
  }
}

export async function lockReleaseCommand(inventoryPath: string, opts: LockCommandOptions): Promise<number> {
  const s = await openReadOnly({ ...opts, inventory: inventoryPath });
  try {
    const results = await releaseLocks(s.fleet.lockHosts(s.hosts), Boolean(opts.force), s.me);
    if (opts.json) writeStdout(JSON.stringify({ type: "lock_release", hosts: results }) + "\n");
    else {
      const width = Math.max(...results.map((x) => x.host.length));
      for (const r of results) writeStdout(`${r.host.padEnd(width)}  ${r.outcome}\n`);
      if (results.some((r) => !r.ok && r.outcome.startsWith("held by a live run"))) {
        writeStdout("a live run holds the lock: wait for it, or --force if you know it is gone\n");
      }
    }
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    await s.close();
  }
}
