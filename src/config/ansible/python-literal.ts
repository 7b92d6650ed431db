/**
 * The values of an INI inventory, typed as Ansible's INI plugin types them: it hands each value to
 * Python's `ast.literal_eval` and keeps the text when that fails. So `2222` is a number, `True` a
 * boolean, `[1, 2]` a list, `'{"a": 1}'` a mapping, and `yes`, `0644`, `10.0.0.1` or `/usr/bin/python3`
 * stay text. Pure: text in, value out.
 */

/** What literal_eval made of a text. `unsupported`: Python accepts it but the value has no JSON form. */
export type LiteralResult =
  | { kind: "value"; value: unknown }
  | { kind: "text" }
  | { kind: "unsupported"; reason: string };

/** The value Ansible's INI plugin gives `text`: the literal, or the text itself. */
export function iniValue(text: string): LiteralResult {
  try {
    const parser = new Parser(tokenize(text.replace(/^[ \t]+/, "")));
    const node = parser.expressionList();
    parser.expectEnd();
    return { kind: "value", value: evaluate(node) };
  } catch (e) {
    if (e instanceof Unsupported) return { kind: "unsupported", reason: e.message };
    if (e instanceof NotLiteral) return { kind: "text" };
    throw e;
  }
}

/** Syntax error or a valid expression that is not a literal: Ansible keeps the text. */
class NotLiteral extends Error {}
/** A literal Python evaluates but that has no JSON form (complex, set, bytes in a list, …). */
class Unsupported extends Error {}

// ---- tokens ----

type Token =
  | { t: "num"; value: number; imaginary: boolean }
  | { t: "str"; value: string; bytes: boolean; fstring: boolean }
  | { t: "name"; value: string }
  | { t: "op"; value: string };

const NAME = /^[\p{L}_][\p{L}\p{N}_]*/u;
const digits = (d: string) => `[${d}](?:_?[${d}])*`;
const DEC = digits("0-9");
const EXPONENT = `[eE][+-]?${DEC}`;
const FLOAT = new RegExp(
  `^(?:(?:${DEC})?\\.${DEC}(?:${EXPONENT})?|${DEC}\\.(?:${EXPONENT})?|${DEC}${EXPONENT})`,
);
const INTEGER = new RegExp(
  `^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0+(?:_?0)*)`,
);
const STRING_PREFIX = /^(?:[rR][bBfF]?|[bBfF][rR]?|[uU])?(?='|")/;
const OPERATORS = [
  "**",
  "//",
  "...",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  "+",
  "-",
  "*",
  "/",
  "%",
  ".",
  "=",
  "<",
  ">",
  "!",
  "~",
  "&",
  "|",
  "^",
  "@",
  ";",
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i];
    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") break; // a comment runs to the end of the (single) line
    if (c === "\n" || c === "\r" || c === "\\") throw new NotLiteral();
    const prefix = STRING_PREFIX.exec(rest);
    if (prefix) {
      const { token, length } = readString(text, i + prefix[0].length, prefix[0].toLowerCase());
      tokens.push(token);
      i += prefix[0].length + length;
      continue;
    }
    const number = FLOAT.exec(rest) ?? INTEGER.exec(rest);
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      if (!number) throw new NotLiteral();
      let length = number[0].length;
      const imaginary = /^[jJ]/.test(text.slice(i + length));
      if (imaginary) length++;
      // `1_`, `0x1g`, `08`, `1.5e`: Python's tokenizer refuses a number glued to more word characters.
      if (/^[\p{L}\p{N}_]/u.test(text.slice(i + length))) throw new NotLiteral();
      tokens.push({ t: "num", value: numberValue(number[0]), imaginary });
      i += length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ t: "name", value: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new NotLiteral();
    tokens.push({ t: "op", value: op });
    i += op.length;
  }
  return tokens;
}

function numberValue(text: string): number {
  const clean = text.replaceAll("_", "");
  const radix = /^0[xX]/.test(clean) ? 16 : /^0[oO]/.test(clean) ? 8 : /^0[bB]/.test(clean) ? 2 : 10;
  const value = radix === 10 ? Number(clean) : parseInt(clean.slice(2), radix);
  const exact = /[.eE]/.test(clean) && radix === 10 ? Number.isFinite(value) : Number.isSafeInteger(value);
  if (!exact) {
    throw new Unsupported(`the number ${text} is too large to keep exactly (quote it to keep it as text)`);
  }
  return value;
}

