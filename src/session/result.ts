/**
 * What a run did (or, in check mode, would do), per host: the one result the reporters' recap, the
 * run journal, the saved plan, the deploy history and the fleet upgrade all read. The events the
 * reporters print on the way are a view of the same records.
 */
import type { HostOutcome } from "../fleet/journal.ts";
import type { HostCounts } from "../output/events.ts";
import type { RunSummary } from "../engine/run.ts";
import type { TaskRecord } from "../engine/host-run.ts";

export type { TaskRecord };

export interface HostResult {
  /** ok: converged; failed: a task failed; unreachable: the host dropped off (or was never reached). */
  outcome: Extract<HostOutcome, "ok" | "failed" | "unreachable">;
  counts: HostCounts;
  /** Did (or, in check mode, would) a task change this host? */
  changed: boolean;
  /** Roles with a task that ran here (not skipped). */
  roles: string[];
  /** Every task (or loop item) in run order. */
  tasks: TaskRecord[];
}

export interface RunResult {
  /** Every host converged (or, in check mode, would). */
  ok: boolean;
  check: boolean;
  /** The hosts the run reached for, in inventory order. */
  hosts: Record<string, HostResult>;
}

/** The result of an engine run. */
export function runResult(summary: RunSummary, check: boolean): RunResult {
  const hosts: Record<string, HostResult> = {};
  for (const [name, h] of Object.entries(summary.hosts)) {
    hosts[name] = {
      outcome: h.unreachable ? "unreachable" : h.failed ? "failed" : "ok",
      counts: h.counts,
      changed: h.counts.changed > 0,
      roles: [...new Set(h.records.filter((t) => t.status !== "skipped" && t.role).map((t) => t.role!))],
      tasks: h.records,
    };
  }
  return { ok: summary.ok, check, hosts };
}

/** Per failed or unreachable host, its last failure: `task: first lines of the message`. */
export function failuresOf(result: RunResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const [host, h] of Object.entries(result.hosts)) {
    const last = [...h.tasks].reverse().find((t) => t.status === "failed" || t.status === "unreachable");
    if (last) out.set(host, `${last.task}: ${(last.msg ?? last.status).split("\n").slice(0, 3).join(" ")}`);
  }
  return out;
}

/** In check mode: does a task report a change, or an outcome known only after apply? */
export const pendingChanges = (result: RunResult): boolean =>
  Object.values(result.hosts).some((h) => h.counts.changed + h.counts.unknown > 0);
