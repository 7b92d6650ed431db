/**
 * Broken configuration files and the exact text a user sees for each (test/fixtures/broken/):
 * `NAME.yml` + `NAME.expected.txt`. Files named `inventory-*` are inventories, the rest playbooks
 * (checked against `_inventory.yml`, with roles from `_roles/`). UPDATE_GOLDEN=1 rewrites the
 * expected files.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/config/inventory.ts";
import { loadPlaybook } from "../../../src/config/playbook.ts";
import { ConfigError } from "../../../src/config/problems.ts";
import { testModules } from "./registry.ts";

const dir = "test/fixtures/broken";
const cases = readdirSync(dir).filter((f) => f.endsWith(".yml") && !f.startsWith("_")).sort();

function errorText(file: string): string {
  const path = join(dir, file);
  try {
    if (file.startsWith("inventory-")) loadInventory(path);
    else {
      const inventory = loadInventory(join(dir, "_inventory.yml"));
      loadPlaybook(path, { modules: testModules, inventory, rolesPath: [join(dir, "_roles")] });
    }
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return "(no error)";
}

describe("broken files: exact messages", () => {
  it("has at least a dozen cases", () => expect(cases.length).toBeGreaterThanOrEqual(12));
  for (const file of cases) {
    it(file, () => {
      const expectedFile = join(dir, file.replace(/\.yml$/, ".expected.txt"));
      const actual = errorText(file);
      if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, actual + "\n");
      expect(actual).toBe(readFileSync(expectedFile, "utf8").trimEnd());
    });
  }
});
