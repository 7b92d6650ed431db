/**
 * `lint` is the same program under Node (dist/, validators compiled by the build) and Deno (the
 * TypeScript sources; validators compiled at run time unless `scripts/gen-validators.ts` was run): the
 * same findings, byte for byte, and the same exit code, on every corpus repository.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./cli.ts";

const corpus = join(repoRoot, "test", "lint", "corpus");

describe("lint under Node and Deno", () => {
  for (const name of readdirSync(corpus).sort()) {
    it(`${name}: same findings and exit code`, async () => {
      const args = ["lint", "--format", "json", join("test", "lint", "corpus", name)];
      const [node, deno] = await Promise.all([runCli(args), runCli(args, { runtime: "deno" })]);
      expect(node.code, node.stderr).toBeLessThan(2);
      expect(JSON.parse(node.stdout).length > 0 || name === "clean").toBe(true);
      expect({ code: deno.code, stdout: deno.stdout }).toEqual({ code: node.code, stdout: node.stdout });
    }, 120_000);
  }
});
