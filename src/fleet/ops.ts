/**
 * The upgrade's operations for real: scripts over the fleet's connections, and the lago role run
 * through the engine (`converge`, as `apply --limit BATCH -e lago_version=…`) for each deploy.
 * Nothing here decides the order of things: that is src/fleet/upgrade.ts.
 */
import { quote } from "../core/command.ts";
import { UserError } from "../core/errors.ts";
import { appendHistoryScript, type HistoryEntry } from "./history.ts";
import { parseCounts, runBridgeTask, type TaskIo } from "./bridge-run.ts";
import { bridgeOf } from "./bridges.ts";
import {
  BESIDE,
  besideScript,
  countsScript,
  removeStepScript,
  startStepScript,
  stepStateScript,
} from "./oneshot.ts";
import { FleetHosts, tail } from "./hosts.ts";
import type { FleetLock } from "./lock.ts";
import {
  type Container,
  hostState,
  imageRepository,
  judgeHealth,
  parseProbes,
  parseSurvey,
  probeScript,
  probeTargets,
  surveyScript,
} from "./probe.ts";
import { LIBPQ_URL_TO_ENV } from "./libpq-url.ts";
import { type LagoService, type Topology, VERSIONED } from "./topology.ts";
import type { HostState, UpgradeOps } from "./upgrade.ts";

export const BACKUP_DIR = "/var/backups/lago";

/** Runs the lago role on some hosts with extra variables; returns host → error for the failed ones. */
export type Deployer = (hosts: string[], vars: Record<string, unknown>) => Promise<Map<string, string>>;

export interface OpsContext {
  fleet: FleetHosts;
  topology: Topology;
  deploy: Deployer;
  lock?: FleetLock;
  say(msg: string): void;
  /** `user@controller`, and one id for every history line of this run. */
  user: string;
  run: string;
  healthTimeoutSec: number;
  /** Between health polls (and bridge task polls). */
  pollMs?: number;
  /** How long a bridge release's task may take (`--task-timeout`). */
  taskTimeoutSec?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The command that lists the Lago containers of a host's compose project (`lago_project`, default lago). */
export const containersScript = (vars: Record<string, unknown>): string =>
  surveyScript(String(vars.lago_project ?? "lago"));

/**
 * The Lago containers of a host's compose project (read-only). `fresh: false` takes the answer read
 * ahead with the fleet lock, when there is one.
 */
async function containersOf(fleet: FleetHosts, host: string, fresh = true): Promise<Container[]> {
  const r = await fleet.probe(host, containersScript(fleet.host(host).vars), fresh);
  if (r.exitCode !== 0) throw new UserError(`${host}: listing containers failed: ${tail(r)}`);
  const parsed = parseSurvey(r.stdout);
  if ("error" in parsed) throw new UserError(`${host}: ${parsed.error}`);
  return parsed;
}

/**
 * What each host runs (version, services); `seen` keeps the containers found. `fresh: false` takes the
 * answers read ahead with the fleet lock (apply's version check).
 */
export async function survey(
  fleet: FleetHosts,
  hosts: string[],
  seen = new Map<string, Container[]>(),
  fresh = true,
): Promise<Map<string, HostState>> {
  const results = await fleet.each(hosts, async (h) => {
    const found = await containersOf(fleet, h, fresh);
    seen.set(h, found);
    return found;
  });
  const out = new Map<string, HostState>();
  for (const [h, r] of results) {
    if (r instanceof Error) throw r;
    out.set(h, hostState(r));
  }
  return out;
}

export class RealUpgradeOps implements UpgradeOps {
  /** Last containers seen per host. */
  private seen = new Map<string, Container[]>();

  constructor(private ctx: OpsContext) {}

  say(msg: string): void {
    this.ctx.say(msg);
  }

  async containers(host: string): Promise<Container[]> {
    const found = await containersOf(this.ctx.fleet, host);
    this.seen.set(host, found);
    return found;
  }

  survey(hosts: string[]): Promise<Map<string, HostState>> {
    return survey(this.ctx.fleet, hosts, this.seen);
  }

