/**
 * Compiles the validators of every file kind ahead of time (src/config/precompiled.ts explains why)
 * and writes them next to the validation code that loads them: dist/src/config/ when run from dist/
 * (part of `npm run build`), src/config/ under Deno (`npx deno run -A scripts/gen-validators.ts`).
 * The output is a build artifact, not committed.
 */
import { writeFileSync } from "node:fs";
import { generateSchemas } from "../src/config/json-schema.ts";
import { standaloneValidators } from "../src/config/precompile.ts";
import { GENERATED_FILE } from "../src/config/precompiled.ts";
import { ajvOptions, MESSAGE_KEYWORDS } from "../src/config/validate.ts";

const code = standaloneValidators(generateSchemas().files, ajvOptions, MESSAGE_KEYWORDS);
writeFileSync(GENERATED_FILE, code);
console.log(`wrote ${GENERATED_FILE} (${Math.round(code.length / 1024)} KiB)`);
