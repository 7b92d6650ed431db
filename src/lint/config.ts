/**
 * `.lago-provision-lint.yml`, looked for in the working directory (or given with `--config`):
 *
 * ```yaml
 * rules:
 *   unused-variable: off          # off/false: do not run it; on/true: run it at its own severity
 *   command-without-guard: error  # error, warning or info: run it at this severity
 * exclude:                        # files left out (globs, relative to the working directory)
 *   - roles/legacy/**
 * vars:                           # variables only given at run time (-e), known to every template
 *   - release_tag
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, formatProblem } from "../config/problems.ts";
import { didYouMean } from "../core/suggest.ts";
import { readYaml, type YamlFile } from "../config/yaml.ts";
import { UserError } from "../core/errors.ts";
import { cwd } from "../runtime.ts";
import { findRule, RULES } from "./rules.ts";
import { SEVERITIES, type Severity } from "./types.ts";

export const CONFIG_FILE = ".lago-provision-lint.yml";

export interface LintConfig {
  /** Rule id → its severity, or "off". */
  rules: Record<string, Severity | "off" | "on">;
  exclude: string[];
  vars: string[];
  /** The file it was read from, if any. */
  file?: string;
}

export const emptyConfig = (): LintConfig => ({ rules: {}, exclude: [], vars: [] });

/** Read the config file (`path`, or .lago-provision-lint.yml in the working directory if there is one). */
export function loadLintConfig(path?: string): LintConfig {
  const file = path ?? join(cwd(), CONFIG_FILE);
  if (!existsSync(file)) {
    if (path) throw new UserError(`config file not found: ${path}`);
    return emptyConfig();
  }
  let doc: YamlFile;
  try {
    doc = readYaml(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message);
    throw e;
  }
  return { ...parseLintConfig(doc), file: doc.file };
}

const KEYS = ["rules", "exclude", "vars"];
const SETTINGS = ["off", "on", ...SEVERITIES];

/** Check and read a parsed config file; every mistake is a UserError pointing at it. */
export function parseLintConfig(doc: YamlFile): LintConfig {
  const fail = (path: (string | number)[], message: string): never => {
    const { line, col } = doc.locate(path, "key");
    throw new UserError(formatProblem({ file: doc.file, line, col, path: path.join("/"), message }));
  };
  const value = doc.value ?? {};
  if (typeof value !== "object" || Array.isArray(value)) {
    fail([], "should be a mapping of rules, exclude and vars");
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) fail([key], `unknown key '${key}'${didYouMean(key, KEYS)}`);
  }
  const config = emptyConfig();
  const rules = raw.rules ?? {};
  if (typeof rules !== "object" || Array.isArray(rules)) {
    fail(["rules"], "should be a mapping: rule → off, on or a severity");
  }
  for (const [id, setting] of Object.entries(rules as Record<string, unknown>)) {
    if (!findRule(id)) fail(["rules", id], `unknown rule '${id}'${didYouMean(id, RULES.map((r) => r.id))}`);
    const s = setting === false ? "off" : setting === true ? "on" : setting;
    if (typeof s !== "string" || !SETTINGS.includes(s)) {
      fail(["rules", id], `should be one of ${SETTINGS.join(", ")}`);
    }
    config.rules[id] = s as LintConfig["rules"][string];
  }
  for (const key of ["exclude", "vars"] as const) {
    const list = raw[key] ?? [];
    if (!Array.isArray(list) || list.some((v) => typeof v !== "string")) {
      fail([key], "should be a list of strings");
    }
    config[key] = list as string[];
  }
  return config;
}

/** Each rule's severity after the config, or "off". */
export function ruleSettings(config: LintConfig): Map<string, Severity | "off"> {
  return new Map(RULES.map((r) => {
    const s = config.rules[r.id];
    const severity = s === undefined
      ? (r.enabled === false ? "off" : r.severity)
      : s === "on"
      ? r.severity
      : s;
    return [r.id, severity];
  }));
}

/** A predicate for `exclude:` globs (`*` within a folder, `**` across folders; a folder excludes what is in it). */
export function excluder(globs: string[]): (file: string) => boolean {
  if (globs.length === 0) return () => false;
  const patterns = globs.map((g) => {
    const body = g.replace(/^\.\//, "").replace(/\/$/, "").replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*\*\/?|\*|\?/g, (m) => (m === "?" ? "[^/]" : m === "*" ? "[^/]*" : ".*"));
    return new RegExp(`^${body}(?:/.*)?$`);
  });
  return (file) => patterns.some((p) => p.test(file));
}
