/**
 * Runs before each e2e file, in its worker (vitest.config.ts `setupFiles`): gives the worker hosts of its
 * own (scripts/lib/testbed-worker.ts), so files can run side by side, and removes them when the file ends
 * so the next file starts from the image and an idle Lago stack does not eat the CPU the others need.
 * LAGO_TESTBED_KEEP=1 keeps them (to look at a failure, or to reuse a deployed fleet).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterAll } from "vitest";
import { down } from "../../scripts/lib/testbed-lib.ts";
import { hostPrefix, log, portBase } from "../../scripts/lib/testbed-paths.ts";
import { claimWorkerSlot, releaseWorkerSlot, workerTestbed } from "../../scripts/lib/testbed-worker.ts";

// The testbed's own prefix and port base, kept the first time: a worker that runs several files must not
// derive a worker's prefix from a worker's prefix.
process.env.LAGO_TESTBED_BASE_PREFIX ??= hostPrefix();
process.env.LAGO_TESTBED_BASE_PORT ??= String(portBase());
const base = {
  prefix: process.env.LAGO_TESTBED_BASE_PREFIX,
  portBase: Number(process.env.LAGO_TESTBED_BASE_PORT),
};
// One slot per running file, machine-wide for this testbed (VITEST_POOL_ID is 1 in every worker when the
// unit and e2e projects run together).
const slots = join(tmpdir(), "lago-testbed-slots", base.prefix);
const slot = claimWorkerSlot(slots);
const worker = workerTestbed(slot, base);
process.env.LAGO_TESTBED_PREFIX = worker.prefix;
process.env.LAGO_TESTBED_PORT_BASE = String(worker.portBase);

afterAll(async () => {
  try {
    if (process.env.LAGO_TESTBED_KEEP === "1") return;
    const removed = await down();
    if (removed.length) log(`removed ${removed.join(" ")} (file done)`);
  } finally {
    releaseWorkerSlot(slots, slot);
  }
}, 120_000);
