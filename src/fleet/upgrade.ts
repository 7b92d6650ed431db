/**
 * The rolling upgrade, as a sequence over injected operations (the real ones talk to hosts, the unit
 * tests' fakes record calls). Per hop:
 *
 * 1. look at the fleet: the version each host runs, and how many clocks run (more than one: stop);
 * 2. back up the database (pg_dump) before anything changes;
 * 3. pull the new images on every host that moves, before anything restarts (a failed pull changes
 *    nothing);
 * 4. run migrate exactly once, with the NEW image, on one web host (fleet); single hosts migrate
 *    themselves during their own deploy;
 * 5. roll the hosts in batches (`--serial`), the clock host last and alone, its old clock stopped before
 *    the new one starts; each batch is deployed, then health-gated;
 * 6. a failed gate rolls the failed hosts back to the version they ran; past `--max-fail-percentage`
 *    the whole failed batch is rolled back and the upgrade stops, leaving the other hosts untouched;
 * 7. upgrades: on a bridge release, run its task once (src/fleet/bridge-run.ts) before the next hop;
 *    one that does not finish stops the upgrade there, the fleet healthy on the bridge;
 * 8. look at the fleet again and report what each host runs, measured.
 */
import { batches } from "../engine/pool.ts";
import { bridgeOf } from "./bridges.ts";
import type { DeployResult, HistoryEntry } from "./history.ts";
import type { HostOutcome } from "./journal.ts";
import { compareVersions } from "./releases.ts";

export interface FleetMember {
  name: string;
  /** Runs the clock (exactly one host of a fleet). */
  clock: boolean;
}

export interface HostState {
  /** The Lago version its containers run; null when none run; "mixed" when they disagree. */
  version: string | null;
  /** Clock containers running on the host. */
  clocks: number;
}

export interface UpgradeOps {
  say(msg: string): void;
  /** What every host runs now. */
  survey(hosts: string[]): Promise<Map<string, HostState>>;
  /** pg_dump; returns where the dump is (`host:/path`). */
  backup(host: string, from: string): Promise<string>;
  pull(host: string, version: string): Promise<void>;
  migrate(host: string, version: string): Promise<void>;
  stopClock(host: string): Promise<void>;
  /** Converge the hosts to `version`; returns host → error for the hosts that failed. */
  deploy(hosts: string[], version: string, opts: { migrate: boolean }): Promise<Map<string, string>>;
  /** Wait until the host serves `version` healthily; returns the problem when it does not in time. */
  health(host: string, version: string): Promise<string | undefined>;
  /** Append to each host's deploy history. */
  record(entries: Map<string, Omit<HistoryEntry, "time" | "user" | "run">>): Promise<void>;
  /** Throws when the fleet lock was lost (the run must stop). */
  checkLock(): void;
  /**
   * Runs a bridge release's task (src/fleet/bridges.ts) for the installation whose database `host`
   * reaches, with that release's api image; returns why it did not finish, undefined when done.
   */
  bridgeTask(host: string, version: string): Promise<string | undefined>;
}

export interface UpgradeInput {
  /** Hosts that run versioned Lago services, in rolling order. */
  hosts: FleetMember[];
  /** Fleet: the web host that runs migrate once; undefined: each host migrates itself (single hosts). */
  migrateHost?: string;
  /** Where the database lives (dumped before the upgrade). */
  backupHosts: string[];
  hops: [string, string][];
  serial: (number | string)[];
  maxFailPercentage: number;
  command: "upgrade" | "rollback";
  /** Skip migrate (rollback: old code never migrates down). */
  noMigrate?: boolean;
  skipBackup?: boolean;
  /**
   * Upgrades run each bridge release's task once the fleet is on it, on these hosts (the migrate host
   * of a fleet; every single host, each its own installation), starting with the version the fleet
   * runs (`start`): a task that did not finish last time is resumed before anything moves.
   */
  bridgeTasks?: { start: string; hosts: string[] };
}

