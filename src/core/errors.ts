/**
 * Every error a user can meet, and the exit code each ends with (README, "Exit code"). A mistake the
 * user can fix is a `UserError`: one message saying where and what, and a hint saying what to do. A
 * bad option value is a `UsageError` (exit 2, like commander's own usage errors). A host that cannot
 * be reached is an `UnreachableError`: the run reports it per host; a command that needs the host
 * stops with it. Anything else reaching the top is a bug in lago-provision and says how to report it.
 *
 * @example
 * ```ts
 * const { text, code } = describeError(new UserError("inventory/prod.yml: not found", "check the path"));
 * // text: "error: inventory/prod.yml: not found\nhint: check the path\n", code: 1
 * ```
 */

/** The process's exit codes. CHANGES shares 2 with USAGE, as in Terraform's `-detailed-exitcode`. */
export const EXIT = {
  /** Every host converged (or, with --detailed-exitcode, nothing would change). */
  OK: 0,
  /** A host failed or was unreachable, or the configuration is invalid (nothing was contacted then). */
  FAILED: 1,
  /** The command line is wrong: unknown option, missing argument, bad option value. */
  USAGE: 2,
  /** With --detailed-exitcode: changes are pending. */
  CHANGES: 2,
  /** A bug in lago-provision (sysexits' EX_SOFTWARE): never a mistake of the user's. */
  INTERNAL: 70,
  /** Stopped by Ctrl-C (128 + 2): what ran finished, the lock was released (src/session/interrupt.ts). */
  SIGINT: 130,
  /** Stopped by SIGTERM (128 + 15), likewise. */
  SIGTERM: 143,
} as const;

/** A mistake the user can act on: printed as one message (and a hint), never as a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "UserError";
  }
  /** The exit code when this error ends the command. */
  get exitCode(): number {
    return EXIT.FAILED;
  }
}

/** A command line the tool cannot use (an option's value): exit 2. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = "UsageError";
  }
  override get exitCode(): number {
    return EXIT.USAGE;
  }
}

/** A host could not be reached or the connection broke: the host is reported unreachable. */
export class UnreachableError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = "UnreachableError";
  }
}

/** The user stopped the command where nothing had started yet (Ctrl-C at a prompt): exit 130 / 143. */
export class InterruptedError extends UserError {
  constructor(message: string, readonly signal: "SIGINT" | "SIGTERM" = "SIGINT") {
    super(message);
    this.name = "InterruptedError";
  }
  override get exitCode(): number {
    return EXIT[this.signal];
  }
}

/** How to report a bug, for the one error that is never the user's. */
export const BUG_HINT =
  "this is a bug in lago-provision: please report it with the command you ran and the output of the " +
  "same command with LAGO_PROVISION_DEBUG=1 (it adds the stack trace)";

/** A message and hint as lines for the terminal: `error: …`, then `hint: …`. */
export function userMessage(e: UserError): string {
  return `error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ""}`;
}

/**
 * What to print for an error that ended a command, and the exit code. `debug` adds the stack trace
 * of a bug (LAGO_PROVISION_DEBUG).
 */
export function describeError(e: unknown, debug = false): { text: string; code: number } {
  if (e instanceof UserError) return { text: userMessage(e), code: e.exitCode };
  const err = e as Error | undefined;
  const stack = debug && err?.stack ? `${err.stack}\n` : "";
  return {
    text: `internal error: ${err?.message ?? String(e)}\n${stack}hint: ${BUG_HINT}\n`,
    code: EXIT.INTERNAL,
  };
}

/** An error's message with its hint on the next line, for per-host results and reports. */
export function withHint(e: unknown): string {
  const err = e as { message?: string; hint?: string };
  return (err?.message ?? String(e)) + (err?.hint ? `\n  hint: ${err.hint}` : "");
}
