#!/usr/bin/env node
/**
 * Entry point for `npx lago-provision` (Node, from dist/) and `deno run -A src/cli.ts`. How an error
 * ends the command (message, hint, exit code) is decided in one place: src/core/errors.ts.
 */
import { describeError } from "./core/errors.ts";
import { main } from "./main.ts";
import { argv, env, exit, writeStderr } from "./runtime.ts";

try {
  const code = await main(argv());
  exit(code);
} catch (e) {
  const { text, code } = describeError(e, Boolean(env().LAGO_PROVISION_DEBUG));
  writeStderr(text);
  exit(code);
}
