/**
 * The module contract. A module is a planner: it names one read-only probe of the host and a pure
 * `plan(args, facts, ctx)` that decides what would change. A plan never knows the mode: it says what
 * it would do, what it rests on that is missing now (`assumes`), what it creates and what host files
 * it reads; the engine alone decides what a dry run reports (src/engine/task.ts) and apply executes
 * the steps. So a dry run cannot lie. A module never talks to a connection.
 */
import type { z } from "zod";
import type { Command } from "../core/command.ts";
import type { Diff, ExecResult, HostFacts } from "../core/types.ts";
import type { SecretsInputs } from "../secrets/inputs.ts";

export type { Diff };

/** A read-only observation: one command (one round trip) plus a pure parser of its output. */
export interface Probe<F> {
  command: Command;
  parse(result: ExecResult): F;
}

export type Step =
  /**
   * Run a command. `okCodes` defaults to [0] ("any": the module judges the exit code in resultFrom).
   * `once` dedupes the step per host per run (apt-get update).
   */
  | { kind: "exec"; command: Command; stdin?: string | Uint8Array; okCodes?: number[] | "any"; once?: string }
  /** Write a file atomically: temp file in the same directory, chmod/chown, then rename. */
  | {
    kind: "write";
    path: string;
    content: string | Uint8Array;
    mode?: string;
    owner?: string;
    group?: string;
  }
  /** Poll a probe until it returns true or the timeout passes (wait_for). Changes nothing. */
  | { kind: "wait"; probe: Probe<boolean>; timeoutSec: number; intervalSec: number; what: string };

export interface Plan {
  /** Would this task change the host? */
  changed: boolean;
  /** One short sentence: what would change, or why nothing does ("/etc/x already has that content"). */
  reason: string;
  /** What apply executes, in order. May be non-empty with changed=false (wait_for). */
  steps: Step[];
  diffs?: Diff[];
  /** Extra fields for `register` (e.g. `stat`). */
  result?: Record<string, unknown>;
  /**
   * The plan rests on something missing now that an earlier task may provide (a directory, a unit a
   * package installs). Apply fails with `error` (and `hint`), unless `stepsProvide` says the plan's
   * own steps may settle it (daemon-reload loads a unit file written earlier). A dry run judges it
   * instead: a known change when an earlier task creates `path`, "unknown until apply" when earlier
   * tasks change the host some other way, a predicted failure otherwise.
   */
  assumes?: { what: string; path?: string; error: string; hint?: string; stepsProvide?: boolean };
  /** Paths this plan creates on apply, so later plans that assume them are known, not guessed. */
  creates?: string[];
  /**
   * Files on the host the probe read and the plan rests on (compose files): in a dry run, when an
   * earlier task would change one of them, what this plan would do is known only after apply.
   */
  reads?: string[];
}

/**
 * What the engine gives a module besides its arguments. Everything here is local and synchronous. The
 * run's mode is not here: every plan is the same in both modes (test/unit/modules/check-parity.test.ts).
 */
export interface ModuleContext {
  /** Host facts gathered at play start. */
  host: HostFacts;
  /** Read a file from the control machine, resolved against the role's `files/` or `templates/` dir. */
  readLocalFile(path: string, kind: "files" | "templates"): Uint8Array;
  /** Render a handlebars template with the task's variables (strict: an undefined variable throws). */
  renderTemplate(text: string, source: string): string;
  /** The task's variables (for expressions, as `when` reads them; templated values render on use). */
  vars: Record<string, unknown>;
  /** The secrets stores the secrets stage opened before the play (lago_secrets reads them here). */
  secrets?: SecretsInputs;
}

export interface ModuleDefinition<A = any, F = any> {
  name: string;
  /** One line for `lago-provision docs` and the JSON Schema. */
  description: string;
  /** zod schema of the arguments; every key has `.describe()`. The JSON Schema is generated from it. */
  args: z.ZodType<A>;
  /** Argument given as a bare string (`command: echo hi` → `{ cmd: "echo hi" }`). */
  freeForm?: string;
  /** The probe of host state this task depends on, or null when it needs none. */
  probe(args: A, ctx: ModuleContext): Probe<F> | null;
  /** Pure: decide what would change. `facts` is the parsed probe output (undefined when no probe). */
  plan(args: A, facts: F, ctx: ModuleContext): Plan;
  /**
   * Map the output of executed exec steps into register fields (command/shell: rc, stdout...).
   * A boolean `changed` among them is what apply really did, for steps whose effect only running them
   * tells (git fetch of a branch, apt after an index refresh): it replaces the plan's `changed`.
   */
  resultFrom?(outputs: ExecResult[]): Record<string, unknown>;
}

export function defineModule<A, F>(def: ModuleDefinition<A, F>): ModuleDefinition<A, F> {
  return def;
}

/** A plan that changes nothing, with its reason. */
export const unchanged = (reason: string, result?: Record<string, unknown>): Plan => ({
  changed: false,
  reason,
  steps: [],
  result,
});
