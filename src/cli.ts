#!/usr/bin/env node
/**
 * Entry point for `npx lago-provision` (Node, from dist/) and `deno run -A src/cli.ts`. Errors a user
 * can act on are printed as one message with a hint; anything else as one line, with the stack only
 * when LAGO_PROVISION_DEBUG is set.
 */
import { UserError } from "./core/types.ts";
import { main } from "./main.ts";
import { argv, env, exit, writeStderr } from "./runtime.ts";

try {
  const code = await main(argv());
  exit(code);
} catch (e) {
  if (e instanceof UserError) {
    writeStderr(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ""}`);
    exit(1);
  }
  const err = e as Error;
  writeStderr(`internal error: ${err?.message ?? String(e)}\n`);
  if (env().LAGO_PROVISION_DEBUG) writeStderr(`${err?.stack ?? ""}\n`);
  else {writeStderr(
      "hint: this is a bug in lago-provision; re-run with LAGO_PROVISION_DEBUG=1 and report the stack trace\n",
    );}
  exit(2);
}
