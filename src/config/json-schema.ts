/**
 * JSON Schemas generated from the zod schemas and the module registry: the files in `schemas/`
 * (editor completion, CI) and what ajv validates at load time are the same objects.
 *
 * A task is one object whose properties are the task keywords plus every module name, with
 * `oneOf: [{required: [module]}...]` for "exactly one module". Inside module arguments, any value
 * that is not already a plain string also accepts a "{{ template }}" string (checked again at run
 * time, after rendering).
 */
import { z } from "zod";
import { modules as defaultRegistry } from "../modules/index.ts";
import type { ModuleDefinition } from "../modules/types.ts";
import {
  handlerKeywords,
  handlerRef,
  hostVarsSchema,
  inventorySchema,
  playbookSchema,
  taskKeywords,
  taskRef,
  templateString,
  varsFileSchema,
} from "./schema.ts";

// deno-lint-ignore no-explicit-any
export type JsonSchema = Record<string, any>;
export type ModuleRegistry = Record<string, ModuleDefinition>;

/** What kind of file a YAML document is, which picks its schema. */
export type FileKind = "playbook" | "tasks" | "handlers" | "inventory" | "host_vars" | "vars";

export interface GeneratedSchemas {
  files: Record<FileKind, JsonSchema>;
  /** Arguments of each module, by module name. */
  modules: Record<string, JsonSchema>;
}

const DRAFT = "https://json-schema.org/draft/2020-12/schema";
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The "{{ template }}" alternative added wherever a rendered value is checked again at run time. */
export const TEMPLATE: JsonSchema = tidy(z.toJSONSchema(templateString));
delete TEMPLATE.$schema;

export const isTemplateBranch = (s: unknown): boolean =>
  typeof s === "object" && s !== null && (s as JsonSchema).pattern === TEMPLATE.pattern &&
  (s as JsonSchema).type === "string";

type Override = (ctx: { zodSchema: unknown; jsonSchema: JsonSchema }) => void;

/** zod → JSON Schema (input side: defaults make keys optional), without zod's noise. */
function toJson(schema: z.ZodType, override?: Override): JsonSchema {
  const both: Override = (ctx) => (carryMessages(ctx), override?.(ctx));
  return tidy(z.toJSONSchema(schema, { io: "input", override: both as never }) as JsonSchema);
}

/**
 * Custom zod messages (`z.string({ error })`, `.regex(re, { error })`) survive as `errorMessage` and
 * `patternErrorMessage` (which VS Code shows too), so validate.ts says what the module author wrote.
 */
const carryMessages: Override = ({ zodSchema, jsonSchema }) => {
  // deno-lint-ignore no-explicit-any
  const def = (zodSchema as any)?._zod?.def;
  const typeMessage = messageOf(def?.error);
  if (typeMessage) jsonSchema.errorMessage = typeMessage;
  for (const check of def?.checks ?? []) {
    const c = check?._zod?.def;
    const message = c?.format === "regex" ? messageOf(c.error) : undefined;
    if (message) jsonSchema.patternErrorMessage = message;
  }
};

/** The text of a zod error parameter (a function of the issue once normalised), when it is fixed. */
function messageOf(error: unknown): string | undefined {
  if (typeof error !== "function") return undefined;
  try {
    const m = error({});
    return typeof m === "string" ? m : typeof m?.message === "string" ? m.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Remove what only adds noise (safe-integer bounds, `propertyNames: string`) and turn zod's nullable
 * `anyOf: [X, {type: null}]` into `if null / else X`, so that no `$ref` sits inside a combinator
 * (validate.ts relies on that to tell which branch an error came from).
 */
function tidy(node: JsonSchema): JsonSchema {
  if (Array.isArray(node)) return node.map(tidy);
  if (typeof node !== "object" || node === null) return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === "minimum" && v === -MAX_SAFE) || (k === "maximum" && v === MAX_SAFE)) continue;
    if (k === "propertyNames" && v?.type === "string" && Object.keys(v).length === 1) continue;
    out[k] = k === "properties" || k === "$defs" ? mapValues(v, tidy) : tidy(v);
  }
  // anyOf inside anyOf (unions of unions) is one list of alternatives.
  if (out.anyOf) {
    out.anyOf = out.anyOf.flatMap((b: JsonSchema) => (Object.keys(b).join() === "anyOf" ? b.anyOf : [b]));
  }
  const branches = out.anyOf as JsonSchema[] | undefined;
  if (branches?.length === 2 && branches.some((b) => b.type === "null" && Object.keys(b).length === 1)) {
    const other = branches.find((b) => !(b.type === "null" && Object.keys(b).length === 1))!;
    const { anyOf: _, ...rest } = out;
    return { description: other.description, ...rest, if: { type: "null" }, else: other };
  }
  return out;
}

const mapValues = (o: JsonSchema, fn: (v: JsonSchema) => JsonSchema): JsonSchema =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));

/** True when the schema accepts any string (so a "{{ template }}" already passes). */
function acceptsAnyString(s: JsonSchema): boolean {
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).some(acceptsAnyString);
  if (s.enum || s.const !== undefined || s.pattern || s.format || s.maxLength !== undefined) return false;
  if (s.type === undefined) return s.if === undefined && s.not === undefined;
  return s.type === "string" || (Array.isArray(s.type) && s.type.includes("string"));
}

