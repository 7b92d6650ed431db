/**
 * Starts the longest e2e files first (vitest.config.ts `sequence.sequencer`). With two workers the suite
 * ends when its last file does: a 30-minute file started last keeps one worker busy long after the other
 * has run out of files. vitest orders by the durations in its cache, but a CI clone has no cache, and then
 * it orders by file size, which says nothing about time. So: the files known to be long, longest first (CI
 * timings in `issues ci`), then the rest as vitest would.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Slowest first; a file not listed runs after these. */
const LONGEST_FIRST = ["bridges", "fleet", "lago", "faults", "backup", "roles-base", "stack-images", "init"];

const rank = (spec: TestSpecification): number => {
  const name = /([^/]+)\.test\.ts$/.exec(spec.moduleId)?.[1] ?? "";
  const i = spec.project.name === "e2e" ? LONGEST_FIRST.indexOf(name) : -1;
  return i === -1 ? LONGEST_FIRST.length : i;
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: within a rank (and across projects) vitest's order stays.
    return sorted.map((spec, i) => ({ spec, i })).sort((a, b) =>
      a.spec.project.name === b.spec.project.name ? rank(a.spec) - rank(b.spec) || a.i - b.i : a.i - b.i
    ).map((x) => x.spec);
  }
}
