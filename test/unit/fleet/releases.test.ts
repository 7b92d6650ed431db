import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/core/errors.ts";
import { bridgeOf, BRIDGES, pathLines, showStep } from "../../../src/fleet/bridges.ts";
import {
  BRIDGE_RELEASES,
  compareVersions,
  LAGO_RELEASES,
  planUpgrade,
  showPath,
  sortVersions,
  upgradePath,
} from "../../../src/fleet/releases.ts";

describe("upgradePath: every bridge between from and to, in order", () => {
  const cases: [string, string, string[]][] = [
    ["v1.49.0", "v1.50.0", ["v1.49.0", "v1.50.0"]],
    ["v1.50.0", "v1.50.1-broken", ["v1.50.0", "v1.50.1-broken"]],
    ["v1.49.0", "v1.51.0", ["v1.49.0", "v1.50.0", "v1.51.0"]],
    ["v1.29.0", "v1.31.2", ["v1.29.0", "v1.30.0", "v1.31.0", "v1.31.2"]],
    ["v1.30.0", "v1.31.0", ["v1.30.0", "v1.31.0"]],
    ["v1.41.0", "v1.44.0", ["v1.41.0", "v1.42.0", "v1.43.0", "v1.44.0"]],
    ["v1.44.0", "v1.50.0", ["v1.44.0", "v1.45.0", "v1.50.0"]],
    ["v1.20.0", "v1.28.0", ["v1.20.0", "v1.25.0", "v1.28.0"]],
    ["v1.28.0", "v1.28.1", ["v1.28.0", "v1.28.1"]],
    [
      "v1.24.0",
      "v1.51.0",
      [
        "v1.24.0",
        "v1.25.0",
        "v1.28.1",
        "v1.29.0",
        "v1.30.0",
        "v1.31.0",
        "v1.32.0",
        "v1.42.0",
        "v1.43.0",
        "v1.44.0",
        "v1.45.0",
        "v1.50.0",
        "v1.51.0",
      ],
    ],
    ["v1.50.0", "v1.50.0", ["v1.50.0"]],
    // Downgrades (rollback) re-deploy directly: nothing to migrate down through.
    ["v1.50.0", "v1.49.0", ["v1.50.0", "v1.49.0"]],
    ["v1.51.0", "v1.44.0", ["v1.51.0", "v1.44.0"]],
  ];
  it.each(cases)("%s → %s", (from, to, path) => {
    expect(upgradePath(from, to)).toEqual(path);
  });
});

