/**
 * Who runs what, from inventory groups:
 *
 * | group         | services on its hosts                                   |
 * | ------------- | ------------------------------------------------------- |
 * | `lago_web`    | api, front                                              |
 * | `lago_worker` | worker (+ dedicated queues: `lago_worker_queues`), pdf    |
 * | `lago_clock`  | clock: EXACTLY one host in the whole fleet              |
 * | `lago_db`     | db (at most one host; none: an external PostgreSQL)     |
 * | `lago_redis`  | redis (at most one host; none: an external Redis)       |
 *
 * No `lago_web`/`lago_worker`/`lago_clock` group: each host runs everything on its own (the default).
 * A fleet shares one database, so migrate runs on one web host only, and the dedicated Sidekiq queues
 * are the union over all workers, the same list on every host (`SIDEKIQ_*` consistent). Shared file
 * storage (S3/GCS) is required once api or workers span several hosts.
 *
 * The result reaches the lago role as inventory-level variables of each host (`topologyVars`): the
 * role's own `lago_migrate`, `lago_clock`, `lago_dedicated_workers`, plus `lago_services` (which of
 * api, front, worker, clock, pdf run here) and `lago_sidekiq_queues` (the fleet-wide SIDEKIQ_* flags).
 */
import type { Inventory, InventoryHost } from "../config/model.ts";
import { QUEUES } from "../config/role-vars.ts";
import { kindOf } from "../core/kind.ts";
import { UserError } from "../core/errors.ts";

export const GROUPS = {
  web: "lago_web",
  worker: "lago_worker",
  clock: "lago_clock",
  db: "lago_db",
  redis: "lago_redis",
} as const;

export type LagoService = "api" | "front" | "worker" | "clock" | "pdf" | "db" | "redis";
/** Services whose image follows `lago_version` (what an upgrade moves). */
export const VERSIONED: LagoService[] = ["api", "front", "worker", "clock"];
export const ALL_SERVICES: LagoService[] = ["db", "redis", "api", "front", "worker", "clock", "pdf"];

/** Dedicated worker queues the lago role runs (their list is the lago role's variable spec's). */
export { QUEUES };

export interface HostRole {
  name: string;
  services: LagoService[];
  /** Dedicated queues of this host's workers (every worker host also runs the default worker). */
  workerQueues: string[];
  /** Runs Lago's migrations (one web host of a fleet; every single host). */
  migrate: boolean;
}

export interface Topology {
  mode: "single" | "fleet";
  /** Lago hosts in inventory order (fleet: hosts of the lago groups; single: every host). */
  hosts: HostRole[];
  web: string[];
  workers: string[];
  clock?: string;
  db?: string;
  redis?: string;
  /** Fleet: the first web host. */
  migrateHost?: string;
  /** Fleet-wide dedicated queues: SIDEKIQ_<QUEUE>=true on every host. */
  sidekiqQueues: string[];
}

const truthy = (v: unknown) => v === true || (typeof v === "string" && /^(true|yes|1|on)$/i.test(v.trim()));

/** Shared storage is on: the lago role's switches (or Lago's own env names in lago_extra_env). */
export function sharedStorage(vars: Record<string, unknown>): boolean {
  const extra = (vars.lago_extra_env ?? {}) as Record<string, unknown>;
  return truthy(vars.lago_use_aws_s3) || truthy(vars.lago_use_gcs) || truthy(extra.LAGO_USE_AWS_S3) ||
    truthy(extra.LAGO_USE_GCS);
}

function groupHosts(inventory: Inventory, group: string): string[] {
  if (!inventory.groups.has(group)) return [];
  return inventory.hosts.filter((h) => h.groups.includes(group)).map((h) => h.name);
}

function queuesOf(h: InventoryHost, problems: string[]): string[] {
  const raw = h.vars.lago_worker_queues;
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === "string"
    ? raw.split(",").map((s) => s.trim())
    : null;
  if (!list || list.some((q) => typeof q !== "string")) {
    problems.push(
      `${h.name}: lago_worker_queues should be a list of queue names, got ${kindOf(raw)}`,
    );
    return [];
  }
  // The position, not the text: an error about an inventory value never shows it.
  for (const [i, q] of (list as string[]).entries()) {
    if (!QUEUES.includes(q)) {
      problems.push(
        `${h.name}: lago_worker_queues: item ${i + 1} is not a known queue (known: ${QUEUES.join(", ")})`,
      );
    }
  }
  return [...new Set(list as string[])];
}

/**
 * The topology of an inventory. Throws one UserError listing every rule broken (clock count, lone
 * database, storage, queues), naming the hosts and the variable to set.
 */
