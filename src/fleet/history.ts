/**
 * Deploy history: one JSON line per deploy on each host, `/var/lib/lago-provision/history.jsonl`
 * (who, when, which command, from, to, result), appended by `apply` (when it runs the lago role),
 * `upgrade` and `rollback`. The history is what `rollback` goes back through.
 */
import { quote } from "../core/command.ts";
import { compareVersions } from "./releases.ts";
import { HISTORY_FILE } from "../core/state-dir.ts";

export type DeployResult = "ok" | "failed" | "rolled_back";

export interface HistoryEntry {
  /** Controller's clock, ISO 8601. */
  time: string;
  /** `user@controller` */
  user: string;
  command: "apply" | "upgrade" | "rollback";
  /** Same for every host of one command run. */
  run: string;
  /** Version before; null when not known (apply of a first install). */
  from: string | null;
  to: string;
  result: DeployResult;
  /** The hop ran Lago's migrations with `to` (which cannot be undone). */
  migrated?: boolean;
  /** `host:/var/backups/lago/….sql.gz`, the dump taken before this deploy. */
  backup?: string;
  /** Free text: why it failed, what was rolled back. */
  note?: string;
}

/** Appends the line on stdin (with its directory made); one round trip. */
export function appendHistoryScript(file = HISTORY_FILE): string {
  return `mkdir -p "$(dirname ${quote(file)})" && cat >> ${quote(file)} && chmod 0644 ${quote(file)}`;
}

export function readHistoryScript(lines = 500, file = HISTORY_FILE): string {
  return `tail -n ${lines} ${quote(file)} 2>/dev/null || true`;
}

/** Lines that are not entries (a half-written line after a crash) are skipped. */
export function parseHistory(text: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line);
      if (e && typeof e.to === "string" && typeof e.time === "string" && typeof e.command === "string") {
        out.push(e);
      }
    } catch { /* partial line */ }
  }
  return out;
}

/**
 * The versions a host went through, as a stack: a successful deploy to a new version pushes it, a
 * successful rollback pops back to its target. `rollback` goes to the entry below the top.
 */
export function versionStack(entries: HistoryEntry[]): string[] {
  return stackOf(entries).map((x) => x.version);
}

/** The stack with, for each version, the deploy that put it there. */
function stackOf(entries: HistoryEntry[]): { version: string; by: HistoryEntry }[] {
  const stack: { version: string; by: HistoryEntry }[] = [];
  for (const e of entries) {
    if (e.result !== "ok") continue;
    if (e.command === "rollback") {
      while (stack.length > 0 && stack[stack.length - 1].version !== e.to) stack.pop();
      if (stack.length === 0) stack.push({ version: e.to, by: e });
    } else if (stack[stack.length - 1]?.version !== e.to) stack.push({ version: e.to, by: e });
  }
  return stack;
}

export interface RollbackPlan {
  from: string;
  to: string;
  /** The deploy being undone ran migrations: the database stays at `from`'s schema. */
  migrated: boolean;
  /** The dump taken before that deploy, when recorded. */
  backup?: string;
}

/**
 * Where `rollback` goes: the version below the current one on the hosts' stacks. Hosts without history
 * are ignored; hosts that disagree are an error (a message saying which host says what).
 */
export function rollbackPlan(histories: Map<string, HistoryEntry[]>): RollbackPlan | string {
  const plans = new Map<string, string[]>();
  /** The deploys that brought the hosts to the current version (migrated on any of them counts). */
  const undone: HistoryEntry[] = [];
  for (const [host, entries] of histories) {
    if (entries.length === 0) continue;
    const stack = stackOf(entries);
    const [top, below] = [stack.at(-1), stack.at(-2)];
    const key = below ? `${top!.version} → ${below.version}` : `${top?.version ?? "?"} (nothing before it)`;
    plans.set(key, [...(plans.get(key) ?? []), host]);
    if (top) undone.push(top.by);
  }
  if (plans.size === 0) return "no deploy history on any host: nothing to roll back to";
  if (plans.size > 1) {
    const views = [...plans].map(([k, hosts]) => `${k} on ${hosts.join(", ")}`);
    return `the hosts' histories disagree: ${views.join("; ")}`;
  }
  const [key] = plans.keys();
  const m = /^(\S+) → (\S+)$/.exec(key);
  if (!m) return `no earlier version recorded: the fleet has only ever run ${key.split(" ")[0]}`;
  const [, from, to] = m;
  return {
    from,
    to,
    migrated: undone.some((e) => e.migrated),
    backup: undone.find((e) => e.backup)?.backup,
  };
}

/** One row per command run (entries of all hosts grouped by `run`), oldest first. */
export interface HistoryRow {
  time: string;
  user: string;
  command: string;
  from: string | null;
  to: string;
  /** host → result */
  hosts: Record<string, DeployResult>;
  migrated: boolean;
  backup?: string;
  note?: string;
}

export function fleetHistory(histories: Map<string, HistoryEntry[]>): HistoryRow[] {
  const rows = new Map<string, HistoryRow>();
  for (const [host, entries] of histories) {
    let previous: string | null = null;
    for (const e of entries) {
      const key = `${e.run}|${e.to}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          time: e.time,
          user: e.user,
          command: e.command,
          from: e.from ?? previous,
          to: e.to,
          hosts: {},
          migrated: false,
        };
        rows.set(key, row);
      }
      row.hosts[host] = e.result;
      row.migrated ||= Boolean(e.migrated);
      row.backup ??= e.backup;
      row.note ??= e.note;
      if (e.time < row.time) row.time = e.time;
      if (e.result === "ok") previous = e.to;
    }
  }
  return [...rows.values()].sort((a, b) => a.time.localeCompare(b.time));
}

const resultWord = (r: DeployResult) => r === "rolled_back" ? "rolled back" : r;

/** The text `history` prints. */
export function formatHistory(rows: HistoryRow[]): string {
  if (rows.length === 0) return "no deploys recorded\n";
  const lines = rows.map((r) => {
    const counts = new Map<string, string[]>();
    for (const [h, res] of Object.entries(r.hosts)) counts.set(res, [...(counts.get(res) ?? []), h]);
    const results = [...counts].map(([res, hs]) => `${resultWord(res as DeployResult)}: ${hs.join(", ")}`)
      .join("; ");
    const arrow = r.from && r.from !== r.to ? `${r.from} → ${r.to}` : r.to;
    const dir = r.from && r.from !== r.to && compareVersions(r.to, r.from) < 0 ? " (down)" : "";
    const extra = [r.migrated ? "migrated" : "", r.backup ? `backup ${r.backup}` : "", r.note ?? ""].filter(
      Boolean,
    );
    return `${r.time}  ${r.user}  ${r.command.padEnd(8)} ${arrow}${dir}  ${results}${
      extra.length ? `\n    ${extra.join("; ")}` : ""
    }`;
  });
  return lines.join("\n") + "\n";
}
