/**
 * Ansible's `key=value` shorthand for module arguments (`file: path=/x state=directory`), as
 * ansible-core 2.14's `split_args` and `parse_kv` read it (ansible/parsing/splitter.py): words split on
 * spaces, but not inside quotes or `{{ }}`, `{% %}`, `{# #}`; `key=value` words become arguments (the
 * value unquoted), and for command-like modules the other words are the command (`_raw_params`). Pure.
 */

import { SIMPLE_ESCAPES } from "./python-literal.ts";

export class KvError extends Error {}

/** The arguments command and shell take as `key=value` words among the command's words. */
const RAW_OPTIONS = [
  "creates",
  "removes",
  "chdir",
  "executable",
  "warn",
  "stdin",
  "stdin_add_newline",
  "strip_empty_ends",
];

/**
 * `key=value` words as arguments; the other words (and, when `raw`, arguments command/shell do not
 * take this way) joined as `_raw_params`, as Ansible does.
 */
export function parseKv(text: string, raw = false): Record<string, string> {
  const options: Record<string, string> = {};
  const rawParams: string[] = [];
  for (const original of splitArgs(text)) {
    const word = decodeEscapes(original);
    const pos = unescapedEquals(word);
    if (pos === undefined) {
      rawParams.push(word.includes("=") ? word.replaceAll("\\=", "=") : original);
      continue;
    }
    const key = word.slice(0, pos);
    if (raw && !RAW_OPTIONS.includes(key)) rawParams.push(original);
    else options[key.trim()] = unquote(word.slice(pos + 1).trim());
  }
  if (rawParams.length) options._raw_params = joinArgs(rawParams);
  return options;
}

/** The first `=` after the first character that no backslash escapes (Ansible skips position 0). */
function unescapedEquals(word: string): number | undefined {
  for (let pos = word.indexOf("=", 1); pos !== -1; pos = word.indexOf("=", pos + 1)) {
    if (word[pos - 1] !== "\\") return pos;
  }
  return undefined;
}

function unquote(s: string): string {
  const quoted = s.length > 1 && s[0] === s.at(-1) && (s[0] === '"' || s[0] === "'") && s.at(-2) !== "\\";
  return quoted ? s.slice(1, -1) : s;
}

function joinArgs(words: string[]): string {
  return words.reduce((out, w) => (out === "" || out.endsWith("\n") ? out + w : `${out} ${w}`), "");
}

/** Python's unicode-escape of the sequences Ansible decodes (`\n`, `\x41`, `\u00e9`, `\101`, …). */
function decodeEscapes(s: string): string {
  return s.replace(
    /\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|[\\'"abfnrtv])/g,
    (_m, e: string) => {
      if (/^[Uux]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
      if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
      return SIMPLE_ESCAPES[e];
    },
  );
}

/** Inside quotes after `token`, starting in `quote` (a quote a backslash precedes does not count). */
function quoteState(token: string, quote: string | undefined): string | undefined {
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if ((c === '"' || c === "'") && (i === 0 || token[i - 1] !== "\\")) {
      if (quote === undefined) quote = c;
      else if (c === quote) quote = undefined;
    }
  }
  return quote;
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

function depthAfter(token: string, depth: number, open: string, close: string): number {
  const opened = count(token, open);
  const closed = count(token, close);
  return opened === closed ? depth : Math.max(0, depth + opened - closed);
}

/** Ansible's split_args: words, with quoted parts and template blocks kept whole. */
export function splitArgs(args: string): string[] {
  const params: string[] = [];
  const lines = args.split("\n");
  let quote: string | undefined;
  let inside = false;
  const depth = { print: 0, block: 0, comment: 0 };
  const inBlock = () => depth.print > 0 || depth.block > 0 || depth.comment > 0;
  lines.forEach((line, lineIndex) => {
    const tokens = line.split(" ");
    let continuation = false;
    tokens.forEach((token, idx) => {
      if (token.length === 0 && idx !== 0) {
        if (!params.length) {
          throw new KvError("the arguments start with spaces Ansible cannot parse: remove them");
        }
        params[params.length - 1] += " ";
        return;
      }
      if (token === "\\" && !inside) {
        continuation = true;
        return;
      }
      const wasInside = inside;
      quote = quoteState(token, quote);
      inside = quote !== undefined;
      let appended = false;
      if (inside && !wasInside && !inBlock()) {
        params.push(token);
        appended = true;
      } else if (inBlock() || inside || wasInside) {
        const last = params.length - 1;
        if (idx === 0 && wasInside) params[last] += token;
        else if (tokens.length > 1) params[last] += (idx > 0 ? " " : "") + token;
        else params[last] += `\n${token}`;
        appended = true;
      }
      for (
        const [key, open, close] of [["print", "{{", "}}"], ["block", "{%", "%}"], [
          "comment",
          "{#",
          "#}",
        ]] as const
      ) {
        const before = depth[key];
        depth[key] = depthAfter(token, before, open, close);
        if (depth[key] !== before && !appended) params.push(token), appended = true;
      }
      if (!inBlock() && !inside && !appended && token !== "") params.push(token);
    });
    if (lines.length > 1 && lineIndex !== lines.length - 1 && !continuation) {
      params[params.length - 1] += "\n";
    }
  });
  if (inBlock() || inside) {
    throw new KvError(
      "unbalanced quotes or {{ }} in the arguments: close them, or write the arguments as a mapping",
    );
  }
  return params;
}
