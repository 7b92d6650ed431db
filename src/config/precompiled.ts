/**
 * Validators compiled ahead of time. Compiling the playbook, tasks and handlers schemas with ajv takes
 * about 0.2 s, the largest single cost of a lint or apply start. `npm run build` writes ajv's standalone
 * code for every file kind next to this module (`validators.generated.js`, see
 * scripts/gen-validators.ts); loading it takes a tenth of that.
 *
 * The file begins with a fingerprint of the schemas and ajv options it was compiled from. It is used
 * only when that matches the schemas this code generates now, so a stale or missing file costs time,
 * never correctness: validation then compiles at run time as before.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";
import equalModule from "ajv/dist/runtime/equal.js";
import ucs2lengthModule from "ajv/dist/runtime/ucs2length.js";
import type { FileKind, JsonSchema } from "./json-schema.ts";

export const GENERATED_FILE = fileURLToPath(new URL("./validators.generated.js", import.meta.url));

/** The ajv helpers standalone code may `require`, by the name it uses. */
const RUNTIME: Record<string, unknown> = {
  "ajv/dist/runtime/equal": defaultOf(equalModule),
  "ajv/dist/runtime/ucs2length": defaultOf(ucs2lengthModule),
};

function defaultOf(m: unknown): unknown {
  return typeof m === "function" ? m : (m as { default: unknown }).default;
}

export const RUNTIME_NAMES: ReadonlySet<string> = new Set(Object.keys(RUNTIME));

/** What the compiled code depends on: the schemas of every kind, and the ajv options. */
export function fingerprint(files: Record<FileKind, JsonSchema>, options: object): string {
  return createHash("sha256").update(JSON.stringify({ files, options })).digest("hex");
}

/** The first line of a generated file. */
export const header = (print: string) => `// lago-provision validators, fingerprint ${print}\n`;

/**
 * The validators in `path` when it was generated from exactly these schemas (`wanted` is their
 * fingerprint, computed only when the file is there), else undefined.
 */
export function loadPrecompiled(
  wanted: () => string,
  path = GENERATED_FILE,
): Record<FileKind, ValidateFunction> | undefined {
  if (!existsSync(path)) return undefined;
  const code = readFileSync(path, "utf8");
  if (!code.startsWith(header(wanted()))) return undefined;
  const module = { exports: {} as Record<FileKind, ValidateFunction> };
  const require = (name: string) => {
    if (!RUNTIME_NAMES.has(name)) throw new Error(`${path} needs ${name}; regenerate it`);
    return { default: RUNTIME[name] };
  };
  try {
    // The code is ajv's own output for our schemas (what ajv.compile would evaluate the same way).
    new Function("module", "exports", "require", code)(module, module.exports, require);
  } catch {
    return undefined; // cut short (an interrupted build): compiled at run time instead
  }
  return module.exports;
}
