/** Small helpers shared by the core modules (private: not a module, not registered). */
import { z } from "zod";
import type { ExecResult } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import type { Plan, Step } from "./types.ts";

/** An absolute path on the host (relative paths would depend on the login directory). */
export const absPath = () =>
  z.string().regex(/^\//, { error: "should be an absolute path (starting with /)" });

/** A probe whose command failed: one message with the last lines of its error output. */
export function probeFailed(what: string, r: ExecResult): UserError {
  const detail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-3).join("; ");
  return new UserError(
    `${what}: reading the host state failed (exit ${r.exitCode})${detail ? `: ${detail}` : ""}`,
  );
}

/**
 * A plan resting on something an earlier task may still create (a unit a package installs, a
 * directory, a file a command writes): a change that assumes it. Apply fails with `error` and `hint`
 * when it is still missing then; a dry run judges whether an earlier task provides it (Plan.assumes).
 */
export function notYet(
  error: string,
  hint: string,
  wouldReason: string,
  steps: Step[] = [],
  missingPath?: string,
): Plan {
  return {
    changed: true,
    reason: wouldReason,
    steps,
    assumes: { what: error, path: missingPath, error, hint },
  };
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