/** Python's one-character escapes (`\n`, `\t`, …), as its string literals and Ansible's key=value decode them. */
export const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** A quoted string starting at `start` (its opening quote); `prefix` lower-cased (r, b, rb, f, u …). */
function readString(text: string, start: number, prefix: string) {
  const quote = text.startsWith(text[start].repeat(3), start) ? text[start].repeat(3) : text[start];
  const raw = prefix.includes("r");
  const bytes = prefix.includes("b");
  let i = start + quote.length;
  let value = "";
  for (;;) {
    if (i >= text.length) throw new NotLiteral(); // unterminated
    if (text.startsWith(quote, i)) break;
    const c = text[i];
    if (quote.length === 1 && c === "\n") throw new NotLiteral();
    if (bytes && c.charCodeAt(0) > 127) throw new NotLiteral(); // bytes can only contain ASCII
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) throw new NotLiteral();
    if (raw) {
      value += c + next; // a raw string keeps the backslash, even before a quote
      i += 2;
      continue;
    }
    const escape = readEscape(text, i + 1, bytes);
    value += escape.value;
    i += 1 + escape.length;
  }
  const length = i + quote.length - start;
  return { token: { t: "str" as const, value, bytes, fstring: prefix.includes("f") }, length };
}

function readEscape(text: string, at: number, bytes: boolean): { value: string; length: number } {
  const c = text[at];
  if (c in SIMPLE_ESCAPES) return { value: SIMPLE_ESCAPES[c], length: 1 };
  const octal = /^[0-7]{1,3}/.exec(text.slice(at));
  if (octal) return { value: String.fromCodePoint(parseInt(octal[0], 8)), length: octal[0].length };
  const hexLength = c === "x" ? 2 : !bytes && c === "u" ? 4 : !bytes && c === "U" ? 8 : 0;
  if (hexLength) {
    const hex = text.slice(at + 1, at + 1 + hexLength);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new NotLiteral();
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new NotLiteral();
    return { value: String.fromCodePoint(code), length: 1 + hexLength };
  }
  if (!bytes && c === "N") {
    if (text[at + 1] !== "{") throw new NotLiteral();
    throw new Unsupported("\\N{…} escapes (write the character itself)");
  }
  return { value: "\\" + c, length: 1 }; // an unknown escape keeps its backslash
}

// ---- syntax ----

type Node =
  | { n: "const"; value: unknown; bytes?: boolean; complex?: boolean }
  | { n: "list" | "tuple" | "set"; items: Node[] }
  | { n: "dict"; entries: [Node, Node][] };

class Parser {
  private at = 0;
  constructor(private tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t?.t === "op" && t.value === value;
  }

  private take(value: string): void {
    if (!this.isOp(value)) throw new NotLiteral();
    this.at++;
  }

  expectEnd(): void {
    if (this.at < this.tokens.length) throw new NotLiteral();
  }

