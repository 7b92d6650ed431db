/**
 * Handlebars rendering for template files and `{{ var }}` in task arguments. Strict: a variable that
 * is not defined is an error naming it and where it was used, never an empty string. Variables are
 * read through the one scope (src/vars/scope.ts): a variable whose value is a template reads as what
 * it renders to, in a template, a helper's argument or a condition alike.
 */
import Handlebars from "handlebars";
import { UserError } from "../core/errors.ts";
import { describeJinja, findJinja, mayHaveJinja } from "./jinja.ts";
import { CycleError, isTemplated, isUnsafe, markUnsafe, plain, scopeOf } from "./scope.ts";

export { isTemplated, markUnsafe };

const hb = Handlebars.create();

// Helpers an operator reaches for in config files. `default` is the escape hatch from strict mode.
hb.registerHelper(
  "default",
  (value: unknown, fallback: unknown) =>
    value === undefined || value === null || value === "" ? fallback : value,
);
// The first value that is set: not undefined, null, "" or an empty list (`{{#each (coalesce a b)}}`).
hb.registerHelper(
  "coalesce",
  (...args: unknown[]) =>
    args.slice(0, -1).find((v) =>
      v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0)
    ),
);
// Whether a list holds a value (`{{#if (includes lago_services "api")}}`).
hb.registerHelper("includes", (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value));
hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hb.registerHelper("ne", (a: unknown, b: unknown) => a !== b);
hb.registerHelper("not", (a: unknown) => !a);
hb.registerHelper("and", (...a: unknown[]) => a.slice(0, -1).every(Boolean));
hb.registerHelper("or", (...a: unknown[]) => a.slice(0, -1).some(Boolean));
hb.registerHelper("json", (v: unknown) => JSON.stringify(v));
hb.registerHelper("upper", (v: unknown) => String(v).toUpperCase());
hb.registerHelper("lower", (v: unknown) => String(v).toLowerCase());
hb.registerHelper(
  "join",
  (v: unknown, sep: unknown) => (Array.isArray(v) ? v.join(typeof sep === "string" ? sep : ",") : String(v)),
);
hb.registerHelper("quote", (v: unknown) => `'${String(v).replaceAll("'", `'"'"'`)}'`);
// A value inside a URL (a password in DATABASE_URL): every reserved character percent-encoded.
hb.registerHelper("urlencode", (v: unknown) => encodeURIComponent(String(v)));
// The `user:password@` of a URL, each part percent-encoded; "" when both are empty, `:password@` without a
// user. Arguments arrive resolved (the one scope), so an empty password is seen as empty.
hb.registerHelper("userinfo", (user: unknown, password: unknown) => {
  const u = String(user ?? "");
  const p = String(password ?? "");
  if (u === "" && p === "") return "";
  return `${encodeURIComponent(u)}${p === "" ? "" : `:${encodeURIComponent(p)}`}@`;
});
// Its arguments as one string (`{{concat "api-" queue "-worker"}}`).
hb.registerHelper("concat", (...args: unknown[]) => args.slice(0, -1).map(String).join(""));
// Every occurrence of a text replaced (`{{replace service "-" "_"}}`).
hb.registerHelper(
  "replace",
  (v: unknown, from: unknown, to: unknown) => String(v).replaceAll(String(from), String(to)),
);

/**
 * How many arguments each helper takes (min, max), handlebars' own block helpers included: a template
 * calling an unknown helper, or one with the wrong number of arguments, is refused when the files load
 * (src/vars/template-check.ts).
 */
export const HELPERS: Record<string, [number, number]> = {
  default: [2, 2],
  coalesce: [1, Infinity],
  includes: [2, 2],
  eq: [2, 2],
  ne: [2, 2],
  not: [1, 1],
  and: [1, Infinity],
  or: [1, Infinity],
  json: [1, 1],
  upper: [1, 1],
  lower: [1, 1],
  join: [1, 2],
  quote: [1, 1],
  urlencode: [1, 1],
  userinfo: [2, 2],
  concat: [1, Infinity],
  replace: [3, 3],
  // Handlebars' built-ins.
  if: [1, 1],
  unless: [1, 1],
  each: [1, 1],
  with: [1, 1],
  lookup: [2, 2],
  log: [1, Infinity],
};

const cache = new Map<string, HandlebarsTemplateDelegate>();

/**
 * A template made only of `{{ name }}` (one plain variable path) yields the value itself, not its
 * string form, so lists and numbers survive (`loop: "{{ packages }}"`).
 */
const SINGLE = /^\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}$/;

