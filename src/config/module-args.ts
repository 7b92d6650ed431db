/**
 * Module arguments checked when the files load, before any host: the rules a JSON Schema cannot say
 * (`state: link` needs `src`, content or src but not both), from each module's own zod schema. A
 * templated value is known only on the host: it is masked by a stand-in its field accepts, so the rules
 * that do not depend on it are still checked, and the ones that do are checked again after templating.
 */
import type { z } from "zod";
import type { ModuleDefinition } from "../modules/types.ts";
import { isTemplated } from "../vars/template.ts";

export interface ArgumentProblem {
  /** Inside the module's arguments. */
  path: (string | number)[];
  message: string;
}

type Def = { type: string; [key: string]: unknown };
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } })?._zod?.def;

/** The schemas a value at `key` may match (through optional, default, nullable, pipes and unions). */
function fieldSchemas(schema: unknown, key: string | number): unknown[] {
  const def = defOf(schema);
  if (!def) return [];
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
      return fieldSchemas(def.innerType, key);
    case "pipe":
      return fieldSchemas(def.in, key);
    case "union":
      return (def.options as unknown[]).flatMap((o) => fieldSchemas(o, key));
    case "object":
      return typeof key === "string" && (def.shape as Record<string, unknown>)[key]
        ? [(def.shape as Record<string, unknown>)[key]]
        : [];
    case "array":
      return typeof key === "number" ? [def.element] : [];
    case "record":
      return [def.valueType];
    default:
      return [];
  }
}

/** Values of enums and literals anywhere in a field's schema: the likeliest stand-ins. */
function choices(schema: unknown): unknown[] {
  const def = defOf(schema);
  if (!def) return [];
  if (def.type === "enum") return Object.values(def.entries as Record<string, unknown>);
  if (def.type === "literal") return def.values as unknown[];
  if (def.type === "union") return (def.options as unknown[]).flatMap(choices);
  for (const inner of [def.innerType, def.in]) if (inner) return choices(inner);
  return [];
}

const STAND_INS: unknown[] = ["x", "/x", "http://x/", "0644", 1, true, false, [], {}];

/** A value the field at `path` accepts, standing in for a template; undefined when none is found. */
function standIn(schema: unknown, path: (string | number)[]): { value: unknown } | undefined {
  let candidates = [schema];
  for (const key of path) candidates = candidates.flatMap((s) => fieldSchemas(s, key));
  for (const field of candidates) {
    for (const value of [...choices(field), ...STAND_INS]) {
      if ((field as z.ZodType).safeParse(value).success) return { value };
    }
  }
  return undefined;
}

/**
 * The problems of a task's arguments that hold whatever its templates render to, or [] when a
 * template's stand-in cannot be found (the arguments are then checked after templating only).
 * Type and form problems are the JSON Schema's (better located and worded): only rules remain.
 */
export function argumentProblems(mod: ModuleDefinition, args: unknown): ArgumentProblem[] {
  let unknowable = false;
  const mask = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string" && isTemplated(value)) {
      const found = standIn(mod.args, path);
      if (!found) unknowable = true;
      return found?.value;
    }
    if (Array.isArray(value)) return value.map((v, i) => mask(v, [...path, i]));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, [...path, k])]));
    }
    return value;
  };
  const masked = mask(args, []);
  if (unknowable) return [];
  const parsed = mod.args.safeParse(masked);
  if (parsed.success) return [];
  return parsed.error.issues.filter((i) => i.code === "custom").map((i) => ({
    path: i.path.filter((p): p is string | number => typeof p !== "symbol"),
    message: i.message,
  }));
}
