/**
 * What `apply` does around a run that changes hosts: `--retry-failed` (limit to the hosts the journal
 * says failed), the fleet lock (`--no-lock` to skip, `--lock-wait`), the deploy history on hosts that
 * ran the lago role, and the run journal.
 */
import { randomBytes } from "node:crypto";
import { loadConfig, selectHosts } from "../config/index.ts";
import type { Inventory, Playbook } from "../config/model.ts";
import type { RunHost } from "../engine/run.ts";
import { UserError } from "../core/errors.ts";
import type { Reporter, RunEvent } from "../output/events.ts";
import type { Connect } from "../connection/connect.ts";
import { FleetHosts } from "./hosts.ts";
import type { HistoryEntry } from "./history.ts";
import { type HostOutcome, retryLimit, writeJournal } from "./journal.ts";
import { currentIdentity, DEFAULT_LOCK_TTL, FleetLock } from "./lock.ts";
import { RealUpgradeOps, recordHistory } from "./ops.ts";
import { compareVersions } from "./releases.ts";
import { fleetTopology, type Topology } from "./topology.ts";

export interface GuardOptions {
  /** The playbook the run will use: validated with the inventory before the lock contacts any host. */
  playbook: string;
  /** commander's `--no-lock` sets this to false. */
  lock?: boolean;
  lockWait?: number;
  lockTtl?: number;
  retryFailed?: boolean;
  limit?: string;
  forks: number;
  /** Parsed `-e` values (lago_version, when the run could not be measured). */
  extraVars: Record<string, unknown>;
  /** The inventory's hosts with connection settings (apply's `inventoryHosts`). */
  hostsOf(inventory: Inventory): RunHost[];
  say(msg: string): void;
  beforeContact?: BeforeContact;
}

/**
 * What else must be judged before the lock contacts any host (the secrets stores), given what was
 * loaded: the inventory, the playbook, every inventory host (`hostsOf`), the limit.
 */
export type BeforeContact = (
  run: { inventory: Inventory; playbook: Playbook; hosts: RunHost[]; limit?: string },
) => void;

/** Tasks of the lago role (their source is roles/lago/…): the hosts that were deployed. */
const LAGO_TASK = /(^|\/)roles\/lago\//;

/** Collects, from a run's events, each host's outcome and whether the lago role ran on it. */
class RunTap implements Reporter {
  outcome = new Map<string, HostOutcome>();
  lago = new Set<string>();
  emit(e: RunEvent): void {
    if (e.type === "task_result") {
      if (e.source && LAGO_TASK.test(e.source)) this.lago.add(e.host);
      const was = this.outcome.get(e.host);
      if (e.status === "unreachable") this.outcome.set(e.host, "unreachable");
      else if (e.status === "failed" && was !== "unreachable") this.outcome.set(e.host, "failed");
      else if (!was) this.outcome.set(e.host, "ok");
    }
  }
  close(): void {}
}

/**
 * Runs `run` under the guard. Returns undefined when there was nothing to run (`--retry-failed` with
 * no failures).
 */
export async function withFleetGuard<T>(
  inventoryPath: string,
  command: string,
  opts: GuardOptions,
  run: (g: { limit?: string; tap: Reporter; connect: Connect }) => Promise<T>,
): Promise<T | undefined> {
  let limit = opts.limit;
  if (opts.retryFailed) {
    const retry = retryLimit(inventoryPath, opts.limit);
    opts.say(retry.note + "\n");
    if (retry.limit === undefined) return undefined;
    limit = retry.limit;
  }
  // Everything validated before any host is contacted (the lock connects).
  const { inventory, playbook } = loadConfig(inventoryPath, opts.playbook, { limit });
  const names = selectHosts(inventory, "all", limit);
  // Once, for the version check and the history; an invalid topology stops here, before any host.
  const topology = fleetTopology(inventory);
  const hosts = opts.hostsOf(inventory);
  opts.beforeContact?.({ inventory, playbook, hosts, limit });
  const fleet = new FleetHosts(hosts.filter((h) => names.includes(h.name)), opts.forks);
  const me = currentIdentity();
  const lock = opts.lock === false ? undefined : new FleetLock(fleet.lockHosts(names), {
    command,
    me,
    ttl: opts.lockTtl ?? DEFAULT_LOCK_TTL,
    wait: opts.lockWait ?? 0,
    skipUnreachable: true,
    say: (m) => opts.say(m + "\n"),
  });
  const tap = new RunTap();
  try {
    await lock?.acquire();
    await refuseVersionChange(inventory, topology, fleet, names, opts);
    // The run logs into each host through the lock's connection rather than a second one.
    const result = await run({ limit, tap, connect: fleet.connector() });
    writeJournal(inventoryPath, {
      version: 1,
      command,
      time: new Date().toISOString(),
      hosts: Object.fromEntries(names.map((n) => [n, tap.outcome.get(n) ?? "untouched"])),
    });
    await recordDeploys(topology, fleet, tap, me.owner, opts).catch((e) =>
      opts.say(`could not record the deploy history: ${(e as Error).message}\n`)
    );
    return result;
  } finally {
    await lock?.release();
    await fleet.close();
  }
}

