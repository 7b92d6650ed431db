import process from "node:process";
import { defineConfig } from "vitest/config";
import LongestFirst from "./test/e2e/sequencer.ts";

// e2e files one at a time by default. Two at once on 2 cores were slower in total, not faster: in the full
// CI run of 8d7d515 with two workers, lago.test.ts took 1111 s (396 s alone on CI), bridges.test.ts 2249 s
// (798 s alone), the whole run 4503 s. Each file still gets hosts of its own (test/e2e/setup.ts), so
// LAGO_E2E_WORKERS=2 works where there are cores to spare.
const e2eWorkers = Number(process.env.LAGO_E2E_WORKERS ?? 1);

export default defineConfig({
  test: {
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "src/**/*.test.ts"],
          // A few unit tests run the CLI as a process (lint, secrets); give them room on a loaded machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          setupFiles: ["test/e2e/setup.ts"],
          // Real hosts installing Docker and a Compose stack: minutes each on 2 shared cores.
          testTimeout: 1_500_000,
          hookTimeout: 1_500_000,
          maxWorkers: e2eWorkers,
          fileParallelism: e2eWorkers > 1,
          // After the unit tests (a project with its own worker count needs its own group).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
