import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalConnection } from "../../../src/connection/local.ts";
import {
  appendHistoryScript,
  fleetHistory,
  formatHistory,
  type HistoryEntry,
  parseHistory,
  readHistoryScript,
  rollbackPlan,
  versionStack,
} from "../../../src/fleet/history.ts";
import { journalPath, readJournal, retryLimit, writeJournal } from "../../../src/fleet/journal.ts";

let clock = 0;
const e = (
  command: HistoryEntry["command"],
  from: string | null,
  to: string,
  over: Partial<HistoryEntry> = {},
): HistoryEntry => ({
  time: `2025-01-01T00:00:${String(clock++).padStart(2, "0")}Z`,
  user: "ann@ctl",
  command,
  run: `r${clock}`,
  from,
  to,
  result: "ok",
  ...over,
});

describe("versionStack", () => {
  const cases: [string, HistoryEntry[], string[]][] = [
    ["first apply", [e("apply", null, "v1.49.0")], ["v1.49.0"]],
    ["re-applies of the same version push nothing", [
      e("apply", null, "v1.49.0"),
      e("apply", null, "v1.49.0"),
    ], ["v1.49.0"]],
    ["upgrade pushes", [e("apply", null, "v1.49.0"), e("upgrade", "v1.49.0", "v1.50.0")], [
      "v1.49.0",
      "v1.50.0",
    ]],
    [
      "failed and rolled back deploys push nothing",
      [e("apply", null, "v1.49.0"), e("upgrade", "v1.49.0", "v1.50.1", { result: "rolled_back" })],
      ["v1.49.0"],
    ],
    [
      "rollback pops back to its target",
      [
        e("apply", null, "v1.45.0"),
        e("upgrade", "v1.45.0", "v1.49.0"),
        e("upgrade", "v1.49.0", "v1.50.0"),
        e("rollback", "v1.50.0", "v1.49.0"),
      ],
      ["v1.45.0", "v1.49.0"],
    ],
  ];
  it.each(cases)("%s", (_what, entries, stack) => {
    expect(versionStack(entries)).toEqual(stack);
  });
});

describe("rollbackPlan", () => {
  it("goes to the version below the current one, saying whether the deploy being undone migrated", () => {
    const h = [
      e("apply", null, "v1.49.0"),
      e("upgrade", "v1.49.0", "v1.50.0", { migrated: true, backup: "web1:/var/backups/lago/x.sql.gz" }),
    ];
    expect(rollbackPlan(new Map([["web1", h], ["web2", h], ["new", []]]))).toEqual({
      from: "v1.50.0",
      to: "v1.49.0",
      migrated: true,
      backup: "web1:/var/backups/lago/x.sql.gz",
    });
  });
  it("the deploy that brought the version decides, not a later re-apply of it", () => {
    const h = [
      e("apply", null, "v1.49.0"),
      e("upgrade", "v1.49.0", "v1.50.0", { migrated: true, backup: "web1:/b.sql.gz" }),
      e("upgrade", "v1.50.0", "v1.50.1", { result: "failed" }),
      e("apply", null, "v1.50.0"),
    ];
    expect(rollbackPlan(new Map([["web1", h]]))).toEqual({
      from: "v1.50.0",
      to: "v1.49.0",
      migrated: true,
      backup: "web1:/b.sql.gz",
    });
  });
  it("a second rollback goes further back, not forth", () => {
    const h = [
      e("apply", null, "v1.45.0"),
      e("upgrade", "v1.45.0", "v1.49.0"),
      e("upgrade", "v1.49.0", "v1.50.0"),
      e("rollback", "v1.50.0", "v1.49.0"),
    ];
    expect(rollbackPlan(new Map([["a", h]]))).toMatchObject({
      from: "v1.49.0",
      to: "v1.45.0",
      migrated: false,
    });
  });
  it("refuses with a reason when there is nothing before, no history, or the hosts disagree", () => {
    expect(rollbackPlan(new Map([["a", [e("apply", null, "v1.49.0")]]]))).toBe(
      "no earlier version recorded: the fleet has only ever run v1.49.0",
    );
    expect(rollbackPlan(new Map([["a", []]]))).toBe("no deploy history on any host: nothing to roll back to");
    const up = [e("apply", null, "v1.49.0"), e("upgrade", "v1.49.0", "v1.50.0")];
    expect(rollbackPlan(new Map([["a", up], ["b", up.slice(0, 1)]]))).toBe(
      "the hosts' histories disagree: v1.50.0 → v1.49.0 on a; v1.49.0 (nothing before it) on b",
    );
  });
});

