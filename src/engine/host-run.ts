/** The per-host state of one run: connection, facts, registered results, notifications, counts. */
import type { HostFacts } from "../core/types.ts";
import type { HostCounts, TaskResult } from "../output/events.ts";
import type { Remote } from "./remote.ts";

export interface HostRun {
  name: string;
  remote: Remote | null;
  /** Login settings for become decisions. */
  become: boolean;
  becomeUser: string;
  inventoryVars: Record<string, unknown>;
  facts: HostFacts | null;
  registered: Record<string, unknown>;
  /** Handler names notified and not yet run (mirrored on the host). */
  pendingHandlers: string[];
  /** What the host's list of pending handlers holds, as far as this run knows (facts, then each save). */
  pendingOnHost: string[];
  failed: boolean;
  unreachable: boolean;
  counts: HostCounts;
  /** Secret values known for this host, for redaction: name -> value. */
  secrets: Map<string, string>;
  /** Check mode: what earlier tasks would do, so later plans that rest on it are judged honestly. */
  predicted: CheckPrediction;
  /** The last task that failed on this host and its result: what a block's rescue sees. */
  lastFailure?: { task: string; action: string; result: Record<string, unknown> };
  /** Every task (or loop item) on this host in run order, as reported: what the run's result is made of. */
  records: TaskRecord[];
}

/** A task's result as reported, and the role it belongs to (the fleet records deploys of the lago role). */
export interface TaskRecord extends TaskResult {
  role?: string;
}

export interface CheckPrediction {
  /** Names of tasks that would change this host, in order. */
  changedTasks: string[];
  /** Paths earlier tasks would create -> the task's name. */
  creates: Map<string, string>;
  /** Host files earlier tasks would write or change -> the task's name. */
  writes: Map<string, string>;
  /** Registered results only known after apply (command output) -> the task that registers it. */
  unknownRegisters: Map<string, UnknownRegister>;
}

export interface UnknownRegister {
  task: string;
  /** The task says it changes nothing (changed_when: false): it could run under --check. */
  readOnly: boolean;
}

export const emptyPrediction = (): CheckPrediction => ({
  changedTasks: [],
  creates: new Map(),
  writes: new Map(),
  unknownRegisters: new Map(),
});

export const emptyCounts = (): HostCounts => ({
  ok: 0,
  changed: 0,
  failed: 0,
  skipped: 0,
  unreachable: 0,
  unknown: 0,
  rescued: 0,
});

/** A host still takes tasks when it has neither failed nor dropped off. */
/** A host as a run starts it: nothing gathered, registered or counted yet. */
export const newHostRun = (
  name: string,
  become: boolean,
  becomeUser: string,
  inventoryVars: Record<string, unknown>,
): HostRun => ({
  name,
  remote: null,
  become,
  becomeUser,
  inventoryVars,
  facts: null,
  registered: {},
  pendingHandlers: [],
  pendingOnHost: [],
  failed: false,
  unreachable: false,
  counts: emptyCounts(),
  secrets: new Map(),
  predicted: emptyPrediction(),
  records: [],
});

export const isActive = (h: HostRun): boolean => !h.failed && !h.unreachable;
