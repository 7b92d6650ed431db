/**
 * The variables a handlebars template reads, found by walking its AST (`Handlebars.parse`), with
 * their positions in the template text. Only names read from the task's variables count: paths
 * inside `#each`/`#with` blocks read the current item (unless they climb out with `../` or start at
 * `@root`), block params (`as |x|`) are local, and helper names are not variables.
 *
 * @example
 * scanTemplate('{{ app_dir }}/{{default port "80"}}').vars
 * // [{ name: "app_dir", line: 1, col: 4, guarded: false }, { name: "port", line: 1, col: 27, guarded: true }]
 */
import Handlebars from "handlebars";
import type { Position } from "./types.ts";

// deno-lint-ignore no-explicit-any
type Node = any;

export interface TemplateVar extends Position {
  /** The top-level variable (`app` for `{{ app.port }}`). */
  name: string;
  /** Read in a way that tolerates it being undefined: `{{default x "v"}}`, `{{#if x}}`. */
  guarded: boolean;
}

export interface TemplateScan {
  vars: TemplateVar[];
  /** A syntax error: the template cannot be rendered at all. */
  error?: Position & { message: string };
}

/** Block helpers that keep the current context; the condition may be undefined (that is the idiom). */
const CONDITIONALS = new Set(["if", "unless"]);
/** Block helpers whose body reads from a new context (the item, the object). */
const CONTEXT_CHANGERS = new Set(["each", "with"]);

const cache = new Map<string, TemplateScan>();

/** The variables a template reads, or its syntax error. Cached by text. */
export function scanTemplate(text: string): TemplateScan {
  let scan = cache.get(text);
  if (!scan) {
    scan = parse(text);
    cache.set(text, scan);
  }
  return scan;
}

/** `{{ name }}`, `{{ a.b.c }}`: the common case, read without the (slow) handlebars parser. */
const SIMPLE = /\{\{\s*([A-Za-z_][\w-]*)(?:\.[\w-]+)*\s*\}\}/g;

function parse(text: string): TemplateScan {
  const simple = simpleScan(text);
  if (simple) return simple;
  let ast: Node;
  try {
    ast = Handlebars.parse(text);
  } catch (e) {
    return { vars: [], error: syntaxError(String((e as Error)?.message ?? e)) };
  }
  const vars: TemplateVar[] = [];
  const walker = new Walker(vars);
  walker.program(ast, 0, [], []);
  return { vars };
}

/** The variables of a template made only of plain `{{ path }}` expressions, or undefined. */
function simpleScan(text: string): TemplateScan | undefined {
  const vars: TemplateVar[] = [];
  let rest = text;
  for (const m of text.matchAll(SIMPLE)) {
    if (m[1] === "else" || m[1] === "this") return undefined;
    const before = text.slice(0, m.index);
    const line = before.split("\n").length;
    const col = m.index! - (before.lastIndexOf("\n") + 1) + m[0].indexOf(m[1]) + 1;
    vars.push({ name: m[1], line, col, guarded: false });
    rest = rest.replace(m[0], "");
  }
  return rest.includes("{{") || rest.includes("}}") ? undefined : { vars };
}

class Walker {
  constructor(readonly vars: TemplateVar[]) {}

  /** `known`: names an enclosing `{{#if name}}` (or `{{else}}` of `#unless`) proved defined. */
  program(node: Node, depth: number, locals: string[], known: string[]): void {
    for (const statement of node?.body ?? []) {
      if (statement.type === "MustacheStatement") this.call(statement, depth, locals, known);
      else if (statement.type === "BlockStatement") this.block(statement, depth, locals, known);
    }
  }

  /** `{{ x }}` reads x; `{{ helper a b key=c }}` reads a, b and c (the first of `default` guarded). */
  call(node: Node, depth: number, locals: string[], known: string[]): void {
    const params: Node[] = node.params ?? [];
    const hash: Node[] = node.hash?.pairs?.map((p: Node) => p.value) ?? [];
    const read = (n: Node, guarded: boolean) => this.expression(n, depth, locals, known, guarded);
    if (params.length === 0 && hash.length === 0) return read(node.path, false);
    const helper = node.path.original;
    params.forEach((p, i) => read(p, helper === "default" && i === 0));
    for (const v of hash) read(v, false);
  }

  block(node: Node, depth: number, locals: string[], known: string[]): void {
    const helper: string = node.path.original;
    const params: Node[] = node.params ?? [];
    const guarded = CONDITIONALS.has(helper);
    for (const p of params) this.expression(p, depth, locals, known, guarded);
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, depth, locals, known, false);
    // `{{#section}}` with no parameters is a section over the variable `section`.
    const section = params.length === 0 && !CONDITIONALS.has(helper) && !CONTEXT_CHANGERS.has(helper);
    if (section) this.expression(node.path, depth, locals, known, true);
    const inner = CONTEXT_CHANGERS.has(helper) || section ? depth + 1 : depth;
    const tested = guarded && params[0]?.type === "PathExpression" ? [params[0].original as string] : [];
    const [then, otherwise] = helper === "unless" ? [[], tested] : [tested, []];
    this.program(node.program, inner, [...locals, ...(node.program?.blockParams ?? [])], [...known, ...then]);
    this.program(node.inverse, depth, locals, [...known, ...otherwise]);
  }

  expression(node: Node, depth: number, locals: string[], known: string[], guarded: boolean): void {
    if (node?.type === "SubExpression") return this.call(node, depth, locals, known);
    if (node?.type !== "PathExpression") return;
    const parts: string[] = node.parts;
    let name: string | undefined;
    if (node.data) name = parts[0] === "root" ? parts[1] : undefined;
    else if (node.depth >= depth && !(node.depth === 0 && locals.includes(parts[0]))) name = parts[0];
    if (name === undefined) return;
    const proven = known.includes(name) || known.includes(node.original);
    this.vars.push({
      name,
      line: node.loc.start.line,
      col: node.loc.start.column + 1,
      guarded: guarded || proven,
    });
  }
}

/** Handlebars' "Parse error on line 2: ... Expecting ..., got 'EOF'" as one short sentence. */
function syntaxError(message: string): Position & { message: string } {
  const line = Number(/on line (\d+)/.exec(message)?.[1] ?? 1);
  const got = /got '([^']+)'/.exec(message)?.[1];
  const what = got === undefined
    ? message.split("\n")[0]
    : got === "EOF"
    ? "unexpected end of template (a block left open?)"
    : `unexpected ${got.toLowerCase().replaceAll("_", " ")}`;
  return { line, col: 1, message: `template syntax error: ${what}` };
}
