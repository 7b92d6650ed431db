import { describe, expect, it } from "vitest";
import {
  describeError,
  EXIT,
  InterruptedError,
  UnreachableError,
  UsageError,
  UserError,
  withHint,
} from "../../../src/core/errors.ts";

describe("describeError: what an error that ends a command prints, and its exit code", () => {
  const cases: [string, unknown, string, number][] = [
    [
      "a user's mistake",
      new UserError("a.yml: not found", "check the path"),
      "error: a.yml: not found\nhint: check the path\n",
      1,
    ],
    ["without a hint", new UserError("no"), "error: no\n", 1],
    [
      "a bad option value",
      new UsageError("--forks must be a positive whole number"),
      "error: --forks must be a positive whole number\n",
      2,
    ],
    [
      "a host that cannot be reached",
      new UnreachableError("web1: connection refused", "is sshd running?"),
      "error: web1: connection refused\nhint: is sshd running?\n",
      1,
    ],
    [
      "Ctrl-C where nothing had started",
      new InterruptedError("interrupted at the passphrase prompt; nothing was changed"),
      "error: interrupted at the passphrase prompt; nothing was changed\n",
      130,
    ],
    ["SIGTERM likewise", new InterruptedError("interrupted", "SIGTERM"), "error: interrupted\n", 143],
  ];
  for (const [name, e, text, code] of cases) {
    it(name, () => expect(describeError(e)).toEqual({ text, code }));
  }

  it("anything else is a bug: says so, how to report it, exit 70; the stack only when debugging", () => {
    const bug = new TypeError("x is undefined");
    const quiet = describeError(bug);
    expect(quiet.code).toBe(EXIT.INTERNAL);
    expect(quiet.text).toMatch(
      /^internal error: x is undefined\nhint: this is a bug in lago-provision: please report it/,
    );
    expect(quiet.text).not.toContain("at ");
    expect(describeError(bug, true).text).toContain(bug.stack!.split("\n")[1]);
  });

  it("usage and changes pending share 2; internal errors never collide with a documented code", () => {
    expect([EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.CHANGES]).not.toContain(EXIT.INTERNAL);
  });

  it("withHint: per-host messages carry the hint on the next line", () => {
    expect(withHint(new UserError("a", "b"))).toBe("a\n  hint: b");
    expect(withHint("plain")).toBe("plain");
  });
});