describe("planUpgrade: the whole path from what the fleet runs", () => {
  const BRIDGES_29_TO_50 = ["v1.30.0", "v1.31.0", "v1.32.0", "v1.42.0", "v1.43.0", "v1.44.0", "v1.45.0"];
  const cases: [string, string, string[] | undefined, string[]][] = [
    ["v1.49.0", "v1.50.0", undefined, ["v1.49.0", "v1.50.0"]],
    ["v1.29.0", "v1.50.0", undefined, ["v1.29.0", ...BRIDGES_29_TO_50, "v1.50.0"]],
    ["v1.19.1", "v1.21.0", undefined, ["v1.19.1", "v1.20.0", "v1.21.0"]],
    ["v1.28.0", "v1.30.0", undefined, ["v1.28.0", "v1.28.1", "v1.29.0", "v1.30.0"]],
    ["v1.50.0", "v1.50.0", undefined, ["v1.50.0"]],
    // A bare --via (as before) is the computed path; a list adds stops.
    ["v1.44.0", "v1.51.0", [], ["v1.44.0", "v1.45.0", "v1.50.0", "v1.51.0"]],
    ["v1.44.0", "v1.51.0", ["v1.45.0", "v1.47.2", "v1.50.0"], [
      "v1.44.0",
      "v1.45.0",
      "v1.47.2",
      "v1.50.0",
      "v1.51.0",
    ]],
    ["v1.46.0", "v1.49.0", ["v1.48.1", "v1.47.0"], ["v1.46.0", "v1.47.0", "v1.48.1", "v1.49.0"]],
    // Custom builds and releases newer than the list are allowed (with a note).
    ["v1.50.0", "v1.50.1-broken", undefined, ["v1.50.0", "v1.50.1-broken"]],
    ["v1.49.0", "v1.52.0", undefined, ["v1.49.0", "v1.50.0", "v1.52.0"]],
  ];
  it.each(cases)("%s → %s via %j", (from, to, via, path) => {
    expect(planUpgrade(from, to, via).path).toEqual(path);
  });

  const notes: [string, string, string][] = [
    [
      "v1.50.0",
      "v1.50.1-broken",
      "v1.50.1-broken is not a Lago release tag: a custom build, placed where v1.50.1 is",
    ],
    ["v1.49.0", "v1.52.0", "v1.52.0 is newer than the last release this lago-provision knows (v1.51.0)"],
  ];
  it.each(notes)("%s → %s is noted", (from, to, note) => {
    expect(planUpgrade(from, to).notes.join("\n")).toContain(note);
  });
  it("a known path has no notes", () => {
    expect(planUpgrade("v1.29.0", "v1.50.0").notes).toEqual([]);
  });

  const refused: [string, string, string[] | undefined, string, string][] = [
    [
      "v1.49.0",
      "v1.33.7",
      undefined,
      "--to: v1.33.7 is not a Lago release",
      "the releases next to it are v1.33.4, v1.34.0",
    ],
    ["v1.50.0", "v1.49.0", undefined, "--to v1.49.0 is older than v1.50.0, which the fleet runs", "rollback"],
    [
      "v1.29.0",
      "v1.50.0",
      ["v1.26.3"],
      "--via: v1.26.3 is not a Lago release",
      "the releases next to it are v1.26.1, v1.27.0",
    ],
    [
      "v1.29.0",
      "v1.50.0",
      ["v1.20.0"],
      "--via: v1.20.0 is not between v1.29.0 (what the fleet runs) and v1.50.0",
      "the path is v1.29.0 → v1.30.0",
    ],
    [
      "v1.44.0",
      "v1.51.0",
      ["v1.47.0"],
      "--via leaves out bridge releases v1.45.0, v1.50.0, which must be installed in order, each with its task",
      "the path with your stops is v1.44.0 → v1.45.0 → v1.47.0 → v1.50.0 → v1.51.0 (or leave out --via)",
    ],
    ["v1.49.0", "latest", undefined, "'latest' is not a Lago release tag", "never `latest`"],
    ["1.49.0", "v1.50.0", undefined, "'1.49.0' is not a Lago release tag", "tags look like v1.50.0"],
    ["v1.50.0", "v1.50.0", ["v1.49.0"], "--via: the fleet already runs v1.50.0", ""],
  ];
  it.each(refused)("%s → %s via %j is refused", (from, to, via, message, hint) => {
    let error: UserError | undefined;
    try {
      planUpgrade(from, to, via);
    } catch (e) {
      error = e as UserError;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toContain(message);
    expect(error!.hint ?? "").toContain(hint);
  });
});

describe("the bridge table", () => {
  it("lists the chain of the migration guides, in order", () => {
    expect(BRIDGE_RELEASES).toEqual([
      "v1.20.0",
      "v1.25.0",
      "v1.28.1",
      "v1.29.0",
      "v1.30.0",
      "v1.31.0",
      "v1.32.0",
      "v1.42.0",
      "v1.43.0",
      "v1.44.0",
      "v1.45.0",
      "v1.50.0",
    ]);
    expect(sortVersions([...BRIDGE_RELEASES])).toEqual(BRIDGE_RELEASES);
    for (const b of BRIDGE_RELEASES) expect(LAGO_RELEASES).toContain(b);
  });
  const tasks: [string, string[]][] = [
    ["v1.20.0", []],
    [
      "v1.25.0",
      [
        "bundle exec rails runner DatabaseMigrations::PopulateFeesWithOrganizationFromInvoiceJob.perform_later",
        "bundle exec rails runner DatabaseMigrations::PopulateFeesWithOrganizationFromSubscriptionJob.perform_later",
        "bundle exec rails runner DatabaseMigrations::PopulateFeesWithBillingEntityIdJob.perform_later",
      ],
    ],
    ["v1.28.1", [
      "bundle exec rails runner DatabaseMigrations::PopulateInvoicesBillingEntitySequentialIdJob.perform_later",
    ]],
    ["v1.29.0", []],
    ["v1.30.0", ["bundle exec rails migrations:fill_organization_id"]],
    ["v1.31.0", []],
    ["v1.32.0", ["bundle exec rails upgrade:perform_required_jobs"]],
    ["v1.42.0", ["bundle exec rails upgrade:perform_required_jobs"]],
    ["v1.43.0", []],
    ["v1.44.0", ["bundle exec rails upgrade:perform_required_jobs"]],
    [
      "v1.45.0",
      [
        "bundle exec rails migrations:wallet_traceability",
        "DRY_RUN=false bundle exec rails migrations:wallet_traceability",
      ],
    ],
    [
      "v1.50.0",
      ["stripe", "adyen", "gocardless", "moneyhash"].map((p) =>
        `bundle exec rails migrations:backfill_${p}_payment_methods`
      ),
    ],
  ];
  it.each(tasks)("%s runs its guide's task", (version, steps) => {
    expect(bridgeOf(version)!.steps.map(showStep)).toEqual(steps);
  });
  it("only the v1.42.0 task is stopped by its checks (it may never end: the v1.43.0 guide)", () => {
    const notEnding = BRIDGES.flatMap((b) => b.steps.filter((s) => !s.ends).map(() => b.version));
    expect(notEnding).toEqual(["v1.42.0"]);
    for (const b of BRIDGES) for (const s of b.steps) if (!s.ends) expect(s.checks.length).toBeGreaterThan(0);
  });
  it("every check is one count query", () => {
    for (const b of BRIDGES) {
      for (const s of b.steps) {
        for (const c of s.checks) expect(c.sql).toMatch(/^SELECT count\(\*\) FROM \w+ WHERE /);
      }
    }
  });
  it("prints the path with each stop's task", () => {
    expect(pathLines(["v1.44.0", "v1.45.0", "v1.47.0", "v1.50.0"])).toEqual([
      "  v1.44.0  (the fleet runs it) task again, in case it did not finish:",
      "      bundle exec rails upgrade:perform_required_jobs",
      "  v1.45.0  bridge release, then its task:",
      "      bundle exec rails migrations:wallet_traceability",
      "      DRY_RUN=false bundle exec rails migrations:wallet_traceability",
      "  v1.47.0  target",
      "  v1.50.0  bridge release, then its task:",
      ...["stripe", "adyen", "gocardless", "moneyhash"].map((p) =>
        `      bundle exec rails migrations:backfill_${p}_payment_methods`
      ),
    ]);
    expect(pathLines(["v1.49.0", "v1.50.0"])[0]).toBe("  v1.50.0  bridge release, then its task:");
  });
});

describe("compareVersions", () => {
  const cases: [string, string, number][] = [
    ["v1.9.0", "v1.10.0", -1],
    ["v1.50.0", "v1.50.0", 0],
    ["v2.0.0", "v1.99.99", 1],
    ["v1.50.1-broken", "v1.50.1", -1],
    ["v1.50.1-broken", "v1.50.0", 1],
    ["v1.50.1-a", "v1.50.1-b", -1],
  ];
  it.each(cases)("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
  it("sorts", () => {
    expect(sortVersions(["v1.50.0", "v1.9.0", "v1.49.0"])).toEqual(["v1.9.0", "v1.49.0", "v1.50.0"]);
    expect(showPath(["v1.49.0", "v1.50.0"])).toBe("v1.49.0 → v1.50.0");
  });
});
