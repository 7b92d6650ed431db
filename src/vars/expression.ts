/**
 * Conditions (`when`, `changed_when`, `failed_when`): the small Jinja subset Ansible users write
 * without braces. A tokenizer and a precedence-climbing parser build an AST that is evaluated against
 * a variables object; nothing is ever compiled to code (no `eval`, no `Function`).
 *
 * Semantics follow Python/Jinja: truthiness (empty string/list/dict, 0 and None are false), `and`/`or`
 * return an operand, `1 == 1.0`, ordering only between numbers or between strings, `in` for
 * substrings, list items and dict keys. An undefined variable is an error naming it, except under
 * `is defined`, `is undefined` and `| default(...)`. `is version('v1.51.0', '>=')` compares releases as
 * Ansible's `version` test does (src/vars/version.ts).
 *
 * @example
 * ```ts
 * evaluateCondition("docker_version is defined and docker_version | int >= 24", vars, "site.yml:3:5 when");
 * ```
 */
import { UserError } from "../core/errors.ts";
import { scoped } from "./template.ts";
import { versionTest } from "./version.ts";

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in";

export type Expr =
  | { kind: "literal"; value: unknown }
  | { kind: "list"; items: Expr[] }
  | { kind: "var"; name: string }
  /** `a.b` (key is a string literal), `a['b']`, `a[0]`, `a[i]`. */
  | { kind: "get"; object: Expr; key: Expr }
  | { kind: "not"; operand: Expr }
  | { kind: "neg"; operand: Expr }
  | { kind: "and" | "or"; left: Expr; right: Expr }
  /** A chain `a < b <= c` means `a < b and b <= c`, as in Python. */
  | { kind: "compare"; first: Expr; rest: { op: CompareOp; right: Expr }[] }
  | { kind: "test"; operand: Expr; test: string; negated: boolean; args: Expr[] }
  | { kind: "filter"; operand: Expr; name: string; args: Expr[] };

export type Condition = string | boolean | (string | boolean)[];

// ---------------------------------------------------------------------------------------------------
// Tokenizer

type TokenType = "num" | "str" | "name" | "op" | "end";
interface Token {
  type: TokenType;
  text: string;
  value?: unknown;
  /** 1-based column in the expression text. */
  col: number;
}

