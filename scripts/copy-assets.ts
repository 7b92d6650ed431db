/**
 * Copies the files src/ reads beside its code (the shell and awk scripts a module sends to hosts) to
 * dist/src/, where the compiled code looks for them: `tsc` copies only what it compiles. Part of
 * `npm run build`. Deno runs src/ as it is and needs none of this.
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Kinds of file src/ reads at run time (see src/modules/docker_compose/scripts.ts). */
const ASSET = /\.(sh|awk)$/;

// dist/scripts/copy-assets.js → the repository root is two folders up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const from = join(root, "src");
const to = join(root, "dist", "src");
const assets = readdirSync(from, { recursive: true }).map(String).filter((f) => ASSET.test(f));
for (const file of assets) {
  mkdirSync(dirname(join(to, file)), { recursive: true });
  copyFileSync(join(from, file), join(to, file));
}
console.log(`copied ${assets.length} script files to ${relative(root, to)}`);
