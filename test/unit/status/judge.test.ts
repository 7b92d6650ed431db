import { describe, expect, it } from "vitest";
import type { Container } from "../../../src/fleet/probe.ts";
import { serviceKind } from "../../../src/fleet/probe.ts";
import { type HostStatusFacts, parseHostStatus } from "../../../src/status/host-status.ts";
import { exitCodeOf, formatStatus, type HostExpectations, judgeHost } from "../../../src/status/judge.ts";

const NOW = 1_800_000_000;
const ctr = (service: string, over: Partial<Container> = {}): Container => ({
  name: `lago-${service}-1`,
  service,
  kind: serviceKind(service),
  state: "running",
  image: `r/getlago/${service === "front" ? "front" : "api"}:v1.50.0`,
  version: "v1.50.0",
  oneoff: false,
  ip: "10.0.0.2",
  ...over,
});
const healthy: HostStatusFacts = {
  now: NOW,
  containers: [ctr("api"), ctr("api-worker"), ctr("api-clock"), ctr("front"), ctr("db")],
  probes: new Map([
    ["lago-api-1", { status: 200, body: '{"version":"v1.50.0","message":"Success"}' }],
    ["lago-api-worker-1", { status: 200, body: "Live!" }],
    ["lago-front-1", { status: 200, body: "" }],
  ]),
  nginx: 200,
  certEnd: NOW + 90 * 86400,
  disks: [{ path: "/var/lib/docker", freeKiB: 10 * 1024 * 1024, sizeKiB: 40 * 1024 * 1024 }],
  backup: { name: "20270115T080000Z", mtime: NOW - 3600 },
  timer: { active: true, next: "Fri 2027-01-15 09:00:00 UTC", lastResult: "success" },
  lock: { state: "free", hostNow: NOW, mtime: 0 },
};
const single: HostExpectations = {
  host: "lago-1",
  services: ["api", "front", "worker", "clock", "pdf"],
  backedUp: true,
  tls: true,
};
const me = { controller: "here", token: "t" };
const judge = (
  f: Partial<HostStatusFacts>,
  x: Partial<HostExpectations> = {},
  certDays = 14,
  backupHours = 26,
) => judgeHost({ ...single, ...x }, { ...healthy, ...f }, { certDays, backupHours }, me, () => true);

describe("status judgement", () => {
  const cases: [string, Partial<HostStatusFacts>, Partial<HostExpectations>, number, RegExp | null][] = [
    ["healthy", {}, {}, 0, null],
    [
      "a stopped worker",
      { containers: [ctr("api"), ctr("api-worker", { state: "exited" }), ctr("api-clock"), ctr("front")] },
      {},
      3,
      /worker not running \(exited\)/,
    ],
    [
      "an api that answers 500",
      {
        probes: new Map([...healthy.probes, ["lago-api-1", {
          status: 500,
          body: '{"message":"Unhealthy"}',
        }]]),
      },
      {},
      3,
      /api \/health 500/,
    ],
    ["nginx does not answer", { nginx: 0 }, {}, 3, /through nginx: no answer/],
    [
      "a worker host has no nginx to ask",
      { nginx: 0, containers: [ctr("api-worker")] },
      { services: ["worker"], tls: false, backedUp: false },
      0,
      null,
    ],
    ["a certificate within the threshold", { certEnd: NOW + 5 * 86400 + 60 }, {}, 4, /expires in 5 days/],
    ["an expired certificate", { certEnd: NOW - 2 * 86400 }, {}, 4, /expired 2 days ago/],
    ["no certificate with TLS on", { certEnd: null }, {}, 4, /no certificate/],
    ["TLS off: no certificate expected", { certEnd: null }, { tls: false }, 0, null],
    [
      "a stale backup",
      { backup: { name: "20270110T080000Z", mtime: NOW - 30 * 3600 } },
      {},
      5,
      /the last backup is 30h 00m old/,
    ],
    ["no backup", { backup: null }, {}, 5, /no backup on the host/],
    [
      "a failed scheduled backup",
      { timer: { active: true, lastResult: "exit-code" } },
      {},
      5,
      /scheduled backup failed \(exit-code\)/,
    ],
    ["not the database host: no backup expected", { backup: null }, { backedUp: false }, 0, null],
    ["no docker", { containers: { error: "docker does not answer: x" } }, {}, 1, /docker does not answer/],
    ["unhealthy wins over an old backup", { nginx: 502, backup: null }, {}, 3, /nginx: 502/],
  ];
  for (const [what, facts, x, code, text] of cases) {
    it(what, () => {
      const r = judge(facts, x);
      expect(exitCodeOf(r.problems), JSON.stringify(r.problems)).toBe(code);
      if (text) expect(r.problems.map((p) => p.text).join("; ")).toMatch(text);
      else expect(r.problems).toEqual([]);
    });
  }

  it("the report: versions, health per container, certificate days, free space", () => {
    const r = judge({});
    expect(r).toMatchObject({
      version: "v1.50.0",
      nginx: 200,
      certificate: { days: 90 },
      disks: [{ path: "/var/lib/docker", free_gib: 10, free_pct: 25 }],
      backup: { name: "20270115T080000Z", age_hours: 1 },
      lock: "free",
    });
    expect(r.services).toContainEqual({ service: "api-worker", state: "running", health: "healthy" });
    expect(r.services).toContainEqual({ service: "api-clock", state: "running" });
    expect(formatStatus([r])).toMatch(/^lago-1 {2}Lago v1\.50\.0 {2}ok\n/);
  });

  it("a held lock names its holder", () => {
    const record = {
      owner: "ops@ctl",
      controller: "ctl",
      pid: 1,
      command: "upgrade inv --to v1.51.0",
      started: "x",
      since: NOW - 120,
      ttl: 300,
      token: "other",
    };
    const r = judge({ lock: { state: "held", hostNow: NOW, mtime: NOW - 10, record } });
    expect(r.lock).toBe("held by ops@ctl: 'upgrade inv --to v1.51.0' for 2m 00s");
  });
});

describe("parseHostStatus", () => {
  it("reads the sections", () => {
    const f = parseHostStatus([
      `=== now ${NOW}`,
      "=== survey",
      "ctr|api|running|r/getlago/api:v1.50.0|False|10.0.0.2 |/lago-api-1",
      "=== probes",
      "probe|lago-api-1|200|{}",
      "=== nginx",
      "200",
      "=== cert",
      String(NOW + 86400),
      "=== disk",
      "/var/lib/docker 100 400",
      "=== backup",
      `20270115T080000Z ${NOW - 60}`,
      "not json",
      "=== timer",
      "ActiveState=active",
      "NextElapseUSecRealtime=Fri 2027-01-15 09:00:00 UTC",
      "Result=success",
      "ExecMainExitTimestamp=",
      "=== lock",
      `free ${NOW} 0`,
      "=== end",
    ].join("\n"));
    expect(f.containers).toHaveLength(1);
    expect(f.probes.get("lago-api-1")?.status).toBe(200);
    expect(f).toMatchObject({ now: NOW, nginx: 200, certEnd: NOW + 86400 });
    expect(f.disks).toEqual([{ path: "/var/lib/docker", freeKiB: 100, sizeKiB: 400 }]);
    expect(f.backup).toMatchObject({ name: "20270115T080000Z", error: expect.stringMatching(/not JSON/) });
    expect(f.timer).toEqual({ active: true, next: "Fri 2027-01-15 09:00:00 UTC", lastResult: undefined });
    expect(f.lock).toMatchObject({ state: "free" });
  });
});