  /** `a, b` at the top level or in parentheses is a tuple; a lone `a` is itself. */
  expressionList(closing?: string): Node {
    const first = this.expression();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.isOp(",")) {
      this.at++;
      if (this.peek() === undefined || (closing && this.isOp(closing))) break;
      items.push(this.expression());
    }
    return { n: "tuple", items };
  }

  /** A literal, or a sum/difference (which literal_eval accepts only to build a complex number). */
  private expression(): Node {
    const left = this.signed();
    if (!this.isOp("+") && !this.isOp("-")) return left;
    this.at++;
    const right = this.atom();
    if (!isNumber(left) || !(right.n === "const" && right.complex)) throw new NotLiteral();
    return { n: "const", value: null, complex: true };
  }

  /** `-1`, `+2.5`: one sign on a number (not on a boolean, not twice). */
  private signed(): Node {
    if (this.isOp("-") || this.isOp("+")) {
      const negative = this.isOp("-");
      this.at++;
      const operand = this.atom();
      if (!isNumber(operand)) throw new NotLiteral();
      return operand.complex
        ? operand
        : { n: "const", value: negative ? -(operand.value as number) : operand.value };
    }
    return this.atom();
  }

  private atom(): Node {
    const t = this.peek();
    if (!t) throw new NotLiteral();
    this.at++;
    switch (t.t) {
      case "num":
        return t.imaginary ? { n: "const", value: null, complex: true } : { n: "const", value: t.value };
      case "str":
        return this.strings(t);
      case "name":
        return this.name(t.value);
      case "op":
        if (t.value === "[") return { n: "list", items: this.items("]") };
        if (t.value === "(") return this.parenthesised();
        if (t.value === "{") return this.braces();
        if (t.value === "...") return { n: "const", value: undefined };
    }
    throw new NotLiteral();
  }

  /** Adjacent strings concatenate; mixing text and bytes is a syntax error, an f-string is not a literal. */
  private strings(first: Token & { t: "str" }): Node {
    let value = first.value;
    let fstring = first.fstring;
    for (let t = this.peek(); t?.t === "str"; t = this.peek()) {
      if (t.bytes !== first.bytes) throw new NotLiteral();
      value += t.value;
      fstring ||= t.fstring;
      this.at++;
    }
    if (fstring) throw new NotLiteral();
    return { n: "const", value, bytes: first.bytes };
  }

  private name(value: string): Node {
    if (value === "True") return { n: "const", value: true };
    if (value === "False") return { n: "const", value: false };
    if (value === "None") return { n: "const", value: null };
    if (value === "set" && this.isOp("(")) {
      this.take("(");
      this.take(")");
      return { n: "set", items: [] };
    }
    throw new NotLiteral();
  }

  private parenthesised(): Node {
    if (this.isOp(")")) {
      this.at++;
      return { n: "tuple", items: [] };
    }
    const inner = this.expressionList(")");
    this.take(")");
    return inner;
  }

  private items(closing: string): Node[] {
    const items: Node[] = [];
    while (!this.isOp(closing)) {
      items.push(this.expression());
      if (!this.isOp(",")) break;
      this.at++;
    }
    this.take(closing);
    return items;
  }

  private braces(): Node {
    if (this.isOp("}")) {
      this.at++;
      return { n: "dict", entries: [] };
    }
    const first = this.expression();
    if (!this.isOp(":")) {
      const rest = this.isOp(",") ? (this.at++, this.items("}")) : (this.take("}"), []);
      return { n: "set", items: [first, ...rest] };
    }
    const entries: [Node, Node][] = [];
    let key = first;
    for (;;) {
      this.take(":");
      entries.push([key, this.expression()]);
      if (!this.isOp(",")) break;
      this.at++;
      if (this.isOp("}")) break;
      key = this.expression();
    }
    this.take("}");
    return { n: "dict", entries };
  }
}

const isNumber = (node: Node): node is Node & { n: "const" } =>
  node.n === "const" && (typeof node.value === "number" || node.complex === true);

// ---- values ----

/** The plain value of a literal; the top-level bytes become text as Ansible decodes them. */
function evaluate(node: Node, nested = false): unknown {
  switch (node.n) {
    case "const":
      if (node.complex) throw new Unsupported("complex numbers");
      if (node.value === undefined) throw new Unsupported("Ellipsis (...)");
      if (node.bytes && nested) throw new Unsupported("bytes inside a list or mapping");
      return node.value;
    case "list":
    case "tuple":
      return node.items.map((item) => evaluate(item, true));
    case "set":
      throw new Unsupported("sets ({a, b}): write a list [a, b]");
    case "dict": {
      // Python's keys 1, 1.0 and True are one key: the first one written names it, the last value wins.
      const names = new Map<unknown, string>();
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.entries) {
        const identity = keyIdentity(k);
        if (!names.has(identity)) names.set(identity, keyText(k));
        out[names.get(identity)!] = evaluate(v, true);
      }
      return out;
    }
  }
}

const keyIdentity = (node: Node) => {
  const v = (node as { value?: unknown }).value;
  return typeof v === "boolean" ? Number(v) : v;
};

/** JSON's name for a mapping key, as Python's json module writes it. */
function keyText(node: Node): string {
  if (node.n !== "const" || node.complex || node.bytes || node.value === undefined) {
    throw new Unsupported("mapping keys that are not text, numbers, booleans or None");
  }
  return node.value === null ? "null" : String(node.value);
}
