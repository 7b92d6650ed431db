/**
 * The fleet lock: one lock file on EVERY host a command changes, `/var/lib/lago-provision/lock`, holding
 * who holds it (`user@controller`, pid), the command, when it started and its TTL.
 *
 * Why on every host rather than on one designated host: an `apply --limit web2` and an upgrade of the
 * whole fleet then conflict exactly where they overlap; no host is special (the designated one may be
 * the host being replaced); and `lock status` shows a lock left behind on any host.
 *
 * Semantics:
 * - Check-and-set is atomic on each host: the script runs under `flock` on a mutex file, compares the
 *   lock's token with the one expected, and writes with temp file + rename.
 * - Hosts are locked in name order, the first alone: two contenders for the same fleet meet on the same
 *   first host, and a contender that finds any host held releases what it took (all or nothing).
 * - TTL: the holder renews (touches) the lock every TTL/4; a lock not renewed for TTL seconds is
 *   expired. Time is the host's own clock only (mtime vs `date +%s`), never the controller's.
 * - A lock whose holder ran on this controller and whose pid is gone is stale at once (a killed run).
 * - A stale lock is taken over with compare-and-swap on its token, so two contenders cannot both win.
 */
import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import process from "node:process";
import { quote } from "../core/command.ts";
import { LOCK_FILE, STATE_DIR } from "../core/state-dir.ts";

import { type ExecResult } from "../core/types.ts";
import { countOn } from "../core/stats.ts";
import { UserError } from "../core/errors.ts";

export const DEFAULT_LOCK_TTL = 300;

export interface LockRecord {
  /** `user@controller`: who to ask. */
  owner: string;
  controller: string;
  pid: number;
  /** The command line, e.g. `upgrade inventory/prod.yml --to v1.50.0`. */
  command: string;
  /** Controller's clock, for people (ISO 8601). */
  started: string;
  /** Host's clock (epoch seconds) when the lock was taken on this host: the age shown. */
  since: number;
  /** Seconds without renewal after which the lock has expired. */
  ttl: number;
  /** Identifies this holder: release and renewal only touch a lock carrying it. */
  token: string;
}

export type LockState = "ok" | "held" | "free" | "released" | "lost" | "busy";

/** What the host script answers: state, the host's time, the lock's mtime, the lock if there is one. */
export interface LockReply {
  state: LockState;
  hostNow: number;
  mtime: number;
  record?: LockRecord;
  /** The lock file's text when it is not a lock record (corrupt or foreign). */
  raw?: string;
}

export type LockOp = "acquire" | "renew" | "release" | "status";

/**
 * The host side, POSIX sh + flock (util-linux, always on Debian). `expect` is the token the lock must
 * carry for acquire/renew/release to act (`none`: there must be no lock). Acquire writes `record` (in
 * the script, not on stdin, so the lock can share a round trip with the first probes: nothing in it is
 * secret) and stamps `"since":0` with the host's clock.
 */
export function lockScript(op: LockOp, expect = "none", force = false, dir = STATE_DIR, record = ""): string {
  return [
    `OP=${quote(op)}; EXPECT=${quote(expect)}; FORCE=${force ? 1 : 0}`,
    `d=${quote(dir)}; f="$d/lock"; rec=${quote(record)}`,
    // Test first: a failed redirection on `exec` ends sh at once, before any `||` could run.
    `if ! { mkdir -p "$d" 2>/dev/null && [ -w "$d" ] && { [ ! -e "$d/lock.mutex" ] || [ -w "$d/lock.mutex" ]; }; }; then echo "cannot write $d (need root: set ansible_become)" >&2; exit 90; fi`,
    `exec 9>>"$d/lock.mutex"`,
    `flock -w 10 9 || { echo "busy $(date +%s) 0"; exit 0; }`,
    `now=$(date +%s)`,
    `cur=""; [ -e "$f" ] && cur=$(sed -n 's/.*"token":"\\([0-9A-Za-z]*\\)".*/\\1/p' "$f" | head -n 1)`,
    `show() { if [ -e "$f" ]; then echo "$1 $now $(stat -c %Y "$f")"; cat "$f"; echo; else echo "$1 $now 0"; fi; }`,
    `mine() { [ -e "$f" ] && [ "$EXPECT" != none ] && [ "$cur" = "$EXPECT" ]; }`,
    `case "$OP" in`,
    `acquire) if [ -e "$f" ] && ! mine; then show held; exit 0; fi`,
    `  tmp=$(mktemp "$d/.lock.XXXXXX") && printf '%s\\n' "$rec" | sed "s/\\"since\\":0/\\"since\\":$now/" > "$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$f" || exit 91`,
    `  show ok ;;`,
    `renew) if mine; then touch "$f"; show ok; else show lost; fi ;;`,
    `release) if [ ! -e "$f" ]; then show free; elif mine || [ "$FORCE" = 1 ]; then show released; rm -f "$f"; else show held; fi ;;`,
    `status) if [ -e "$f" ]; then show held; else show free; fi ;;`,
    `esac`,
  ].join("\n");
}

