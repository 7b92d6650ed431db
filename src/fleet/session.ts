/**
 * What every fleet command starts with: the inventory (and the playbook, validated before any host is
 * contacted), the topology, one connection per host, and the fleet lock when the command changes hosts.
 */
import { loadConfig, loadInventory, selectHosts } from "../config/index.ts";
import type { Inventory } from "../config/model.ts";
import { UserError } from "../core/errors.ts";
import type { BeforeContact } from "./guard.ts";
import type { RunHost } from "../engine/run.ts";
import { type HistoryEntry, parseHistory, readHistoryScript } from "./history.ts";
import { FleetHosts, tail } from "./hosts.ts";
import { currentIdentity, DEFAULT_LOCK_TTL, FleetLock, type LockIdentity } from "./lock.ts";
import { fleetTopology, type Topology, VERSIONED } from "./topology.ts";
import type { FleetMember } from "./upgrade.ts";

export interface SessionOptions {
  /** Validate this playbook too (commands that deploy). */
  playbook?: string;
  limit?: string;
  /** Hosts in parallel (default: FleetHosts' own). */
  forks?: number;
  /** Take the fleet lock for this command line. */
  lockCommand?: string;
  lockWait?: number;
  lockTtl?: number;
  say(msg: string): void;
  /** The inventory's hosts with connection settings (apply's `inventoryHosts`). */
  hostsOf(inventory: Inventory): RunHost[];
  /** For a command that deploys the playbook and takes the lock: judged before the lock connects. */
  beforeContact?: BeforeContact;
}

export interface FleetSession {
  inventory: Inventory;
  topology: Topology;
  fleet: FleetHosts;
  /** Hosts of the command: the Lago hosts (fleet), or the selected hosts (single). */
  hosts: string[];
  /** Hosts running versioned services, in rolling order: web, workers, then the rest (clock flagged). */
  members: FleetMember[];
  /** Where the database is dumped before an upgrade. */
  backupHosts: string[];
  lock?: FleetLock;
  me: LockIdentity;
  close(): Promise<void>;
}

export async function openSession(inventoryPath: string, opts: SessionOptions): Promise<FleetSession> {
  const config = opts.playbook ? loadConfig(inventoryPath, opts.playbook, { limit: opts.limit }) : undefined;
  const inventory = config?.inventory ?? loadInventory(inventoryPath);
  const topology = fleetTopology(inventory);
  const selected = selectHosts(inventory, "all", opts.limit);
  if (topology.mode === "fleet" && opts.limit !== undefined && opts.lockCommand) {
    throw new UserError(
      "--limit cannot narrow a fleet upgrade: migrate changes the database every host shares",
      "the upgrade moves every Lago host, in batches (--serial)",
    );
  }
  const hosts = topology.mode === "fleet"
    ? topology.hosts.map((h) => h.name).filter((h) => selected.includes(h))
    : selected;
  const rank = (name: string) => {
    const s = topology.hosts.find((h) => h.name === name)?.services ?? [];
    return s.includes("api") ? 0 : s.includes("worker") ? 1 : 2;
  };
  const members = hosts
    .filter((h) => topology.hosts.find((x) => x.name === h)?.services.some((s) => VERSIONED.includes(s)))
    .sort((a, b) => rank(a) - rank(b))
    .map((name) => ({ name, clock: topology.mode === "fleet" && topology.clock === name }));
  const backupHosts = topology.mode === "single"
    ? members.map((m) => m.name)
    : [topology.db ?? topology.migrateHost!];
  const all = opts.hostsOf(inventory);
  if (config && opts.lockCommand) opts.beforeContact?.({ ...config, hosts: all, limit: opts.limit });
  const fleet = new FleetHosts(all.filter((h) => hosts.includes(h.name)), opts.forks);
  const me = currentIdentity();
  const lock = opts.lockCommand
    ? new FleetLock(fleet.lockHosts(hosts), {
      command: opts.lockCommand,
      me,
      ttl: opts.lockTtl ?? DEFAULT_LOCK_TTL,
      wait: opts.lockWait ?? 0,
      say: opts.say,
    })
    : undefined;
  const close = async () => {
    await lock?.release();
    await fleet.close();
  };
  try {
    await lock?.acquire();
  } catch (e) {
    await close();
    throw e;
  }
  return { inventory, topology, fleet, hosts, members, backupHosts, lock, me, close };
}

/** Each host's deploy history; a host that cannot be read is an error naming it. */
export async function readHistories(s: FleetSession, hosts = s.hosts): Promise<Map<string, HistoryEntry[]>> {
  const results = await s.fleet.each(hosts, async (h) => {
    const r = await s.fleet.run(h, readHistoryScript());
    if (r.exitCode !== 0) throw new UserError(`${h}: reading the deploy history failed: ${tail(r)}`);
    return parseHistory(r.stdout);
  });
  const out = new Map<string, HistoryEntry[]>();
  for (const [h, r] of results) {
    if (r instanceof Error) throw new UserError(r.message);
    out.set(h, r);
  }
  return out;
}
