/**
 * The run journal, `.lago-provision/journal.json` beside the inventory (gitignored): how each host came
 * out of the last apply/upgrade/rollback, so `apply --retry-failed` can re-run only the hosts that
 * failed or could not be reached.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../core/errors.ts";

export type HostOutcome = "ok" | "failed" | "unreachable" | "rolled_back" | "untouched";

export interface Journal {
  version: 1;
  command: string;
  /** Controller's clock, ISO 8601. */
  time: string;
  hosts: Record<string, HostOutcome>;
}

export const journalPath = (inventoryPath: string): string =>
  join(dirname(inventoryPath), ".lago-provision", "journal.json");

export function writeJournal(inventoryPath: string, journal: Journal): void {
  const path = journalPath(inventoryPath);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(journal, null, 2) + "\n");
  renameSync(tmp, path);
}

export function readJournal(inventoryPath: string): Journal | undefined {
  const path = journalPath(inventoryPath);
  if (!existsSync(path)) return undefined;
  try {
    const j = JSON.parse(readFileSync(path, "utf8"));
    if (j?.version === 1 && j.hosts && typeof j.hosts === "object") return j as Journal;
  } catch { /* fall through */ }
  throw new UserError(`${path} is not a run journal`, "delete it; the next apply writes a new one");
}

/** Hosts to re-run: those that failed or were unreachable. */
export const failedHosts = (j: Journal): string[] =>
  Object.entries(j.hosts).filter(([, o]) => o === "failed" || o === "unreachable").map(([h]) => h);

/**
 * The `--limit` for `apply --retry-failed`: the failed hosts of the last run, or undefined when there
 * is nothing to retry. Combining it with `--limit` is refused (which one should win is a guess).
 */
export function retryLimit(
  inventoryPath: string,
  limit: string | undefined,
): { limit?: string; note: string } {
  if (limit !== undefined) {
    throw new UserError(
      "--retry-failed and --limit cannot be combined",
      "--retry-failed sets the limit itself",
    );
  }
  const j = readJournal(inventoryPath);
  if (!j) {
    throw new UserError(
      `no run journal at ${journalPath(inventoryPath)}: nothing is known to have failed`,
      "run apply without --retry-failed",
    );
  }
  const hosts = failedHosts(j);
  if (hosts.length === 0) {
    return { note: `nothing to retry: every host succeeded in the last ${j.command} (${j.time})` };
  }
  return {
    limit: hosts.join(","),
    note: `retrying the hosts that failed in the last ${j.command} (${j.time}): ${hosts.join(", ")}`,
  };
}
