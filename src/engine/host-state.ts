/**
 * What lago-provision remembers ON the host between runs: handler notifications that have not run yet
 * (so a failed task does not lose them, unlike Ansible). Commands only; the facts probe reads it.
 */
import { type Command, raw } from "../core/command.ts";
import { PENDING_HANDLERS_FILE, STATE_DIR } from "../core/state-dir.ts";

/** Rewrite the pending list atomically (empty list removes the file). */
export function savePendingCommand(names: string[]): { command: Command; stdin?: string } {
  if (names.length === 0) return { command: ["rm", "-f", PENDING_HANDLERS_FILE] };
  return {
    command: [
      "mkdir",
      "-p",
      STATE_DIR,
      raw("&&"),
      "cat",
      raw(">"),
      `${PENDING_HANDLERS_FILE}.tmp`,
      raw("&&"),
      "mv",
      "-f",
      `${PENDING_HANDLERS_FILE}.tmp`,
      PENDING_HANDLERS_FILE,
    ],
    stdin: names.join("\n") + "\n",
  };
}
