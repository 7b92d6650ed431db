/**
 * `lago-provision lint`: find the YAML and template files under some paths, validate them with the
 * same JSON Schemas as apply, then run the semantic rule families (variables, Lago, fleet topology,
 * idempotence, style). Findings are filtered by the config file and inline suppressions, sorted, and
 * handed to a format.
 *
 * @example
 * const { findings } = lint(["playbooks", "roles", "inventory"]);
 * writeStdout(formatText(findings));
 */
import type { VaultSecret } from "../config/ansible/vault.ts";
import { existsSync } from "node:fs";
import type { ModuleRegistry } from "../config/json-schema.ts";
import { UserError } from "../core/errors.ts";
import { modules as defaultModules } from "../modules/index.ts";
import { emptyConfig, excluder, type LintConfig, ruleSettings } from "./config.ts";
import { checkIdempotence } from "./idempotence.ts";
import { checkLago } from "./lago.ts";
import { loadProject } from "./project.ts";
import { checkSchema } from "./schema.ts";
import { checkStyle } from "./style.ts";
import { suppressor } from "./suppress.ts";
import { checkTopology } from "./topology.ts";
import type { Finding, Report } from "./types.ts";
import { checkVariables } from "./variables.ts";

export { CONFIG_FILE, type LintConfig, loadLintConfig, ruleSettings } from "./config.ts";
export { type Format, formatGithub, formatJson, FORMATS, formatText, summary } from "./formats.ts";
export { explainRule, listRules, ruleById, RULES } from "./rules.ts";
export { formatSarif } from "./sarif.ts";
export type { Finding, Rule, Severity } from "./types.ts";

export const DEFAULT_PATHS = ["playbooks", "roles", "inventory"];

/** The default paths that exist here; a UserError when none does. */
export function defaultPaths(): string[] {
  const found = DEFAULT_PATHS.filter((p) => existsSync(p));
  if (found.length === 0) {
    throw new UserError(
      `nothing to lint: no ${DEFAULT_PATHS.join(", ")} here`,
      "name files or folders to check",
    );
  }
  return found;
}

export interface LintOptions {
  config?: LintConfig;
  /** Module registry (default: all modules). */
  modules?: ModuleRegistry;
  /** Vault passwords for the inventories (none: ANSIBLE_VAULT_PASSWORD_FILE, if set). */
  vault?: VaultSecret[];
}

export interface LintResult {
  findings: Finding[];
  /** How many files were read. */
  files: number;
}

/** Lint every file under `paths`. A path that does not exist is a UserError. */
export function lint(paths: string[], options: LintOptions = {}): LintResult {
  const config = options.config ?? emptyConfig();
  const settings = ruleSettings(config);
  const project = loadProject(paths, {
    modules: options.modules ?? defaultModules,
    exclude: excluder(config.exclude),
    vault: options.vault,
  });
  const findings: Finding[] = [];
  const report: Report = (rule, file, at, message) => {
    const severity = settings.get(rule);
    if (severity === undefined) throw new Error(`lint rule '${rule}' is not registered`);
    if (severity !== "off") findings.push({ rule, severity, file, line: at.line, col: at.col, message });
  };
  checkSchema(project, report);
  checkVariables(project, report, { extraVars: config.vars });
  checkLago(project, report);
  checkTopology(project, report);
  checkIdempotence(project, report);
  checkStyle(project, report);
  const suppressed = suppressor(project.files);
  const kept = findings.filter((f) => !suppressed(f));
  const unique = [...new Map(kept.map((f) => [JSON.stringify(f), f])).values()];
  return { findings: unique.sort(byPosition), files: project.files.length };
}

const byPosition = (a: Finding, b: Finding) =>
  (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col ||
  (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);

/** Exit code: 1 when any finding is at error level, else 0. */
export const exitCodeOf = (
  findings: Finding[],
): number => (findings.some((f) => f.severity === "error") ? 1 : 0);
