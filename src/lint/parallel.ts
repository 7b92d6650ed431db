/**
 * Schema validation alongside the rest of lint. Compiling the validators of playbooks, tasks and
 * handlers is the largest single cost of a lint run; a worker thread started before the files are
 * read does it on another core, then validates those files (parsing them again). The main thread
 * parses everything for the semantic rules meanwhile. The worker costs about half as much CPU again,
 * so it is only started when a core is free and there are enough files.
 *
 * Only for the real module registry (a worker cannot be handed another) and under a runtime that can
 * start a worker from this file: Node from dist/ or Deno (not Node on TypeScript sources, as in the
 * unit tests). Whenever the worker is not there or fails, validation happens in the main thread;
 * LAGO_PROVISION_LINT_WORKER=0 keeps it there (to compare).
 */
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import type { FileKind } from "../config/json-schema.ts";
import type { Problem } from "../config/problems.ts";

export interface SchemaJob {
  abs: string;
  file: string;
  kind: FileKind;
}

/** The kinds whose validators are worth compiling in a worker. */
export const WORKER_KINDS: ReadonlySet<FileKind> = new Set(["playbook", "tasks", "handlers"]);

/** Below this many files, starting a worker costs more than it saves. */
export const WORKER_THRESHOLD = 60;

export interface SchemaWorker {
  /** Each job's problems, in order; undefined when the worker failed. */
  validate(jobs: SchemaJob[]): Promise<Problem[][] | undefined>;
  stop(): void;
}

/** A worker only pays off on a core nobody else is using (it costs half as much CPU again). */
export function spareCore(): boolean {
  const cores = availableParallelism();
  return cores > 1 && loadavg()[0] < cores - 1;
}

export function startSchemaWorker(): SchemaWorker | undefined {
  const typescript = import.meta.url.endsWith(".ts");
  if (typescript && !("Deno" in globalThis)) return undefined;
  let worker: Worker;
  try {
    worker = new Worker(new URL(typescript ? "./schema-worker.ts" : "./schema-worker.js", import.meta.url));
  } catch {
    return undefined;
  }
  const failed = new Promise<undefined>((resolve) => {
    worker.once("error", () => resolve(undefined));
    worker.once("exit", () => resolve(undefined));
  });
  return {
    validate(jobs) {
      const answer = new Promise<Problem[][]>((resolve) => worker.once("message", resolve));
      worker.postMessage(jobs);
      return Promise.race([answer, failed]);
    },
    stop: () => void worker.terminate(),
  };
}
