/**
 * Lint output formats: `text` (one line per finding, like a compiler), `json` (an array of findings),
 * `github` (workflow commands that annotate the pull request), `sarif` (src/lint/sarif.ts).
 */
import type { Finding, Severity } from "./types.ts";

export const FORMATS = ["text", "json", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];

/** `playbooks/site.yml:14:7 unknown-module (error) tasks/3/tempalte: unknown module 'tempalte' ...` */
export const formatFinding = (f: Finding): string =>
  `${f.file}:${f.line}:${f.col} ${f.rule} (${f.severity}) ${f.message}`;

export const formatText = (findings: Finding[]): string =>
  findings.map((f) => `${formatFinding(f)}\n`).join("");

export const formatJson = (findings: Finding[]): string =>
  JSON.stringify(
    findings.map(({ rule, severity, file, line, col, message }) => ({
      rule,
      severity,
      file,
      line,
      col,
      message,
    })),
    null,
    2,
  ) + "\n";

const COMMAND: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };

/** GitHub's escaping: `%`, CR and LF in messages; also `:` and `,` in properties. */
const escapeData = (s: string) => s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const escapeProperty = (s: string) => escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");

/** `::error file=F,line=L,col=C,title=RULE::message` */
export const formatGithub = (findings: Finding[]): string =>
  findings.map((f) =>
    `::${COMMAND[f.severity]} file=${escapeProperty(f.file)},line=${f.line},col=${f.col},title=${
      escapeProperty(f.rule)
    }::${escapeData(f.message)}\n`
  ).join("");

/** `2 errors, 1 warning in 14 files` */
export function summary(findings: Finding[], files: number): string {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [plural(count("error"), "error"), plural(count("warning"), "warning")];
  if (count("info")) parts.push(`${count("info")} info`);
  return `${findings.length ? parts.join(", ") : "no problems"} in ${plural(files, "file")}\n`;
}
