import { describe, expect, it } from "vitest";
import type { TestSpecification } from "vitest/node";
import LongestFirst from "../../e2e/sequencer.ts";

// What BaseSequencer reads: no cache (a fresh CI clone), the project's name and group order.
const ctx = {
  config: { root: "/r" },
  cache: { getFileTestResults: () => undefined, getFileStats: () => undefined },
};
const spec = (project: string, file: string) =>
  ({
    moduleId: `/r/test/${project}/${file}.test.ts`,
    project: {
      name: project,
      config: { sequence: { groupOrder: project === "e2e" ? 1 : 0 }, isolate: true },
    },
  }) as unknown as TestSpecification;
const names = (specs: TestSpecification[]) =>
  specs.map((s) => `${s.project.name}:${/([^/]+)\.test/.exec(s.moduleId)![1]}`);

describe("e2e files in CI order", () => {
  it("the long e2e files first, longest first; unit tests before them in vitest's order; the rest kept", async () => {
    const files = [
      spec("e2e", "adopt"),
      spec("e2e", "lago"),
      spec("unit", "b"),
      spec("e2e", "testbed"),
      spec("e2e", "fleet"),
      spec("unit", "a"),
      spec("e2e", "bridges"),
    ];
    const sorted = await new LongestFirst(ctx as never).sort(files);
    expect(names(sorted)).toEqual([
      "unit:b",
      "unit:a",
      "e2e:bridges",
      "e2e:fleet",
      "e2e:lago",
      "e2e:adopt",
      "e2e:testbed",
    ]);
  });
});
