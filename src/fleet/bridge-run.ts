/**
 * Running a bridge release's task (src/fleet/bridges.ts) once for an installation: each step in a
 * one-shot container of the bridge's api image, with the environment compose gave the running backend
 * container, on its networks, beside the running fleet (the jobs it enqueues are done by the workers).
 * A step is done when its command has ended well (or, for a command that may never end, at once) and
 * every check counts 0; it fails when the command fails, or at the deadline with what is still pending.
 * Deciding is pure (`judgeStep`); the scripts and polling are thin.
 */
import { quote } from "../core/command.ts";
import { type Bridge, type BridgeStep, showStep } from "./bridges.ts";

export interface StepState {
  /** The command's container still runs. */
  running: boolean;
  /** Its exit code once it ended. */
  exitCode: number | null;
  /** The last lines it printed. */
  output: string;
}

export type Verdict = { kind: "wait" } | { kind: "done" } | { kind: "failed"; problem: string };

/** The rake tasks print `"  -> 12 remaining 🧮"` under `"- Checking Charge: 🔎"`: what is left, by name. */
export function pendingFromOutput(output: string): string[] {
  const lines = output.split("\n");
  const lastStatus = lines.map((l) => l.trim()).lastIndexOf("#### Checking status ####");
  const out: string[] = [];
  let subject = "";
  for (const line of lines.slice(lastStatus + 1)) {
    const checking = /- Checking ([^:]+):/.exec(line);
    if (checking) subject = checking[1].trim();
    const left = /-> (\d+) (?:remaining|records to fill|provider customers to migrate)/.exec(line);
    if (left && subject) out.push(`${subject}: ${left[1]}`);
  }
  return out;
}

const lastLines = (text: string, n: number) =>
  text.split("\n").map((l) => l.trimEnd()).filter(Boolean).slice(-n).join("\n    ");

/**
 * What to do after one look at a step: its container's state, its checks' counts (in the step's
 * order), and whether the deadline has passed.
 */
export function judgeStep(step: BridgeStep, state: StepState, counts: number[], timedOut: boolean): Verdict {
  const command = showStep(step);
  if (!state.running && state.exitCode !== null && state.exitCode !== 0) {
    return {
      kind: "failed",
      problem: `\`${command}\` exited ${state.exitCode}:\n    ${lastLines(state.output, 6)}`,
    };
  }
  const ended = !state.running || !step.ends;
  const pending = step.checks.flatMap((c, i) => (counts[i] === 0 ? [] : [`${c.what}: ${counts[i] ?? "?"}`]));
  if (ended && pending.length === 0) return { kind: "done" };
  const final = !state.running && !!step.finalAtEnd;
  if (!timedOut && !final) return { kind: "wait" };
  const left = [...(state.running ? pendingFromOutput(state.output) : []), ...pending];
  const what = state.running
    ? `\`${command}\` still runs`
    : final
    ? `\`${command}\` ended, leaving rows it could not handle`
    : `\`${command}\` ended but its jobs are not done`;
  return {
    kind: "failed",
    problem: `${what}; still pending:\n    ${
      left.length ? left.join("\n    ") : lastLines(state.output, 4) || "(nothing printed)"
    }`,
  };
}

/** The host operations a task needs (RealUpgradeOps implements them over SSH). */
export interface TaskIo {
  /** Starts the step in a one-shot container of `version`'s api image; returns its id. */
  start(version: string, step: BridgeStep): Promise<string>;
  state(id: string): Promise<StepState>;
  /** Each query's count, in order. */
  counts(version: string, sql: string[]): Promise<number[]>;
  /** Stops and removes the container (idempotent). */
  remove(id: string): Promise<void>;
  say(msg: string): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * The wait after the `look`-th look at a step: 1, 2, 4 s, then every `pollMs`. Most steps end within
 * seconds (a fleet upgrade runs a dozen), the long ones are worth no more than one look per `pollMs`.
 */
export const pollDelay = (look: number, pollMs: number): number => Math.min(pollMs, 1000 * 2 ** look);

/**
 * Runs every step of the bridge's task in order; undefined when done, else why it is not (the step,
 * its command and what is pending). `timeoutSec` is for the whole task.
 */
export async function runBridgeTask(
  io: TaskIo,
  bridge: Bridge,
  timeoutSec: number,
  pollMs = 5000,
): Promise<string | undefined> {
  const deadline = io.now() + timeoutSec * 1000;
  for (const [i, step] of bridge.steps.entries()) {
    const label = `${bridge.version} task ${i + 1}/${bridge.steps.length}: ${showStep(step)}`;
    io.say(label);
    const id = await io.start(bridge.version, step);
    try {
      for (let look = 0;; look++) {
        const state = await io.state(id);
        const counts = step.checks.length
          ? await io.counts(bridge.version, step.checks.map((c) => c.sql))
          : [];
        const verdict = judgeStep(step, state, counts, io.now() >= deadline);
        if (verdict.kind === "done") break;
        if (verdict.kind === "failed") {
          return `${label}: ${verdict.problem}\n  (after ${
            Math.round(timeoutSec)
          }s at most; guide: ${bridge.guide})`;
        }
        await io.sleep(pollDelay(look, pollMs));
      }
    } finally {
      await io.remove(id);
    }
  }
  io.say(`${bridge.version} task done`);
  return undefined;
}

/** A Lago schema's count queries, with the environment of the container (DATABASE_URL, POSTGRES_SCHEMA). */
export function countsCommand(sql: string[]): string {
  // libpq refuses Rails' search_path parameter in a URL; the schema is POSTGRES_SCHEMA (database.yml).
  const url = `u=$(printf '%s' "$DATABASE_URL" | sed -E 's/([?&])search_path=[^&]*(&|$)/\\1/; s/[?&]$//')`;
  const queries = sql.map((q) => `-c ${quote(q)}`).join(" ");
  return `${url}; PGOPTIONS="-c search_path=\${POSTGRES_SCHEMA:-public}" exec psql "$u" -AtX -v ON_ERROR_STOP=1 ${queries}`;
}

/** `counts` output: one number per line, in order; anything else is an error. */
export function parseCounts(stdout: string, expected: number): number[] | { error: string } {
  const lines = stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length !== expected || lines.some((l) => !/^\d+$/.test(l))) {
    return { error: `unexpected output of the count queries: ${lines.slice(-3).join(" ")}` };
  }
  return lines.map(Number);
}