export function fleetTopology(inventory: Inventory): Topology {
  const web = groupHosts(inventory, GROUPS.web);
  const workers = groupHosts(inventory, GROUPS.worker);
  const clocks = groupHosts(inventory, GROUPS.clock);
  const dbs = groupHosts(inventory, GROUPS.db);
  const redises = groupHosts(inventory, GROUPS.redis);
  const problems: string[] = [];
  const byName = new Map(inventory.hosts.map((h) => [h.name, h]));

  if (web.length + workers.length + clocks.length === 0) {
    for (const h of inventory.hosts) {
      if (h.vars.lago_worker_queues !== undefined) queuesOf(h, problems);
    }
    if (problems.length) throw topologyError(problems);
    return {
      mode: "single",
      hosts: inventory.hosts.map((h) => ({
        name: h.name,
        services: [...ALL_SERVICES],
        workerQueues: queuesOf(h, []),
        migrate: true,
      })),
      web: [],
      workers: [],
      sidekiqQueues: [],
    };
  }

  if (clocks.length !== 1) {
    problems.push(
      clocks.length === 0
        ? `group ${GROUPS.clock} has no host: exactly one host must run the clock (add one to ${GROUPS.clock})`
        : `group ${GROUPS.clock} has ${clocks.length} hosts (${
          clocks.join(", ")
        }): exactly one may run the ` +
          `clock, or every periodic job (billing!) is enqueued twice`,
    );
  }
  if (web.length === 0) {
    problems.push(`group ${GROUPS.web} has no host: at least one host must run the api and front`);
  }
  if (workers.length === 0) {
    problems.push(`group ${GROUPS.worker} has no host: at least one host must run the Sidekiq workers`);
  }
  for (
    const [group, hosts, what] of [[GROUPS.db, dbs, "PostgreSQL"], [GROUPS.redis, redises, "Redis"]] as const
  ) {
    if (hosts.length > 1) {
      problems.push(
        `group ${group} has ${hosts.length} hosts (${hosts.join(", ")}): one ${what} serves the fleet ` +
          `(for replication, use a managed service and leave ${group} empty)`,
      );
    }
  }

  const lago = new Set([...web, ...workers, ...clocks, ...dbs, ...redises]);
  const queues = new Map<string, string[]>();
  for (const name of lago) {
    const h = byName.get(name)!;
    if (!workers.includes(name) && h.vars.lago_worker_queues !== undefined) {
      problems.push(`${name}: lago_worker_queues is set but ${name} is not in ${GROUPS.worker}`);
    }
    if (workers.includes(name)) queues.set(name, queuesOf(h, problems));
  }
  const sidekiqQueues = QUEUES.filter((q) => [...queues.values()].some((qs) => qs.includes(q)));

  const appHosts = [...new Set([...web, ...workers])];
  if (appHosts.length > 1) {
    const local = appHosts.filter((n) => !sharedStorage(byName.get(n)!.vars));
    if (local.length > 0) {
      problems.push(
        `the api and workers run on ${appHosts.length} hosts (${appHosts.join(", ")}) but ${
          local.join(", ")
        } ` +
          `keep${
            local.length === 1 ? "s" : ""
          } files on local storage: a file written on one host is missing on ` +
          `the others. Set lago_use_aws_s3: true (with lago_aws_s3_bucket, lago_aws_s3_region, keys) or ` +
          `lago_use_gcs: true for every Lago host (group_vars/all.yml)`,
      );
    }
  }
  if (problems.length) throw topologyError(problems);

  const hosts: HostRole[] = inventory.hosts.filter((h) => lago.has(h.name)).map((h) => {
    const services: LagoService[] = [];
    if (dbs.includes(h.name)) services.push("db");
    if (redises.includes(h.name)) services.push("redis");
    if (web.includes(h.name)) services.push("api", "front");
    if (workers.includes(h.name)) services.push("worker", "pdf");
    if (clocks.includes(h.name)) services.push("clock");
    return { name: h.name, services, workerQueues: queues.get(h.name) ?? [], migrate: h.name === web[0] };
  });
  return {
    mode: "fleet",
    hosts,
    web,
    workers,
    clock: clocks[0],
    db: dbs[0],
    redis: redises[0],
    migrateHost: web[0],
    sidekiqQueues,
  };
}

function topologyError(problems: string[]): UserError {
  return new UserError(
    `the inventory's Lago topology is not valid:\n  - ${problems.join("\n  - ")}`,
    `groups: ${Object.values(GROUPS).join(", ")} (docs/fleet.md)`,
  );
}

/**
 * The variables the lago role reads for one host of a fleet (inventory-level: a host's own
 * `host_vars` still win). Nothing for single hosts: the role's defaults run everything.
 */
export function topologyVars(t: Topology, host: string): Record<string, unknown> {
  if (t.mode === "single") return {};
  const h = t.hosts.find((x) => x.name === host);
  if (!h) return {};
  return {
    lago_services: h.services.filter((s) => s !== "db" && s !== "redis"),
    lago_migrate: h.migrate,
    lago_clock: h.services.includes("clock"),
    lago_dedicated_workers: h.workerQueues,
    lago_sidekiq_queues: t.sidekiqQueues,
  };
}

/** Where each service runs, for messages: `api: web1, web2; clock: clock1; ...` */
export function describeTopology(t: Topology): string {
  if (t.mode === "single") {
    return `single hosts (each runs everything): ${t.hosts.map((h) => h.name).join(", ")}`;
  }
  const where = ALL_SERVICES.map((s) =>
    [s, t.hosts.filter((h) => h.services.includes(s)).map((h) => h.name)] as const
  )
    .filter(([, hs]) => hs.length > 0)
    .map(([s, hs]) => `${s}: ${hs.join(", ")}`);
  const external = [!t.db && "PostgreSQL external", !t.redis && "Redis external"].filter(Boolean);
  return [...where, ...external].join("; ");
}