describe("fleet history", () => {
  it("groups hosts by run and fills in apply's from", () => {
    const a1 = e("apply", null, "v1.49.0", { run: "A" });
    const u1 = e("upgrade", "v1.49.0", "v1.50.1-broken", {
      run: "U",
      result: "rolled_back",
      note: "health gate failed",
    });
    const rows = fleetHistory(
      new Map([["web1", [a1, u1]], ["web2", [a1, { ...u1, result: "failed" }]], ["w1", [
        a1,
        e("apply", null, "v1.49.0", { run: "B" }),
      ]]]),
    );
    expect(rows.map((r) => [r.command, r.from, r.to, r.hosts])).toEqual([
      ["apply", null, "v1.49.0", { web1: "ok", web2: "ok", w1: "ok" }],
      ["upgrade", "v1.49.0", "v1.50.1-broken", { web1: "rolled_back", web2: "failed" }],
      ["apply", "v1.49.0", "v1.49.0", { w1: "ok" }],
    ]);
    const text = formatHistory(rows);
    expect(text).toContain(
      "upgrade  v1.49.0 → v1.50.1-broken  rolled back: web1; failed: web2\n    health gate failed",
    );
    expect(formatHistory([])).toBe("no deploys recorded\n");
  });

  it("append and read scripts round-trip through sh; half-written lines are skipped", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "hist-")), "sub", "history.jsonl");
    const sh = new LocalConnection("local");
    const entry = e("upgrade", "v1.49.0", "v1.50.0");
    expect((await sh.exec(appendHistoryScript(file), { stdin: JSON.stringify(entry) + "\n" })).exitCode).toBe(
      0,
    );
    writeFileSync(file, readFileSync(file, "utf8") + '{"time":"2025-01-0');
    const r = await sh.exec(readHistoryScript(10, file));
    expect(parseHistory(r.stdout)).toEqual([entry]);
    expect((await sh.exec(readHistoryScript(10, file + ".none"))).stdout).toBe("");
  });
});

describe("run journal", () => {
  it("beside the inventory; --retry-failed limits to failed and unreachable hosts", () => {
    const inv = join(mkdtempSync(join(tmpdir(), "journal-")), "prod.yml");
    expect(() => retryLimit(inv, undefined)).toThrow("no run journal at");
    writeJournal(inv, {
      version: 1,
      command: "apply",
      time: "t",
      hosts: { a: "ok", b: "failed", c: "unreachable", d: "rolled_back", e: "untouched" },
    });
    expect(journalPath(inv)).toMatch(/\.lago-provision\/journal\.json$/);
    expect(readJournal(inv)?.hosts.b).toBe("failed");
    expect(retryLimit(inv, undefined)).toEqual({
      limit: "b,c",
      note: "retrying the hosts that failed in the last apply (t): b, c",
    });
    expect(() => retryLimit(inv, "web")).toThrow("--retry-failed and --limit cannot be combined");
    writeJournal(inv, { version: 1, command: "upgrade", time: "t2", hosts: { a: "ok" } });
    expect(retryLimit(inv, undefined)).toEqual({
      note: "nothing to retry: every host succeeded in the last upgrade (t2)",
    });
    writeFileSync(journalPath(inv), "{}");
    expect(() => readJournal(inv)).toThrow("is not a run journal");
  });
});
