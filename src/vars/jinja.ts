/**
 * Jinja2 found where handlebars is our template language: `{% … %}` statements, `{# … #}` comments,
 * and `{{ … }}` expressions handlebars cannot read (`{{ x | default('y') }}`, `{{ a ~ b }}`,
 * `{{ d['k'] }}`). Each is located (line, column) and, for the common forms, given its handlebars
 * equivalent; `convertJinja` rewrites a whole template. Handlebars' own `{{#if}}`, `{{/each}}`,
 * `{{!-- --}}`, `{{> p}}` and plain `{{ name }}` are not Jinja. Pure: text in, findings out.
 *
 * @example
 * ```ts
 * convertJinja("{% if tls %}listen 443;{% endif %}").text; // "{{#if tls}}listen 443;{{/if}}"
 * ```
 */
import { type Expr, parseExpression } from "./expression.ts";

export interface JinjaFinding {
  /** 1-based position of the construct in the text. */
  line: number;
  col: number;
  /** The construct as written. */
  text: string;
  kind: "statement" | "comment" | "expression";
  /** The handlebars that does the same, when there is one. */
  replacement?: string;
  /** Why there is none (Jinja feature with no handlebars helper). */
  why?: string;
}

/** One line for a message: what was found, and what to write instead. */
export function describeJinja(f: JinjaFinding): string {
  const found = `Jinja2 ${f.kind} ${show(f.text)} (templates are handlebars)`;
  if (f.replacement !== undefined) return `${found}: write ${show(f.replacement)}`;
  return `${found}: ${f.why ?? "no handlebars equivalent"}; see docs/from-ansible.md`;
}

const show = (text: string) => (text.length > 80 ? `${text.slice(0, 77)}…` : text).replaceAll("\n", "\\n");