/** The variables as the one scope reads them (templated values resolved on first use). */
export const scoped = (vars: Record<string, unknown>): Record<string, unknown> => scopeOf(vars, renderIn);

/**
 * Jinja2 left in a text handlebars is about to render is refused with what to write instead: a
 * template is never written with `{% if %}` copied literally. `where` names the file or task.
 */
function refuseJinja(text: string, where: string): void {
  if (!mayHaveJinja(text) || isUnsafe(text)) return;
  const [first, ...more] = findJinja(text);
  if (!first) return;
  const also = more.length
    ? ` (and ${more.length} more: convert the file with lago-provision convert-templates)`
    : "";
  throw new UserError(`${where}:${first.line}:${first.col}: ${describeJinja(first)}${also}`);
}

/** Renders against a scope: what the scope calls to resolve a templated value. */
function renderIn(text: string, scope: Record<string, unknown>, where: string): unknown {
  refuseJinja(text, where);
  try {
    const single = SINGLE.exec(text);
    if (single) return plain(lookupPath(scope, single[1], where));
    return renderOnce(text, scope, where);
  } catch (e) {
    if (e instanceof CycleError) throw e; // named once, by renderString
    // A variable read on the way failed: say where it was read, then what failed in it.
    if (e instanceof UserError && !e.message.startsWith(`${where}:`)) {
      throw new UserError(`${where}: ${e.message}`, e.hint);
    }
    throw e;
  }
}

/**
 * Render a string. A template that is one variable yields its value (resolved, as plain data);
 * anything else renders to text.
 */
export function renderString(text: string, vars: Record<string, unknown>, where: string): unknown {
  refuseJinja(text, where);
  if (!isTemplated(text) || isUnsafe(text)) return text;
  try {
    return renderIn(text, scoped(vars), where);
  } catch (e) {
    if (e instanceof CycleError) throw new UserError(`${where}: ${e.message}`, e.hint);
    throw e;
  }
}

function renderOnce(text: string, vars: Record<string, unknown>, where: string): string {
  let fn = cache.get(text);
  if (!fn) {
    try {
      fn = hb.compile(text, { strict: true, noEscape: true });
      cache.set(text, fn);
    } catch (e) {
      throw new UserError(`${where}: template syntax error: ${firstLine(e)}`);
    }
  }
  try {
    return fn(vars);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const m = /"([^"]+)" not defined in/.exec(String((e as Error).message));
    if (m) throw undefinedVariable(fullPath(text, m[1]), where);
    throw new UserError(`${where}: template error: ${firstLine(e)}`);
  }
}

export function renderText(text: string, vars: Record<string, unknown>, where: string): string {
  const out = renderString(text, vars, where);
  return typeof out === "string" ? out : typeof out === "object" ? JSON.stringify(out) : String(out);
}

/** Render every string inside a value (task arguments), keeping its shape. */
export function renderDeep(value: unknown, vars: Record<string, unknown>, where: string): unknown {
  if (typeof value === "string") return renderString(value, vars, where);
  if (Array.isArray(value)) return value.map((v, i) => renderDeep(v, vars, `${where}/${i}`));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, vars, `${where}/${k}`);
    return out;
  }
  return value;
}

export function lookupPath(vars: Record<string, unknown>, path: string, where: string): unknown {
  let cur: unknown = vars;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !(part in (cur as object))) {
      throw undefinedVariable(path, where);
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Handlebars names only the last segment it could not find (`SECRET_KEY_BASE`); give the whole path
 * as written in the template (`lago_secret_values.secrets.SECRET_KEY_BASE`), so the message and the
 * check-mode "unknown until apply" judgement see which variable it hangs from.
 */
function fullPath(text: string, segment: string): string {
  const escaped = segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`\\{\\{[^}]*?([A-Za-z_][\\w-]*(?:\\.[\\w-]+)*\\.${escaped})\\b`).exec(text);
  return m ? m[1] : segment;
}

function undefinedVariable(name: string, where: string): UserError {
  return new UserError(
    `${where}: undefined variable '${name}'`,
    `define it in vars, group_vars, host_vars, role defaults or with -e ${name}=..., or use {{default ${name} "value"}}`,
  );
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split("\n")[0];
