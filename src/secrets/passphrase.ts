/**
 * The passphrase of the secrets store: `LAGO_SECRETS_PASSPHRASE`, or asked on the terminal (no echo)
 * when standard input is one, by the secrets stage before any host is changed (never by a plan).
 * Asked at most once per process (a wrong answer may be asked again, see store.ts).
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { isatty } from "node:tty";
import { InterruptedError, UserError } from "../core/errors.ts";
import { HiddenLine } from "../core/hidden-line.ts";
import { env } from "../runtime.ts";

export const PASSPHRASE_ENV = "LAGO_SECRETS_PASSPHRASE";
/** A new store's passphrase is at least this long. */
export const MIN_PASSPHRASE = 12;

export interface Passphrase {
  value: string;
  /** Typed at a prompt (may be asked again when wrong), rather than from the environment. */
  prompted: boolean;
}

let remembered: Passphrase | null = null;

/** Forget the passphrase (a wrong prompted answer; tests). */
export function forgetPassphrase(): void {
  remembered = null;
}

/** Whether a passphrase can be had without asking: given in the environment, or already typed. */
export const passphraseAtHand = (): boolean => remembered !== null || (env()[PASSPHRASE_ENV] ?? "") !== "";

/**
 * The passphrase for `path`. `creating`: the store does not exist yet, so a typed passphrase is asked
 * twice and a short one refused.
 */
export function passphraseFor(path: string, creating: boolean): Passphrase {
  if (remembered) return remembered;
  const fromEnv = env()[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (creating) checkStrength(fromEnv, `${PASSPHRASE_ENV}`);
    return (remembered = { value: fromEnv, prompted: false });
  }
  if (!isatty(0)) {
    throw new UserError(
      `the secrets store ${path} needs a passphrase and there is no terminal to ask it on`,
      `set ${PASSPHRASE_ENV} in the environment (from your password manager or CI secret store)`,
    );
  }
  const value = askHidden(
    creating ? `New passphrase for ${path}: ` : `Passphrase for ${path}: `,
  );
  if (creating) {
    checkStrength(value, "the passphrase");
    if (askHidden("Repeat the passphrase: ") !== value) {
      throw new UserError("the two passphrases differ; nothing was written");
    }
  }
  return (remembered = { value, prompted: true });
}

function checkStrength(value: string, what: string): void {
  if (value.length < MIN_PASSPHRASE) {
    throw new UserError(
      `${what} is too short for a new secrets store (${value.length} characters, at least ${MIN_PASSPHRASE})`,
      "the store holds the keys to every encrypted record of the installation: use a long random passphrase",
    );
  }
}

/**
 * One line read from the controlling terminal with echo off, whatever stdout is. Raw mode (HiddenLine)
 * so that Ctrl-C here stops the command at once (exit 130) with the terminal restored, nothing changed.
 */
function askHidden(question: string): string {
  const stty = (args: string) =>
    spawnSync("sh", ["-c", `stty ${args} < /dev/tty`], { stdio: ["ignore", "pipe", "ignore"] });
  const fd = openSync("/dev/tty", "r+");
  const saved = new TextDecoder().decode(stty("-g").stdout).trim();
  try {
    // Raw before the question shows: a key typed once it is there is already the prompt's.
    stty("-echo -icanon -isig min 1 time 0");
    writeSync(fd, question);
    const line = new HiddenLine();
    const one = new Uint8Array(1);
    for (;;) {
      const result = readSync(fd, one, 0, 1, null) === 1 ? line.key(one[0]) : "done";
      if (result === "done") return line.text();
      if (result === "interrupted") {
        throw new InterruptedError("interrupted at the passphrase prompt; nothing was changed");
      }
    }
  } finally {
    stty(/^[\w:=-]+$/.test(saved) ? saved : "echo icanon isig");
    writeSync(fd, "\n");
    closeSync(fd);
  }
}