export interface HostReport {
  version: string | null;
  outcome: HostOutcome;
  note?: string;
}

export interface UpgradeReport {
  ok: boolean;
  /** Hops completed on every host. */
  done: [string, string][];
  hosts: Record<string, HostReport>;
  backups: string[];
  /** Why it stopped. */
  error?: string;
}

class Stop extends Error {}

const pct = (n: number, of: number) => (of === 0 ? 0 : (n * 100) / of);

export async function runUpgrade(input: UpgradeInput, ops: UpgradeOps): Promise<UpgradeReport> {
  const names = input.hosts.map((h) => h.name);
  const outcome = new Map<string, { outcome: HostOutcome; note?: string }>(
    names.map((n) => [n, { outcome: "untouched" }]),
  );
  const report: UpgradeReport = { ok: false, done: [], hosts: {}, backups: [] };
  try {
    if (input.bridgeTasks) await bridgeTask(input.bridgeTasks.hosts, input.bridgeTasks.start, ops);
    for (const [from, to] of input.hops) {
      await runHop(input, ops, from, to, outcome, report);
      report.done.push([from, to]);
      if (input.bridgeTasks) await bridgeTask(input.bridgeTasks.hosts, to, ops);
    }
    report.ok = true;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    report.error = e.message;
  } finally {
    // What each host really runs, measured (never what we hoped).
    let final = new Map<string, HostState>();
    try {
      final = await ops.survey(names);
    } catch (e) {
      ops.say(`could not look at the fleet at the end: ${(e as Error).message}`);
    }
    for (const n of names) {
      report.hosts[n] = { version: final.get(n)?.version ?? null, ...outcome.get(n)! };
    }
  }
  return report;
}

