/**
 * `upgrade INVENTORY --to vX.Y.Z`: a rolling, health-gated upgrade of a Lago fleet under the fleet lock
 * (src/fleet/upgrade.ts has the sequence, docs/fleet.md the whole story). Exit 0 when every host runs
 * the target healthily, 1 otherwise (the report says which host runs what).
 */
import { randomBytes } from "node:crypto";
import { UsageError, UserError } from "../core/errors.ts";
import { writeJournal } from "../fleet/journal.ts";
import { failureCollector, RealUpgradeOps } from "../fleet/ops.ts";
import { pathLines } from "../fleet/bridges.ts";
import {
  checkRelease,
  compareVersions,
  hopsOf,
  planUpgrade,
  showPath,
  sortVersions,
} from "../fleet/releases.ts";
import { type FleetSession, openSession } from "../fleet/session.ts";
import { describeTopology } from "../fleet/topology.ts";
import { formatReport, runUpgrade, type UpgradeInput, type UpgradeReport } from "../fleet/upgrade.ts";
import type { Reporter, RunEvent } from "../output/events.ts";
import { createReporter } from "../output/index.ts";
import { env, stdoutIsTTY, writeStdout } from "../runtime.ts";
import { type ApplyOptions, converge, inventoryHosts, openStoresFirst } from "./apply.ts";

export interface FleetCommandOptions {
  playbook: string;
  extraVars: string[];
  forks: number;
  tags?: string;
  skipTags?: string;
  limit?: string;
  acceptNewHostKeys: boolean;
  lockWait: number;
  lockTtl: number;
  serial: string;
  maxFailPercentage: number;
  healthTimeout: number;
  skipBackup: boolean;
  json: boolean;
  verbose: number;
}

export interface UpgradeOptions extends FleetCommandOptions {
  to: string;
  /** true (a bare --via, as before: the path always goes through the bridges) or a list of stops. */
  via?: boolean | string;
  check?: boolean;
  taskTimeout?: number;
}

/** `--via v1.40.0,v1.41.0` → its stops; a bare `--via` or none → the bridges alone. */
const viaStops = (via: boolean | string | undefined): string[] | undefined =>
  typeof via === "string" ? via.split(",").map((v) => v.trim()).filter(Boolean) : undefined;

/** Prints progress lines (text) or `{"type":"fleet","msg":…}` lines (--json). */
export function fleetSay(json: boolean): (msg: string) => void {
  return (msg) => writeStdout(json ? JSON.stringify({ type: "fleet", msg }) + "\n" : `${msg}\n`);
}

/** `--serial 2`, `--serial 25%`, `--serial 1,2,50%` (ramping up). */
export function parseSerial(value: string): (number | string)[] {
  return value.split(",").map((s) => s.trim()).map((s) => {
    if (/^\d+$/.test(s) && Number(s) > 0) return Number(s);
    if (/^\d+(\.\d+)?%$/.test(s) && parseFloat(s) > 0) return s;
    throw new UsageError(`--serial: '${s}' should be a number of hosts or a percentage like 25%`);
  });
}

export async function upgradeCommand(inventoryPath: string, opts: UpgradeOptions): Promise<number> {
  // Tags that are not releases are refused before any host is contacted.
  const via = viaStops(opts.via);
  checkRelease(opts.to, "--to", []);
  for (const v of via ?? []) checkRelease(v, "--via", []);
  const say = fleetSay(opts.json);
  const s = await openSession(inventoryPath, {
    ...sessionOptions(opts, say),
    // --check reads the hosts only: no lock.
    lockCommand: opts.check ? undefined : `upgrade ${inventoryPath} --to ${opts.to}`,
  });
  try {
    say(`topology: ${describeTopology(s.topology)}`);
    const ops = opsFor(s, inventoryPath, opts, say);
    const states = await ops.survey(s.members.map((m) => m.name));
    const running = [...states].filter(([, x]) => x.version && x.version !== "mixed").map(([, x]) =>
      x.version!
    );
    if (running.length === 0) {
      throw new UserError(
        `no host runs Lago yet (${s.members.map((m) => m.name).join(", ")}): nothing to upgrade`,
        `deploy first: lago-provision apply ${inventoryPath} -e lago_version=${opts.to}`,
      );
    }
    const newer = [...states].filter(([, x]) =>
      x.version && x.version !== "mixed" && compareVersions(x.version, opts.to) > 0
    );
    if (newer.length) {
      throw new UserError(
        `${
          newer.map(([h, x]) => `${h} runs ${x.version}`).join(", ")
        }, newer than ${opts.to}: upgrade does not go down`,
        `to go back to the previous version: lago-provision rollback ${inventoryPath}`,
      );
    }
    const from = sortVersions(running)[0];
    say(`fleet runs ${[...states].map(([h, x]) => `${h} ${x.version ?? "nothing"}`).join(", ")}`);
    const plan = planUpgrade(from, opts.to, via);
    const hops = hopsOf(plan.path);
    for (const note of plan.notes) say(`note: ${note}`);
    say(`path: ${showPath(plan.path)} (${hops.length} hop${hops.length === 1 ? "" : "s"})`);
    for (const line of pathLines(plan.path)) say(line);
    if (opts.check) return 0;
    const report = await runUpgrade(upgradeInput(s, opts, hops, "upgrade"), ops);
    if (report.ok) inventoryNote(s, opts.to, say);
    return finish(s, inventoryPath, opts, "upgrade", report);
  } finally {
    await s.close();
  }
}

