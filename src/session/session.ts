/**
 * One session per command: what was loaded (src/session/load.ts), one connection per host opened on
 * first use and shared by everything the command does on it (the fleet lock, surveys, the deploy
 * history and every playbook run), the fleet lock when the command changes hosts, and `converge`, the
 * one way a playbook runs, in check mode or not: the secrets stage first (src/session/secrets-stage.ts,
 * once per mode), then the plays.
 */
import { type Connect, connectTo } from "../connection/connect.ts";
import { UserError } from "../core/errors.ts";
import { markUnsafe } from "../vars/template.ts";
import type { HostRun } from "../engine/host-run.ts";
import { FACTS_PROBE, factsPrivilege, runPlays } from "../engine/run.ts";
import { FleetHosts, type ProbeScript } from "../fleet/hosts.ts";
import { currentIdentity, DEFAULT_LOCK_TTL, FleetLock, type LockIdentity } from "../fleet/lock.ts";
import { selectHosts } from "../config/index.ts";
import type { Reporter } from "../output/events.ts";
import { Redactor, type Secret, secretsFromVars } from "../output/index.ts";
import type { Loaded } from "./load.ts";
import { type RunResult, runResult } from "./result.ts";
import { type SecretsStage, secretsStage } from "./secrets-stage.ts";

export interface LockRequest {
  /** The command line, recorded in the lock for whoever finds it held. */
  command: string;
  /** Seconds to wait for a lock another run holds. */
  wait?: number;
  /** Seconds without renewal after which the lock expires (a killed controller). */
  ttl?: number;
  /** apply: hosts that cannot be reached (or locked) are left out and reported by the run. */
  skipUnreachable?: boolean;
}

export interface SessionOptions {
  /** The hosts the command works on (default: the hosts --limit selects). */
  hosts?: string[];
  /** Hosts in parallel. */
  forks: number;
  /** Take the fleet lock on `hosts` for the whole command. */
  lock?: LockRequest;
  /**
   * Read-only probes to read in the lock's round trip besides each host's first facts (the secrets
   * stage's survey, apply's version check), by host: what comes next finds its answers ready.
   */
  readAhead?: ReadonlyMap<string, ProbeScript[]>;
  say(msg: string): void;
  /** Injectable transport (tests); default ssh2, or local for `ansible_connection: local`. */
  connect?: Connect;
  /** Aborted by SIGINT/SIGTERM: a wait step stops polling (src/engine/remote.ts). */
  signal?: AbortSignal;
}

export interface ConvergeRequest {
  check: boolean;
  diff: boolean;
  tags?: string[];
  skipTags?: string[];
  /** Only these hosts (a batch of a rolling upgrade); default: every host of the session. */
  hosts?: string[];
  /** Variables above `-e` for this run only (a batch's lago_version). */
  extraVars?: Record<string, unknown>;
  reporter: Reporter;
  /** Once aborted (SIGINT/SIGTERM), the run starts nothing new. */
  signal?: AbortSignal;
}

export class Session {
  readonly fleet: FleetHosts;
  readonly me: LockIdentity = currentIdentity();
  readonly lock?: FleetLock;
  /** The hosts the command works on. */
  readonly hosts: string[];
  /** The secrets stage's outcome, by mode (a saved plan's dry run, then apply; upgrade batches share it). */
  private stages = new Map<boolean, Promise<SecretsStage>>();

  private constructor(readonly loaded: Loaded, private opts: SessionOptions) {
    this.hosts = opts.hosts ?? loaded.selected;
    markUnsafe(loaded.inventory.unsafe); // `!unsafe` values are never rendered as templates
    const hosts = new Set(this.hosts);
    this.fleet = new FleetHosts(
      loaded.hosts.filter((h) => hosts.has(h.name)),
      opts.forks,
      opts.connect ?? connectTo,
      opts.signal,
    );
    if (opts.lock) {
      this.lock = new FleetLock(this.fleet.lockHosts(this.hosts), {
        command: opts.lock.command,
        me: this.me,
        ttl: opts.lock.ttl ?? DEFAULT_LOCK_TTL,
        wait: opts.lock.wait ?? 0,
        skipUnreachable: opts.lock.skipUnreachable,
        say: opts.say,
      });
    }
  }