const OPERATORS = ["==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", ".", "|", "-"];
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    NUMBER.lastIndex = NAME.lastIndex = i;
    const num = /\d/.test(c) ? NUMBER.exec(text) : null;
    const name = num ? null : NAME.exec(text);
    if (num) {
      tokens.push({ type: "num", text: num[0], value: Number(num[0]), col });
      i += num[0].length;
    } else if (name) {
      tokens.push({ type: "name", text: name[0], col });
      i += name[0].length;
    } else if (c === "'" || c === '"') {
      let value = "";
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === "\\" && j + 1 < text.length) value += ESCAPES[text[++j]] ?? `\\${text[j]}`;
        else value += text[j];
      }
      if (j >= text.length) throw syntaxError(text, col, "unterminated string");
      tokens.push({ type: "str", text: text.slice(i, j + 1), value, col });
      i = j + 1;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (!op) throw syntaxError(text, col, `unexpected '${c}'`);
      tokens.push({ type: "op", text: op, col });
      i += op.length;
    }
  }
  tokens.push({ type: "end", text: "", col: text.length + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------
// Parser

const KEYWORDS: Record<string, unknown> = {
  true: true,
  True: true,
  false: false,
  False: false,
  none: null,
  None: null,
  null: null,
};
const COMPARE_OPS = new Set(["==", "!=", "<", "<=", ">", ">="]);
/** Binding power of the binary operators; `not` (prefix) sits between `and` and the comparisons. */
const BINARY: Record<string, number> = { or: 1, and: 2 };
const NOT_POWER = 3;

const FILTERS = ["bool", "d", "default", "int", "length", "count", "lower", "string", "trim", "upper"];
const TESTS = [
  "changed",
  "defined",
  "failed",
  "none",
  "skipped",
  "succeeded",
  "success",
  "failure",
  "change",
  "skip",
  "undefined",
  "version",
];

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Expr {
    if (this.peek().type === "end") throw syntaxError(this.text, 1, "empty expression");
    const expr = this.expression(0);
    const rest = this.peek();
    if (rest.type !== "end") throw this.unexpected(rest);
    return expr;
  }

  /** Precedence climbing over `or`/`and`, with `not` as a prefix operator. */
  private expression(minPower: number): Expr {
    let left: Expr;
    if (this.isName("not") && !this.isName("in", 1)) {
      this.next();
      left = { kind: "not", operand: this.expression(NOT_POWER) };
    } else {
      left = this.comparison();
    }
    for (;;) {
      const t = this.peek();
      const power = t.type === "name" ? BINARY[t.text] : undefined;
      if (power === undefined || power <= minPower) return left;
      this.next();
      left = { kind: t.text as "and" | "or", left, right: this.expression(power) };
    }
  }

  private comparison(): Expr {
    const first = this.filtered();
    const rest: { op: CompareOp; right: Expr }[] = [];
    for (;;) {
      const t = this.peek();
      let op: CompareOp | undefined;
      if (t.type === "op" && COMPARE_OPS.has(t.text)) op = t.text as CompareOp;
      else if (this.isName("in")) op = "in";
      else if (this.isName("not") && this.isName("in", 1)) op = "not in";
      if (!op) break;
      this.next();
      if (op === "not in") this.next();
      rest.push({ op, right: this.filtered() });
    }
    return rest.length ? { kind: "compare", first, rest } : first;
  }

  /** Filters (`| name(args)`) and tests (`is [not] name`) bind tighter than comparisons. */
  private filtered(): Expr {
    let expr = this.unary();
    for (;;) {
      if (this.isOp("|")) {
        this.next();
        const name = this.expectName("a filter name");
        if (!FILTERS.includes(name.text)) {
          throw syntaxError(
            this.text,
            name.col,
            `unknown filter '${name.text}' (known: ${FILTERS.join(", ")})`,
          );
        }
        const args = this.isOp("(") ? this.callArgs() : [];
        expr = { kind: "filter", operand: expr, name: name.text, args };
      } else if (this.isName("is")) {
        this.next();
        const negated = this.isName("not");
        if (negated) this.next();
        const name = this.expectName("a test name");
        if (!TESTS.includes(name.text)) {
          throw syntaxError(this.text, name.col, `unknown test '${name.text}' (known: ${TESTS.join(", ")})`);
        }
        const args = this.isOp("(") ? this.callArgs() : [];
        expr = { kind: "test", operand: expr, test: name.text, negated, args };
      } else {
        return expr;
      }
    }
  }

  private unary(): Expr {
    if (this.isOp("-")) {
      this.next();
      return { kind: "neg", operand: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    for (;;) {
      if (this.isOp(".")) {
        this.next();
        const t = this.next();
        if (t.type !== "name" && !(t.type === "num" && /^\d+$/.test(t.text))) throw this.unexpected(t);
        expr = {
          kind: "get",
          object: expr,
          key: { kind: "literal", value: t.type === "num" ? t.value : t.text },
        };
      } else if (this.isOp("[")) {
        this.next();
        const key = this.expression(0);
        this.expectOp("]");
        expr = { kind: "get", object: expr, key };
      } else {
        return expr;
      }
    }
  }

  private primary(): Expr {
    const t = this.next();
    if (t.type === "num" || t.type === "str") return { kind: "literal", value: t.value };
    if (t.type === "name") {
      if (Object.hasOwn(KEYWORDS, t.text)) return { kind: "literal", value: KEYWORDS[t.text] };
      if (["and", "or", "not", "in", "is"].includes(t.text)) throw this.unexpected(t);
      return { kind: "var", name: t.text };
    }
    if (t.text === "(") {
      const inner = this.expression(0);
      this.expectOp(")");
      return inner;
    }
    if (t.text === "[") {
      const items: Expr[] = [];
      while (!this.isOp("]")) {
        items.push(this.expression(0));
        if (!this.isOp("]")) this.expectOp(",");
      }
      this.next();
      return { kind: "list", items };
    }
    throw this.unexpected(t);
  }

  private callArgs(): Expr[] {
    this.expectOp("(");
    const args: Expr[] = [];
    while (!this.isOp(")")) {
      args.push(this.expression(0));
      if (!this.isOp(")")) this.expectOp(",");
    }
    this.next();
    return args;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.type === "op" && t.text === text;
  }
  private isName(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === "name" && t.text === text;
  }
  private expectOp(text: string): void {
    if (!this.isOp(text)) throw this.unexpected(this.peek(), `expected '${text}'`);
    this.next();
  }
  private expectName(what: string): Token {
    const t = this.next();
    if (t.type !== "name") throw this.unexpected(t, `expected ${what}`);
    return t;
  }
  private unexpected(t: Token, expected?: string): UserError {
    const found = t.type === "end" ? "unexpected end of expression" : `unexpected '${t.text}'`;
    return syntaxError(this.text, t.col, expected ? `${found}, ${expected}` : found);
  }
}

function syntaxError(text: string, col: number, what: string): UserError {
  return new UserError(`syntax error at column ${col} in '${text}': ${what}`);
}

const cache = new Map<string, Expr>();
const CACHE_LIMIT = 2000;

/** Parse an expression (`{{ }}` around it is allowed). Throws `UserError` on a syntax error. */
export function parseExpression(text: string): Expr {
  let expr = cache.get(text);
  if (!expr) {
    expr = new Parser(stripBraces(text)).parse();
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, expr);
  }
  return expr;
}

const stripBraces = (text: string): string => {
  const m = /^\s*\{\{(.*)\}\}\s*$/s.exec(text);
  return (m ? m[1] : text).trim();
};

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** A value that is not defined; carries the path that was looked up, for the error message. */
class Undefined {
  constructor(readonly name: string) {}
}

/**
 * Evaluate an expression. Throws `UserError` on an undefined variable or a type error. Variables are
 * read through the one scope (src/vars/scope.ts): a role default such as
 * `lago_secret_key_base: "{{ lago_secret_values.secrets.SECRET_KEY_BASE }}"` compares by what it
 * renders to, as in task arguments and templates, not by its template text.
 */
export function evaluate(expr: Expr, vars: Record<string, unknown>): unknown {
  return defined(evalExpr(expr, scoped(vars)));
}

function defined(v: unknown): unknown {
  if (v instanceof Undefined) {
    throw new UserError(
      `undefined variable '${v.name}'`,
      `define it, guard it with '${v.name} is defined', or give a fallback with '${v.name} | default(...)'`,
    );
  }
  return v;
}

function evalExpr(e: Expr, vars: Record<string, unknown>): unknown {
  switch (e.kind) {
    case "literal":
      return e.value;
    case "list":
      return e.items.map((i) => defined(evalExpr(i, vars)));
    case "var": {
      const found = lookup(vars, e.name);
      return found ? found.value : new Undefined(e.name);
    }
    case "get":
      return getItem(evalExpr(e.object, vars), defined(evalExpr(e.key, vars)), e);
    case "not":
      return !truthy(evalExpr(e.operand, vars));
    case "neg": {
      const v = defined(evalExpr(e.operand, vars));
      if (typeof v !== "number") throw new UserError(`cannot negate ${typeName(v)}`);
      return -v;
    }
    case "and": {
      const left = evalExpr(e.left, vars);
      return truthy(left) ? defined(evalExpr(e.right, vars)) : left;
    }
    case "or": {
      const left = evalExpr(e.left, vars);
      return truthy(left) ? left : defined(evalExpr(e.right, vars));
    }
    case "compare": {
      let left = defined(evalExpr(e.first, vars));
      for (const { op, right: r } of e.rest) {
        const right = defined(evalExpr(r, vars));
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case "test":
      return runTest(e, evalExpr(e.operand, vars), e.args.map((a) => defined(evalExpr(a, vars)))) !==
        e.negated;
    case "filter":
      return runFilter(e.name, evalExpr(e.operand, vars), e.args.map((a) => defined(evalExpr(a, vars))));
  }
}

function getItem(object: unknown, key: unknown, e: Expr): unknown {
  if (object instanceof Undefined) return object; // name the first missing part: `a` in `a.b.c`
  let found: { value: unknown } | undefined;
  if (Array.isArray(object) || typeof object === "string") {
    const i = typeof key === "number" && Number.isInteger(key) ? (key < 0 ? object.length + key : key) : -1;
    if (i >= 0 && i < object.length) found = { value: object[i] };
  } else if (object !== null && typeof object === "object") {
    found = lookup(object as Record<string, unknown>, String(key));
  }
  return found ? found.value : new Undefined(describe(e));
}

/**
 * A key of a variables object, own or inherited from a scope below it (vars may be layered with
 * prototypes), but never from `Object.prototype` (`constructor` is not a variable). Undefined values
 * read as None.
 */
function lookup(object: Record<string, unknown>, key: string): { value: unknown } | undefined {
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    // Read through the top object: in a scope, that resolves a templated value.
    if (Object.hasOwn(o, key)) return { value: object[key] ?? null };
  }
  return undefined;
}

/** The source-like name of a variable path, for messages: `a.b[0]['c-d']`. */
function describe(e: Expr): string {
  switch (e.kind) {
    case "var":
      return e.name;
    case "get": {
      const base = describe(e.object);
      if (e.key.kind !== "literal") return `${base}[${describe(e.key)}]`;
      const k = e.key.value;
      if (typeof k === "string") return /^[A-Za-z_]\w*$/.test(k) ? `${base}.${k}` : `${base}['${k}']`;
      return `${base}[${String(k)}]`;
    }
    case "literal":
      return JSON.stringify(e.value);
    default:
      return "(expression)";
  }
}

/** Python truthiness. Undefined is an error, as in Ansible. */
export function truthy(v: unknown): boolean {
  v = defined(v);
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (typeof v === "number") return !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "dict";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  return ({ string: "str", boolean: "bool" } as Record<string, string>)[typeof v] ?? typeof v;
}

function equals(a: unknown, b: unknown): boolean {
  if (typeof a === "boolean" && typeof b === "number") return Number(a) === b;
  if (typeof a === "number" && typeof b === "boolean") return a === Number(b);
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((x, i) => equals(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(b, k) && equals((a as any)[k], (b as any)[k]));
  }
  return false;
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case "==":
      return equals(a, b);
    case "!=":
      return !equals(a, b);
    case "in":
      return contains(b, a);
    case "not in":
      return !contains(b, a);
  }
  const comparable = (typeof a === "number" && typeof b === "number") ||
    (typeof a === "string" && typeof b === "string");
  if (!comparable) {
    throw new UserError(
      `'${op}' not supported between ${typeName(a)} and ${typeName(b)}`,
      typeof a === "string" || typeof b === "string" ? "convert with '| int' to compare numbers" : undefined,
    );
  }
  const x = a as number | string, y = b as number | string;
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") {
      throw new UserError(`'in <string>' requires a string on the left, not ${typeName(item)}`);
    }
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => equals(x, item));
  if (container !== null && typeof container === "object") return Object.hasOwn(container, String(item));
  throw new UserError(`'in' needs a string, list or dict on the right, not ${typeName(container)}`);
}

