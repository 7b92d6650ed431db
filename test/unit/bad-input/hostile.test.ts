/**
 * Issue #18's table (test/bad-input/hostile.cases.ts) against the built CLI (`npm run build` first),
 * each case with a listener of its own where the host would be: every bad input ends in one clear
 * error, in bounded time and memory, without contacting it or writing anything; the controls do
 * contact it. test/e2e/bad-input.test.ts runs the same table against a real testbed host.
 */
import { afterAll, describe, expect, it } from "vitest";
import { hostileCases } from "../../bad-input/hostile.cases.ts";
import {
  brokenPromises,
  countingListener,
  DEFAULT_LIMITS,
  listenerKeys,
  runBadInput,
} from "../../bad-input/runner.ts";

const keys = listenerKeys();
afterAll(() => keys.close());

describe.concurrent("hostile and corrupt input (#18)", () => {
  it.each(hostileCases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const target = await countingListener(keys);
    try {
      const outcome = await runBadInput(c, { target });
      expect({ broken: brokenPromises(c, outcome), stderr: outcome.stderr }).toEqual({
        broken: [],
        stderr: outcome.stderr,
      });
    } finally {
      await target.close();
    }
  }, DEFAULT_LIMITS.hangMs * 2);
});
