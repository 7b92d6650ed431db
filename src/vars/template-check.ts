/**
 * Template and condition mistakes found from the text alone, so that they stop a command when the
 * files load, located by line and column, instead of failing on every host after connecting:
 * handlebars syntax errors (a block or `{{` left open, a block closed by another, a triple-stash left
 * open), helpers that do not exist or get the wrong number of arguments, partials (there are none),
 * and conditions (`when:`) that do not parse.
 *
 * @example
 * templateMistakes("{{#if x}}on") // [{ line: 1, col: 12, message: "template syntax error: ..." }]
 */
import Handlebars from "handlebars";
import { UserError } from "../core/errors.ts";
import { parseExpression } from "./expression.ts";
import { findJinja, mayHaveJinja } from "./jinja.ts";
import { HELPERS } from "./template.ts";

export interface Mistake {
  line: number;
  col: number;
  message: string;
}

// deno-lint-ignore no-explicit-any
type Node = any;

const cache = new Map<string, Mistake[]>();

/** Everything wrong with a template's text (empty when it can render). Cached by text. */
export function templateMistakes(text: string): Mistake[] {
  let found = cache.get(text);
  if (!found) {
    found = check(text);
    if (cache.size > 2000) cache.clear();
    cache.set(text, found);
  }
  return found;
}

/** Why a condition (`when:`, `changed_when:`, `failed_when:`) does not parse, or undefined. */
export function conditionMistake(text: string): string | undefined {
  try {
    parseExpression(text);
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

const at = (text: string, index: number): { line: number; col: number } => {
  const before = text.slice(0, index);
  return { line: before.split("\n").length, col: index - (before.lastIndexOf("\n") + 1) + 1 };
};

function check(text: string): Mistake[] {
  // Jinja2 is found, with its handlebars equivalent, by src/config/jinja-check.ts (lint: jinja2).
  if (mayHaveJinja(text) && findJinja(text).length > 0) return [];
  const open = unclosedMustache(text);
  if (open) return [open];
  let ast: Node;
  try {
    ast = Handlebars.parse(text);
  } catch (e) {
    return [syntaxError(text, e as Error & { lineNumber?: number; column?: number })];
  }
  const mistakes: Mistake[] = [];
  walk(ast, mistakes);
  return mistakes;
}

/** A `{{` with no `}}` after it before the next `{{` (handlebars reads the rest as garbage). */
function unclosedMustache(text: string): Mistake | undefined {
  for (let i = text.indexOf("{{"); i >= 0;) {
    const close = text.indexOf("}}", i + 2);
    const next = text.indexOf("{{", i + 2);
    if (close < 0 || (next >= 0 && next < close && text.slice(i, i + 3) !== "{{{")) {
      return { ...at(text, i), message: "template syntax error: a {{ is not closed with }}" };
    }
    i = text.indexOf("{{", close + 2);
  }
  return undefined;
}

const TOKENS: Record<string, string> = {
  EOF: "the end of the template",
  CLOSE: "'}}'",
  CLOSE_UNESCAPED: "'}}}'",
  OPEN: "'{{'",
  OPEN_BLOCK: "'{{#'",
  OPEN_ENDBLOCK: "'{{/'",
  CLOSE_BLOCK_PARAMS: "'|'",
  INVALID: "a character handlebars does not read",
};

/** Handlebars' parse error, as one sentence where it happened. */
function syntaxError(text: string, e: Error & { lineNumber?: number; column?: number }): Mistake {
  const lines = String(e.message).split("\n");
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(lines[0]);
  if (mismatch) {
    return {
      line: e.lineNumber ?? 1,
      col: (e.column ?? 0) + 1,
      message: `template syntax error: {{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}`,
    };
  }
  const line = Number(/on line (\d+)/.exec(lines[0])?.[1] ?? e.lineNumber ?? 1);
  const caret = lines.findIndex((l) => /^-*\^$/.test(l));
  const col = caret > 0 ? lines[caret].length : (e.column ?? 0) + 1;
  const got = /got '([^']+)'/.exec(lines.at(-1) ?? "")?.[1];
  const expecting = (lines.at(-1) ?? "").replace(/, got .*$/, "");
  let what: string;
  if (got === "EOF" && /OPEN_ENDBLOCK|INVERSE/.test(expecting)) {
    // Point at the block left open, not at the end of the text.
    const open = text.lastIndexOf("{{#");
    const where = open >= 0 ? at(text, open) : { line, col };
    return { ...where, message: "template syntax error: a block is not closed ({{#…}} without its {{/…}})" };
  } else if (got === "EOF") {
    what = "the template ends inside {{ … }}";
  } else if (got === "CLOSE" && /CLOSE_UNESCAPED/.test(expecting) && !/'CLOSE'/.test(expecting)) {
    what = "{{{ is closed by }} (a triple-stash needs }}})";
  } else if (got) {
    what = `unexpected ${TOKENS[got] ?? got.toLowerCase().replaceAll("_", " ")}`;
  } else what = lines[0];
  return { line, col, message: `template syntax error: ${what}` };
}

/** Helper calls, their arguments, and partials, everywhere in the template. */
function walk(node: Node, mistakes: Mistake[]): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((n) => walk(n, mistakes));
  switch (node.type) {
    case "PartialStatement":
    case "PartialBlockStatement":
      mistakes.push({
        ...position(node),
        message: `partials ({{> ${
          node.name?.original ?? "…"
        }}}) are not supported: there are none to include`,
      });
      return;
    case "MustacheStatement":
    case "SubExpression":
    case "BlockStatement":
      helperCall(node, mistakes);
      break;
  }
  for (const key of ["body", "program", "inverse", "params", "hash", "pairs", "value"]) {
    if (node[key]) walk(node[key], mistakes);
  }
}

function position(node: Node): { line: number; col: number } {
  return { line: node.loc?.start?.line ?? 1, col: (node.loc?.start?.column ?? 0) + 1 };
}

/**
 * `{{ name a b }}`, `(name a)`, `{{#name a}}` call the helper `name`; a known helper without its
 * arguments (`{{ upper }}`) is a mistake too. `{{ name }}` and `{{#name}}` of anything else read a
 * variable (a section, for a block).
 */
function helperCall(node: Node, mistakes: Mistake[]): void {
  const path = node.path;
  if (path?.type !== "PathExpression" || path.data || path.parts.length !== 1) return;
  const name: string = path.original;
  const args = (node.params?.length ?? 0) + (node.hash ? 1 : 0);
  const arity = HELPERS[name];
  if (!arity) {
    if (args > 0 || node.type === "SubExpression") {
      const known = Object.keys(HELPERS).sort().join(", ");
      mistakes.push({ ...position(node), message: `unknown helper '${name}' (helpers: ${known})` });
    }
    return;
  }
  const [min, max] = arity;
  if (args < min || args > max) {
    const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    mistakes.push({
      ...position(node),
      message: `helper '${name}' takes ${wanted} argument${min === 1 && max === 1 ? "" : "s"}, got ${args}`,
    });
  }
}
