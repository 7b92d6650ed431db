/**
 * The one variable scope: templates, conditions and helpers all read variables through a view in
 * which a value that is itself a template (a role default `api_url: "https://{{ domain }}"`) reads as
 * what it renders to. Resolved lazily, on first read (so a template naming an undefined variable is an
 * error only where it is used), once per scope, inside lists and mappings too; variables that refer to
 * each other in a cycle are an error naming the cycle.
 */
import { UserError } from "../core/errors.ts";

/** Renders a template's text against a scope (src/vars/template.ts). */
export type Render = (text: string, scope: Record<string, unknown>, where: string) => unknown;

const VIEW = Symbol("variable scope");
const scopes = new WeakMap<object, Record<string, unknown>>();

export const isTemplated = (text: string): boolean => text.includes("{{");

/** Variables that refer to each other: said once, where the template was read, with their names. */
export class CycleError extends UserError {}

/**
 * Texts marked `!unsafe` in an inventory (Ansible's "never template this"): read as they are. Kept
 * by value, for the run: a password that happens to contain `{{` or `{%` is data, not a template.
 */
const unsafeTexts = new Set<string>();

export function markUnsafe(texts: Iterable<string>): void {
  for (const t of texts) unsafeTexts.add(t);
}

export const isUnsafe = (text: string): boolean => unsafeTexts.size > 0 && unsafeTexts.has(text);

/** The resolving view of `vars` (the same view for the same object). */
export function scopeOf(vars: Record<string, unknown>, render: Render): Record<string, unknown> {
  if ((vars as Record<symbol, unknown>)[VIEW]) return vars;
  let scope = scopes.get(vars);
  if (!scope) {
    scope = newScope(vars, render);
    scopes.set(vars, scope);
  }
  return scope;
}

function newScope(vars: Record<string, unknown>, render: Render): Record<string, unknown> {
  /** Resolved values, per object and key. */
  const memo = new WeakMap<object, Map<string, unknown>>();
  const views = new WeakMap<object, object>();
  const resolving: string[] = [];

  const view = <T extends object>(target: T, path: string): T => {
    let v = views.get(target) as T | undefined;
    if (!v) {
      v = new Proxy(target, {
        get(t, key) {
          if (key === VIEW) return true;
          const raw = Reflect.get(t, key);
          if (typeof key === "symbol") return raw;
          const desc = Reflect.getOwnPropertyDescriptor(t, key);
          // A frozen property must read as itself (a Proxy invariant).
          if (desc && !desc.configurable && !desc.writable) return raw;
          const name = path ? `${path}.${key}` : key;
          if (typeof raw === "string" && isTemplated(raw) && !isUnsafe(raw)) {
            return resolve(t, key, raw, name);
          }
          if (raw !== null && typeof raw === "object") return view(raw, name);
          return raw;
        },
      });
      views.set(target, v);
    }
    return v;
  };

  const resolve = (target: object, key: string, text: string, name: string): unknown => {
    let done = memo.get(target);
    if (done?.has(key)) return done.get(key);
    if (resolving.includes(name)) {
      throw new CycleError(
        `variables refer to each other in a cycle: ${
          [...resolving.slice(resolving.indexOf(name)), name].join(" → ")
        }`,
        "give one of them a value that is not a template",
      );
    }
    resolving.push(name);
    try {
      const value = render(text, root, name);
      if (!done) memo.set(target, done = new Map());
      done.set(key, value);
      return value;
    } finally {
      resolving.pop();
    }
  };

  const root = view(vars, "");
  return root;
}

/** A plain copy of a value read from a scope, everything in it resolved (for module arguments, loops). */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).map((k) => [k, plain((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
