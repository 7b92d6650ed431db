/**
 * Inline suppression: `# lago-provision-lint: ignore RULE[,RULE...]` on the line of a finding or on
 * the line before it (in templates, inside any comment syntax: `{{!-- ... --}}`, `<!-- ... -->`).
 * `ignore all` silences every rule there.
 */
import { linesOf, type SourceFile } from "./project.ts";
import type { Finding } from "./types.ts";

const COMMENT = /lago-provision-lint:\s*ignore\s+([\w-]+(?:\s*,\s*[\w-]+)*)/;

/** Rules ignored on each line of a file (1-based line → rule ids). */
function ignoredLines(f: SourceFile): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (!f.text.includes("lago-provision-lint")) return out;
  linesOf(f).forEach((line, i) => {
    const m = COMMENT.exec(line);
    if (m) out.set(i + 1, m[1].split(",").map((s) => s.trim()));
  });
  return out;
}

/** A predicate: is this finding silenced by a comment in its file? */
export function suppressor(files: SourceFile[]): (finding: Finding) => boolean {
  const byFile = new Map<string, Map<number, string[]>>();
  const lookup = new Map(files.map((f) => [f.file, f]));
  return (finding) => {
    let lines = byFile.get(finding.file);
    if (!lines) {
      const f = lookup.get(finding.file);
      byFile.set(finding.file, lines = f ? ignoredLines(f) : new Map());
    }
    return [finding.line, finding.line - 1].some((n) => {
      const rules = lines!.get(n);
      return rules !== undefined && (rules.includes(finding.rule) || rules.includes("all"));
    });
  };
}
