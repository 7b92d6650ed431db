import { describe, expect, it } from "vitest";
import { colorEnabled } from "../../../src/output/color.ts";
import type { RunEvent } from "../../../src/output/events.ts";
import { createReporter, type ReporterOptions } from "../../../src/output/index.ts";
import { formatDuration } from "../../../src/output/text.ts";
import { events } from "./events.fixture.ts";

function render(options: Partial<ReporterOptions> = {}, input: RunEvent[] = events): string {
  let out = "";
  const reporter = createReporter({
    format: "text",
    isTTY: false,
    env: {},
    diff: true,
    verbose: 0,
    ...options,
    write: (s) => (out += s),
  });
  for (const e of input) reporter.emit(e);
  reporter.close();
  return out;
}

const GOLDEN = `\
Running playbooks/site.yml on 2 hosts, check mode: nothing will change

PLAY Lago (lago-1, db)
TASK Install packages
  ok          lago-1  docker-ce already installed
  changed     db      would install docker-ce (2.3s)
TASK Write .env
  changed     lago-1  /opt/lago/.env would change
    --- before: /opt/lago/.env
    +++ after: /opt/lago/.env
    @@ -1,3 +1,4 @@
     A=1
    -B=2
    +B=20
     C=3
    +<redacted: lago_secret_key_base changed>
    <redacted: /opt/lago/rsa.pem changed>
  unknown     db      unknown until apply: depends on 'Install packages', which would change
TASK Open ports
  ok          lago-1  (item=80) port 80 already open
  changed     lago-1  (item={"port":443,"proto":"tcp"}) would open 443/tcp
  skipped     db      condition was false
WARNING db: docker compose v1 found; v2 is used
HANDLER Restart lago
  failed      lago-1  systemctl restart lago exited 1 (1m02s)
                      Job for lago.service failed
  unreachable db      ssh: connect to db:22 timed out (10.0s)
WARNING 1 host failed

RECAP     ok  changed  failed  skipped  unreachable  unknown
  lago-1   2        1       1        0            0        0
  db       0        1       0        1            1        1

Check: 2 hosts, 2 tasks to change, 2 unchanged, 1 unknown until apply, 2 failed
Finished in 1m14s (check mode: nothing was changed)
Slowest tasks:
  1m02s  Restart lago (handler)
   2.3s  Install packages
   40ms  Write .env
   30ms  Open ports
`;

describe("text reporter", () => {
  it("renders a run (no colour)", () => expect(render()).toBe(GOLDEN));

  it("leaves diffs out without --diff", () => {
    const out = render({ diff: false });
    expect(out).not.toContain("--- before:");
    expect(out).not.toContain("<redacted: /opt/lago/rsa.pem changed>");
    expect(out).toContain("/opt/lago/.env would change");
  });

  it("shows every duration and full items when verbose", () => {
    const long = "x".repeat(80);
    const out = render({ verbose: 1 }, [
      { type: "task_start", play: "p", task: "t" },
      { type: "task_result", host: "h", task: "t", status: "ok", item: long, reason: "fine", durationMs: 12 },
    ]);
    expect(out).toContain(`ok          h  (item=${long}) fine (12ms)`);
    expect(
      render({}, [{ type: "task_result", host: "h", task: "t", status: "ok", item: long, durationMs: 12 }]),
    )
      .toContain(`(item=${"x".repeat(59)}…)`);
  });

  it("has no unknown column outside check mode when nothing is unknown", () => {
    const out = render({}, [
      { type: "run_start", source: "s.yml", hosts: 1, check: false, time: "" },
      {
        type: "recap",
        hosts: { h: { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0, unknown: 0, rescued: 0 } },
        durationMs: 0,
      },
    ]);
    expect(out).toContain(
      "RECAP  ok  changed  failed  skipped  unreachable\n  h     1        0       0        0            0\n",
    );
    expect(out).not.toContain("Slowest tasks");
  });

  it("paints statuses, diff lines and the reason", () => {
    const out = render({ isTTY: true });
    const esc = (code: number, text: string) => `\x1b[${code}m${text}`;
    expect(out).toContain(esc(32, "ok         ")); // green
    expect(out).toContain(esc(33, "changed    ")); // yellow
    expect(out).toContain(esc(36, "skipped    ")); // cyan
    expect(out).toContain(esc(31, "failed     ")); // red
    expect(out).toContain(`\x1b[1m\x1b[31munreachable`); // red bold
    expect(out).toContain(esc(2, "docker-ce already installed")); // dim reason
    expect(out).toContain(esc(31, "-B=2"));
    expect(out).toContain(esc(32, "+B=20"));
    expect(out).toContain(esc(36, "@@ -1,3 +1,4 @@"));
  });
});

describe("colour", () => {
  const matrix: [isTTY: boolean, env: Record<string, string>, expected: boolean][] = [
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, false],
    [false, { FORCE_COLOR: "1" }, true],
    [false, { FORCE_COLOR: "" }, true],
    [true, { FORCE_COLOR: "0" }, false],
    [true, { FORCE_COLOR: "false" }, false],
    [true, { NO_COLOR: "1", FORCE_COLOR: "1" }, false],
    [true, { TERM: "dumb" }, false],
    [false, { TERM: "dumb", FORCE_COLOR: "1" }, true],
  ];
  for (const [isTTY, env, expected] of matrix) {
    it(`isTTY=${isTTY} ${JSON.stringify(env)} → ${expected}`, () => {
      expect(colorEnabled({ isTTY, env })).toBe(expected);
      expect(render({ isTTY, env }).includes("\x1b[")).toBe(expected);
    });
  }
});

describe("JSON lines reporter", () => {
  it("writes one compact object per event, with v: 1, that parses back", () => {
    const out = render({ format: "json" });
    const lines = out.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(events.length);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.every((p) => p.v === 1)).toBe(true);
    expect(lines.every((l) => l.startsWith('{"v":1,"type":'))).toBe(true);
    const withoutVersion = parsed.map(({ v: _, ...rest }) => rest);
    const expected = events.map((e) =>
      e.type === "task_result" && e.diffs
        ? { ...e, diffs: e.diffs.map((d) => (d.sensitive ? { ...d, before: "", after: "" } : d)) }
        : e
    );
    expect(withoutVersion).toEqual(expected);
  });

  it("never prints sensitive content, and copes with bigint items", () => {
    const out = render({ format: "json" }, [
      {
        type: "task_result",
        host: "h",
        task: "t",
        status: "changed",
        item: 10n,
        diffs: [{ target: "/k", before: "old-secret", after: "new-secret", sensitive: true }],
        durationMs: 1,
      },
    ]);
    expect(out).not.toContain("secret");
    expect(JSON.parse(out).item).toBe("10");
  });

  it("is the same with or without colour", () => {
    expect(render({ format: "json", isTTY: true })).toBe(render({ format: "json", env: { NO_COLOR: "1" } }));
  });
});

describe("formatDuration", () => {
  const cases: [number, string][] = [[0, "0ms"], [999, "999ms"], [1000, "1.0s"], [2345, "2.3s"], [
    59_900,
    "59.9s",
  ], [
    61_500,
    "1m02s",
  ], [3_600_000, "60m00s"]];
  for (const [ms, text] of cases) it(`${ms} → ${text}`, () => expect(formatDuration(ms)).toBe(text));
});