/** Let every value below the root also be a "{{ template }}". */
function allowTemplates(node: JsonSchema, root = true): JsonSchema {
  if (typeof node !== "object" || node === null) return node;
  const out: JsonSchema = { ...node };
  if (out.properties) out.properties = mapValues(out.properties, (v) => allowTemplates(v, false));
  for (const k of ["items", "additionalProperties", "else"]) {
    if (typeof out[k] === "object") out[k] = allowTemplates(out[k], false);
  }
  for (const k of ["anyOf", "oneOf"]) {
    if (out[k]) out[k] = out[k].map((b: JsonSchema) => allowTemplates(b, true));
  }
  if (root || acceptsAnyString(out) || out.if) return out;
  if (out.anyOf) return { ...out, anyOf: [...out.anyOf, TEMPLATE] };
  const { description, default: dflt, ...rest } = out;
  return { description, default: dflt, anyOf: [rest, TEMPLATE] };
}

/** JSON Schema of one module's arguments (values may be templates). */
export function moduleArgsSchema(def: ModuleDefinition): JsonSchema {
  const { $schema: _, ...json } = allowTemplates(toJson(def.args));
  return { description: def.description, ...json };
}

function moduleProperty(def: ModuleDefinition): JsonSchema {
  const args = moduleArgsSchema(def);
  if (!def.freeForm) return args;
  const freeForm = { type: "string", minLength: 1, description: `Free-form: the ${def.freeForm} argument.` };
  return { description: def.description, anyOf: [freeForm, { ...args, description: "Arguments." }] };
}

/**
 * The task (or handler) schema: keywords + one property per module, exactly one module required, or
 * (a task) a `block` of tasks instead of a module.
 */
function taskSchema(
  keywords: z.ZodObject,
  registry: ModuleRegistry,
  description: string,
  override?: Override,
): JsonSchema {
  const { $schema: _, ...json } = toJson(keywords, override);
  const names = Object.keys(registry).sort();
  for (const name of names) {
    if (json.properties[name]) throw new Error(`module '${name}' has the name of a task keyword`);
    json.properties[name] = moduleProperty(registry[name]);
  }
  const forms = names.map((name) => ({ required: [name] }));
  if (json.properties.block?.type === "array") forms.push({ required: ["block"] });
  return { ...json, description, oneOf: forms };
}

const cache = new WeakMap<ModuleRegistry, GeneratedSchemas>();

/** Every schema, for a module registry (the real one by default). Cached per registry. */
export function generateSchemas(registry: ModuleRegistry = defaultRegistry): GeneratedSchemas {
  const cached = cache.get(registry);
  if (cached) return cached;
  const refs = new Map<unknown, string>([[taskRef, "#/$defs/task"], [handlerRef, "#/$defs/handler"]]);
  const useRefs: Override = (ctx) => {
    const ref = refs.get(ctx.zodSchema);
    if (ref) ctx.jsonSchema.$ref = ref;
  };
  const task = taskSchema(
    taskKeywords,
    registry,
    "A task: one module with its arguments, or a block of tasks, plus task keywords.",
    useRefs,
  );
  const handler = taskSchema(handlerKeywords, registry, "A handler: a named task, run when notified.");
  const play = toJson(playbookSchema, useRefs);
  const list = (description: string, def: "task" | "handler", schema: JsonSchema): JsonSchema => ({
    $schema: DRAFT,
    description,
    type: "array",
    items: { $ref: `#/$defs/${def}` },
    $defs: { [def]: schema },
  });
  const files: Record<FileKind, JsonSchema> = {
    playbook: { ...play, $defs: { task, handler } },
    tasks: list("A tasks file (roles/NAME/tasks/main.yml): a list of tasks.", "task", task),
    handlers: list("A handlers file (roles/NAME/handlers/main.yml): a list of handlers.", "handler", handler),
    inventory: toJson(inventorySchema),
    host_vars: toJson(hostVarsSchema),
    vars: toJson(varsFileSchema),
  };
  const modules = Object.fromEntries(
    Object.keys(registry).sort().map((
      name,
    ) => [name, { $schema: DRAFT, ...moduleArgsSchema(registry[name]) }]),
  );
  for (const schema of Object.values(files)) assertNoRefInCombinator(schema);
  const out = { files, modules };
  cache.set(registry, out);
  return out;
}

/** validate.ts tells branches apart by schema path, which a `$ref` inside anyOf/oneOf would break. */
function assertNoRefInCombinator(node: JsonSchema, inCombinator = false): void {
  if (typeof node !== "object" || node === null) return;
  if (inCombinator && node.$ref) throw new Error(`$ref inside anyOf/oneOf: ${node.$ref}`);
  for (const [k, v] of Object.entries(node)) {
    assertNoRefInCombinator(v, inCombinator || k === "anyOf" || k === "oneOf");
  }
}

/**
 * The files of `schemas/`: path relative to the package root → content. `others` are zod schemas of
 * files kept outside config/ (the saved plan, src/plan/), by their name in schemas/.
 */
export function schemaFiles(
  others: Record<string, z.ZodType> = {},
  registry: ModuleRegistry = defaultRegistry,
): Map<string, string> {
  const { files, modules } = generateSchemas(registry);
  const text = (schema: JsonSchema) => JSON.stringify(schema, null, 2) + "\n";
  const out = new Map<string, string>();
  for (const [kind, schema] of Object.entries(files)) {
    out.set(`schemas/${kind.replace("_", "-")}.schema.json`, text(schema));
  }
  for (const [name, schema] of Object.entries(modules)) {
    out.set(`schemas/modules/${name}.schema.json`, text(schema));
  }
  for (const [name, schema] of Object.entries(others)) {
    out.set(`schemas/${name}.schema.json`, text(tidy(z.toJSONSchema(schema))));
  }
  return out;
}
