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
  for (const kind of kinds) ajv.addSchema(files[kind], kind);
  const code = standaloneCode(ajv, Object.fromEntries(kinds.map((k) => [k, k])));
  for (const [, name] of code.matchAll(/require\("([^"]+)"\)/g)) {
    if (!RUNTIME_NAMES.has(name)) {
      throw new Error(`standalone validators need ${name}: add it to RUNTIME in src/config/precompiled.ts`);
    }
  }
  return header(fingerprint(files, options)) + code + "\n";
}
