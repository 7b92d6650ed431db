/**
 * The run journal, `.lago-provision/journal.json` beside the inventory (gitignored): how each host came
 * out of the last apply/upgrade/rollback, so `apply --retry-failed` can re-run only the hosts that
 * failed or could not be reached.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.ts";
import { firstIssue } from "../core/schema-issue.ts";
import { MiB, pathExists, readTextFile, writeFileAtomically } from "../core/files.ts";

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
  writeFileAtomically(path, JSON.stringify(journal, null, 2) + "\n");
}

/** A journal names each host once: a few MiB hold the largest fleet. */
const MAX_JOURNAL_BYTES = 4 * MiB;
const REWRITE = "delete it; the next apply writes a new one";

/**
 * Its host names become a `--limit`: plain inventory names only, so an edited journal cannot smuggle
 * in a pattern (`~(`, `web*`, `!db`) or a range.
 */
const journalSchema = z.object({
  version: z.literal(1),
  command: z.string().max(10_000),
  time: z.string().max(100),
  hosts: z.record(
    z.string().regex(/^[^\s:,!&~*?[\]]+$/, { error: "should be an inventory host name, not a pattern" }),
    z.enum(["ok", "failed", "unreachable", "rolled_back", "untouched"]),
  ),
});

export function readJournal(inventoryPath: string): Journal | undefined {
  const path = journalPath(inventoryPath);
  // A dangling link exists too: reading it says so.
  if (!pathExists(path)) return undefined;
  const text = readTextFile(path, { what: "run journal", maxBytes: MAX_JOURNAL_BYTES, hint: REWRITE });
  const bad = (why: string) => new UserError(`run journal ${path} ${why}`, REWRITE);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad(text.trim() === "" ? "is empty" : "is not valid JSON");
  }
  const parsed = journalSchema.safeParse(raw);
  if (!parsed.success) {
    throw bad(`is not a run journal (${firstIssue(parsed.error)})`);
  }
  return parsed.data;
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
