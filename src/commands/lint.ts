/**
 * `lago-provision lint [PATHS...]`: check playbooks, roles and inventories without contacting any
 * host. Exit code 0 when no finding is at error level (warnings allowed), 1 when one is, 2 on a usage
 * error (unknown rule, bad config file, missing path).
 */
import { vaultSecretsFromOptions } from "../config/ansible/vault-secrets.ts";
import { checkOutputFile, writeFileAtomically } from "../core/files.ts";
import { EXIT, UserError, userMessage } from "../core/errors.ts";
import {
  defaultPaths,
  exitCodeOf,
  explainRule,
  type Format,
  formatGithub,
  formatJson,
  formatSarif,
  formatText,
  lint,
  listRules,
  loadLintConfig,
  ruleById,
  ruleSettings,
  summary,
} from "../lint/index.ts";
import { writeStderr, writeStdout } from "../runtime.ts";

export interface LintCommandOptions {
  format: Format;
  explain?: string;
  listRules?: boolean;
  config?: string;
  output?: string;
  /** For SARIF's tool.driver.version. */
  version: string;
  /** `--vault-password-file`, `--vault-id` (none: ANSIBLE_VAULT_PASSWORD_FILE). */
  vaultPasswordFile?: string[];
  vaultId?: string[];
}

export async function lintCommand(paths: string[], opts: LintCommandOptions): Promise<number> {
  try {
    return await run(paths, opts);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    writeStderr(userMessage(e));
    return EXIT.USAGE;
  }
}

async function run(paths: string[], opts: LintCommandOptions): Promise<number> {
  if (opts.explain !== undefined) {
    writeStdout(explainRule(ruleById(opts.explain)));
    return 0;
  }
  if (opts.listRules) {
    writeStdout(listRules());
    return 0;
  }
  if (opts.output) checkOutputFile(opts.output, { what: "lint report", flag: "-o", example: "lint.txt" });
  const config = loadLintConfig(opts.config);
  const vault = vaultSecretsFromOptions(opts);
  const { findings, files } = await lint(paths.length ? paths : defaultPaths(), { config, vault });
  const out = opts.format === "json"
    ? formatJson(findings)
    : opts.format === "sarif"
    ? formatSarif(findings, { version: opts.version, settings: ruleSettings(config) })
    : opts.format === "github"
    ? formatGithub(findings)
    : formatText(findings);
  if (opts.output) writeFileAtomically(opts.output, out);
  else writeStdout(out);
  if (opts.format === "text" || opts.output) writeStderr(summary(findings, files));
  return exitCodeOf(findings);
}
