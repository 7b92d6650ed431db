/**
 * Lago rules that look at one file at a time (shared/reference/lago-stack.md): environment variable
 * names against the documented table, placeholder and plain-text secrets, DB/Redis ports published on
 * every interface, `latest` images. YAML files are walked key by key; templates and plain files
 * (compose files, .env files, scripts) are read line by line.
 */
import { suggest } from "../core/suggest.ts";
import type { KeyPath } from "../config/yaml.ts";
import { isSecretName, MIN_SECRET_LENGTH } from "../output/redact.ts";
import { isPlaceholder, LAGO_ENV_NAMES, NOT_READ, PLACEHOLDER_DEFAULTS, SIDEKIQ_FLAG } from "./lago-env.ts";
import { linesOf, type Project, type SourceFile, walkValues } from "./project.ts";
import type { Position, Report, Rule } from "./types.ts";

const lago = (id: string, severity: Rule["severity"], title: string, explanation: string): Rule => ({
  id,
  family: "lago",
  severity,
  title,
  explanation,
});

export const lagoRules: Rule[] = [
  lago(
    "unknown-lago-env",
    "error",
    "An environment variable Lago does not know",
    "Lago reads a fixed set of environment variables (the table of its self-hosting documentation, " +
      "kept in src/lint/lago-env.ts). A `LAGO_*` name that is not one of them, or a name one or two " +
      "letters away from one (`SECRET_KEY_BAS`, `DATABSE_URL`), is ignored by Lago without a word, so " +
      "the setting silently does not apply. The message suggests the documented name. A documented name " +
      "the images never read (`LAGO_GCS_CREDENTIALS`: the api reads `LAGO_GCS_KEYFILE_JSON_PATH`) is " +
      "reported too.",
  ),
  lago(
    "placeholder-secret",
    "error",
    "A secret or password is left at a documented placeholder",
    "Lago's documentation ships example values (`changeme`, `your-secret-key-base-hex-64`, " +
      "`your-encryption-*`, `azerty123456`). Anyone who has read that page can forge sessions, decrypt " +
      "stored credentials or log into the database of an installation that kept them. Empty secrets are " +
      "as bad. Generate real values (the lago_secrets role does, once per installation) or read them " +
      "from an encrypted source.",
  ),
  lago(
    "plaintext-secret",
    "error",
    "A secret is written in plain text in a committed file",
    "A secret-named variable (password, secret, token, private key, encryption key) holds a literal " +
      "value in a file that goes into git, where every clone and every CI log keeps it for ever. Reference " +
      "it instead: `{{ }}` from an encrypted vars source, the secrets the lago_secrets role generates, " +
      "or an environment variable. Rotating a leaked Lago encryption key is not possible once data exists.",
  ),
  lago(
    "public-db-port",
    "error",
    "PostgreSQL or Redis is published on every interface",
    'A compose `ports:` entry like "5432:5432" or "6379:6379" (or `docker run -p`) without a bind address ' +
      "publishes the database or Redis on all interfaces, and Docker's iptables rules bypass the host " +
      "firewall. Upstream's compose file does this; a provisioned host should not. Bind to loopback or a " +
      'private address ("127.0.0.1:5432:5432"), or do not publish at all: the services reach each other ' +
      "on the compose network.",
  ),
  lago(
    "latest-image-tag",
    "error",
    "An image is pulled as `latest` (or without a tag)",
    "`latest` changes under you: two hosts pulled a day apart run different Lago versions, a re-run can " +
      "upgrade without running migrations, and Lago's bridge releases cannot be skipped. Pin a release " +
      "tag (`getlago/api:v1.50.0`) and upgrade on purpose.",
  ),
];

