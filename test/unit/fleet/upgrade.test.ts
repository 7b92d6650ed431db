/**
 * The upgrade's sequencing against a fake fleet: which operation runs when, on which host, and what
 * the report says. The real operations are tested end to end (test/e2e/fleet.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../../src/fleet/history.ts";
import {
  formatReport,
  type HostState,
  runUpgrade,
  type UpgradeInput,
  type UpgradeOps,
} from "../../../src/fleet/upgrade.ts";

interface FakeOptions {
  versions: Record<string, string | null>;
  clockHost?: string;
  /** Versions whose health gate fails (on every host, or only on the listed ones). */
  unhealthy?: Record<string, string[] | "all">;
  pullFails?: string[];
  migrateFails?: boolean;
  deployFails?: Record<string, string[]>;
  lockLostAfter?: number;
  /** Bridge releases whose task does not finish (the first `times` runs; every run when absent). */
  taskFails?: Record<string, { problem: string; times?: number }>;
}

class FakeFleet implements UpgradeOps {
  log: string[] = [];
  said: string[] = [];
  recorded: [string, Omit<HistoryEntry, "time" | "user" | "run">][] = [];
  state: Map<string, HostState>;
  private checks = 0;
  constructor(private o: FakeOptions) {
    this.state = new Map(
      Object.entries(o.versions).map(([h, v]) => [h, { version: v, clocks: h === o.clockHost && v ? 1 : 0 }]),
    );
  }
  say(msg: string) {
    this.said.push(msg);
  }
  survey(hosts: string[]) {
    this.log.push("survey");
    return Promise.resolve(new Map(hosts.map((h) => [h, { ...this.state.get(h)! }])));
  }
  backup(host: string, from: string) {
    this.log.push(`backup ${host}`);
    return Promise.resolve(`${host}:/var/backups/lago/T-${from}.sql.gz`);
  }
  pull(host: string, v: string) {
    this.log.push(`pull ${host} ${v}`);
    return this.o.pullFails?.includes(host)
      ? Promise.reject(new Error("manifest unknown"))
      : Promise.resolve();
  }
  migrate(host: string, v: string) {
    this.log.push(`migrate ${host} ${v}`);
    return this.o.migrateFails ? Promise.reject(new Error("PG::Error")) : Promise.resolve();
  }
  stopClock(host: string) {
    this.log.push(`stop-clock ${host}`);
    this.state.get(host)!.clocks = 0;
    return Promise.resolve();
  }
  deploy(hosts: string[], v: string, opts: { migrate: boolean }) {
    this.log.push(`deploy ${hosts.join(",")} ${v}${opts.migrate ? " +migrate" : ""}`);
    const failed = new Map<string, string>();
    for (const h of hosts) {
      if (this.o.deployFails?.[v]?.includes(h)) {
        failed.set(h, "task failed");
        continue;
      }
      const s = this.state.get(h)!;
      s.version = v;
      if (h === this.o.clockHost) {
        // Compose would start the new clock beside a running one only if nobody stopped it.
        const running = [...this.state.values()].reduce((n, x) => n + x.clocks, 0);
        if (running > 0) throw new Error(`two clocks: ${h} started one while ${running} ran`);
        s.clocks = 1;
      }
    }
    return Promise.resolve(failed);
  }
  health(host: string, v: string) {
    this.log.push(`health ${host} ${v}`);
    const bad = this.o.unhealthy?.[v];
    return Promise.resolve(bad === "all" || bad?.includes(host) ? `/health 500 (${v})` : undefined);
  }
  record(entries: Map<string, Omit<HistoryEntry, "time" | "user" | "run">>) {
    for (const [h, e] of entries) this.recorded.push([h, e]);
    return Promise.resolve();
  }
  bridgeTask(host: string, v: string) {
    this.log.push(`task ${host} ${v}`);
    const fail = this.o.taskFails?.[v];
    if (fail && (fail.times === undefined || fail.times-- > 0)) return Promise.resolve(fail.problem);
    return Promise.resolve(undefined);
  }
  checkLock() {
    if (this.o.lockLostAfter !== undefined && ++this.checks > this.o.lockLostAfter) {
      throw new Error("web1: the lock expired and is now held by bob@other");
    }
  }
}