  private expected(host: string): LagoService[] {
    const role = this.ctx.topology.hosts.find((h) => h.name === host);
    return (role?.services ?? VERSIONED).filter((s) => VERSIONED.includes(s));
  }

  /** A running backend container (has DATABASE_URL) on the host, api first. */
  private backend(host: string): Container | undefined {
    const cs = (this.seen.get(host) ?? []).filter((c) => !c.oneoff && c.state === "running");
    return ["api", "worker", "clock"].map((k) => cs.find((c) => c.kind === k)).find(Boolean);
  }

  /** Image repositories in use across the fleet: api (also workers and clock) and front. */
  private repositories(): { api?: string; front?: string } {
    const all = [...this.seen.values()].flat().filter((c) => !c.oneoff && c.kind);
    const repo = (kinds: string[]) => {
      const c = all.find((x) => kinds.includes(x.kind!));
      return c ? imageRepository(c.image) : undefined;
    };
    return { api: repo(["api", "worker", "clock"]), front: repo(["front"]) };
  }

  async backup(host: string, from: string): Promise<string> {
    const cs = this.seen.get(host) ?? await this.containers(host);
    const db = cs.find((c) => c.service === "db" && c.state === "running");
    const backend = this.backend(host);
    if (!db && !backend) {
      throw new UserError(`${host} runs neither the database nor a Lago backend container to dump from`);
    }
    const api = this.repositories().api;
    const fallback = String(
      this.ctx.fleet.host(host).vars.lago_backup_image ??
        `${api ? api.replace(/getlago\/api$/, "") : ""}getlago/postgres-partman:15.0-alpine`,
    );
    const r = await this.ctx.fleet.run(
      host,
      backupScript({ from, db: db?.name, backend: backend?.name, image: fallback }),
    );
    if (r.exitCode !== 0) throw new UserError(tail(r));
    const m = /^backup (\S+) (\d+)$/m.exec(r.stdout);
    if (!m) throw new UserError(`unexpected output: ${tail(r)}`);
    return `${host}:${m[1]} (${Math.ceil(Number(m[2]) / 1024)} KiB)`;
  }

  async pull(host: string, version: string): Promise<void> {
    const cs = (this.seen.get(host) ?? []).filter((c) => !c.oneoff && c.kind);
    const repos = this.repositories();
    const wanted = new Set(cs.map((c) => imageRepository(c.image)));
    if (wanted.size === 0) {
      // Nothing running (an interrupted first deploy): the fleet's repositories for its services.
      const expected = this.expected(host);
      if (expected.some((s) => s !== "front") && repos.api) wanted.add(repos.api);
      if (expected.includes("front") && repos.front) wanted.add(repos.front);
    }
    if (wanted.size === 0) throw new UserError(`no Lago image known for ${host}: deploy it with apply first`);
    const images = [...wanted].map((r) => `${r}:${version}`);
    const script = images.map((i) => `docker pull -q ${quote(i)} >/dev/null || exit 1`).join("\n");
    const r = await this.ctx.fleet.run(host, script);
    if (r.exitCode !== 0) throw new UserError(`docker pull ${images.join(" ")}: ${tail(r)}`);
  }

  async migrate(host: string, version: string): Promise<void> {
    // The migrate host's api (its environment: DATABASE_URL and the rest); another host's when it has none.
    const candidates = [host, ...this.ctx.topology.hosts.map((h) => h.name).filter((h) => h !== host)];
    for (const h of candidates) {
      if (!this.seen.has(h)) await this.containers(h).catch(() => undefined);
      const c = this.backend(h);
      if (!c) continue;
      if (h !== host) this.say(`${host} runs no backend container: migrating from ${h}`);
      const image = `${imageRepository(c.image)}:${version}`;
      const r = await this.ctx.fleet.run(h, migrateScript(c.name, image));
      if (r.exitCode !== 0) throw new UserError(`./scripts/migrate.sh exited ${r.exitCode}:\n${tail(r, 8)}`);
      return;
    }
    throw new UserError("no host runs a Lago backend container to take the environment from");
  }

