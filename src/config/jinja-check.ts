/**
 * Jinja2 in the configuration, found when it loads (before any host is contacted): in every string of
 * a YAML file (task arguments, variables) and in template files. Each construct is one problem at its
 * position, saying it is Jinja2 and what to write in handlebars (src/vars/jinja.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describeJinja, findJinja, mayHaveJinja } from "../vars/jinja.ts";
import { displayPath, type Problem } from "./problems.ts";
import type { KeyPath, YamlFile } from "./yaml.ts";

/** Jinja2 in the strings of a document; texts in `skip` (`!unsafe` ones) are data, not templates. */
export function jinjaInDocument(doc: YamlFile, skip: ReadonlySet<string> = new Set()): Problem[] {
  const problems: Problem[] = [];
  const walk = (value: unknown, path: KeyPath) => {
    if (typeof value === "string") {
      if (!mayHaveJinja(value) || skip.has(value)) return;
      const [first] = findJinja(value);
      if (!first) return;
      const { line, col } = doc.locate(path);
      // A construct on the value's first line: its own column (plain or quoted scalar, near enough).
      const at = first.line === 1
        ? { line, col: col + first.col - 1 }
        : { line: line + first.line - 1, col: first.col };
      problems.push({ file: doc.file, ...at, path: path.join("/"), message: describeJinja(first) });
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
  };
  walk(doc.value, []);
  return problems;
}

/** Jinja2 in the template files under `dir` (a role's templates/), each construct at its line. */
export function jinjaInTemplates(dir: string): Problem[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const problems: Problem[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      problems.push(...jinjaInTemplates(path));
      continue;
    }
    const text = readFileSync(path, "utf8");
    if (text.includes("\0") || !mayHaveJinja(text)) continue;
    for (const f of findJinja(text)) {
      problems.push({
        file: displayPath(path),
        line: f.line,
        col: f.col,
        path: "",
        message: describeJinja(f),
      });
    }
  }
  return problems;
}