async function runHop(
  input: UpgradeInput,
  ops: UpgradeOps,
  from: string,
  to: string,
  outcome: Map<string, { outcome: HostOutcome; note?: string }>,
  report: UpgradeReport,
): Promise<void> {
  const upward = compareVersions(to, from) > 0;
  ops.say(`${input.command} ${from} → ${to}`);
  const states = await ops.survey(input.hosts.map((h) => h.name));
  const clocks = [...states].filter(([, s]) => s.clocks > 0).map(([h, s]) => `${h} (${s.clocks})`);
  if (clocks.length > 1 || [...states.values()].some((s) => s.clocks > 1)) {
    throw new Stop(
      `more than one clock runs (${clocks.join(", ")}): fix that before upgrading (billing runs twice)`,
    );
  }
  // Hosts already on `to` (a re-run after an interruption) are left alone.
  const moving = input.hosts.filter((h) => states.get(h.name)?.version !== to);
  const previous = new Map(moving.map((h) => [h.name, knownVersion(states.get(h.name)?.version) ?? from]));
  if (moving.length === 0) {
    ops.say(`every host already runs ${to}`);
    return;
  }
  ops.say(
    `hosts to move: ${
      moving.map((h) => `${h.name} (${states.get(h.name)?.version ?? "nothing"})`).join(", ")
    }`,
  );

  // 2. Backup, before anything changes.
  if (input.skipBackup) ops.say("no backup (--skip-backup)");
  else {
    for (const host of input.backupHosts) {
      try {
        const where = await ops.backup(host, from);
        report.backups.push(where);
        ops.say(`backup: ${where}`);
      } catch (e) {
        throw new Stop(`backup on ${host} failed, nothing was changed: ${(e as Error).message}`);
      }
    }
  }

  // 3. Pull everywhere first.
  const pulls = await Promise.allSettled(moving.map((h) => ops.pull(h.name, to)));
  const pullErrors = pulls.flatMap((
    r,
    i,
  ) => (r.status === "rejected" ? [`${moving[i].name}: ${(r.reason as Error).message}`] : []));
  if (pullErrors.length > 0) {
    for (const [i, r] of pulls.entries()) {
      if (r.status === "rejected") {
        outcome.set(moving[i].name, { outcome: "failed", note: `pull: ${(r.reason as Error).message}` });
      }
    }
    throw new Stop(`pulling ${to} failed, nothing was restarted:\n  ${pullErrors.join("\n  ")}`);
  }
  ops.say(`pulled ${to} on ${moving.map((h) => h.name).join(", ")}`);

  // 4. Migrate once, before any restart.
  const migrated = upward && !input.noMigrate && input.migrateHost !== undefined;
  if (migrated) {
    checkLock(ops);
    try {
      await ops.migrate(input.migrateHost!, to);
    } catch (e) {
      throw new Stop(
        `migrate with ${to} on ${input.migrateHost} failed, no host was restarted: ${(e as Error).message}` +
          (report.backups.length ? ` (backup: ${report.backups.join(", ")})` : ""),
      );
    }
    ops.say(`migrated with ${to} on ${input.migrateHost}`);
  }
  const selfMigrate = upward && !input.noMigrate && input.migrateHost === undefined;
  const backup = report.backups[0];

  // 5. Batches: clock host last and alone.
  const rolling = moving.filter((h) => !h.clock);
  const clock = moving.filter((h) => h.clock);
  // Percentages count every moving host (the clock host too), as Ansible counts the play's hosts.
  const serial = input.serial.map((s) => {
    const m = typeof s === "string" ? /^(\d+(?:\.\d+)?)%$/.exec(s) : null;
    return m ? Math.max(1, Math.floor((moving.length * Number(m[1])) / 100)) : s;
  });
  const plan = [...batches(rolling, serial), ...(clock.length ? [clock] : [])];
  let failed = 0;
  for (const [i, batch] of plan.entries()) {
    checkLock(ops);
    const hosts = batch.map((h) => h.name);
    ops.say(`batch ${i + 1}/${plan.length}: ${hosts.join(", ")} → ${to}`);
    for (const h of batch) if (h.clock) await ops.stopClock(h.name);
    const problems = await ops.deploy(hosts, to, { migrate: selfMigrate });
    await Promise.all(
      hosts.filter((h) => !problems.has(h)).map(async (h) => {
        const p = await ops.health(h, to);
        if (p) problems.set(h, `health gate: ${p}`);
      }),
    );
    const ok = hosts.filter((h) => !problems.has(h));
    const entries = new Map<string, Omit<HistoryEntry, "time" | "user" | "run">>();
    const entry = (h: string, result: DeployResult, note?: string) =>
      entries.set(h, {
        command: input.command,
        from: previous.get(h)!,
        to,
        result,
        migrated: migrated || selfMigrate,
        backup,
        note,
      });
    if (problems.size === 0) {
      for (const h of hosts) {
        outcome.set(h, { outcome: "ok" });
        entry(h, "ok");
      }
      await ops.record(entries);
      ops.say(`batch ${i + 1}/${plan.length} healthy on ${to}`);
      continue;
    }
    failed += problems.size;
    for (const [h, p] of problems) ops.say(`${h}: ${p}`);
    const stop = pct(failed, input.hosts.length) > input.maxFailPercentage;
    const back = stop ? batch : batch.filter((h) => problems.has(h.name));
    ops.say(`rolling back ${back.map((h) => h.name).join(", ")} to the version each ran before`);
    const rollbackProblems = await rollBack(back, previous, ops);
    for (const h of back) {
      const p = problems.get(h.name);
      const rb = rollbackProblems.get(h.name);
      const note = [p, rb ? `ROLLBACK FAILED: ${rb}` : `rolled back to ${previous.get(h.name)}`].filter(
        Boolean,
      ).join("; ");
      outcome.set(h.name, { outcome: p ? "failed" : "rolled_back", note });
      entry(h.name, p ? "failed" : "rolled_back", note);
    }
    for (const h of ok.filter((h) => !back.some((b) => b.name === h))) {
      outcome.set(h, { outcome: "ok" });
      entry(h, "ok");
    }
    await ops.record(entries);
    if (stop) {
      throw new Stop(
        `batch ${i + 1}/${plan.length} failed its health gate (${[...problems.keys()].join(", ")}); ` +
          `it was rolled back and the upgrade stopped` +
          (input.maxFailPercentage > 0 ? ` (more than ${input.maxFailPercentage}% of hosts failed)` : ""),
      );
    }
  }
  if (failed > 0) {
    throw new Stop(
      `${failed} host(s) failed and were rolled back (within --max-fail-percentage ${input.maxFailPercentage}); stopping after this hop`,
    );
  }
}

