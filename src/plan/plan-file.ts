/**
 * The saved plan (`lago-provision plan INVENTORY -o plan.json`), versioned and described by a zod
 * schema from which `schemas/plan.schema.json` is generated. It records, per host and task, what
 * would happen and a fingerprint of the host state it was planned against — never file contents,
 * command lines or variable values, so it holds no secret.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { patternSyntaxError } from "../config/inventory.ts";
import { checkRegularFile, MiB, readRegularFile } from "../core/files.ts";
import { UserError } from "../core/errors.ts";
import { firstIssue } from "../core/schema-issue.ts";
import type { RunEvent } from "../output/events.ts";

export const PLAN_FORMAT = "lago-provision-plan";
export const PLAN_VERSION = 1;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { error: "should be a sha256 in hex (64 characters)" });
const path = z.string().min(1).max(4096);
const pattern = z.string().min(1).max(4096).refine((p) => patternSyntaxError(p) === undefined, {
  error: (issue) => patternSyntaxError(String(issue.input)),
});
const count = z.number().int().min(0);

const plannedTask = z.object({
  task: z.string().describe("The task's name."),
  source: z.string().max(4096).describe("Where the task is defined: file:line:col."),
  status: z.enum(["ok", "changed", "failed", "skipped", "unreachable", "unknown"]).describe(
    "What the task would do: changed, ok (nothing to do), skipped, unknown (known only after apply), failed.",
  ),
  reason: z.string().optional().describe("What would change, or why nothing does (secrets redacted)."),
  targets: z.array(z.string()).optional().describe("What the task would change: paths, packages, services."),
  fingerprint: sha256Hex.optional().describe(
    "sha256 of the host state the probe saw and of the planned steps; a different value at apply time means drift.",
  ),
}).strict().describe("One task (or loop item) on one host.");

export const planSchema = z.object({
  format: z.literal(PLAN_FORMAT).describe("Always 'lago-provision-plan'."),
  version: z.literal(PLAN_VERSION).describe("Version of this file format."),
  created: z.iso.datetime().describe("When the plan was made (ISO 8601)."),
  inventory: path.describe("The inventory file the plan was made from."),
  inventories: z.array(path).optional().describe("Further inventories (-i) merged after it, if any."),
  playbook: path.describe("The playbook the plan was made from."),
  limit: pattern.optional().describe("The --limit pattern, if any."),
  tags: z.string().optional().describe("The --tags given, if any."),
  skipTags: z.string().optional().describe("The --skip-tags given, if any."),
  extraVars: z.object({
    names: z.array(z.string()).describe("Names of the -e variables (values are never stored)."),
    sha256: sha256Hex.describe("sha256 of the -e values, so apply can require the same ones."),
  }).strict().describe("The extra variables the plan was made with."),
  summary: z.object({
    hosts: count.describe("Hosts planned."),
    change: count.describe("Tasks that would change something."),
    unchanged: count.describe("Tasks with nothing to do."),
    unknown: count.describe("Tasks whose outcome is known only after apply."),
    failed: count.describe("Tasks that would fail, and unreachable hosts."),
  }).strict().describe("Totals over all hosts."),
  hosts: z.record(z.string(), z.array(plannedTask).describe("The host's tasks in run order.")).describe(
    "Per host, the tasks in run order.",
  ),
}).strict().describe("A saved lago-provision plan: what apply would do, per host and task.");

export type PlanFile = z.infer<typeof planSchema>;
export type PlannedTask = z.infer<typeof plannedTask>;

export const hashExtraVars = (vars: Record<string, unknown>): string =>
  createHash("sha256").update(JSON.stringify(vars, Object.keys(vars).sort())).digest("hex");

/** Collects a check run's events into per-host task lists. */
export class PlanCollector {
  readonly hosts: Record<string, PlannedTask[]> = {};

  add(e: RunEvent): void {
    if (e.type !== "task_result") return;
    const entry: PlannedTask = {
      task: e.item === undefined ? e.task : `${e.task} (item ${JSON.stringify(e.item)})`,
      source: e.source ?? "",
      status: e.unknown !== undefined && e.status !== "failed" && e.status !== "unreachable"
        ? "unknown"
        : e.status,
      reason: e.unknown ?? e.reason ?? e.msg,
      targets: e.targets,
      fingerprint: e.fingerprint,
    };
    (this.hosts[e.host] ??= []).push(entry);
  }

  summary(): PlanFile["summary"] {
    const all = Object.values(this.hosts).flat();
    const count = (...s: PlannedTask["status"][]) => all.filter((t) => s.includes(t.status)).length;
    return {
      hosts: Object.keys(this.hosts).length,
      change: count("changed"),
      unchanged: count("ok"),
      unknown: count("unknown"),
      failed: count("failed", "unreachable"),
    };
  }
}

/** A plan is at most this large: a fleet of hundreds of hosts with hundreds of tasks fits in a few MiB. */
export const MAX_PLAN_BYTES = 32 * MiB;

