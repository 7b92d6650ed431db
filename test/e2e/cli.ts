/**
 * Runs the real CLI as a user would: `node dist/src/cli.js` (built by `npm run build`), or the
 * TypeScript source under Deno. Parses `--json` output into events.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";

export const repoRoot = resolve(new URL("../..", import.meta.url).pathname);

export interface CliResult {
  code: number;
  /** The signal that killed the process, if one did. */
  signal?: string;
  stdout: string;
  stderr: string;
  events: Record<string, any>[];
}

export interface CliOptions {
  runtime?: "node" | "deno";
  env?: Record<string, string>;
  /** The working directory (default: the repository). */
  cwd?: string;
  /** Called for each JSON event as it arrives (to inject faults mid-run). */
  onEvent?: (event: Record<string, any>) => void;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

export interface StartedCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves on the first JSON event that matches; rejects if the run ends first. */
  event(match: (e: Record<string, any>) => boolean): Promise<Record<string, any>>;
}

/** Starts the CLI and returns at once: the process (to signal or kill it) and its result when it ends. */
export function startCli(args: string[], opts: CliOptions = {}): StartedCli {
  const listeners = new Set<(e: Record<string, any>) => void>();
  // LAGO_E2E_TRACE=FILE: every output line of every run, timestamped, to see where a slow test's time goes.
  const trace = process.env.LAGO_E2E_TRACE;
  if (trace) appendFileSync(trace, `${new Date().toISOString()} $ lago-provision ${args.join(" ")}\n`);
  const [cmd, pre] = opts.runtime === "deno"
    ? ["npx", ["deno", "run", "-A", "src/cli.ts"]]
    : [process.execPath, [resolve(repoRoot, "dist/src/cli.js")]];
  const child = spawn(cmd, [...pre, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const done = new Promise<CliResult>((resolveRun, reject) => {
    let stdout = "";
    let stderr = "";
    let pending = "";
    const events: Record<string, any>[] = [];
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (trace) appendFileSync(trace, `${new Date().toISOString()} ${line}\n`);
        if (line.startsWith("{")) {
          try {
            const e = JSON.parse(line);
            events.push(e);
            opts.onEvent?.(e);
            listeners.forEach((l) => l(e));
          } catch { /* text output */ }
        }
      }
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on(
      "close",
      (code, signal) => resolveRun({ code: code ?? -1, signal: signal ?? undefined, stdout, stderr, events }),
    );
  });
  const event = (match: (e: Record<string, any>) => boolean) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const listener = (e: Record<string, any>) => {
        if (!match(e)) return;
        listeners.delete(listener);
        resolve(e);
      };
      listeners.add(listener);
      done.then(() => listeners.has(listener) && reject(new Error("the run ended before the event came")));
    });
  return { child, done, event };
}

export const recapOf = (r: CliResult) =>
  r.events.find((e) => e.type === "recap")?.hosts as Record<string, Record<string, number>>;

export const resultsOf = (r: CliResult, host?: string) =>
  r.events.filter((e) => e.type === "task_result" && (host === undefined || e.host === host));

/** The failed task results of a run (or its stderr), for assertion messages. */
export const failuresOf = (r: CliResult): string =>
  resultsOf(r).filter((e) => e.status === "failed").map((e) => `${e.host} ${e.task}: ${e.msg}`).join("\n") ||
  r.stderr;
