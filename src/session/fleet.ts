/**
 * The sessions of the fleet commands. `upgrade` and `rollback`: the Lago hosts in rolling order, the
 * fleet lock, deploys that run the playbook through the session (`converge`, one batch at a time, on
 * the connections the lock opened), and the journal. `history` and `lock`: every selected host, read
 * only, no lock.
 */
import { randomBytes } from "node:crypto";
import { UserError } from "../core/errors.ts";
import { type HistoryEntry, parseHistory, readHistoryScript } from "../fleet/history.ts";
import { tail } from "../fleet/hosts.ts";
import { writeJournal } from "../fleet/journal.ts";
import { RealUpgradeOps } from "../fleet/ops.ts";
import { VERSIONED } from "../fleet/topology.ts";
import type { FleetMember, UpgradeInput, UpgradeReport } from "../fleet/upgrade.ts";
import type { Reporter } from "../output/events.ts";
import { load, type Loaded } from "./load.ts";
import { failuresOf } from "./result.ts";
import { openStoresFirst } from "./secrets-stage.ts";
import { type LockRequest, Session } from "./session.ts";

export interface FleetRequest {
  inventory: string;
  playbook: string;
  extraVars: string[];
  limit?: string;
  forks: number;
  tags?: string[];
  skipTags?: string[];
  acceptNewHostKeys: boolean;
  /** The command line, for the lock and the journal. */
  command: string;
  lockWait: number;
  lockTtl: number;
  serial: (number | string)[];
  maxFailPercentage: number;
  healthTimeout: number;
  /** How long a bridge release's task may take (`upgrade --task-timeout`). */
  taskTimeout?: number;
  skipBackup: boolean;
  say(msg: string): void;
  warn?(line: string): void;
  /** What a deploy shows of its playbook run (-v); nothing by default. */
  screen?: Reporter;
  /** Read the hosts only (`upgrade --check`): no lock. */
  check?: boolean;
}

/** An upgrade's or rollback's session: the hosts that run versioned services, in rolling order. */
export interface FleetSession {
  session: Session;
  /** Hosts running versioned services: web, workers, then the rest (the clock flagged). */
  members: FleetMember[];
  /** Where the database is dumped before an upgrade. */
  backupHosts: string[];
  ops: RealUpgradeOps;
}

/** Loads, validates, takes the lock on every Lago host (not with `check`); the operations run over the session. */
export async function openFleet(req: FleetRequest): Promise<FleetSession> {
  const loaded = load(req);
  const { topology } = loaded;
  if (topology.mode === "fleet" && req.limit !== undefined) {
    throw new UserError(
      "--limit cannot narrow a fleet upgrade: migrate changes the database every host shares",
      "the upgrade moves every Lago host, in batches (--serial)",
    );
  }
  const { hosts, members, backupHosts } = rolling(loaded);
  // Before the lock, the backup and the first batch: a store the deploys cannot open stops here.
  if (!req.check) openStoresFirst(loaded, req.tags, req.skipTags);
  const session = await Session.open(loaded, {
    hosts,
    forks: req.forks,
    lock: req.check ? undefined : { command: req.command, wait: req.lockWait, ttl: req.lockTtl },
    say: req.say,
  });
  const deploy = async (batch: string[], vars: Record<string, unknown>) => {
    const result = await session.converge({
      check: false,
      diff: false,
      tags: req.tags,
      skipTags: req.skipTags,
      hosts: batch,
      extraVars: vars,
      reporter: req.screen ?? { emit() {}, close() {} },
    });
    const failures = failuresOf(result);
    const failed = new Map<string, string>();
    for (const h of batch) {
      const run = result.hosts[h];
      if (!run) failed.set(h, "not part of the playbook's plays");
      else if (run.outcome !== "ok") failed.set(h, failures.get(h) ?? "failed");
    }
    return failed;
  };
  const ops = new RealUpgradeOps({
    fleet: session.fleet,
    topology,
    deploy,
    lock: session.lock,
    say: req.say,
    user: session.me.owner,
    run: randomBytes(6).toString("hex"),
    healthTimeoutSec: req.healthTimeout,
    taskTimeoutSec: req.taskTimeout,
  });
  return { session, members, backupHosts, ops };
}

/**
 * The Lago hosts of a command in rolling order: in a fleet the topology's hosts that --limit selects,
 * else the selected hosts; `members` run versioned services (web, workers, then the rest, the clock
 * flagged); `backupHosts` hold the database (each single host; a fleet's database host).
 */