export function sessionOptions(opts: FleetCommandOptions, say: (m: string) => void) {
  return {
    playbook: opts.playbook,
    limit: opts.limit,
    forks: opts.forks,
    lockWait: opts.lockWait,
    lockTtl: opts.lockTtl,
    hostsOf: (inv: Parameters<typeof inventoryHosts>[0]) => inventoryHosts(inv, opts.acceptNewHostKeys),
    // Before the lock, the backup and the first batch: a store the deploys cannot open stops here.
    beforeContact: openStoresFirst({ ...opts, check: false }),
    say,
  };
}

export function upgradeInput(
  s: FleetSession,
  opts: FleetCommandOptions,
  hops: [string, string][],
  command: "upgrade" | "rollback",
): UpgradeInput {
  return {
    hosts: s.members,
    migrateHost: s.topology.mode === "fleet" ? s.topology.migrateHost : undefined,
    backupHosts: s.backupHosts,
    hops,
    serial: parseSerial(opts.serial),
    maxFailPercentage: opts.maxFailPercentage,
    command,
    noMigrate: command === "rollback",
    skipBackup: opts.skipBackup,
  };
}

/** The real operations: deploys run the playbook through the engine, limited to the batch. */
export function opsFor(
  s: FleetSession,
  inventoryPath: string,
  opts: FleetCommandOptions,
  say: (m: string) => void,
) {
  const deploy = async (hosts: string[], vars: Record<string, unknown>) => {
    const failures = failureCollector();
    const screen: Reporter | undefined = opts.verbose > 0
      ? createReporter({
        format: opts.json ? "json" : "text",
        write: writeStdout,
        isTTY: stdoutIsTTY(),
        env: env(),
        diff: false,
        verbose: opts.verbose - 1,
      })
      : undefined;
    const reporter: Reporter = {
      emit: (e: RunEvent) => {
        failures.emit(e);
        screen?.emit(e);
      },
      close: () => screen?.close(),
    };
    const applyOpts: ApplyOptions = {
      playbook: opts.playbook,
      check: false,
      diff: false,
      limit: hosts.join(","),
      extraVars: [...opts.extraVars, JSON.stringify(vars)],
      forks: opts.forks,
      tags: opts.tags,
      skipTags: opts.skipTags,
      acceptNewHostKeys: opts.acceptNewHostKeys,
      json: opts.json,
      verbose: opts.verbose,
    };
    const summary = await converge(inventoryPath, applyOpts, reporter, s.fleet.connector());
    const failed = new Map<string, string>();
    for (const h of hosts) {
      const run = summary.hosts[h];
      if (!run) failed.set(h, "not part of the playbook's plays");
      else if (run.failed || run.unreachable) failed.set(h, failures.failures.get(h) ?? "failed");
    }
    return failed;
  };
  return new RealUpgradeOps({
    fleet: s.fleet,
    topology: s.topology,
    deploy,
    lock: s.lock,
    say,
    user: s.me.owner,
    run: randomBytes(6).toString("hex"),
    healthTimeoutSec: opts.healthTimeout,
  });
}

/** After a version change: the inventory must say the new version, or the next apply refuses. */
export function inventoryNote(s: FleetSession, version: string, say: (m: string) => void): void {
  const stale = s.members.filter((m) => {
    const v = s.fleet.host(m.name).vars.lago_version;
    return v !== undefined && v !== version;
  });
  if (stale.length) {
    say(
      `note: the inventory still says lago_version ${s.fleet.host(stale[0].name).vars.lago_version} for ` +
        `${
          stale.map((m) => m.name).join(", ")
        }: set it to ${version} (apply refuses to change a fleet's version)`,
    );
  }
}

/** Print the report, write the journal, exit code. */
export function finish(
  s: FleetSession,
  inventoryPath: string,
  opts: FleetCommandOptions,
  command: string,
  report: UpgradeReport,
): number {
  const to = report.done.at(-1)?.[1] ?? (opts as Partial<UpgradeOptions>).to ?? "";
  writeJournal(inventoryPath, {
    version: 1,
    command,
    time: new Date().toISOString(),
    hosts: Object.fromEntries(s.hosts.map((h) => [h, report.hosts[h]?.outcome ?? "untouched"])),
  });
  if (opts.json) writeStdout(JSON.stringify({ type: "upgrade_report", command, ...report }) + "\n");
  else writeStdout(formatReport(report, to));
  return report.ok ? 0 : 1;
}