export function parseLockReply(stdout: string): LockReply {
  const [head = "", ...rest] = stdout.split("\n");
  const m = /^(ok|held|free|released|lost|busy) (\d+) (\d+)$/.exec(head.trim());
  if (!m) throw new UserError(`unexpected answer from the lock script: ${head.slice(0, 200)}`);
  const reply: LockReply = { state: m[1] as LockState, hostNow: Number(m[2]), mtime: Number(m[3]) };
  const text = rest.join("\n").trim();
  if (text) {
    const record = parseRecord(text);
    if (record) reply.record = record;
    else reply.raw = text.slice(0, 500);
  }
  return reply;
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text);
    const ok = r && typeof r.owner === "string" && typeof r.token === "string" && typeof r.ttl === "number";
    return ok ? r as LockRecord : undefined;
  } catch {
    return undefined;
  }
}

/** Who runs this command: user, controller host and pid. */
export interface LockIdentity {
  owner: string;
  controller: string;
  pid: number;
  token: string;
}

export function currentIdentity(): LockIdentity {
  let user = "unknown";
  try {
    user = userInfo().username || user;
  } catch { /* no passwd entry */ }
  const controller = hostname();
  return {
    owner: `${user}@${controller}`,
    controller,
    pid: process.pid,
    token: randomBytes(12).toString("hex"),
  };
}

export function newRecord(me: LockIdentity, command: string, ttl: number, now = new Date()): LockRecord {
  return { ...me, command, started: now.toISOString(), since: 0, ttl };
}

/** True unless the process is certainly gone (ESRCH). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code !== "ESRCH";
  }
}

export type LockView =
  | { kind: "free" }
  | { kind: "ours"; record: LockRecord }
  | { kind: "stale"; why: string; record?: LockRecord; token: string }
  | { kind: "held"; record?: LockRecord; raw?: string; age: number; renewedAgo: number; expiresIn: number };

/** A lock file that is not ours and cannot be read is stale after this long without change. */
const UNREADABLE_TTL = DEFAULT_LOCK_TTL;

/**
 * Free, ours, stale (expired, or its holder's process on this controller is gone) or held. Pure: the
 * reply carries the host's clock, `alive` answers for pids on this controller.
 */
export function judgeLock(
  reply: LockReply,
  me: Pick<LockIdentity, "controller" | "token">,
  alive: (pid: number) => boolean,
): LockView {
  if (
    reply.state === "free" || reply.state === "released" || (reply.mtime === 0 && !reply.record && !reply.raw)
  ) {
    return { kind: "free" };
  }
  const r = reply.record;
  const renewedAgo = Math.max(0, reply.hostNow - reply.mtime);
  if (r && r.token === me.token) return { kind: "ours", record: r };
  const ttl = r?.ttl ?? UNREADABLE_TTL;
  if (renewedAgo > ttl) {
    return {
      kind: "stale",
      why: `not renewed for ${duration(renewedAgo)} (TTL ${duration(ttl)})`,
      record: r,
      token: r?.token ?? "",
    };
  }
  if (r && r.controller === me.controller && !alive(r.pid)) {
    return {
      kind: "stale",
      why: `its process ${r.pid} on ${r.controller} is gone`,
      record: r,
      token: r.token,
    };
  }
  const age = r && r.since > 0 ? Math.max(0, reply.hostNow - r.since) : renewedAgo;
  return {
    kind: "held",
    record: r,
    raw: reply.raw,
    age,
    renewedAgo,
    expiresIn: Math.max(0, ttl - renewedAgo),
  };
}

/** `3m 05s`, `42s`, `1h 02m` */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One sentence: who holds the lock, doing what, for how long, on which hosts. */
export function describeHeld(view: Extract<LockView, { kind: "held" }>, hosts?: string[]): string {
  // Without hosts: for a line that already names its host (lock status).
  const on = hosts ? ` on ${hosts.join(", ")}` : "";
  if (!view.record) {
    return `an unreadable lock file ${LOCK_FILE} (changed ${duration(view.renewedAgo)} ago)${on}`;
  }
  const r = view.record;
  const holder = hosts
    ? `${r.owner} (pid ${r.pid}) holds the fleet lock${on}:`
    : `${r.owner} (pid ${r.pid}),`;
  return `${holder} '${r.command}', started ${duration(view.age)} ago (${r.started}), renewed ${
    duration(view.renewedAgo)
  } ago, expires in ${duration(view.expiresIn)} unless renewed`;
}

