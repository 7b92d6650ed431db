/**
 * Issue #16's table (test/bad-input/mistakes.cases.ts) against the built CLI (`npm run build` first),
 * each case with a listener of its own where the host would be: every mistake ends in one clear
 * error naming the file, in bounded time and memory, without contacting it or writing anything; the
 * controls do contact it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mistakeCases } from "../../bad-input/mistakes.cases.ts";
import {
  brokenPromises,
  countingListener,
  DEFAULT_LIMITS,
  listenerKeys,
  runBadInput,
} from "../../bad-input/runner.ts";

const keys = listenerKeys();
afterAll(() => keys.close());

describe.concurrent("the mistakes people make (#16)", () => {
  it.each(mistakeCases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
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
