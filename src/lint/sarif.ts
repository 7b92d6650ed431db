/**
 * SARIF 2.1.0 output (what GitHub code scanning uploads): one run, every rule in `tool.driver.rules`
 * with its description and default level, every finding a result with its file, line and column.
 * File URIs are relative to `%SRCROOT%` (the working directory, the repository root in CI).
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { RULES } from "./rules.ts";
import type { Finding, Severity } from "./types.ts";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  error: "error",
  warning: "warning",
  info: "note",
};

export interface SarifOptions {
  version: string;
  /** Each rule's severity after the config ("off" rules are listed as disabled). */
  settings: Map<string, Severity | "off">;
}

export function formatSarif(findings: Finding[], options: SarifOptions): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const rules = RULES.map((r) => {
    const setting = options.settings.get(r.id) ?? r.severity;
    return {
      id: r.id,
      shortDescription: { text: r.title },
      fullDescription: { text: r.explanation },
      help: {
        text: `${r.explanation}\n\nSilence one finding with \`# lago-provision-lint: ignore ${r.id}\`.`,
      },
      defaultConfiguration: {
        enabled: setting !== "off",
        level: LEVEL[setting === "off" ? r.severity : setting],
      },
      properties: { tags: [r.family] },
    };
  });
  const results = findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: index.get(f.rule),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{
      physicalLocation: {
        artifactLocation: isAbsolute(f.file)
          ? { uri: pathToFileURL(f.file).href }
          : { uri: encodeURI(f.file), uriBaseId: "%SRCROOT%" },
        region: { startLine: f.line, startColumn: f.col },
      },
    }],
  }));
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: { driver: { name: "lago-provision", version: options.version, rules } },
      columnKind: "utf16CodeUnits",
      results,
    }],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
