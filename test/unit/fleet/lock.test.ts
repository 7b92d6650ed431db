import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalConnection } from "../../../src/connection/local.ts";
import {
  duration,
  FleetLock,
  judgeLock,
  type LockHost,
  type LockIdentity,
  type LockRecord,
  type LockReply,
  lockStatus,
  parseLockReply,
  releaseLocks,
} from "../../../src/fleet/lock.ts";

/** A "host" whose state directory is a temp dir on this machine; the real script runs under sh. */
function host(name: string, dir = mkdtempSync(join(tmpdir(), `lock-${name}-`))): LockHost & { dir: string } {
  const conn = new LocalConnection(name);
  return { name, dir, stateDir: dir, run: (script, stdin) => conn.exec(script, { stdin }) };
}

const me = (n: number, controller = "ctl"): LockIdentity => ({
  owner: `u${n}@${controller}`,
  controller,
  pid: 1000 + n,
  token: `tok${n}`,
});

/**
 * Renewals driven by the test, never by a timer (under load a 1 s timer fires between any two steps):
 * `scheduled` holds what FleetLock asked for (renew, every ms).
 */
function manualRenewals() {
  const scheduled: { renew: () => void; ms: number; stopped: boolean }[] = [];
  const schedule = (renew: () => void, ms: number) => {
    const entry = { renew, ms, stopped: false };
    scheduled.push(entry);
    return () => void (entry.stopped = true);
  };
  return { scheduled, schedule };
}

const record = (over: Partial<LockRecord> = {}): LockRecord => ({
  owner: "ann@ctl",
  controller: "ctl",
  pid: 42,
  command: "upgrade inv.yml --to v1.50.0",
  started: "2025-01-01T00:00:00.000Z",
  since: 1000,
  ttl: 300,
  token: "abc",
  ...over,
});

describe("judgeLock (host clock only)", () => {
  const reply = (over: Partial<LockReply>): LockReply => ({
    state: "held",
    hostNow: 1100,
    mtime: 1090,
    ...over,
  });
  const alive = (pid: number) => pid !== 13;
  const cases: [string, LockReply, string, string?][] = [
    ["no lock", { state: "free", hostNow: 1, mtime: 0 }, "free"],
    ["our own token", reply({ record: record({ token: "tok1" }) }), "ours"],
    ["fresh lock of another controller", reply({ record: record({ controller: "other" }) }), "held"],
    [
      "expired: not renewed for more than its TTL",
      reply({ mtime: 700, record: record() }),
      "stale",
      "not renewed for 6m 40s (TTL 5m 00s)",
    ],
    ["renewed exactly TTL ago: still held", reply({ mtime: 800, record: record() }), "held"],
    [
      "same controller, pid gone",
      reply({ record: record({ pid: 13 }) }),
      "stale",
      "its process 13 on ctl is gone",
    ],
    [
      "other controller, same pid number: cannot tell, held",
      reply({ record: record({ pid: 13, controller: "x" }) }),
      "held",
    ],
    ["unreadable lock, recent", reply({ raw: "garbage" }), "held"],
    ["unreadable lock, old", reply({ raw: "garbage", mtime: 10 }), "stale"],
  ];
  it.each(cases)("%s", (_what, r, kind, why) => {
    const view = judgeLock(r, me(1), alive);
    expect(view.kind).toBe(kind);
    if (why) expect(view).toMatchObject({ why });
  });
  it("age from the host's own clock", () => {
    const view = judgeLock(reply({ record: record({ since: 900 }) }), me(1), alive);
    expect(view).toMatchObject({ kind: "held", age: 200, renewedAgo: 10, expiresIn: 290 });
  });
  it("durations", () => {
    expect([duration(5), duration(65), duration(3725)]).toEqual(["5s", "1m 05s", "1h 02m"]);
  });
});

