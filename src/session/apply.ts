/**
 * `apply` in every form, through one entrance: a run that changes hosts (`apply`, `apply plan.json`)
 * and a dry run (`apply --check`, `plan`) load and validate once, open one session and converge once
 * (a saved plan: a quiet dry run first, then the run). Around a run that changes hosts: `--retry-failed`
 * (the journal says which hosts), the fleet lock, the refusal to change a fleet's Lago version, the
 * run journal, and one deploy history line on each host where the lago role changed something. A dry
 * run takes no lock and writes nothing, on the hosts or beside the inventory.
 */
import { randomBytes } from "node:crypto";
import { UserError } from "../core/errors.ts";
import { raw } from "../core/command.ts";
import type { ProbeScript } from "../fleet/hosts.ts";
import type { HistoryEntry } from "../fleet/history.ts";
import { retryLimit, writeJournal } from "../fleet/journal.ts";
import { containersScript, recordHistory, survey } from "../fleet/ops.ts";
import { compareVersions } from "../fleet/releases.ts";
import type { Reporter } from "../output/events.ts";
import { load, type Loaded, type LoadRequest } from "./load.ts";
import type { RunResult } from "./result.ts";
import { openStoresFirst, secretsSurveys } from "./secrets-stage.ts";
import { type ConvergeRequest, Session } from "./session.ts";

export interface ApplyRequest extends LoadRequest {
  playbook: string;
  /** The command line, for the lock and the journal. */
  command: string;
  check: boolean;
  diff: boolean;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  /** The fleet lock, for a run that changes hosts; false: `--no-lock`. */
  lock: false | { wait?: number; ttl?: number };
  /** Only the hosts that failed or were unreachable in the last run. */
  retryFailed?: boolean;
  /** Aborted by SIGINT/SIGTERM: nothing new starts; a saved plan's dry run cut short applies nothing. */
  signal?: AbortSignal;
  reporter: Reporter;
  /** Progress lines around the run (lock, history); nothing with --json. */
  say(msg: string): void;
  /** Called once everything is loaded and validated, before any host is contacted; throws to stop. */
  loaded?(loaded: Loaded): void;
  /**
   * `apply plan.json`: called with a quiet dry run's result before anything changes; throws to stop
   * (drift). The run then reports to `reporter`. In check mode, the dry run is the one reported.
   */
  beforeApply?(dryRun: RunResult): void;
}

/** Runs apply; undefined when there was nothing to run (`--retry-failed` after a run without failures). */
export async function apply(req: ApplyRequest): Promise<RunResult | undefined> {
  const changes = !req.check;
  let limit = req.limit;
  if (req.retryFailed) {
    const retry = retryLimit(req.inventory, req.limit);
    req.say(retry.note);
    if (retry.limit === undefined) return undefined;
    limit = retry.limit;
  }
  const loaded = load({ ...req, limit });
  req.loaded?.(loaded);
  const lock = changes && req.lock !== false ? req.lock : undefined;
  if (changes) openStoresFirst(loaded, req.tags, req.skipTags);
  const session = await Session.open(loaded, {
    forks: req.forks,
    lock: lock && { command: req.command, wait: lock.wait, ttl: lock.ttl, skipUnreachable: true },
    readAhead: lock && readAhead(loaded, req),
    signal: req.signal,
    say: req.say,
  });
  try {
    const run = (r: Partial<ConvergeRequest>) =>
      session.converge({
        check: req.check,
        diff: req.diff,
        tags: req.tags,
        skipTags: req.skipTags,
        reporter: req.reporter,
        signal: req.signal,
        ...r,
      });
    if (!changes) {
      const dryRun = await run({});
      req.beforeApply?.(dryRun);
      return dryRun;
    }
    await refuseVersionChange(session);
    if (req.beforeApply) {
      const quiet: Reporter = { emit() {}, close() {} };
      const dryRun = await run({ check: true, reporter: quiet });
      // Half a dry run compares as drift: stopped, nothing is applied.
      if (req.signal?.aborted) return { ...dryRun, ok: false };
      req.beforeApply(dryRun);
    }
    const result = await run({});
    writeJournal(req.inventory, {
      version: 1,
      command: req.command,
      time: new Date().toISOString(),
      hosts: Object.fromEntries(session.hosts.map((n) => [n, result.hosts[n]?.outcome ?? "untouched"])),
    });
    await recordDeploys(session, result, req.say).catch((e) =>
      req.say(`could not record the deploy history: ${(e as Error).message}`)
    );
    return result;
  } finally {
    await session.close();
  }
}

