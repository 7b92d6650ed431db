/**
 * What a run reports, as plain data. The engine emits these; reporters (text, JSON lines) render them.
 * Everything in an event has already been through the secret redactor.
 */
import type { Diff } from "../core/types.ts";

export type TaskStatus = "ok" | "changed" | "failed" | "skipped" | "unreachable";

export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Tasks whose outcome in check mode depends on an earlier change ("unknown until apply"). */
  unknown: number;
  /** Blocks whose rescue ran on the host (its failure there cleared, as Ansible counts it). */
  rescued: number;
}

/** One task (or loop item) on one host: what it did, or would do. */
export interface TaskResult {
  type: "task_result";
  host: string;
  task: string;
  status: TaskStatus;
  /** Why nothing changed, or what changed / would change. */
  reason?: string;
  /** Error message for failed/unreachable. */
  msg?: string;
  /** A failure `ignore_errors` let pass: the host went on (counted as ok). */
  ignored?: boolean;
  /** Check mode: the outcome depends on an earlier task that would change. */
  unknown?: string;
  /** Set when the result is for one loop item. */
  item?: unknown;
  diffs?: Diff[];
  durationMs: number;
  check?: boolean;
  /** What the task changes or would change (paths, "packages", services), without contents. */
  targets?: string[];
  /** Where the task is defined: `file:line:col`. */
  source?: string;
  /** Check mode: hash of the probe's view and the planned steps (saved plans compare these). */
  fingerprint?: string;
}

export type RunEvent =
  | { type: "run_start"; source: string; hosts: number; check: boolean; time: string }
  | { type: "play_start"; play: string; hosts: string[] }
  | { type: "task_start"; play: string; task: string; handler?: boolean }
  | TaskResult
  /** The secrets stage generated (or, in check mode, would generate) these into the store, before the play. */
  | { type: "secrets"; store: string; generated: string[]; check: boolean }
  | { type: "warning"; host?: string; msg: string }
  | { type: "recap"; hosts: Record<string, HostCounts>; durationMs: number };

export interface Reporter {
  emit(event: RunEvent): void;
  /** Flush anything buffered. */
  close(): void;
}
