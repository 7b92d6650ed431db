/**
 * The bad-input tables (hostile files #18, the mistakes people make #16) against a real testbed host over SSH: with the host reachable and its key
 * known, "no host contacted" is what the CLI's own connection tally (LAGO_PROVISION_STATS) says, and
 * the controls show that tally counts. Every hostile case and a sample of the mistakes run under Deno
 * too (the TypeScript sources), and must end the same way.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { connectionVars } from "../../scripts/lib/testbed-inventory.ts";
import { hostileCases } from "../bad-input/hostile.cases.ts";
import { mistakeCases } from "../bad-input/mistakes.cases.ts";
import {
  type BadInput,
  brokenPromises,
  DEFAULT_LIMITS,
  runBadInput,
  type Target,
} from "../bad-input/runner.ts";
import { useTestbed } from "./testbed.ts";

let target: Target;
beforeAll(async () => {
  const tb = await useTestbed(1);
  target = {
    vars: { ...connectionVars(tb.hosts[0], tb.keyPath), known_hosts_file: tb.knownHostsPath } as never,
  };
});

const check = async (c: BadInput, runtime: "node" | "deno") => {
  const outcome = await runBadInput(c, { target, runtime });
  expect({ broken: brokenPromises(c, outcome), stderr: outcome.stderr }).toEqual({
    broken: [],
    stderr: outcome.stderr,
  });
};

describe.concurrent("hostile and corrupt input (#18), real host", () => {
  it.each(hostileCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => check(c, "node"),
    DEFAULT_LIMITS.hangMs * 2,
  );
});

/** Every case once under Deno too (the TypeScript sources): Deno's fs and streams must refuse alike. */
describe.concurrent("the same under Deno", () => {
  it.each(hostileCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => check(c, "deno"),
    DEFAULT_LIMITS.hangMs * 2,
  );
});

describe.concurrent("the mistakes people make (#16), real host", () => {
  it.each(mistakeCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => check(c, "node"),
    DEFAULT_LIMITS.hangMs * 2,
  );
});

/** A sample under Deno: the controls, every fourth case, and each kind of file that is not a regular file. */
const mistakesSample = mistakeCases.filter((c, i) =>
  c.contacts || i % 4 === 0 || /FIFO|\/dev\/|symlink|directory/.test(c.name)
);
describe.concurrent("a sample of the mistakes under Deno", () => {
  it.each(mistakesSample.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => check(c, "deno"),
    DEFAULT_LIMITS.hangMs * 2,
  );
});