/** A host as the lock sees it: runs a script (with privilege) and returns its output. */
export interface LockHost {
  name: string;
  run(script: string, stdin?: string): Promise<ExecResult>;
  /** Where the lock lives on this host (tests); default /var/lib/lago-provision. */
  stateDir?: string;
}

export interface LockOptions {
  command: string;
  ttl?: number;
  /** Seconds to wait for a held lock before failing (0: fail at once). */
  wait?: number;
  me?: LockIdentity;
  alive?: (pid: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
  /** Told once when the command starts waiting, and when it takes over a stale lock. */
  say?: (msg: string) => void;
  /**
   * Hosts that cannot be reached (the run reports them), or where the lock cannot be written (a
   * non-root login without become), are left out instead of failing: apply's behaviour.
   */
  skipUnreachable?: boolean;
  /**
   * Calls `renew` every `ms` until the returned function is called: setInterval, unless a test drives
   * the renewals itself (a timer stretched by load must not decide a test).
   */
  schedule?: (renew: () => void, ms: number) => () => void;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const defaultSchedule = (renew: () => void, ms: number) => {
  const timer = setInterval(renew, ms);
  return () => clearInterval(timer);
};

/** The host gives no way to write the lock (login user without root and no `become`). */
export class LockUnavailable extends UserError {}

async function call(
  h: LockHost,
  op: LockOp,
  expect?: string,
  record?: string,
  force = false,
): Promise<LockReply> {
  const r = await h.run(lockScript(op, expect, force, h.stateDir, record));
  if (r.exitCode === 90) {
    throw new LockUnavailable(`${h.name}: cannot take the fleet lock: ${r.stderr.trim()}`);
  }
  if (r.exitCode !== 0) {
    throw new UserError(
      `${h.name}: lock ${op} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`,
    );
  }
  return parseLockReply(r.stdout);
}

/** The lock over a set of hosts, held by this process until `release()`. */
export class FleetLock {
  readonly me: LockIdentity;
  readonly ttl: number;
  /** Hosts where we hold the lock. */
  held: LockHost[] = [];
  /** Set when a renewal found the lock taken from us (we were too slow for the TTL): stop. */
  lost: string | undefined;
  /** Hosts left out because they could not be reached (skipUnreachable). */
  skipped: string[] = [];
  /** Stops the renewals. */
  private stopRenewing: (() => void) | undefined;
  private record: LockRecord;

  constructor(private hosts: LockHost[], private opts: LockOptions) {
    this.me = opts.me ?? currentIdentity();
    this.ttl = opts.ttl ?? DEFAULT_LOCK_TTL;
    this.record = newRecord(this.me, opts.command, this.ttl);
  }

  private get alive() {
    return this.opts.alive ?? pidAlive;
  }

  /** Lock every host, waiting up to `wait` seconds for a holder; throws a UserError naming it. */
  async acquire(): Promise<void> {
    const sleep = this.opts.sleep ?? defaultSleep;
    const deadline = Date.now() + (this.opts.wait ?? 0) * 1000;
    const sorted = [...this.hosts].sort((a, b) => a.name.localeCompare(b.name));
    let told = false;
    for (;;) {
      const conflicts = await this.tryAll(sorted);
      if (conflicts.length === 0) break;
      await this.releaseHeld();
      const message = describeHeld(conflicts[0].view, conflicts.map((c) => c.host));
      if (Date.now() >= deadline) {
        throw new UserError(
          `the fleet is locked: ${message}`,
          (this.opts.wait ?? 0) > 0
            ? `still held after --lock-wait ${this.opts.wait}s; if that run is dead, release it with \`lago-provision lock release INVENTORY --force\``
            : `wait for it with --lock-wait SECONDS; if that run is dead, \`lago-provision lock release INVENTORY --force\``,
        );
      }
      if (!told) this.opts.say?.(`waiting for the fleet lock: ${message}`);
      told = true;
      await sleep(Math.min(2000, Math.max(100, deadline - Date.now())));
    }
    const every = Math.max(1, Math.floor(this.ttl / 4)) * 1000;
    this.stopRenewing = (this.opts.schedule ?? defaultSchedule)(() => void this.renew(), every);
  }

  /** Lock the first host alone, then the rest in parallel; stop at the first conflict. */
  private async tryAll(
    sorted: LockHost[],
  ): Promise<{ host: string; view: Extract<LockView, { kind: "held" }> }[]> {
    const conflicts: { host: string; view: Extract<LockView, { kind: "held" }> }[] = [];
    const attempt = async (h: LockHost) => {
      try {
        const view = await this.tryOne(h);
        if (view) conflicts.push({ host: h.name, view });
        else this.held.push(h);
      } catch (e) {
        const unreachable = (e as Error).name === "UnreachableError";
        if (!this.opts.skipUnreachable || !(unreachable || e instanceof LockUnavailable)) throw e;
        this.skipped.push(h.name);
        if (!unreachable) this.opts.say?.(`${(e as Error).message}; going on without the lock there`);
      }
    };
    if (sorted.length === 0) return [];
    await attempt(sorted[0]);
    if (conflicts.length === 0) await Promise.all(sorted.slice(1).map(attempt));
    return conflicts;
  }

  /** Undefined when locked; the holder's view when someone else holds it. */
  private async tryOne(h: LockHost): Promise<Extract<LockView, { kind: "held" }> | undefined> {
    const record = JSON.stringify(this.record);
    let reply = await call(h, "acquire", "none", record);
    for (let tries = 0; reply.state !== "ok" && tries < 3; tries++) {
      const view = judgeLock(reply, this.me, this.alive);
      if (view.kind === "held") return view;
      if (view.kind === "stale") {
        this.opts.say?.(
          `${h.name}: taking over a stale lock of ${view.record?.owner ?? "unknown"}: ${view.why}`,
        );
      }
      const expect = view.kind === "stale" ? view.token : view.kind === "ours" ? this.me.token : "none";
      reply = await call(h, "acquire", expect, record);
    }
    if (reply.state !== "ok") {
      const view = judgeLock(reply, this.me, this.alive);
      if (view.kind === "held") return view;
      throw new UserError(`${h.name}: could not take the lock (${reply.state})`);
    }
  }

  /** Touch the lock on every held host; a host where it is no longer ours sets `lost`. */
  async renew(): Promise<void> {
    await Promise.all(this.held.map(async (h) => {
      countOn(h.name, "lockRenewals");
      try {
        const reply = await call(h, "renew", this.me.token);
        if (reply.state === "lost") {
          const who = reply.record ? `${reply.record.owner} ('${reply.record.command}')` : "nobody";
          // The latest word wins when it names the new holder (a renewal may have found no lock at all).
          if (!this.lost || reply.record) this.lost = `${h.name}: the lock expired and is now held by ${who}`;
        }
      } catch {
        // Unreachable for now: the next renewal tries again; the TTL covers a short outage.
      }
    }));
  }

  async release(): Promise<void> {
    this.stopRenewing?.();
    this.stopRenewing = undefined;
    await this.releaseHeld();
  }

  private async releaseHeld(): Promise<void> {
    const held = this.held;
    this.held = [];
    await Promise.all(held.map((h) => call(h, "release", this.me.token).catch(() => undefined)));
  }
}

export interface HostLockStatus {
  host: string;
  view?: LockView;
  error?: string;
}

/** `lock status`: each host's lock, judged from here. */
export async function lockStatus(
  hosts: LockHost[],
  me = currentIdentity(),
  alive = pidAlive,
): Promise<HostLockStatus[]> {
  return await Promise.all(hosts.map(async (h) => {
    try {
      return { host: h.name, view: judgeLock(await call(h, "status"), me, alive) };
    } catch (e) {
      return { host: h.name, error: (e as Error).message };
    }
  }));
}

/**
 * `lock release`: removes stale locks; a live holder's lock only with `force`. Returns, per host, what
 * happened.
 */
export async function releaseLocks(
  hosts: LockHost[],
  force: boolean,
  me = currentIdentity(),
  alive = pidAlive,
): Promise<{ host: string; outcome: string; ok: boolean }[]> {
  return await Promise.all(hosts.map(async (h) => {
    try {
      const view = judgeLock(await call(h, "status"), me, alive);
      if (view.kind === "free") return { host: h.name, outcome: "not locked", ok: true };
      if (view.kind === "held" && !force) {
        return { host: h.name, outcome: `held by a live run: ${describeHeld(view, [h.name])}`, ok: false };
      }
      const token = view.kind === "stale" ? view.token : view.kind === "ours" ? view.record.token : "";
      const reply = await call(h, "release", token, undefined, force);
      const who = view.record?.owner ?? "unknown";
      return reply.state === "released" || reply.state === "free"
        ? {
          host: h.name,
          outcome: `released (was ${who}${view.kind === "stale" ? `, stale: ${view.why}` : ""})`,
          ok: true,
        }
        : { host: h.name, outcome: `changed meanwhile, not released (${reply.state})`, ok: false };
    } catch (e) {
      return { host: h.name, outcome: (e as Error).message, ok: false };
    }
  }));
}
