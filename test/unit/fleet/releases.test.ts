import { describe, expect, it } from "vitest";
import {
  compareVersions,
  planHops,
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

describe("planHops", () => {
  it("a path without bridges is one hop", () => {
    expect(planHops("v1.49.0", "v1.50.0", false)).toEqual([["v1.49.0", "v1.50.0"]]);
  });
  it("refuses to skip a bridge, printing the path", () => {
    expect(() => planHops("v1.44.0", "v1.51.0", false)).toThrow(
      "v1.44.0 → v1.51.0 would skip bridge releases v1.45.0, v1.50.0, which must be installed in order; " +
        "the path is v1.44.0 → v1.45.0 → v1.50.0 → v1.51.0",
    );
    expect(() => planHops("v1.49.0", "v1.51.0", false)).toThrow("would skip bridge release v1.50.0,");
  });
  it("--via: one hop per stop", () => {
    expect(planHops("v1.44.0", "v1.51.0", true)).toEqual([
      ["v1.44.0", "v1.45.0"],
      ["v1.45.0", "v1.50.0"],
      ["v1.50.0", "v1.51.0"],
    ]);
  });
  it("refuses tags that are not releases", () => {
    expect(() => planHops("v1.49.0", "latest", false)).toThrow("'latest' is not a Lago release tag");
    expect(() => planHops("1.49.0", "v1.50.0", false)).toThrow("'1.49.0' is not a Lago release tag");
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