describe("parseLockReply", () => {
  it("reads state, host time, mtime and the record", () => {
    const r = parseLockReply(`held 1100 1090\n${JSON.stringify(record())}\n`);
    expect(r).toMatchObject({ state: "held", hostNow: 1100, mtime: 1090, record: { owner: "ann@ctl" } });
    expect(parseLockReply("free 5 0\n")).toEqual({ state: "free", hostNow: 5, mtime: 0 });
    expect(parseLockReply("held 5 4\nnot json\n")).toMatchObject({ raw: "not json" });
    expect(() => parseLockReply("sudo: oops")).toThrow("unexpected answer");
  });
});

describe("FleetLock against the real host script", () => {
  it("locks every host with the record (host-stamped since), releases only its own", async () => {
    const hosts = [host("b"), host("a")];
    const lock = new FleetLock(hosts, { command: "apply inv.yml", me: me(1), ttl: 60 });
    await lock.acquire();
    const onDisk = JSON.parse(readFileSync(join(hosts[0].dir, "lock"), "utf8"));
    expect(onDisk).toMatchObject({
      owner: "u1@ctl",
      command: "apply inv.yml",
      pid: 1001,
      ttl: 60,
      token: "tok1",
    });
    expect(onDisk.since).toBeGreaterThan(1_600_000_000);
    const status = await lockStatus(hosts, me(1));
    expect(status.map((s) => s.view?.kind)).toEqual(["ours", "ours"]);
    await lock.release();
    expect((await lockStatus(hosts, me(1))).map((s) => s.view?.kind)).toEqual(["free", "free"]);
  });

  it("a second contender fails with the holder's name, command and age, and takes nothing", async () => {
    const hosts = [host("a"), host("b")];
    const first = new FleetLock(hosts, { command: "upgrade inv.yml --to v1.50.0", me: me(1, "alpha") });
    await first.acquire();
    const second = new FleetLock([hosts[1], host("c")], { command: "apply inv.yml", me: me(2, "beta") });
    await expect(second.acquire()).rejects.toThrow(
      /u1@alpha \(pid 1001\) holds the fleet lock on b: 'upgrade inv.yml --to v1.50.0', started \d+s ago/,
    );
    expect(second.held).toEqual([]);
    await first.release();
  });

  it("--lock-wait: waits, says so once, and gets the lock when the holder releases", async () => {
    const hosts = [host("a")];
    const first = new FleetLock(hosts, { command: "upgrade", me: me(1, "alpha") });
    await first.acquire();
    const said: string[] = [];
    let slept = 0;
    const second = new FleetLock(hosts, {
      command: "apply",
      me: me(2, "beta"),
      wait: 30,
      say: (m) => said.push(m),
      sleep: async () => {
        if (++slept === 2) await first.release();
      },
    });
    await second.acquire();
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^waiting for the fleet lock: u1@alpha/);
    expect(second.held.map((h) => h.name)).toEqual(["a"]);
    await second.release();
  });

  it("takes over the lock of a killed run on this controller (pid gone), and of an expired one", async () => {
    // A run killed mid-way left its lock behind (pid 1001, this controller).
    const a = host("a");
    writeFileSync(join(a.dir, "lock"), JSON.stringify(record({ owner: "u1@ctl", pid: 1001, token: "tok1" })));
    const said: string[] = [];
    const next = new FleetLock([a], {
      command: "upgrade",
      me: me(2),
      alive: (pid) => pid !== 1001,
      say: (m) => said.push(m),
    });
    await next.acquire();
    expect(said[0]).toMatch(/taking over a stale lock of u1@ctl: its process 1001 on ctl is gone/);
    // Expired: another controller's lock whose mtime is older than its TTL.
    const b = host("b");
    const other = new FleetLock([b], {
      command: "apply",
      me: me(3, "far"),
      ttl: 5,
      schedule: manualRenewals().schedule,
    });
    await other.acquire();
    const old = Date.now() / 1000 - 60;
    utimesSync(join(b.dir, "lock"), old, old);
    const taker = new FleetLock([b], { command: "apply", me: me(4), say: (m) => said.push(m) });
    await taker.acquire();
    expect(said[1]).toMatch(/^b: taking over a stale lock of u3@far: not renewed for 1m 0\ds \(TTL 5s\)$/);
    await Promise.all([next.release(), taker.release()]);
  });

  it("renewal touches the lock; a lock taken over meanwhile is reported lost", async () => {
    const a = host("a");
    const renewals = manualRenewals();
    const lock = new FleetLock([a], { command: "upgrade", me: me(1), ttl: 300, schedule: renewals.schedule });
    await lock.acquire();
    // Renewed every TTL/4, until released.
    expect(renewals.scheduled.map((s) => [s.ms, s.stopped])).toEqual([[75_000, false]]);
    const file = join(a.dir, "lock");
    const old = Math.floor(Date.now() / 1000) - 200;
    utimesSync(file, old, old);
    await lock.renew();
    // Touched: its mtime moved to the host's now (load can only make that later).
    expect(statSync(file).mtimeMs / 1000).toBeGreaterThan(old + 100);
    const [s] = await lockStatus([a], me(9, "x"));
    expect(s.view).toMatchObject({ kind: "held" });
    expect(lock.lost).toBeUndefined();
    // Someone forces it away and takes it: our next renewal notices.
    await releaseLocks([a], true, me(9, "x"));
    const thief = new FleetLock([a], {
      command: "apply",
      me: me(9, "x"),
      schedule: manualRenewals().schedule,
    });
    await thief.acquire();
    await lock.renew();
    expect(lock.lost).toMatch(/a: the lock expired and is now held by u9@x \('apply'\)$/);
    await Promise.all([lock.release(), thief.release()]);
    expect(renewals.scheduled[0].stopped).toBe(true);
    expect((await lockStatus([a], me(1)))[0].view?.kind).toBe("free");
  });

  it("two contenders at once: exactly one wins, the other takes nothing", async () => {
    const hosts = ["a", "b", "c", "d"].map((n) => host(n));
    const one = new FleetLock(hosts, { command: "upgrade", me: me(1, "p") });
    const two = new FleetLock([...hosts].reverse(), { command: "upgrade", me: me(2, "q") });
    const results = await Promise.allSettled([one.acquire(), two.acquire()]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results[0].status === "fulfilled" ? two : one;
    expect(loser.held).toEqual([]);
    await Promise.all([one.release(), two.release()]);
  });

  it("lock release: stale locks without --force, live ones only with it", async () => {
    const a = host("a");
    const live = new FleetLock([a], { command: "upgrade", me: me(1, "far") });
    await live.acquire();
    const refused = await releaseLocks([a], false, me(2));
    expect(refused[0]).toMatchObject({
      ok: false,
      outcome: expect.stringMatching(/^held by a live run: u1@far/),
    });
    const forced = await releaseLocks([a], true, me(2));
    expect(forced[0]).toMatchObject({ ok: true, outcome: "released (was u1@far)" });
    expect((await releaseLocks([a], false, me(2)))[0].outcome).toBe("not locked");
  });
});

describe("hosts where the lock cannot be written", () => {
  it("upgrade fails naming the host; apply (skipUnreachable) goes on without the lock there", async () => {
    const ro = { ...host("ro"), stateDir: "/proc/lago-provision-test" };
    await expect(new FleetLock([ro], { command: "upgrade", me: me(1) }).acquire()).rejects.toThrow(
      /^ro: cannot take the fleet lock: cannot write \/proc\/lago-provision-test \(need root: set ansible_become\)$/,
    );
    const said: string[] = [];
    const lock = new FleetLock([ro, host("ok")], {
      command: "apply",
      me: me(1),
      skipUnreachable: true,
      say: (m) => said.push(m),
    });
    await lock.acquire();
    expect(lock.skipped).toEqual(["ro"]);
    expect(lock.held.map((h) => h.name)).toEqual(["ok"]);
    expect(said[0]).toMatch(/; going on without the lock there$/);
    await lock.release();
  });
});