/** The bridge's task, when `version` is a bridge with one; a task that does not finish stops the upgrade there. */
async function bridgeTask(hosts: string[], version: string, ops: UpgradeOps): Promise<void> {
  if (!bridgeOf(version)?.steps.length) return;
  for (const host of hosts) {
    checkLock(ops);
    const problem = await ops.bridgeTask(host, version);
    if (problem) {
      throw new Stop(
        `the fleet is on bridge release ${version}, whose task did not finish on ${host}:\n  ${problem}\n` +
          `Fix what it reports, then run the same upgrade again: it runs ${version}'s task again and goes on`,
      );
    }
  }
}

function checkLock(ops: UpgradeOps): void {
  try {
    ops.checkLock();
  } catch (e) {
    throw new Stop(`stopped: ${(e as Error).message}`);
  }
}

const knownVersion = (v: string | null | undefined) => (v && v !== "mixed" ? v : undefined);

/** Re-deploy each host with the version it ran before (grouped by version), then gate them. */
async function rollBack(
  hosts: FleetMember[],
  previous: Map<string, string>,
  ops: UpgradeOps,
): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  const byVersion = new Map<string, FleetMember[]>();
  for (const h of hosts) {
    byVersion.set(previous.get(h.name)!, [...(byVersion.get(previous.get(h.name)!) ?? []), h]);
  }
  for (const [version, group] of byVersion) {
    for (const h of group) if (h.clock) await ops.stopClock(h.name);
    const names = group.map((h) => h.name);
    const failed = await ops.deploy(names, version, { migrate: false });
    for (const [h, p] of failed) problems.set(h, p);
    await Promise.all(
      names.filter((h) => !failed.has(h)).map(async (h) => {
        const p = await ops.health(h, version);
        if (p) problems.set(h, `health gate: ${p}`);
      }),
    );
  }
  return problems;
}

/** The text report: every host with the version it runs now and what happened to it. */
export function formatReport(r: UpgradeReport, to: string): string {
  const width = Math.max(4, ...Object.keys(r.hosts).map((h) => h.length));
  const lines = Object.entries(r.hosts).map(([h, x]) => {
    const word = {
      ok: "upgraded",
      failed: "FAILED",
      unreachable: "UNREACHABLE",
      rolled_back: "rolled back",
      untouched: "untouched",
    }[x.outcome];
    return `  ${h.padEnd(width)}  ${(x.version ?? "nothing").padEnd(16)} ${word}${
      x.note ? ` — ${x.note}` : ""
    }`;
  });
  const versions = new Map<string, string[]>();
  for (const [h, x] of Object.entries(r.hosts)) {
    versions.set(x.version ?? "nothing", [...(versions.get(x.version ?? "nothing") ?? []), h]);
  }
  const summary = [...versions].map(([v, hs]) => `${v}: ${hs.join(", ")}`).join("; ");
  const head = r.ok ? `fleet on ${to}` : `upgrade to ${to} FAILED: ${r.error}`;
  return [
    head,
    `  ${"host".padEnd(width)}  ${"runs".padEnd(16)} outcome`,
    ...lines,
    `versions: ${summary}`,
    ...(r.backups.length ? [`backups: ${r.backups.join(", ")}`] : []),
  ].join("\n") + "\n";
}