/**
 * A fleet changes version with `upgrade` (backup, migrate once, rolling, health-gated) or `rollback`,
 * never with apply (every host at once, migrate racing the restarts): refuse when the version apply
 * would deploy differs from the one a host runs.
 */
async function refuseVersionChange(
  inventory: Inventory,
  topology: Topology,
  fleet: FleetHosts,
  names: string[],
  opts: GuardOptions,
) {
  if (topology.mode !== "fleet") return;
  const wanted = (h: string) => opts.extraVars.lago_version ?? fleet.host(h).vars.lago_version;
  const hosts = topology.hosts.map((h) => h.name).filter((h) =>
    names.includes(h) && typeof wanted(h) === "string"
  );
  if (hosts.length === 0) return;
  const ops = new RealUpgradeOps({
    fleet,
    topology,
    deploy: () => Promise.resolve(new Map()),
    say: () => {},
    user: "",
    run: "",
    healthTimeoutSec: 0,
  });
  const running = await ops.survey(hosts).catch(() => new Map<string, { version: string | null }>());
  const moves = hosts.filter((h) => {
    const v = running.get(h)?.version;
    return v && v !== "mixed" && v !== wanted(h);
  });
  if (moves.length === 0) return;
  const to = String(wanted(moves[0]));
  const from = running.get(moves[0])!.version!;
  throw new UserError(
    `apply would move ${
      moves.map((h) => `${h} (${running.get(h)!.version})`).join(", ")
    } to lago_version ${to}: ` +
      `a fleet changes version with upgrade or rollback (backup, migrate once, rolling, health-gated)`,
    compareVersions(to, from) > 0
      ? `lago-provision upgrade ${inventory.file} --to ${to}`
      : `set lago_version: ${from} in the inventory (what the fleet runs), or go back with lago-provision rollback ${inventory.file}`,
  );
}

/** One history line on each host the lago role ran on, with the version it runs now (measured). */
async function recordDeploys(
  topology: Topology,
  fleet: FleetHosts,
  tap: RunTap,
  user: string,
  opts: GuardOptions,
): Promise<void> {
  const hosts = [...tap.lago].filter((h) => tap.outcome.get(h) !== "unreachable");
  if (hosts.length === 0) return;
  const run = randomBytes(6).toString("hex");
  const say = (m: string) => opts.say(m + "\n");
  const ops = new RealUpgradeOps({
    fleet,
    topology,
    deploy: () => Promise.resolve(new Map()),
    say,
    user,
    run,
    healthTimeoutSec: 0,
  });
  const measured = await ops.survey(hosts).catch(() => new Map<string, { version: string | null }>());
  const entries = new Map<string, Omit<HistoryEntry, "time" | "user" | "run">>();
  for (const h of hosts) {
    const seen = measured.get(h)?.version;
    const intended = opts.extraVars.lago_version ?? fleet.host(h).vars.lago_version ?? "unknown";
    const to = seen && seen !== "mixed" ? seen : String(intended);
    entries.set(h, {
      command: "apply",
      from: null,
      to,
      result: tap.outcome.get(h) === "ok" ? "ok" : "failed",
    });
  }
  await recordHistory(fleet, entries, { time: new Date().toISOString(), user, run }, say);
}