  async bridgeTask(host: string, version: string): Promise<string | undefined> {
    const bridge = bridgeOf(version);
    if (!bridge?.steps.length) return undefined;
    await this.containers(host);
    const backend = this.backend(host);
    if (!backend) return `${host} runs no Lago backend container to take the environment from`;
    const image = `${imageRepository(backend.image)}:${version}`;
    const run = async (script: string, what: string) => {
      const r = await this.ctx.fleet.run(host, script);
      if (r.exitCode !== 0) throw new UserError(`${what} on ${host} failed: ${tail(r)}`);
      return r.stdout;
    };
    const io: TaskIo = {
      start: async (_v, step) => {
        const out = await run(startStepScript(backend.name, image, step, version), `starting ${image}`);
        const id = /^id (\S+)$/m.exec(out)?.[1];
        if (!id) throw new UserError(`starting ${image} on ${host}: no container id in ${out.slice(-200)}`);
        return id;
      },
      state: async (id) => {
        const out = await run(stepStateScript(id), "looking at the task's container");
        const m = /^state (true|false) (-?\d+)$/m.exec(out);
        if (!m) throw new UserError(`the task's container on ${host}: ${out.slice(-200)}`);
        const running = m[1] === "true";
        return { running, exitCode: running ? null : Number(m[2]), output: out.slice(m.index + m[0].length) };
      },
      counts: async (_v, sql) => {
        const parsed = parseCounts(await run(countsScript(backend.name, image, sql), "counting"), sql.length);
        if ("error" in parsed) throw new UserError(parsed.error);
        return parsed;
      },
      remove: async (id) => void await this.ctx.fleet.run(host, removeStepScript(id)),
      say: (msg) => this.say(msg),
      now: () => Date.now(),
      sleep,
    };
    try {
      return await runBridgeTask(io, bridge, this.ctx.taskTimeoutSec ?? 3600, this.ctx.pollMs ?? 5000);
    } catch (e) {
      return (e as Error).message;
    }
  }

  async stopClock(host: string): Promise<void> {
    const cs = await this.containers(host);
    const clocks = cs.filter((c) => c.kind === "clock" && c.state === "running").map((c) => c.name);
    if (clocks.length === 0) return;
    const r = await this.ctx.fleet.run(host, `docker stop -t 30 ${clocks.map(quote).join(" ")} >/dev/null`);
    if (r.exitCode !== 0) throw new UserError(`${host}: stopping the clock failed: ${tail(r)}`);
    this.say(`${host}: old clock stopped`);
  }

  async deploy(hosts: string[], version: string, opts: { migrate: boolean }): Promise<Map<string, string>> {
    return await this.ctx.deploy(hosts, { lago_version: version, lago_migrate: opts.migrate });
  }

  async health(host: string, version: string): Promise<string | undefined> {
    const deadline = Date.now() + this.ctx.healthTimeoutSec * 1000;
    let problem: string | undefined = "not checked";
    for (;;) {
      try {
        const cs = await this.containers(host);
        const targets = probeTargets(cs);
        const probes = targets.length
          ? parseProbes((await this.ctx.fleet.run(host, probeScript(targets))).stdout)
          : new Map();
        problem = judgeHealth(this.expected(host), version, cs, probes);
      } catch (e) {
        problem = (e as Error).message;
      }
      if (!problem) {
        this.say(`${host}: healthy on ${version}`);
        return undefined;
      }
      if (Date.now() >= deadline) return `${problem} (after ${this.ctx.healthTimeoutSec}s)`;
      await sleep(this.ctx.pollMs ?? 2000);
    }
  }

  async record(entries: Map<string, Omit<HistoryEntry, "time" | "user" | "run">>): Promise<void> {
    const time = new Date().toISOString();
    await recordHistory(
      this.ctx.fleet,
      entries,
      { time, user: this.ctx.user, run: this.ctx.run },
      this.say.bind(this),
    );
  }