const fleet = ["web1", "web2", "worker1", "clock1"];
const on = (v: string | null) => Object.fromEntries(fleet.map((h) => [h, v]));
const input = (over: Partial<UpgradeInput> = {}): UpgradeInput => ({
  hosts: fleet.map((name) => ({ name, clock: name === "clock1" })),
  migrateHost: "web1",
  backupHosts: ["web1"],
  hops: [["v1.49.0", "v1.50.0"]],
  serial: [1],
  maxFailPercentage: 0,
  command: "upgrade",
  ...over,
});

describe("rolling upgrade sequencing", () => {
  it("backup, pull everywhere, migrate once, then batches with the clock last after its old clock stopped", async () => {
    const f = new FakeFleet({ versions: on("v1.49.0"), clockHost: "clock1" });
    const r = await runUpgrade(input(), f);
    expect(f.log).toEqual([
      "survey",
      "backup web1",
      "pull web1 v1.50.0",
      "pull web2 v1.50.0",
      "pull worker1 v1.50.0",
      "pull clock1 v1.50.0",
      "migrate web1 v1.50.0",
      "deploy web1 v1.50.0",
      "health web1 v1.50.0",
      "deploy web2 v1.50.0",
      "health web2 v1.50.0",
      "deploy worker1 v1.50.0",
      "health worker1 v1.50.0",
      "stop-clock clock1",
      "deploy clock1 v1.50.0",
      "health clock1 v1.50.0",
      "survey",
    ]);
    expect(r.ok).toBe(true);
    expect(r.backups).toEqual(["web1:/var/backups/lago/T-v1.49.0.sql.gz"]);
    expect(Object.values(r.hosts)).toEqual(fleet.map(() => ({ version: "v1.50.0", outcome: "ok" })));
    expect(f.recorded.map(([h, e]) => [h, e.from, e.to, e.result, e.migrated])).toEqual(
      fleet.map((h) => [h, "v1.49.0", "v1.50.0", "ok", true]),
    );
    expect(formatReport(r, "v1.50.0")).toContain("versions: v1.50.0: web1, web2, worker1, clock1");
  });

  it("--serial 50%: two hosts per batch, the clock host still alone and last", async () => {
    const f = new FakeFleet({ versions: on("v1.49.0"), clockHost: "clock1" });
    await runUpgrade(input({ serial: ["50%"] }), f);
    expect(f.log.filter((l) => l.startsWith("deploy"))).toEqual([
      "deploy web1,web2 v1.50.0",
      "deploy worker1 v1.50.0",
      "deploy clock1 v1.50.0",
    ]);
  });

  it("a failed health gate rolls the first batch back, leaves the rest untouched, and reports versions", async () => {
    const f = new FakeFleet({
      versions: on("v1.50.0"),
      clockHost: "clock1",
      unhealthy: { "v1.50.1-broken": "all" },
    });
    const r = await runUpgrade(input({ hops: [["v1.50.0", "v1.50.1-broken"]] }), f);
    expect(f.log.slice(6)).toEqual([
      "migrate web1 v1.50.1-broken",
      "deploy web1 v1.50.1-broken",
      "health web1 v1.50.1-broken",
      "deploy web1 v1.50.0",
      "health web1 v1.50.0",
      "survey",
    ]);
    expect(r.ok).toBe(false);
    expect(r.error).toBe(
      "batch 1/4 failed its health gate (web1); it was rolled back and the upgrade stopped",
    );
    expect(r.hosts).toEqual({
      web1: {
        version: "v1.50.0",
        outcome: "failed",
        note: "health gate: /health 500 (v1.50.1-broken); rolled back to v1.50.0",
      },
      web2: { version: "v1.50.0", outcome: "untouched" },
      worker1: { version: "v1.50.0", outcome: "untouched" },
      clock1: { version: "v1.50.0", outcome: "untouched" },
    });
    expect(f.recorded).toEqual([[
      "web1",
      expect.objectContaining({ from: "v1.50.0", to: "v1.50.1-broken", result: "failed" }),
    ]]);
    const text = formatReport(r, "v1.50.1-broken");
    expect(text).toContain("upgrade to v1.50.1-broken FAILED: batch 1/4 failed its health gate (web1)");
    expect(text).toMatch(/web1 +v1\.50\.0 +FAILED — health gate: \/health 500/);
    expect(text).toMatch(/web2 +v1\.50\.0 +untouched/);
  });

  it("a failed batch of two is rolled back whole, the healthy host too", async () => {
    const f = new FakeFleet({
      versions: on("v1.50.0"),
      clockHost: "clock1",
      unhealthy: { "v1.51.0": ["web2"] },
    });
    const r = await runUpgrade(input({ hops: [["v1.50.0", "v1.51.0"]], serial: [2] }), f);
    expect(f.log.filter((l) => l.startsWith("deploy"))).toEqual([
      "deploy web1,web2 v1.51.0",
      "deploy web1,web2 v1.50.0",
    ]);
    expect(r.hosts.web1).toMatchObject({ outcome: "rolled_back", version: "v1.50.0" });
    expect(r.hosts.web2).toMatchObject({ outcome: "failed", version: "v1.50.0" });
  });

  it("the clock host failing is rolled back without ever running two clocks", async () => {
    const f = new FakeFleet({
      versions: on("v1.50.0"),
      clockHost: "clock1",
      unhealthy: { "v1.51.0": ["clock1"] },
    });
    const r = await runUpgrade(input({ hops: [["v1.50.0", "v1.51.0"]] }), f);
    expect(f.log.filter((l) => /clock1/.test(l))).toEqual([
      "pull clock1 v1.51.0",
      "stop-clock clock1",
      "deploy clock1 v1.51.0",
      "health clock1 v1.51.0",
      "stop-clock clock1",
      "deploy clock1 v1.50.0",
      "health clock1 v1.50.0",
    ]);
    expect(r.hosts.clock1).toMatchObject({ outcome: "failed", version: "v1.50.0" });
    expect(r.hosts.web1).toMatchObject({ outcome: "ok", version: "v1.51.0" });
  });

  it("--max-fail-percentage: failed hosts are rolled back and the rollout goes on, then stops after the hop", async () => {
    const f = new FakeFleet({
      versions: on("v1.50.0"),
      clockHost: "clock1",
      unhealthy: { "v1.51.0": ["web2"] },
    });
    const r = await runUpgrade(input({ hops: [["v1.50.0", "v1.51.0"]], maxFailPercentage: 25 }), f);
    expect(f.log.filter((l) => l.startsWith("deploy"))).toEqual([
      "deploy web1 v1.51.0",
      "deploy web2 v1.51.0",
      "deploy web2 v1.50.0",
      "deploy worker1 v1.51.0",
      "deploy clock1 v1.51.0",
    ]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^1 host\(s\) failed and were rolled back \(within --max-fail-percentage 25\)/);
    expect(Object.fromEntries(Object.entries(r.hosts).map(([h, x]) => [h, x.version]))).toEqual({
      web1: "v1.51.0",
      web2: "v1.50.0",
      worker1: "v1.51.0",
      clock1: "v1.51.0",
    });
  });

  it("a failed pull restarts nothing and does not migrate", async () => {
    const f = new FakeFleet({ versions: on("v1.49.0"), clockHost: "clock1", pullFails: ["worker1"] });
    const r = await runUpgrade(input(), f);
    expect(f.log.some((l) => /^(migrate|deploy|stop-clock)/.test(l))).toBe(false);
    expect(r.error).toBe("pulling v1.50.0 failed, nothing was restarted:\n  worker1: manifest unknown");
    expect(r.hosts.worker1.outcome).toBe("failed");
    expect(r.hosts.web1).toEqual({ version: "v1.49.0", outcome: "untouched" });
  });

  it("a failed migrate restarts nothing and names the backup", async () => {
    const f = new FakeFleet({ versions: on("v1.49.0"), clockHost: "clock1", migrateFails: true });
    const r = await runUpgrade(input(), f);
    expect(f.log.some((l) => l.startsWith("deploy"))).toBe(false);
    expect(r.error).toBe(
      "migrate with v1.50.0 on web1 failed, no host was restarted: PG::Error (backup: web1:/var/backups/lago/T-v1.49.0.sql.gz)",
    );
  });

  it("a re-run after an interruption moves only the hosts not yet on the target, migrating once again", async () => {
    const f = new FakeFleet({
      versions: { web1: "v1.50.0", web2: "mixed", worker1: "v1.49.0", clock1: "v1.49.0" },
      clockHost: "clock1",
    });
    const r = await runUpgrade(input(), f);
    expect(f.log.filter((l) => /^(pull|migrate|deploy)/.test(l))).toEqual([
      "pull web2 v1.50.0",
      "pull worker1 v1.50.0",
      "pull clock1 v1.50.0",
      "migrate web1 v1.50.0",
      "deploy web2 v1.50.0",
      "deploy worker1 v1.50.0",
      "deploy clock1 v1.50.0",
    ]);
    expect(r.ok).toBe(true);
    expect(r.hosts.web1).toEqual({ version: "v1.50.0", outcome: "untouched" });
  });

  it("refuses to start when two clocks run", async () => {
    const f = new FakeFleet({ versions: on("v1.49.0"), clockHost: "clock1" });
    f.state.get("web2")!.clocks = 1;
    const r = await runUpgrade(input(), f);
    expect(r.error).toBe(
      "more than one clock runs (web2 (1), clock1 (1)): fix that before upgrading (billing runs twice)",
    );
    expect(f.log).toEqual(["survey", "survey"]);
  });

  it("--via: one backup, pull, migrate and roll per hop", async () => {
    const f = new FakeFleet({ versions: on("v1.44.0"), clockHost: "clock1" });
    const r = await runUpgrade(input({ hops: [["v1.44.0", "v1.45.0"], ["v1.45.0", "v1.50.0"]] }), f);
    expect(f.log.filter((l) => /^(backup|migrate)/.test(l))).toEqual([
      "backup web1",
      "migrate web1 v1.45.0",
      "backup web1",
      "migrate web1 v1.50.0",
    ]);
    expect(r.done).toEqual([["v1.44.0", "v1.45.0"], ["v1.45.0", "v1.50.0"]]);
  });

  it("single hosts (no fleet groups) migrate themselves during their own deploy; rollback never migrates", async () => {
    const f = new FakeFleet({ versions: { a: "v1.49.0", b: "v1.49.0" } });
    const single = {
      hosts: [{ name: "a", clock: false }, { name: "b", clock: false }],
      migrateHost: undefined,
      backupHosts: ["a", "b"],
    };
    await runUpgrade(input(single), f);
    expect(f.log.filter((l) => /^(backup|migrate|deploy)/.test(l))).toEqual([
      "backup a",
      "backup b",
      "deploy a v1.50.0 +migrate",
      "deploy b v1.50.0 +migrate",
    ]);
    const g = new FakeFleet({ versions: on("v1.50.0"), clockHost: "clock1" });
    const r = await runUpgrade(
      input({ hops: [["v1.50.0", "v1.49.0"]], command: "rollback", noMigrate: true }),
      g,
    );
    expect(g.log.some((l) => l.startsWith("migrate"))).toBe(false);
    expect(g.recorded[0][1]).toMatchObject({
      command: "rollback",
      from: "v1.50.0",
      to: "v1.49.0",
      migrated: false,
    });
    expect(r.ok).toBe(true);
  });

  it("a deploy failure is a failed gate; a lost lock stops between batches", async () => {
    const f = new FakeFleet({
      versions: on("v1.49.0"),
      clockHost: "clock1",
      deployFails: { "v1.50.0": ["web2"] },
    });
    const r = await runUpgrade(input(), f);
    expect(r.hosts.web2).toMatchObject({ outcome: "failed", note: "task failed; rolled back to v1.49.0" });
    const g = new FakeFleet({ versions: on("v1.49.0"), clockHost: "clock1", lockLostAfter: 2 });
    const s = await runUpgrade(input(), g);
    expect(s.error).toBe("stopped: web1: the lock expired and is now held by bob@other");
    expect(g.log.filter((l) => l.startsWith("deploy"))).toEqual(["deploy web1 v1.50.0"]);
  });
});

