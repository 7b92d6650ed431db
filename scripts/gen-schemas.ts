/**
 * Writes the JSON Schemas in `schemas/` from the zod schemas and the module registry; `--check` only
 * compares and exits 1 naming every stale file. Run from the package root.
 * Node: `npm run schemas` / `npm run schemas:check` (built to dist/);
 * Deno: `npx deno run -A scripts/gen-schemas.ts [--check]`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { schemaFiles } from "../src/config/json-schema.ts";
import { planSchema } from "../src/plan/plan-file.ts";

function main(args: string[]): number {
  const check = args.includes("--check");
  const wanted = schemaFiles({ plan: planSchema });
  const stale: string[] = [];
  for (const [path, content] of wanted) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (current === content) continue;
    stale.push(current === undefined ? `${path} (missing)` : path);
    if (!check) mkdirSync(dirname(path), { recursive: true }), writeFileSync(path, content);
  }
  const moduleDir = join("schemas", "modules");
  const extra = existsSync(moduleDir)
    ? readdirSync(moduleDir).map((f) => join(moduleDir, f)).filter((p) =>
      !wanted.has(p.replaceAll("\\", "/"))
    )
    : [];
  for (const path of extra) {
    stale.push(`${path} (no such module)`);
    if (!check) rmSync(path);
  }
  if (!check) {
    console.log(
      stale.length ? `updated ${stale.join(", ")}` : `schemas/ is up to date (${wanted.size} files)`,
    );
    return 0;
  }
  if (!stale.length) return 0;
  console.error(
    `stale JSON Schemas: ${stale.join(", ")}\n` +
      "regenerate them with `npm run build && npm run schemas` (or `npx deno run -A scripts/gen-schemas.ts`)",
  );
  return 1;
}

process.exitCode = main(process.argv.slice(2));