/** How a message names one side of a test: a variable by its name, a literal written in the condition as written. */
function sideName(e: Expr | undefined, otherwise: string): string {
  if (e?.kind === "var" || e?.kind === "get") return describe(e);
  if (e?.kind === "literal" && typeof e.value === "string") return `'${e.value}'`;
  return otherwise;
}

function runTest(t: Extract<Expr, { kind: "test" }>, value: unknown, args: unknown[]): boolean {
  const test = t.test;
  switch (test) {
    case "version":
      return versionTest(defined(value), args[0], args[1], {
        value: sideName(t.operand, "the tested value"),
        other: sideName(t.args[0], "the version given"),
        operator: sideName(t.args[1], "the operator given"),
      });
    case "defined":
      return !(value instanceof Undefined);
    case "undefined":
      return value instanceof Undefined;
    case "none":
      return defined(value) === null;
  }
  const result = defined(value);
  if (result === null || typeof result !== "object" || Array.isArray(result)) {
    throw new UserError(`the '${test}' test needs a registered result (a dict), not ${typeName(result)}`);
  }
  const r = result as Record<string, unknown>;
  switch (test) {
    case "succeeded":
    case "success":
      return !truthy(r.failed ?? false);
    case "failed":
    case "failure":
      return truthy(r.failed ?? false);
    case "changed":
    case "change":
      return truthy(r.changed ?? false);
    default: // skipped, skip
      return truthy(r.skipped ?? false);
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function runFilter(name: string, value: unknown, args: unknown[]): unknown {
  if (name === "default" || name === "d") {
    const useOnFalsy = truthy(args[1] ?? false);
    if (value instanceof Undefined || (useOnFalsy && !truthy(value))) return args[0] ?? "";
    return value;
  }
  const v = defined(value);
  switch (name) {
    case "length":
    case "count":
      if (typeof v === "string" || Array.isArray(v)) return v.length;
      if (v !== null && typeof v === "object") return Object.keys(v).length;
      throw new UserError(`'${name}' needs a string, list or dict, not ${typeName(v)}`);
    case "bool":
      if (typeof v === "boolean") return v;
      return ["yes", "on", "1", "true"].includes(String(v).trim().toLowerCase());
    case "int": {
      if (typeof v === "boolean") return Number(v);
      const text = String(v).trim();
      const n = typeof v === "number" ? v : DECIMAL.test(text) ? Number(text) : NaN;
      return Number.isFinite(n) ? Math.trunc(n) : args.length ? args[0] : 0;
    }
    case "lower":
      return toText(v).toLowerCase();
    case "upper":
      return toText(v).toUpperCase();
    case "trim":
      return toText(v).trim();
    default: // string
      return toText(v);
  }
}

/** Python `str()` of a value, close enough for conditions. */
function toText(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Evaluate a `when`-style condition: a boolean, an expression, or a list of them (all must hold).
 * `where` prefixes error messages: `playbooks/site.yml:12:5 when`.
 */
export function evaluateCondition(cond: Condition, vars: Record<string, unknown>, where: string): boolean {
  if (Array.isArray(cond)) return cond.every((c) => evaluateCondition(c, vars, where));
  if (typeof cond === "boolean") return cond;
  if (typeof cond !== "string") {
    throw new UserError(
      `${where}: should be an expression, a boolean or a list of them, not ${typeName(cond)}`,
    );
  }
  try {
    return truthy(evaluate(parseExpression(cond), vars));
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${where}: ${e.message}`, e.hint);
    throw e;
  }
}

/**
 * The top-level variable names an expression reads, in order of first use, without those guarded
 * anywhere in it by `is defined`, `is undefined` or `| default(...)` (lint reports the rest when no
 * scope defines them).
 */
export function referencedVariables(expr: Expr): string[] {
  const used = new Set<string>();
  const guarded = new Set<string>();
  const walk = (e: Expr, guard = false): void => {
    switch (e.kind) {
      case "var":
        (guard ? guarded : used).add(e.name);
        return;
      case "get":
        walk(e.object, guard);
        return walk(e.key);
      case "list":
        return e.items.forEach((i) => walk(i));
      case "not":
      case "neg":
        return walk(e.operand);
      case "and":
      case "or":
        walk(e.left);
        return walk(e.right);
      case "compare":
        walk(e.first);
        return e.rest.forEach((r) => walk(r.right));
      case "test":
        walk(e.operand, e.test === "defined" || e.test === "undefined");
        return e.args.forEach((a) => walk(a));
      case "filter":
        walk(e.operand, e.name === "default" || e.name === "d");
        return e.args.forEach((a) => walk(a));
    }
  };
  walk(expr);
  return [...used].filter((n) => !guarded.has(n));
}
