/**
 * Handlebars rendering for template files and `{{ var }}` in task arguments. Strict: a variable that
 * is not defined is an error naming it and where it was used, never an empty string.
 */
import Handlebars from "handlebars";
import { UserError } from "../core/errors.ts";
import { describeJinja, findJinja, mayHaveJinja } from "./jinja.ts";

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
// A value inside a URL (a password in DATABASE_URL): every reserved character percent-encoded. A value
// that is itself a template (a role default naming another variable) is rendered first.
type HelperOptions = { data?: { root?: Record<string, unknown> } };
const renderedArg = (v: unknown, options: HelperOptions, helper: string): unknown =>
  typeof v === "string" ? renderString(v, options.data?.root ?? {}, helper) : v;
hb.registerHelper("urlencode", (v: unknown, options: HelperOptions) => {
  return encodeURIComponent(String(renderedArg(v, options, "urlencode")));
});
// The `user:password@` of a URL, each part percent-encoded; "" when both are empty, `:password@` without a
// user. Values that are templates are rendered first, so an empty password is seen as empty.
hb.registerHelper("userinfo", (user: unknown, password: unknown, options: HelperOptions) => {
  const u = String(renderedArg(user, options, "userinfo") ?? "");
  const p = String(renderedArg(password, options, "userinfo") ?? "");
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

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** True when the text contains a handlebars expression. */
export const isTemplated = (text: string): boolean => text.includes("{{");

/**
 * A template made only of `{{ name }}` (one plain variable path) yields the value itself, not its
 * string form, so lists and numbers survive (`loop: "{{ packages }}"`).
 */
const SINGLE = /^\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}$/;

/**
 * Texts marked `!unsafe` in an inventory (Ansible's "never template this"): rendered as they are. Kept
 * by value, for the run: a password that happens to contain `{{` or `{%` is data, not a template.
 */
const unsafeTexts = new Set<string>();

export function markUnsafe(texts: Iterable<string>): void {
  for (const t of texts) unsafeTexts.add(t);
}

/**
 * Jinja2 left in a text handlebars is about to render is refused with what to write instead: a
 * template is never written with `{% if %}` copied literally. `where` names the file or task.
 */
function refuseJinja(text: string, where: string): void {
  if (!mayHaveJinja(text) || unsafeTexts.has(text)) return;
  const [first, ...more] = findJinja(text);
  if (!first) return;
  const also = more.length
    ? ` (and ${more.length} more: convert the file with lago-provision convert-templates)`
    : "";
  throw new UserError(`${where}:${first.line}:${first.col}: ${describeJinja(first)}${also}`);
}

/**
 * Render a string. Variables whose values are themselves templates (role defaults such as
 * `api_url: "https://{{ domain }}"`) are rendered in turn, up to a fixed depth to stop cycles.
 */
export function renderString(text: string, vars: Record<string, unknown>, where: string, depth = 0): unknown {
  refuseJinja(text, where);
  if (!isTemplated(text) || unsafeTexts.has(text)) return text;
  if (depth > 10) {
    // The names in the template, not its text: a variable's value may hold a secret around them.
    const names = [...new Set([...text.matchAll(/\{\{\s*([A-Za-z_][\w.-]*)/g)].map((m) => m[1]))];
    throw new UserError(`${where}: variables refer to each other in a cycle (through ${names.join(", ")})`);
  }
  const single = SINGLE.exec(text);
  if (single) {
    const value = lookupPath(vars, single[1], where);
    return typeof value === "string" ? renderString(value, vars, where, depth + 1) : value;
  }
  const out = renderOnce(text, vars, where);
  const holdsUnsafe = unsafeTexts.size > 0 && [...unsafeTexts].some((u) => out.includes(u));
  return isTemplated(out) && out !== text && !holdsUnsafe ? renderString(out, vars, where, depth + 1) : out;
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
