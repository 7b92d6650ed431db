/**
 * Style: files editors can check as the user types. A playbook or inventory that starts with a
 * `yaml-language-server` comment naming its JSON Schema gets completion, hover descriptions and
 * red squiggles in any editor with the YAML language server.
 */
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { cwd } from "../runtime.ts";
import { linesOf, type Project } from "./project.ts";
import type { Report, Rule } from "./types.ts";

export const styleRules: Rule[] = [{
  id: "schema-comment",
  family: "style",
  severity: "info",
  title: "A playbook or inventory does not name its JSON Schema",
  explanation: "With `# yaml-language-server: $schema=../schemas/playbook.schema.json` (or " +
    "inventory.schema.json) as its first line, a file is checked by the editor as it is typed: unknown " +
    "keys, wrong types and missing arguments are underlined, and every key shows its description. The " +
    "schemas in schemas/ are the ones apply and lint validate against.",
}];

const MARKER = /^#\s*yaml-language-server:\s*\$schema=/;
const SCHEMA: Record<string, string> = {
  playbook: "playbook.schema.json",
  inventory: "inventory.schema.json",
};

export function checkStyle(project: Project, report: Report): void {
  for (const f of project.files) {
    const schema = SCHEMA[f.kind];
    if (!schema || !f.doc || MARKER.test(linesOf(f)[0] ?? "")) continue;
    const local = join(cwd(), "schemas", schema);
    const target = existsSync(local) ? relative(dirname(f.abs), local).split("\\").join("/") : schema;
    report(
      "schema-comment",
      f.file,
      { line: 1, col: 1 },
      `start the file with '# yaml-language-server: $schema=${target}'`,
    );
  }
}
