/**
 * The layers of docs/architecture.md, enforced: every import in src/ points down (to a lower layer)
 * or stays in its own folder. Two folders of one layer never import each other, and a command never
 * imports another command (what two commands share lives in a lower layer).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(new URL("../../src", import.meta.url).pathname);

/** Top to bottom, as in docs/architecture.md ("Layers"). */
const LAYERS: string[][] = [
  ["cli.ts"],
  ["main.ts"],
  ["commands"],
  ["session", "lint", "init", "status"],
  ["fleet"],
  ["engine"],
  ["plan"],
  ["config"],
  ["modules", "facts"],
  ["backup"],
  ["secrets"],
  ["connection", "vars"],
  ["output"],
  ["core", "runtime.ts"],
];

/** A file's unit: its folder under src/, or the file itself at the top of src/. */
const unitOf = (file: string): string => relative(SRC, file).split("/")[0];
const layerOf = (unit: string): number => LAYERS.findIndex((l) => l.includes(unit));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Relative imports and re-exports (types included: a dependency is a dependency). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)].map((m) =>
    m[1]
  );
  const dynamic = [...text.matchAll(/import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)].map((m) => m[1]);
  return [...specifiers, ...dynamic].map((s) => resolve(dirname(file), s));
}

describe("layers", () => {
  const files = sources(SRC);

  it("every folder and top-level file of src/ has a layer", () => {
    const units = [...new Set(files.map(unitOf))];
    expect(units.filter((u) => layerOf(u) < 0)).toEqual([]);
  });

  it("every import points down, or within its own folder", () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const target of importsOf(file)) {
        const to = unitOf(target);
        if (to === from) continue;
        if (layerOf(to) <= layerOf(from)) upward.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("a command imports no other command", () => {
    const commands = files.filter((f) => unitOf(f) === "commands");
    const crossing = commands.flatMap((file) =>
      importsOf(file).filter((t) => unitOf(t) === "commands" && t !== file).map((t) =>
        `${relative(SRC, file)} → ${relative(SRC, t)}`
      )
    );
    expect(crossing).toEqual([]);
  });
});

describe("the shipped package", () => {
  const pkg = JSON.parse(readFileSync(resolve(SRC, "../package.json"), "utf8"));

  it("ships src/ alone (scripts/ is the test harness, built but not packed)", () => {
    expect(pkg.files.filter((f: string) => f.startsWith("dist"))).toEqual(["dist/src"]);
  });

  it("src/ imports only runtime dependencies and node: modules (zx and vitest are for scripts/ and tests)", () => {
    const allowed = new Set(Object.keys(pkg.dependencies));
    const bare = sources(SRC).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/(?:import|export)\s[^;]*?from\s+"([^".][^"]*)"/g)]
        .map((m) => m[1])
        .filter((s) => !s.startsWith("node:"))
        .map((s) => s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0])
        .filter((name) => !allowed.has(name))
        .map((name) => `${relative(SRC, file)}: ${name}`)
    );
    expect(bare).toEqual([]);
  });
});
