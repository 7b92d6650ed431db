/**
 * Secret redaction for everything a run prints: messages, diffs, registered values. A secret is a
 * named value; it is found as written and in the encodings it travels in (base64, URL-encoded as in
 * a `DATABASE_URL`, JSON-escaped, the single lines of a multi-line PEM key) and replaced by
 * `<redacted: NAME>`.
 *
 * @example
 * ```ts
 * const r = new Redactor([{ name: "db_password", value: "p@ss word" }]);
 * r.redactText("postgres://lago:p%40ss%20word@db/lago"); // "postgres://lago:<redacted: db_password>@db/lago"
 * ```
 */
import { diffLines } from "diff";
import type { Diff } from "../core/types.ts";

export interface Secret {
  name: string;
  value: string;
}

/** Shorter values are not secrets worth hunting for: they would match everywhere. */
export const MIN_SECRET_LENGTH = 4;
/** A single line of a multi-line secret is hunted for on its own from this length. */
const MIN_FRAGMENT_LENGTH = 8;

const SECRET_NAME = /password|passwd|secret|token|private_key|_key$|^key$|api_key|encryption/i;
const NOT_SECRET_NAME = /public_key|_file$|_path$/i;

/**
 * True for variable names that hold secrets: `db_password`, `LAGO_RSA_PRIVATE_KEY`, `apiKey`,
 * `secret_key_base`; false for `ssh_public_key`, `private_key_file`, `tls_key_path`.
 */
export function isSecretName(name: string): boolean {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replaceAll("-", "_");
  return SECRET_NAME.test(snake) && !NOT_SECRET_NAME.test(snake);
}

/**
 * The secrets among variables, by name: string or number leaves whose key (or an enclosing key) is
 * a secret name. Nested names read as paths: `lago.db_password`.
 */
export function secretsFromVars(vars: Record<string, unknown>): Secret[] {
  const found: Secret[] = [];
  const walk = (value: unknown, path: string, secret: boolean, depth: number): void => {
    if (depth > 8 || value === null || value === undefined) return;
    if (typeof value === "string" || typeof value === "number") {
      if (secret) found.push({ name: path, value: String(value) });
    } else if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        walk(v, path ? `${path}.${k}` : k, secret || isSecretName(k), depth + 1);
      }
    }
  };
  walk(vars, "", false, 0);
  return found;
}

const utf8 = new TextEncoder();
const base64 = (s: string): string =>
  btoa(Array.from(utf8.encode(s), (b) => String.fromCharCode(b)).join(""));
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const PEM_ARMOR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/;

