/**
 * Writes ajv's standalone code for the validators of every file kind (see precompiled.ts). Only the
 * build (scripts/gen-validators.ts) and tests load this.
 */
import type { Options } from "ajv";
import Ajv2020Module from "ajv/dist/2020.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import type { FileKind, JsonSchema } from "./json-schema.ts";
import { fingerprint, header, RUNTIME_NAMES } from "./precompiled.ts";

const Ajv2020 = Ajv2020Module.default;
const standaloneCode = standaloneModule.default;

/** The module text: a fingerprint line, then CommonJS code exporting one validator per kind. */
export function standaloneValidators(
  files: Record<FileKind, JsonSchema>,
  options: Options,
  vocabulary: string[],
): string {
  const ajv = new Ajv2020({ ...options, code: { ...options.code, source: true, optimize: true } });
  ajv.addVocabulary(vocabulary);
  const kinds = Object.keys(files) as FileKind[];
  const { shared, byKind } = shareDefinitions(files);
  for (const [name, schema] of Object.entries(shared)) ajv.addSchema(schema as JsonSchema, name);
  for (const kind of kinds) ajv.addSchema(byKind[kind], kind);
  const code = standaloneCode(ajv, Object.fromEntries(kinds.map((k) => [k, k])));
  for (const [, name] of code.matchAll(/require\("([^"]+)"\)/g)) {
    if (!RUNTIME_NAMES.has(name)) {
      throw new Error(`standalone validators need ${name}: add it to RUNTIME in src/config/precompiled.ts`);
    }
  }
  return header(fingerprint(files, options)) + code + "\n";
}

/** A shared definition's own schema id (a whole schema is compiled once; a fragment once per user). */
const sharedId = (name: string) => `lago-provision-${name}`;

/**
 * The task and handler definitions appear in the playbook schema and again in the tasks and handlers
 * schemas; compiled in each, they would be half of the code. Definitions that are the same in every
 * kind become schemas of their own, which the kinds refer to. Errors inside a definition carry paths relative
 * to it either way (validate.ts, `taskPaths`).
 */
function shareDefinitions(files: Record<FileKind, JsonSchema>) {
  const seen = new Map<string, string>();
  const differ = new Set<string>();
  for (const schema of Object.values(files)) {
    for (const [name, def] of Object.entries(schema.$defs ?? {})) {
      const text = JSON.stringify(def);
      if (seen.has(name) && seen.get(name) !== text) differ.add(name);
      seen.set(name, text);
    }
  }
  const names = [...seen.keys()].filter((n) => !differ.has(n));
  const local = (ref: string) => names.find((n) => ref === `#/$defs/${n}`);
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== "object" || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).flatMap(([key, value]) => {
        if (key === "$defs") {
          const kept = Object.entries(value as JsonSchema).filter(([n]) => !names.includes(n));
          return kept.length ? [[key, rewrite(Object.fromEntries(kept))]] : [];
        }
        if (key === "$ref" && typeof value === "string" && local(value)) {
          return [[key, sharedId(local(value)!)]];
        }
        return [[key, rewrite(value)]];
      }),
    );
  };
  const shared = Object.fromEntries(names.map((n) => [sharedId(n), rewrite(JSON.parse(seen.get(n)!))]));
  const byKind = Object.fromEntries(Object.entries(files).map(([k, s]) => [k, rewrite(s)])) as Record<
    FileKind,
    JsonSchema
  >;
  return { shared, byKind };
}