/**
 * Whether `apply TARGET` names a saved plan: a `.json` file, unless it holds a JSON inventory (an
 * object with `all` and no `format`). A `.json` file that cannot be read is a plan, so its reader
 * says what is wrong with it rather than the inventory loader.
 */
export function isPlanFile(path: string): boolean {
  if (!path.endsWith(".json")) return false;
  try {
    const value = JSON.parse(new TextDecoder().decode(readRegularFile(path, readOptions(path))));
    return !(value && typeof value === "object" && "all" in value && !("format" in value));
  } catch {
    return true;
  }
}

const remake = (path: string) => `make a new plan with: lago-provision plan INVENTORY -o ${path}`;
const readOptions = (path: string) => ({ what: "plan", maxBytes: MAX_PLAN_BYTES, hint: remake(path) });

/**
 * Read a saved plan and check its shape strictly, before anything else runs: size, text, JSON, every
 * field (zod). Each refusal is one line naming the file and what is wrong.
 */
export function readPlanFile(path: string): PlanFile {
  const bad = (why: string) => new UserError(`plan ${path} ${why}`, remake(path));
  const bytes = readRegularFile(path, readOptions(path));
  if (bytes.length === 0 || /^\s*$/.test(new TextDecoder().decode(bytes))) throw bad("is empty");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw bad("is not text (binary data): not a plan, or corrupted");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const cut = /end of (JSON )?input|Unterminated|Expected .* after/i.test((e as Error).message);
    throw bad(
      cut ? "is cut short (its JSON ends early): truncated?" : "is not valid JSON: corrupted, or not a plan",
    );
  }
  if (
    !raw || typeof raw !== "object" || Array.isArray(raw) ||
    (raw as { format?: unknown }).format !== PLAN_FORMAT
  ) {
    throw bad(`is not a lago-provision plan (it has no "format": "${PLAN_FORMAT}")`);
  }
  const version = (raw as { version?: unknown }).version;
  if (version !== PLAN_VERSION) {
    throw new UserError(
      `plan ${path} has version ${
        JSON.stringify(version)
      }; this lago-provision reads version ${PLAN_VERSION}`,
      `make a new plan with this lago-provision: lago-provision plan INVENTORY -o ${path}`,
    );
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    throw bad(`is not a valid plan (${firstIssue(parsed.error)})`);
  }
  return parsed.data;
}

/**
 * A saved plan whose inventory and playbook are still there: read and checked before the fleet lock or
 * any host is contacted (its `--limit` is checked when the session loads the inventory: badPlanLimit).
 */
export function openPlan(path: string): PlanFile {
  const plan = readPlanFile(path);
  const refers = (what: "inventory" | "playbook", file: string) => {
    try {
      checkRegularFile(file, { what, maxBytes: Infinity });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw new UserError(
        `plan ${path} was made from the ${what} ${file}, which cannot be used now: ${
          e.message.replace(`${what} ${file} `, "it ")
        }`,
        `run it from the folder it was made in, or ${remake(path)}`,
      );
    }
  };
  refers("inventory", plan.inventory);
  refers("playbook", plan.playbook);
  return plan;
}

/**
 * Why a saved plan's `--limit` no longer selects hosts of its inventory, as an error naming the plan.
 * The session checks it when it loads the inventory (once per command), before any host is contacted.
 */
export const badPlanLimit = (path: string) => (problem: string): UserError =>
  new UserError(`plan ${path}: its --limit: ${problem}`, remake(path));

/**
 * Compare a saved plan with a fresh one made just now. Returns one line per difference, naming the
 * host, the task and what it touches; empty when the hosts are as they were planned.
 */
export function findDrift(saved: PlanFile["hosts"], now: PlanFile["hosts"]): string[] {
  const drift: string[] = [];
  for (const host of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    const before = saved[host] ?? [];
    const after = now[host] ?? [];
    if (!saved[host]) {
      drift.push(`${host}: not in the plan`);
      continue;
    }
    if (!now[host]) {
      drift.push(`${host}: in the plan but not selected now`);
      continue;
    }
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) {
      const a = before[i];
      const b = after[i];
      if (!a || !b || a.source !== b.source || a.task !== b.task) {
        drift.push(
          `${host}: the task list differs from the plan at task ${i + 1} (${a?.task ?? "none"} → ${
            b?.task ?? "none"
          })`,
        );
        break;
      }
      if (a.fingerprint !== b.fingerprint || a.status !== b.status) {
        const what = (b.targets ?? a.targets ?? []).join(", ");
        drift.push(
          `${host}: task '${a.task}' (${a.source}) ${
            what ? `on ${what} ` : ""
          }would now do something else: ` +
            `planned '${a.status}: ${a.reason ?? ""}', now '${b.status}: ${b.reason ?? ""}'`,
        );
      }
    }
  }
  return drift;
}