  /**
   * Opens the session: takes the lock when asked (connecting to every host), reading in the same round
   * trip the facts the playbook's first play gathers there.
   */
  static async open(loaded: Loaded, opts: SessionOptions): Promise<Session> {
    const s = new Session(loaded, opts);
    if (s.lock) s.readAlongLock();
    try {
      await s.lock?.acquire();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private readAlongLock(): void {
    const plays = this.loaded.playbook?.plays ?? [];
    for (const name of this.hosts) {
      const play = plays.find((p) =>
        selectHosts(this.loaded.inventory, p.hosts, this.loaded.limit).includes(name)
      );
      const host = this.loaded.hosts.find((h) => h.name === name);
      const facts = play && host
        ? [{ command: FACTS_PROBE.command, privilege: factsPrivilege(play, host.settings) }]
        : [];
      const probes = [...facts, ...this.opts.readAhead?.get(name) ?? []];
      if (probes.length > 0) this.fleet.readAlong(name, probes);
    }
  }

  /** Runs the playbook on the session's hosts (or a batch of them); the run's result. */
  async converge(req: ConvergeRequest): Promise<RunResult> {
    const { loaded } = this;
    const playbook = loaded.playbook;
    if (!playbook) throw new UserError("this command runs no playbook");
    const hosts = new Set(req.hosts ?? this.hosts);
    const extraVars = { ...loaded.extraVars, ...req.extraVars };
    // An error that escapes the run is redacted too: with the -e values until the stores are open.
    let known = secretsFromVars(extraVars);
    try {
      const stage = await this.secretsStage(req);
      known = [...known, ...stage.secrets];
      const summary = await this.runPlays(req, hosts, extraVars, stage);
      req.reporter.close();
      return runResult(summary, req.check);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const r = new Redactor([...loaded.inventory.secrets, ...known]);
      const [message, hint] = [r.redactText(e.message), e.hint && r.redactText(e.hint)];
      // The error itself when it holds no secret, so its kind (and exit code: usage, interrupted) stays.
      throw message === e.message && hint === e.hint ? e : new UserError(message, hint);
    }
  }

  /** The secrets stage, once per mode for the session; its events go to the first run's reporter. */
  private secretsStage(req: ConvergeRequest): Promise<SecretsStage> {
    let stage = this.stages.get(req.check);
    if (!stage) {
      const { loaded } = this;
      stage = secretsStage({
        inventory: loaded.inventory,
        plays: loaded.playbook!.plays,
        hosts: loaded.hosts,
        limit: loaded.limit,
        check: req.check,
        extraVars: loaded.extraVars,
        tags: req.tags,
        skipTags: req.skipTags,
        remote: (s) => this.fleet.remoteFor(s),
        forks: this.opts.forks,
        emit: (e) => req.reporter.emit(e),
      });
      this.stages.set(req.check, stage);
    }
    return stage;
  }

  private runPlays(
    req: ConvergeRequest,
    hosts: Set<string>,
    extraVars: Record<string, unknown>,
    stage: SecretsStage,
  ) {
    const { loaded } = this;
    const playbook = loaded.playbook!;
    const redact = redactors(loaded, [...secretsFromVars(extraVars), ...stage.secrets]);
    return runPlays(playbook.file, playbook.plays, loaded.hosts, {
      check: req.check,
      diff: req.diff,
      forks: this.opts.forks,
      extraVars,
      tags: req.tags,
      skipTags: req.skipTags,
      reporter: req.reporter,
      selectHosts: (pattern) =>
        selectHosts(loaded.inventory, pattern, loaded.limit).filter((h) => hosts.has(h)),
      inventoryFile: loaded.inventory.file,
      redactDiff: (h, d) => redact(h).redactDiff(d),
      redactText: (h, t) => redact(h).redactText(t),
      remote: (s) => this.fleet.remoteFor(s),
      secrets: stage.stores,
      signal: req.signal,
    });
  }

  /** Releases the lock and closes every connection. */
  async close(): Promise<void> {
    await this.lock?.release();
    await this.fleet.close();
  }
}

/**
 * One redactor per host: secrets are whatever secret-named variables hold (inventory, play vars, -e),
 * the values that were encrypted with ansible-vault, every value of the stores the secrets stage
 * opened (`everywhere`), and the values a module reported as secrets on that host, from then on.
 */
function redactors(loaded: Loaded, everywhere: Secret[]): (h: HostRun) => Redactor {
  const playSecrets = (loaded.playbook?.plays ?? []).flatMap((p) => secretsFromVars(p.vars));
  const cache = new Map<string, { r: Redactor; known: number }>();
  return (h) => {
    let cached = cache.get(h.name);
    // Rebuilt when a module taught the host new secrets, so they are redacted at once.
    if (!cached || cached.known !== h.secrets.size) {
      const hostSecrets = [...h.secrets].map(([name, value]) => ({ name, value }));
      const r = new Redactor([
        ...loaded.inventory.secrets, // values that were encrypted with ansible-vault
        ...secretsFromVars(h.inventoryVars),
        ...playSecrets,
        ...everywhere,
        ...hostSecrets,
      ]);
      cached = { r, known: h.secrets.size };
      cache.set(h.name, cached);
    }
    return cached.r;
  };
}