  checkLock(): void {
    if (this.ctx.lock?.lost) throw new UserError(this.ctx.lock.lost);
  }
}

/** Append one history line per host; a host that cannot be written is only reported. */
export async function recordHistory(
  fleet: FleetHosts,
  entries: Map<string, Omit<HistoryEntry, "time" | "user" | "run">>,
  common: Pick<HistoryEntry, "time" | "user" | "run">,
  say: (msg: string) => void,
): Promise<void> {
  const results = await fleet.each([...entries.keys()], async (h) => {
    const line = JSON.stringify({ ...common, ...entries.get(h)! }) + "\n";
    const r = await fleet.run(h, appendHistoryScript(), line);
    if (r.exitCode !== 0) throw new UserError(tail(r));
  });
  for (const [h, r] of results) {
    if (r instanceof Error) say(`${h}: could not write the deploy history: ${r.message}`);
  }
}

/**
 * pg_dump to /var/backups/lago/<UTC time>-<from>.sql.gz (0600): in the db container when the host runs
 * it, else with the DATABASE_URL of a backend container (its own pg_dump, or a one-shot PostgreSQL
 * image on its networks). Prints `backup PATH BYTES`.
 */
export function backupScript(o: { from: string; db?: string; backend?: string; image: string }): string {
  // libpq refuses Rails' search_path parameter in a URL: drop it (the dump covers every schema).
  // The password goes to pg_dump in PGPASSWORD, never in its arguments (LIBPQ_URL_TO_ENV).
  const clean = [
    `[ -n "\${DATABASE_URL:-}" ] || { echo "no DATABASE_URL" >&2; exit 1; }`,
    `DATABASE_URL=$(printf '%s' "$DATABASE_URL" | sed -E 's/([?&])search_path=[^&]*(&|$)/\\1/; s/[?&]$//')`,
    LIBPQ_URL_TO_ENV,
    `exec pg_dump --no-owner "$u"`,
  ].join("\n");
  const name = o.from.replace(/[^A-Za-z0-9._-]/g, "_");
  const lines = [
    "set -u; umask 077",
    `dir=${BACKUP_DIR}; mkdir -p "$dir" && chmod 0700 "$dir" || exit 1`,
    `out="$dir/$(date -u +%Y%m%dT%H%M%SZ)-${name}.sql.gz"; tmp="$out.part"`,
    `trap 'rm -f "$tmp" "$tmp.sql" "$tmp.env"' EXIT`,
  ];
  if (o.db) {
    const dump = `pg_dump --no-owner -U "\${POSTGRES_USER:-lago}" "\${POSTGRES_DB:-lago}"`;
    lines.push(`docker exec ${quote(o.db)} sh -c ${quote(dump)} > "$tmp.sql" || exit 1`);
  } else {
    const c = quote(o.backend!);
    const image = quote(o.image);
    lines.push(
      BESIDE,
      `if docker exec ${c} sh -c 'command -v pg_dump' >/dev/null 2>&1; then`,
      `  docker exec ${c} sh -c ${quote(clean)} > "$tmp.sql" || exit 1`,
      `else`,
      `  docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' ${c} | grep '^DATABASE_URL=' > "$tmp.env" ||`,
      `    { echo "no DATABASE_URL in ${o.backend}" >&2; exit 1; }`,
      `  docker image inspect ${image} >/dev/null 2>&1 || docker pull -q ${image} >/dev/null || exit 1`,
      `  beside ${c} "$tmp.env" --entrypoint sh ${image} -c ${quote(clean)} > "$tmp.sql" || exit 1`,
      `fi`,
    );
  }
  lines.push(
    `[ -s "$tmp.sql" ] || { echo "pg_dump wrote nothing" >&2; exit 1; }`,
    `gzip -c "$tmp.sql" > "$tmp" && mv -f "$tmp" "$out" || exit 1`,
    `echo "backup $out $(stat -c %s "$out")"`,
  );
  return lines.join("\n");
}

/**
 * migrate once with the NEW image and the environment compose gave the running container, on its
 * networks; the env file is 0600 and removed.
 */
export const migrateScript = (container: string, image: string): string =>
  besideScript(container, `${quote(image)} ./scripts/migrate.sh 2>&1`);