const ENV_KEY = /^[A-Z][A-Z0-9_]*[A-Z0-9]$/;
const TAG_KEY = /(?:^|_)(?:image|version|tag)$/i;
const REFERENCE = /\{\{|\$\{|\$ANSIBLE_VAULT|lookup\(/;

export function checkLago(project: Project, report: Report): void {
  for (const f of project.files) {
    if (f.doc) checkYaml(f, report);
    checkText(f, report);
  }
}

// ---- YAML: key by key ----

function checkYaml(f: SourceFile, report: Report): void {
  const doc = f.doc!;
  walkValues(doc.value, (value, path, key) => {
    if (typeof key !== "string") return;
    const at = (where: "key" | "value" = "key") => doc.locate(path, where);
    const envProblem = envName(key);
    if (envProblem) report("unknown-lago-env", f.file, at(), envProblem);
    if (TAG_KEY.test(key) && value === "latest") {
      report("latest-image-tag", f.file, at("value"), `'${key}' is 'latest': pin a release tag like v1.50.0`);
    }
    if (/_env$/i.test(key) || !(isSecretName(key) || PLACEHOLDER_DEFAULTS.has(key))) return;
    const text = value === null ? "" : typeof value === "string" ? value : undefined;
    if (text === undefined) return;
    const problem = secretProblem(key, text, f.kind === "defaults");
    if (problem) report(problem.rule, f.file, at(text === "" ? "key" : "value"), problem.message);
  }, [] as KeyPath);
}

/** Why an UPPERCASE key is not a Lago variable, if it looks like it wanted to be one. */
function envName(key: string): string | undefined {
  const instead = NOT_READ.get(key);
  if (instead) return `Lago does not read '${key}' (documented, never read by the api) — set '${instead}'`;
  if (!ENV_KEY.test(key) || !key.includes("_") || LAGO_ENV_NAMES.has(key) || SIDEKIQ_FLAG.test(key)) return;
  const near = suggest(key, LAGO_ENV_NAMES);
  if (!key.startsWith("LAGO_") && near === undefined) return;
  return `unknown Lago environment variable '${key}'${near ? ` — did you mean '${near}'?` : ""}`;
}

/** A secret's value: a placeholder, empty, or literal (plain text)? */
function secretProblem(
  name: string,
  value: string,
  isDefault: boolean,
): { rule: string; message: string } | undefined {
  const fallback = /\{\{\s*default\s+\S+\s+["']([^"']*)["']/.exec(value)?.[1];
  if (fallback !== undefined && isPlaceholder(fallback)) {
    return { rule: "placeholder-secret", message: `'${name}' falls back to the placeholder '${fallback}'` };
  }
  if (isPlaceholder(value)) {
    return {
      rule: "placeholder-secret",
      message: `'${name}' is the placeholder '${value.trim()}': generate a real value`,
    };
  }
  if (value.trim() === "") {
    return isDefault ? undefined : { rule: "placeholder-secret", message: `'${name}' is empty` };
  }
  if (REFERENCE.test(value) || value.length < MIN_SECRET_LENGTH || !isSecretName(name)) return;
  return {
    rule: "plaintext-secret",
    message: `'${name}' holds a secret in plain text: reference it ({{ }}, environment) instead`,
  };
}

// ---- text: line by line ----

/** `KEY=value`, `export KEY=value`, `- KEY=value`, `KEY: value` (compose environment). */
const ENV_LINE = /^(\s*(?:export\s+|-\s+)?["']?)([A-Z][A-Z0-9_]*[A-Z0-9])["']?\s*(?:=|:(?=\s|$))\s*(.*)$/;
const IMAGE_LINE = /^(\s*(?:-\s*)?image:\s*["']?)([^\s"'#]+)/;
const LATEST = /[\w./-]+:latest\b/g;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const DB_PORTS = new Set(["5432", "6379"]);

function checkText(f: SourceFile, report: Report): void {
  const isText = f.kind === "template" || f.kind === "file";
  linesOf(f).forEach((line, i) => {
    const at = (col: number): Position => ({ line: i + 1, col: col + 1 });
    if (isText) {
      const env = ENV_LINE.exec(line);
      if (env) checkEnvLine(f, env, at, report);
      if (PRIVATE_KEY.test(line)) {
        report("plaintext-secret", f.file, at(line.search(PRIVATE_KEY)), "a private key in plain text");
      }
    }
    const image = IMAGE_LINE.exec(line);
    if (image && !image[2].includes("{{") && !/[:@]/.test(image[2].split("/").pop()!)) {
      report(
        "latest-image-tag",
        f.file,
        at(image[1].length),
        `image '${image[2]}' has no tag, which means latest`,
      );
    }
    for (const m of line.matchAll(LATEST)) {
      report("latest-image-tag", f.file, at(m.index!), `image '${m[0]}' uses the latest tag: pin a release`);
    }
    const port = publicDbPort(line);
    if (port) report("public-db-port", f.file, at(port.col), port.message);
  });
}

function checkEnvLine(
  f: SourceFile,
  m: RegExpExecArray,
  at: (col: number) => Position,
  report: Report,
): void {
  const [, lead, key, rest] = m;
  const problem = envName(key);
  if (problem) report("unknown-lago-env", f.file, at(lead.length), problem);
  if (!(isSecretName(key) || PLACEHOLDER_DEFAULTS.has(key))) return;
  const value = rest.replace(/\s+#.*$/, "").trim().replace(/^(["'])(.*)\1$/, "$2");
  const secret = secretProblem(key, value, false);
  if (secret) report(secret.rule, f.file, at(lead.length), secret.message);
}

/**
 * A published port whose container side is 5432 or 6379 with no bind address (or 0.0.0.0 / ::):
 * `- "5432:5432"`, `["6379:6379"]`, `-p 5432:5432`. URLs (`redis://redis:6379`) are not ports.
 */
function publicDbPort(line: string): { col: number; message: string } | undefined {
  // Templates and ${VAR} expansions become one opaque word of the same length.
  const flat = line.replace(/\{\{.*?\}\}|\$\{[^}]*\}/g, (s) => "T".repeat(s.length));
  for (const m of flat.matchAll(/[^\s"',]+/g)) {
    const word = m[0].replace(/\/(tcp|udp)$/, "").replace(/^--?[a-z]+=/, "");
    const v6 = /^\[([0-9a-fA-F:]*)\]:(.*)$/.exec(word);
    const parts = (v6 ? v6[2] : word.replace(/^\[|\]$/g, "")).split(":");
    const bind = v6 ? v6[1] : parts.length === 3 ? parts[0] : undefined;
    if (parts.length !== (v6 || bind === undefined ? 2 : 3) || !DB_PORTS.has(parts[parts.length - 1])) {
      continue;
    }
    if (!/^(\d+|T+)$/.test(parts[parts.length - 2])) continue;
    if (bind !== undefined && !["0.0.0.0", "::", "", "*"].includes(bind)) continue;
    const what = parts[parts.length - 1] === "5432" ? "PostgreSQL" : "Redis";
    const shown = line.slice(m.index!, m.index! + m[0].length);
    return {
      col: m.index!,
      message: `${what} published on every interface ('${shown}'): bind it to 127.0.0.1 or a private address`,
    };
  }
}