/** Is there anything Jinja-only in the text? (Cheap test before `findJinja`.) */
export const mayHaveJinja = (text: string): boolean => /\{%|\{#|\{\{/.test(text);

/** Every Jinja-only construct in `text`, with its handlebars equivalent where there is one. */
export function findJinja(text: string): JinjaFinding[] {
  return convert(text).findings;
}

/** `text` with every convertible construct rewritten; the ones that are not are listed. */
export function convertJinja(text: string): { text: string; unconverted: JinjaFinding[] } {
  const { output, findings } = convert(text);
  return { text: output, unconverted: findings.filter((f) => f.replacement === undefined) };
}

// ---- scanning ----

interface Segment {
  kind: "statement" | "comment" | "expression";
  start: number;
  end: number;
  /** Inside the delimiters, whitespace-control marks removed. */
  body: string;
  /** `{%-`/`{{-` and `-%}`/`-}}`: Jinja's whitespace control, handlebars' `~`. */
  trimLeft: boolean;
  trimRight: boolean;
}

const CLOSE = { "{%": "%}", "{#": "#}", "{{": "}}" } as const;
const KIND = { "{%": "statement", "{#": "comment", "{{": "expression" } as const;

/** The `{% %}`, `{# #}` and `{{ }}` constructs, in order; quotes inside them are skipped over. */
function scan(text: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < text.length) {
    const open = /\{[%#{]/g;
    open.lastIndex = i;
    const m = open.exec(text);
    if (!m) break;
    const opener = m[0] as keyof typeof CLOSE;
    const end = findClose(text, m.index + 2, CLOSE[opener], opener !== "{#");
    // `${#array[@]}` in a shell command, a lone `{%`: not a construct Jinja would close.
    if (end < 0) {
      i = m.index + 2;
      continue;
    }
    let inner = text.slice(m.index + 2, end);
    const trimLeft = inner.startsWith("-");
    const trimRight = inner.endsWith("-");
    if (opener !== "{#") inner = inner.slice(trimLeft ? 1 : 0, trimRight ? -1 : undefined);
    out.push({ kind: KIND[opener], start: m.index, end: end + 2, body: inner.trim(), trimLeft, trimRight });
    i = end + 2;
  }
  return out;
}

function findClose(text: string, from: number, close: string, quotes: boolean): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (quotes && (c === "'" || c === '"')) quote = c;
    else if (text.startsWith(close, i)) return i;
    else if (close === "}}" && text.startsWith("{{", i)) return -1; // `{{ a {{ b }}`: not one construct
  }
  return -1;
}

/** Handlebars' own forms (`#if`, `/if`, `else`, `!`, `>`, `{{{x}}}`, `~`) and plain paths and helper calls. */
function isHandlebars(segment: Segment, raw: string): boolean {
  const body = raw.slice(2, -2).replace(/^~|~$/g, "").trim();
  // Handlebars' own forms, and `{{ }}`: a syntax error handlebars reports itself.
  if (/^[#/^!>&{]/.test(body) || /^else\b/.test(body) || body === "") return true;
  if (segment.trimLeft || segment.trimRight) return false;
  if (/^[@A-Za-z_.][\w.@/-]*(?:\.\[[^\]]*\])*$/.test(body)) return true; // a path: name, a.b, @root.x, ../x
  // A helper call: `default x "y"`, `join list ","`, `eq a (lower b)`: words, literals, subexpressions.
  return /^[A-Za-z_][\w-]*(?:\s+(?:"[^"]*"|'[^']*'|[\w.@/-]+(?:=\S+)?|\(.*\)))+$/.test(body) &&
    !/\s(?:and|or|not|in|is|if|else)\s/.test(` ${body} `.replace(/"[^"]*"|'[^']*'/g, "''")) &&
    !/[|[\]~+*%<>=!]=?/.test(body.replace(/"[^"]*"|'[^']*'/g, "''").replace(/\w+=/g, ""));
}

// ---- conversion ----

class NoEquivalent extends Error {}

interface Scope {
  /** Loop variables of the enclosing `{% for %}`s. */
  loopVars: string[];
}

interface Open {
  kind: "if" | "for";
}

/**
 * Rewrite every construct it can. Whitespace is settled here, as Ansible's template module settles it
 * (trim_blocks: the newline after a block tag or comment goes; `{%-`/`-%}` strip the blanks beside
 * them), so the handlebars written has no `~` and no tag alone on its line for handlebars to trim
 * differently.
 */
function convert(text: string): { output: string; findings: JinjaFinding[] } {
  const findings: JinjaFinding[] = [];
  const stack: Open[] = [];
  const scope: Scope = { loopVars: [] };
  const loopVarsStack: string[][] = [];
  let output = "";
  let at = 0;
  let skip: "none" | "newline" | "blanks" = "none";
  let lastInline = false;
  const append = (chunk: string) => {
    const kept = skip === "blanks"
      ? chunk.replace(/^\s+/, "")
      : skip === "newline"
      ? chunk.replace(/^\r?\n/, "")
      : chunk;
    // `{{/if}}` then `}` would read as a triple-stache `}}}`: an empty comment keeps them apart.
    output += output.endsWith("}}") && kept.startsWith("}") ? `{{!}}${kept}` : kept;
  };
  for (const segment of scan(text)) {
    const raw = text.slice(segment.start, segment.end);
    append(text.slice(at, segment.start));
    at = segment.end;
    skip = "none";
    const handlebars = segment.kind === "expression" && isHandlebars(segment, raw);
    // Outside loops a plain `{{ name }}` is handlebars as it is; inside a converted loop, outer names
    // become `@root.name` and `loop.index0` `@index`.
    if (handlebars && (!scope.loopVars.length || !isPath(segment.body))) {
      output += raw;
      continue;
    }
    const { line, col } = position(text, segment.start);
    const finding: JinjaFinding = { line, col, text: raw, kind: segment.kind };
    try {
      const body = segment.kind === "comment"
        ? `!-- ${segment.body.replace(/^#|#$/g, "").trim()} --`
        : segment.kind === "expression"
        ? expression(segment.body, scope)
        : statement(segment.body, scope, stack, loopVarsStack);
      finding.replacement = `{{${body}}}`;
    } catch (e) {
      if (!(e instanceof NoEquivalent)) throw e;
      finding.why = e.message;
      output += raw;
      findings.push(finding);
      continue;
    }
    if (segment.trimLeft) output = output.replace(/\s+$/, "");
    const atLineStart = output === "" || output.endsWith("\n");
    output += finding.replacement;
    skip = segment.trimRight ? "blanks" : segment.kind === "expression" ? "none" : "newline";
    // A block tag alone on its line at column 1: handlebars drops that whole line, which is exactly
    // what trim_blocks does there; keep the line break so the template stays readable.
    if (skip === "newline" && atLineStart && standalone(text, segment)) skip = "none";
    lastInline = text.slice(text.lastIndexOf("\n", segment.start - 1) + 1, segment.start).trim() !== "";
    if (!handlebars) findings.push(finding);
  }
  // Ansible gives the result at least as many final newlines as the template has: after a tag that
  // ends a line of text (`port={% if x %}…{% endif %}` + newline) the last newline stays.
  const rest = text.slice(at);
  if (skip === "newline" && lastInline && /^\r?\n$/.test(rest)) skip = "none";
  append(rest);
  return { output, findings };
}

/** Alone on its source line from column 1 (then a line break or the end of the text). */
function standalone(text: string, s: Segment): boolean {
  return (s.start === 0 || text[s.start - 1] === "\n") && /^(?:\r?\n|$)/.test(text.slice(s.end));
}

const isPath = (body: string) => /^[A-Za-z_][\w.]*$/.test(body);

function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

function statement(body: string, scope: Scope, stack: Open[], loops: string[][]): string {
  const [keyword] = body.split(/\s+/, 1);
  const rest = body.slice(keyword.length).trim();
  switch (keyword) {
    case "if":
      stack.push({ kind: "if" });
      return `#if ${condition(rest, scope)}`;
    case "elif":
      return `else if ${condition(rest, scope)}`;
    case "else":
      return "else";
    case "endif":
      stack.pop();
      return "/if";
    case "for": {
      const m = /^([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+(.+?)(\.items\(\))?$/.exec(rest);
      if (!m || / if /.test(` ${m[3]} `) || (m[2] && !m[4])) {
        throw new NoEquivalent(
          "only `for x in list` and `for k, v in dict.items()` have an equivalent ({{#each}})",
        );
      }
      const list = operand(parse(m[3]), scope);
      stack.push({ kind: "for" });
      const names = m[2] ? [m[2], m[1]] : [m[1]];
      loops.push(names);
      scope.loopVars.push(...names, "loop");
      return `#each ${list} as |${names.join(" ")}|`;
    }
    case "endfor": {
      stack.pop();
      const names = loops.pop() ?? [];
      scope.loopVars.splice(scope.loopVars.length - names.length - 1);
      return "/each";
    }
    case "raw":
    case "endraw":
      throw new NoEquivalent("handlebars escapes a single `{{` as `\\{{`");
    default:
      throw new NoEquivalent(`handlebars has no \`${keyword}\` statement`);
  }
}

function condition(text: string, scope: Scope): string {
  return operand(parse(text), scope);
}

function parse(text: string): Expr {
  try {
    return parseExpression(text);
  } catch {
    throw new NoEquivalent("this expression is beyond the common forms the converter knows");
  }
}

/** The body of a converted `{{ … }}`: `x`, `default x "y"`, `join list ","` … */
function expression(body: string, scope: Scope): string {
  const [base, ...filters] = splitTop(body, "|");
  let value = operand(parse(base), scope);
  for (const f of filters) value = filter(value, f.trim(), scope);
  return value.startsWith("(") ? value.slice(1, -1) : value;
}

/** Filters with a handlebars helper (src/vars/template.ts); `x | length` is handlebars' `x.length`. */
function filter(value: string, text: string, scope: Scope): string {
  const m = /^([A-Za-z_]\w*)\s*(?:\((.*)\))?$/s.exec(text);
  if (!m) throw new NoEquivalent(`cannot read the filter '${text}'`);
  const [, name, argText] = m;
  const args = argText === undefined || argText.trim() === ""
    ? []
    : splitTop(argText, ",").map((a) => operand(parse(a), scope));
  const one = (helper: string) => {
    if (args.length) throw new NoEquivalent(`the filter ${name} takes no arguments here`);
    return `(${helper} ${value})`;
  };
  switch (name) {
    case "default":
    case "d":
      if (argText?.includes("omit")) {
        throw new NoEquivalent("`omit` has no equivalent: leave the argument out");
      }
      if (args.length !== 1) throw new NoEquivalent("default(value, true) has no equivalent");
      return `(default ${value} ${args[0]})`;
    case "upper":
    case "lower":
      return one(name);
    case "to_json":
    case "tojson":
      throw new NoEquivalent("{{json x}} writes compact JSON, to_json puts spaces after , and :");
    case "quote":
      throw new NoEquivalent("{{quote x}} always quotes, Ansible's quote only when needed");
    case "join":
      return `(join ${value} ${args[0] ?? '""'})`;
    case "mandatory":
    case "string":
      return value; // an undefined variable is an error anyway; a value renders as text
    case "length":
    case "count":
      if (value.startsWith("(")) throw new NoEquivalent(`${name} of an expression has no equivalent`);
      return `${value}.length`;
    default:
      throw new NoEquivalent(`handlebars has no '${name}' filter (helpers: see docs/from-ansible.md)`);
  }
}

/** An expression as a handlebars parameter: a path, a literal, or a `(helper …)` subexpression. */
function operand(e: Expr, scope: Scope): string {
  switch (e.kind) {
    case "literal":
      return typeof e.value === "string"
        ? JSON.stringify(e.value)
        : e.value === null
        ? "null"
        : String(e.value);
    case "var":
      return scope.loopVars.length && !scope.loopVars.includes(e.name) ? `@root.${e.name}` : e.name;
    case "get":
      return member(e, scope);
    case "not":
      return `(not ${operand(e.operand, scope)})`;
    case "and":
    case "or":
      return `(${e.kind} ${operand(e.left, scope)} ${operand(e.right, scope)})`;
    case "compare": {
      if (e.rest.length !== 1) throw new NoEquivalent("chained comparisons have no equivalent");
      const [left, { op, right }] = [operand(e.first, scope), e.rest[0]];
      const r = operand(right, scope);
      if (op === "==") return `(eq ${left} ${r})`;
      if (op === "!=") return `(ne ${left} ${r})`;
      if (op === "in") return `(includes ${r} ${left})`;
      if (op === "not in") return `(not (includes ${r} ${left}))`;
      throw new NoEquivalent(`handlebars has no '${op}' comparison`);
    }
    case "filter":
      return filter(
        operand(e.operand, scope),
        `${e.name}(${e.args.map((a) => exprText(a)).join(", ")})`,
        scope,
      );
    default:
      throw new NoEquivalent(`a Jinja ${e.kind} has no equivalent`);
  }
}

/** `a.b`, `a['b-c']` → `a.[b-c]`, `a[0]` → `a.[0]`, `loop.index0` → `@index`, `a[k]` → `(lookup a k)`. */
function member(e: Expr & { kind: "get" }, scope: Scope): string {
  if (e.object.kind === "var" && e.object.name === "loop" && scope.loopVars.includes("loop")) {
    const key = e.key.kind === "literal" ? e.key.value : undefined;
    const special: Record<string, string> = { index0: "@index", first: "@first", last: "@last" };
    if (typeof key === "string" && special[key]) return special[key];
    throw new NoEquivalent(`loop.${String(key)} has no equivalent (@index counts from 0, @first, @last)`);
  }
  const object = operand(e.object, scope);
  if (e.key.kind !== "literal") return `(lookup ${object} ${operand(e.key, scope)})`;
  const key = String(e.key.value);
  if (object.startsWith("(")) return `(lookup ${object} ${JSON.stringify(key)})`;
  return /^[A-Za-z_]\w*$/.test(key) ? `${object}.${key}` : `${object}.[${key}]`;
}

/** An expression back as text (filter arguments go through the parser again). */
function exprText(e: Expr): string {
  if (e.kind === "literal") return typeof e.value === "string" ? JSON.stringify(e.value) : String(e.value);
  if (e.kind === "var") return e.name;
  throw new NoEquivalent("filter arguments other than names and literals have no equivalent");
}

/** Split at `sep` outside quotes, parentheses and brackets. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === sep && depth === 0 && !(sep === "|" && text[i + 1] === "|")) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}
