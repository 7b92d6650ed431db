/**
 * A table of bad input as unit tests (test/unit/bad-input/): each case against the built CLI with a
 * counting listener of its own where the host would be (runner.ts says what each case must show).
 * test/e2e/bad-input.test.ts runs the tables against a real testbed host instead.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  type BadInput,
  brokenPromises,
  countingListener,
  DEFAULT_LIMITS,
  listenerKeys,
  runBadInput,
} from "./runner.ts";

export function describeBadInputTable(title: string, cases: BadInput[]): void {
  const keys = listenerKeys();
  afterAll(() => keys.close());

  describe.concurrent(title, () => {
    it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const target = await countingListener(keys);
      try {
        const outcome = await runBadInput(c, { target });
        // stderr beside the broken promises, so a failure shows what the CLI said.
        expect({ broken: brokenPromises(c, outcome), stderr: outcome.stderr }).toEqual({
          broken: [],
          stderr: outcome.stderr,
        });
      } finally {
        await target.close();
      }
    }, DEFAULT_LIMITS.hangMs * 2);
  });
}