/** The forms a secret value is found in, the value itself first. */
function encodings(value: string): string[] {
  const forms = new Set([value, value.trim()]);
  const json = JSON.stringify(value).slice(1, -1);
  const url = encodeURIComponent(value);
  forms.add(json);
  forms.add(url);
  forms.add(url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  forms.add(url.replaceAll("%20", "+"));
  forms.add(encodeURI(value));
  for (const v of [value, value.trim()]) {
    const b64 = base64(v);
    forms.add(b64);
    forms.add(b64.replace(/=+$/, ""));
    forms.add(b64.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_"));
  }
  // A multi-line secret (PEM key) shows up line by line in diffs and in logs.
  if (value.includes("\n")) {
    for (const line of value.split("\n")) {
      const l = line.trim();
      if (l.length >= MIN_FRAGMENT_LENGTH && !PEM_ARMOR.test(l)) forms.add(l);
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** A `.env` / YAML / INI assignment whose key names a secret: `DB_PASSWORD=...`, `api_key: ...`. */
const ASSIGNMENT = /^\s*(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(\S.*)$/;

export class Redactor {
  private readonly names = new Map<string, string>();
  private readonly pattern: RegExp | null;

  constructor(secrets: Iterable<Secret> | ReadonlyMap<string, string>) {
    const list: Secret[] = secrets instanceof Map
      ? [...secrets].map(([name, value]) => ({ name, value }))
      : [...(secrets as Iterable<Secret>)];
    for (const { name, value } of list) {
      if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) continue;
      for (const form of encodings(value)) if (!this.names.has(form)) this.names.set(form, name);
    }
    // Longest first, so a value wins over its own fragments and a padded base64 over the bare one.
    const forms = [...this.names.keys()].sort((a, b) => b.length - a.length);
    this.pattern = forms.length ? new RegExp(forms.map(escapeRegExp).join("|"), "g") : null;
  }

  /** Every occurrence of a secret (in any of its encodings) becomes `<redacted: NAME>`. */
  redactText(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, (m) => `<redacted: ${this.names.get(m)}>`);
  }

  /**
   * A diff that shows what changed without showing any secret. Unchanged lines keep their text with
   * secrets replaced by `<redacted: NAME>`; a changed line that holds a secret, or assigns to a
   * secret-named key, gives way (with the line it replaces) to one added line
   * `<redacted: NAME changed>`. Sensitive diffs lose their content altogether.
   */
  redactDiff(d: Diff): Diff {
    if (d.sensitive) return { target: d.target, before: "", after: "", sensitive: true };
    if (!this.holdsSecret(d.before) && !this.holdsSecret(d.after)) return d;
    const before: string[] = [];
    const after: string[] = [];
    let removed: string[] = [];
    let added: string[] = [];
    const flush = () => {
      const { keepBefore, keepAfter } = this.redactChangedBlock(removed, added);
      before.push(...keepBefore);
      after.push(...keepAfter);
      removed = [];
      added = [];
    };
    for (const change of diffLines(d.before, d.after)) {
      const lines = splitLines(change.value);
      if (change.removed) removed.push(...lines);
      else if (change.added) added.push(...lines);
      else {
        flush();
        const redacted = lines.map((l) => this.redactContextLine(l));
        before.push(...redacted);
        after.push(...redacted);
      }
    }
    flush();
    return { ...d, before: before.join(""), after: after.join("") };
  }

  /** Recursively redact every string in a value (JSON reports, registered results shown by debug). */
  redactValue<T>(value: T): T {
    return this.redactDeep(value, new WeakSet()) as T;
  }

  private redactDeep(value: unknown, seen: WeakSet<object>): unknown {
    if (typeof value === "string") return this.redactText(value);
    if (value === null || typeof value !== "object") return value;
    if (seen.has(value)) return "[circular]";
    seen.add(value);
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretName(k) && (typeof v === "string" || typeof v === "number") && String(v) !== ""
        ? `<redacted: ${k}>`
        : this.redactDeep(v, seen);
    }
    return out;
  }

  /**
   * The secret names some lines reveal: the known values in them or, when there are none, the
   * secret-named keys they assign to (whose old value we never knew).
   */
  private secretsIn(lines: string[]): string[] {
    const known = new Set<string>();
    const assigned = new Set<string>();
    for (const line of lines) {
      if (this.pattern) { for (const m of line.matchAll(this.pattern)) known.add(this.names.get(m[0])!); }
      const assignment = ASSIGNMENT.exec(line.replace(/\r?\n$/, ""));
      if (assignment && isSecretName(assignment[1])) assigned.add(assignment[1]);
    }
    return [...(known.size ? known : assigned)];
  }

  /** An unchanged line: known secrets go, and so does the value of a secret-named assignment. */
  private redactContextLine(line: string): string {
    const text = this.redactText(line);
    const assignment = ASSIGNMENT.exec(text.replace(/\r?\n$/, ""));
    if (!assignment || !isSecretName(assignment[1]) || text.includes("<redacted: ")) return text;
    const valueAt = text.lastIndexOf(assignment[2]);
    return `${text.slice(0, valueAt)}<redacted: ${assignment[1]}>${
      text.slice(valueAt + assignment[2].length)
    }`;
  }

  private holdsSecret(text: string): boolean {
    return this.secretsIn(splitLines(text)).length > 0;
  }

  /**
   * Removed lines and the added lines that replace them. With as many of each, lines pair up and
   * only pairs that touch a secret are hidden; otherwise the whole block is, as an old secret value
   * we do not know could sit on any removed line.
   */
  private redactChangedBlock(
    removed: string[],
    added: string[],
  ): { keepBefore: string[]; keepAfter: string[] } {
    const keepBefore: string[] = [];
    const keepAfter: string[] = [];
    let pending = new Set<string>();
    const flushMarkers = () => {
      for (const name of pending) keepAfter.push(`<redacted: ${name} changed>\n`);
      pending = new Set();
    };
    const pairs = removed.length === added.length
      ? removed.map((r, i) => [[r], [added[i]]])
      : [[removed, added]];
    for (const [r, a] of pairs) {
      const names = this.secretsIn([...r, ...a]);
      if (names.length) {
        names.forEach((n) => pending.add(n));
        continue;
      }
      flushMarkers();
      keepBefore.push(...r);
      keepAfter.push(...a);
    }
    flushMarkers();
    return { keepBefore, keepAfter };
  }
}

/** Lines with their line ends kept, so joining them gives the text back. */
const splitLines = (text: string): string[] => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