describe("--serial", () => {
  it("numbers, percentages and ramps; anything else is refused", async () => {
    const { parseSerial } = await import("../../../src/commands/options.ts");
    expect(parseSerial("1")).toEqual([1]);
    expect(parseSerial("25%")).toEqual(["25%"]);
    expect(parseSerial("1, 2,50%")).toEqual([1, 2, "50%"]);
    for (const bad of ["0", "x", "-1", "0%"]) expect(() => parseSerial(bad)).toThrow("--serial:");
  });
});

describe("bridge release tasks", () => {
  const hops = (path: string[]): [string, string][] => path.slice(1).map((v, i) => [path[i], v]);
  const path = ["v1.29.0", "v1.30.0", "v1.31.0", "v1.32.0"];
  const bridged = (over: Partial<UpgradeInput> = {}) =>
    input({ hops: hops(path), bridgeTasks: { start: "v1.29.0", hosts: ["web1"] }, ...over });

  it("each bridge's task runs once on the migrate host, after the whole fleet is on it, before the next hop", async () => {
    const f = new FakeFleet({ versions: on("v1.29.0"), clockHost: "clock1" });
    const r = await runUpgrade(bridged(), f);
    expect(r.ok).toBe(true);
    // v1.29.0 and v1.31.0 are bridges without a task.
    expect(f.log.filter((l) => /^(task|migrate|health clock1)/.test(l))).toEqual([
      "migrate web1 v1.30.0",
      "health clock1 v1.30.0",
      "task web1 v1.30.0",
      "migrate web1 v1.31.0",
      "health clock1 v1.31.0",
      "migrate web1 v1.32.0",
      "health clock1 v1.32.0",
      "task web1 v1.32.0",
    ]);
  });

  it("single hosts: each installation runs the task on its own host", async () => {
    const f = new FakeFleet({ versions: { a: "v1.44.0", b: "v1.44.0" } });
    await runUpgrade({
      hosts: [{ name: "a", clock: false }, { name: "b", clock: false }],
      backupHosts: ["a", "b"],
      hops: [["v1.44.0", "v1.45.0"]],
      serial: [1],
      maxFailPercentage: 0,
      command: "upgrade",
      bridgeTasks: { start: "v1.44.0", hosts: ["a", "b"] },
    }, f);
    expect(f.log.filter((l) => l.startsWith("task"))).toEqual([
      "task a v1.44.0",
      "task b v1.44.0",
      "task a v1.45.0",
      "task b v1.45.0",
    ]);
  });

  it("a task that does not finish stops the upgrade on its bridge, healthy, saying what to do", async () => {
    const problem =
      "v1.30.0 task 1/1: `bundle exec rails migrations:fill_organization_id` still runs; still pending:\n    Charge: 3";
    const f = new FakeFleet({
      versions: on("v1.29.0"),
      clockHost: "clock1",
      taskFails: { "v1.30.0": { problem } },
    });
    const r = await runUpgrade(bridged(), f);
    expect(r.ok).toBe(false);
    expect(r.done).toEqual([["v1.29.0", "v1.30.0"]]);
    expect(r.error).toBe(
      `the fleet is on bridge release v1.30.0, whose task did not finish on web1:\n  ${problem}\n` +
        "Fix what it reports, then run the same upgrade again: it runs v1.30.0's task again and goes on",
    );
    // Nothing of v1.31.0 was pulled or migrated; every host stays on v1.30.0, reported as upgraded.
    expect(f.log.some((l) => l.includes("v1.31.0"))).toBe(false);
    expect(Object.values(r.hosts)).toEqual(fleet.map(() => ({ version: "v1.30.0", outcome: "ok" })));
    expect(formatReport(r, "v1.32.0")).toContain(
      "upgrade to v1.32.0 FAILED: the fleet is on bridge release v1.30.0",
    );
  });

  it("a re-run from the bridge runs its task first, then goes on", async () => {
    const f = new FakeFleet({ versions: on("v1.30.0"), clockHost: "clock1" });
    const r = await runUpgrade(
      bridged({ hops: hops(path.slice(1)), bridgeTasks: { start: "v1.30.0", hosts: ["web1"] } }),
      f,
    );
    expect(r.ok).toBe(true);
    expect(f.log.slice(0, 2)).toEqual(["task web1 v1.30.0", "survey"]);
  });

  it("a re-run whose resumed task still fails changes nothing", async () => {
    const f = new FakeFleet({
      versions: on("v1.30.0"),
      clockHost: "clock1",
      taskFails: { "v1.30.0": { problem: "still pending" } },
    });
    const r = await runUpgrade(
      bridged({ hops: hops(path.slice(1)), bridgeTasks: { start: "v1.30.0", hosts: ["web1"] } }),
      f,
    );
    expect(r.ok).toBe(false);
    expect(f.log).toEqual(["task web1 v1.30.0", "survey"]);
  });

  it("already on the target bridge: only its task runs", async () => {
    const f = new FakeFleet({ versions: on("v1.45.0"), clockHost: "clock1" });
    const r = await runUpgrade(input({ hops: [], bridgeTasks: { start: "v1.45.0", hosts: ["web1"] } }), f);
    expect(r.ok).toBe(true);
    expect(f.log).toEqual(["task web1 v1.45.0", "survey"]);
  });

  it("rollback runs no task", async () => {
    const f = new FakeFleet({ versions: on("v1.50.0"), clockHost: "clock1" });
    await runUpgrade(input({ hops: [["v1.50.0", "v1.45.0"]], command: "rollback", noMigrate: true }), f);
    expect(f.log.some((l) => l.startsWith("task"))).toBe(false);
  });
});
