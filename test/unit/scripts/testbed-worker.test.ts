import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, expect, it } from "vitest";
import {
  claimWorkerSlot,
  isWorkerHost,
  releaseWorkerSlot,
  workerTestbed,
} from "../../../scripts/lib/testbed-worker.ts";

describe("workerTestbed: each e2e worker's own hosts, below the testbed's own", () => {
  it.each([
    {
      poolId: 1,
      base: { prefix: "lago-tb-", portBase: 2200 },
      want: { prefix: "lago-tb-w1-", portBase: 2210 },
    },
    {
      poolId: 2,
      base: { prefix: "lago-tb-", portBase: 2200 },
      want: { prefix: "lago-tb-w2-", portBase: 2220 },
    },
    { poolId: 9, base: { prefix: "ci-tb-", portBase: 3400 }, want: { prefix: "ci-tb-w9-", portBase: 3490 } },
  ])("worker $poolId of $base.prefix", ({ poolId, base, want }) => {
    expect(workerTestbed(poolId, base)).toEqual(want);
  });

  it("never reaches the next testbed's ports (bases are 100 apart) with up to 9 hosts", () => {
    const base = { prefix: "lago-tb-", portBase: 2200 };
    const last = workerTestbed(9, base).portBase + 9;
    expect(last).toBeLessThan(base.portBase + 100);
  });

  it.each([0, 10, 1.5, Number.NaN])("refuses worker %s", (poolId) => {
    expect(() => workerTestbed(poolId, { prefix: "lago-tb-", portBase: 2200 })).toThrow(/out of range/);
  });
});

describe("isWorkerHost: what `testbed down` removes besides the testbed's own hosts", () => {
  it.each([
    { name: "lago-tb-w1-1", prefix: "lago-tb-", want: true },
    { name: "lago-tb-w2-14", prefix: "lago-tb-", want: true },
    { name: "lago-tb-1", prefix: "lago-tb-", want: false },
    { name: "lago-tb-w1-", prefix: "lago-tb-", want: false },
    { name: "lago-tb-w1-1-db", prefix: "lago-tb-", want: false },
    { name: "ci-tb-w1-1", prefix: "lago-tb-", want: false },
    { name: "xlago-tb-w1-1", prefix: "lago-tb-", want: false },
    { name: "a.b-w1-1", prefix: "a.b-", want: true },
    { name: "axb-w1-1", prefix: "a.b-", want: false },
  ])("$name for prefix $prefix: $want", ({ name, prefix, want }) => {
    expect(isWorkerHost(name, prefix)).toBe(want);
  });
});

describe("claimWorkerSlot: one worker number per running e2e file", () => {
  const live = [process.pid, process.ppid];

  it("files running at once get different numbers; a number given back is taken again", () => {
    const dir = mkdtempSync(join(tmpdir(), "slots-"));
    expect(claimWorkerSlot(dir, live[0])).toBe(1);
    expect(claimWorkerSlot(dir, live[1])).toBe(2);
    releaseWorkerSlot(dir, 1, live[0]);
    expect(claimWorkerSlot(dir, live[1])).toBe(1);
  });

  it("only the holder gives a slot back", () => {
    const dir = mkdtempSync(join(tmpdir(), "slots-"));
    expect(claimWorkerSlot(dir, live[0])).toBe(1);
    releaseWorkerSlot(dir, 1, live[1]);
    expect(claimWorkerSlot(dir, live[1])).toBe(2);
  });

  it("a slot whose holder died (killed vitest) is taken back", () => {
    const dir = mkdtempSync(join(tmpdir(), "slots-"));
    mkdirSync(join(dir, "1"));
    writeFileSync(join(dir, "1", "pid"), "2147483646");
    expect(claimWorkerSlot(dir, live[0])).toBe(1);
  });
});
