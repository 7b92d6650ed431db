/**
 * The lint corpus (test/lint/corpus/CASE/): small repositories of broken files, each with
 * `expected.txt`, the exact text findings of `lago-provision lint` run inside it with the default
 * paths and its own .lago-provision-lint.yml. Modules are the config tests' fixed registry, so that
 * messages do not change when a real module gains an argument. UPDATE_GOLDEN=1 rewrites the files.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { describe, expect, it } from "vitest";
import { defaultPaths, formatText, lint, loadLintConfig } from "../../../src/lint/index.ts";
import { testModules } from "../config/registry.ts";
import { inDir } from "./helpers.ts";

const root = resolve("test/lint/corpus");
const cases = readdirSync(root).sort();

describe("lint corpus: exact findings", () => {
  it("has a case per rule family and a clean one", () => {
    expect(cases).toEqual(
      expect.arrayContaining(["schema", "variables", "lago", "fleet", "idempotence", "clean"]),
    );
  });
  for (const name of cases) {
    it(name, async () => {
      const dir = join(root, name);
      const actual = await inDir(dir, async () => {
        const { findings } = await lint(defaultPaths(), { config: loadLintConfig(), modules: testModules });
        return formatText(findings);
      });
      const expectedFile = join(dir, "expected.txt");
      if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, actual);
      expect(actual).toBe(readFileSync(expectedFile, "utf8"));
    });
  }
});