/** The Lago version apply would deploy on a host: `-e lago_version`, else the host's variable. */
const wantedVersion = (loaded: Loaded, host: { vars: Record<string, unknown> }): unknown =>
  loaded.extraVars.lago_version ?? host.vars.lago_version;

/** The fleet hosts whose running version apply checks before it changes anything. */
function versionChecked(loaded: Loaded, hosts: string[]): string[] {
  if (loaded.topology.mode !== "fleet") return [];
  const byName = new Map(loaded.hosts.map((h) => [h.name, h]));
  return loaded.topology.hosts.map((h) => h.name).filter((h) =>
    hosts.includes(h) && typeof wantedVersion(loaded, byName.get(h)!) === "string"
  );
}

/**
 * What the run reads before it changes anything, read in the lock's round trip: the running
 * containers of the hosts whose version is checked, and the secrets stage's survey.
 */
function readAhead(loaded: Loaded, req: ApplyRequest): Map<string, ProbeScript[]> {
  const ahead = new Map<string, ProbeScript[]>();
  const add = (host: string, probe: ProbeScript) => ahead.set(host, [...ahead.get(host) ?? [], probe]);
  const byName = new Map(loaded.hosts.map((h) => [h.name, h]));
  for (const h of versionChecked(loaded, loaded.selected)) {
    const { settings, vars } = byName.get(h)!;
    const privilege = { become: settings.become, becomeUser: settings.becomeUser };
    add(h, { command: [raw(containersScript(vars))], privilege });
  }
  const surveys = secretsSurveys({
    inventory: loaded.inventory,
    plays: loaded.playbook?.plays ?? [],
    hosts: loaded.hosts,
    check: false,
    extraVars: loaded.extraVars,
    tags: req.tags,
    skipTags: req.skipTags,
  });
  for (const [h, probe] of surveys) add(h, probe);
  return ahead;
}

/**
 * A fleet changes version with `upgrade` (backup, migrate once, rolling, health-gated) or `rollback`,
 * never with apply (every host at once, migrate racing the restarts): refuse when the version apply
 * would deploy differs from the one a host runs.
 */
async function refuseVersionChange(session: Session): Promise<void> {
  const { loaded, fleet } = session;
  const { inventory } = loaded;
  const wanted = (h: string) => wantedVersion(loaded, fleet.host(h));
  const hosts = versionChecked(loaded, session.hosts);
  if (hosts.length === 0) return;
  // Read with the lock when it was taken (readAhead).
  const running = await survey(fleet, hosts, undefined, false).catch(() =>
    new Map<string, { version: string | null }>()
  );
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

/**
 * One history line on each host where the lago role changed something (or failed), with the version
 * it runs now (measured). A run that changed nothing is no deploy and costs no round trip.
 */
async function recordDeploys(session: Session, result: RunResult, say: (m: string) => void): Promise<void> {
  const { loaded, fleet } = session;
  const deployed = Object.entries(result.hosts).filter(([, h]) =>
    h.outcome !== "unreachable" &&
    h.tasks.some((t) => t.role === "lago" && (t.status === "changed" || t.status === "failed"))
  ).map(([name]) => name);
  if (deployed.length === 0) return;
  const measured = await survey(fleet, deployed).catch(() => new Map<string, { version: string | null }>());
  const entries = new Map<string, Omit<HistoryEntry, "time" | "user" | "run">>();
  for (const h of deployed) {
    const seen = measured.get(h)?.version;
    const intended = wantedVersion(loaded, fleet.host(h)) ?? "unknown";
    entries.set(h, {
      command: "apply",
      from: null,
      to: seen && seen !== "mixed" ? seen : String(intended),
      result: result.hosts[h].outcome === "ok" ? "ok" : "failed",
    });
  }
  const common = {
    time: new Date().toISOString(),
    user: session.me.owner,
    run: randomBytes(6).toString("hex"),
  };
  await recordHistory(fleet, entries, common, say);
}