export function rolling(loaded: Loaded): { hosts: string[]; members: FleetMember[]; backupHosts: string[] } {
  const { topology } = loaded;
  const hosts = topology.mode === "fleet"
    ? topology.hosts.map((h) => h.name).filter((h) => loaded.selected.includes(h))
    : loaded.selected;
  const services = (name: string) => topology.hosts.find((h) => h.name === name)?.services ?? [];
  const rank = (name: string) =>
    services(name).includes("api") ? 0 : services(name).includes("worker") ? 1 : 2;
  const members = hosts
    .filter((h) => services(h).some((s) => VERSIONED.includes(s)))
    .sort((a, b) => rank(a) - rank(b))
    .map((name) => ({ name, clock: topology.mode === "fleet" && topology.clock === name }));
  const backupHosts = topology.mode === "single"
    ? members.map((m) => m.name)
    : [topology.db ?? topology.migrateHost!];
  return { hosts, members, backupHosts };
}

export interface InstallationRequest extends ReadRequest {
  /** The playbook, for a command that also dry-runs it (`status --drift`). */
  playbook?: string;
  /** The fleet lock for this command line (backup, restore); none for a read-only command. */
  lock?: LockRequest;
  say(msg: string): void;
}

/** The session of backup, restore and status: the installation's Lago hosts, the lock when asked. */
export async function openInstallation(
  req: InstallationRequest,
): Promise<{ session: Session; backupHosts: string[] }> {
  const loaded = load(req);
  const { hosts, backupHosts } = rolling(loaded);
  const session = await Session.open(loaded, { hosts, forks: 20, lock: req.lock, say: req.say });
  return { session, backupHosts };
}

/** What runUpgrade needs from the command line and the session. */
export function upgradeInput(
  f: FleetSession,
  req: FleetRequest,
  hops: [string, string][],
  command: "upgrade" | "rollback",
): UpgradeInput {
  const { topology } = f.session.loaded;
  return {
    hosts: f.members,
    migrateHost: topology.mode === "fleet" ? topology.migrateHost : undefined,
    backupHosts: f.backupHosts,
    hops,
    serial: req.serial,
    maxFailPercentage: req.maxFailPercentage,
    command,
    noMigrate: command === "rollback",
    skipBackup: req.skipBackup,
  };
}

/** After a version change: the inventory must say the new version, or the next apply refuses. */
export function inventoryNote(f: FleetSession, version: string, say: (m: string) => void): void {
  const fleet = f.session.fleet;
  const stale = f.members.filter((m) => {
    const v = fleet.host(m.name).vars.lago_version;
    return v !== undefined && v !== version;
  });
  if (stale.length) {
    say(
      `note: the inventory still says lago_version ${fleet.host(stale[0].name).vars.lago_version} for ` +
        `${
          stale.map((m) => m.name).join(", ")
        }: set it to ${version} (apply refuses to change a fleet's version)`,
    );
  }
}

/** The journal of an upgrade or rollback: how each host came out. */
export function journalUpgrade(f: FleetSession, req: FleetRequest, command: string, report: UpgradeReport) {
  writeJournal(req.inventory, {
    version: 1,
    command,
    time: new Date().toISOString(),
    hosts: Object.fromEntries(
      f.session.hosts.map((h) => [h, report.hosts[h]?.outcome ?? "untouched"]),
    ),
  });
}

export interface ReadRequest {
  inventory: string;
  limit?: string;
  acceptNewHostKeys: boolean;
}

/** The session of the commands that only read from hosts (lock, history): every selected host, no lock. */
export function openReadOnly(req: ReadRequest, forks = 20): Promise<Session> {
  return Session.open(load(req), { forks, say: () => {} });
}

/** Each host's deploy history; a host that cannot be read is an error naming it. */
export async function readHistories(
  s: Session,
  hosts = s.hosts,
): Promise<Map<string, HistoryEntry[]>> {
  const results = await s.fleet.each(hosts, async (h) => {
    const r = await s.fleet.run(h, readHistoryScript());
    if (r.exitCode !== 0) throw new UserError(`${h}: reading the deploy history failed: ${tail(r)}`);
    return parseHistory(r.stdout);
  });
  const out = new Map<string, HistoryEntry[]>();
  for (const [h, r] of results) {
    if (r instanceof Error) throw r instanceof UserError ? r : new UserError(r.message);
    out.set(h, r);
  }
  return out;
}
