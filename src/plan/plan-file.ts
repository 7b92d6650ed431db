/**
 * The saved plan (`lago-provision plan INVENTORY -o plan.json`), versioned and described by a zod
 * schema from which `schemas/plan.schema.json` is generated. It records, per host and task, what
 * would happen and a fingerprint of the host state it was planned against — never file contents,
 * command lines or variable values, so it holds no secret.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../core/errors.ts";
import type { RunEvent } from "../output/events.ts";

export const PLAN_FORMAT = "lago-provision-plan";
export const PLAN_VERSION = 1;

const plannedTask = z.object({
  task: z.string().describe("The task's name."),
  source: z.string().describe("Where the task is defined: file:line:col."),
  status: z.enum(["ok", "changed", "failed", "skipped", "unreachable", "unknown"]).describe(
    "What the task would do: changed, ok (nothing to do), skipped, unknown (known only after apply), failed.",
  ),
  reason: z.string().optional().describe("What would change, or why nothing does (secrets redacted)."),
  targets: z.array(z.string()).optional().describe("What the task would change: paths, packages, services."),
  fingerprint: z.string().optional().describe(
    "sha256 of the host state the probe saw and of the planned steps; a different value at apply time means drift.",
  ),
}).strict().describe("One task (or loop item) on one host.");

export const planSchema = z.object({
  format: z.literal(PLAN_FORMAT).describe("Always 'lago-provision-plan'."),
  version: z.literal(PLAN_VERSION).describe("Version of this file format."),
  created: z.string().describe("When the plan was made (ISO 8601)."),
  inventory: z.string().describe("The inventory file the plan was made from."),
  playbook: z.string().describe("The playbook the plan was made from."),
  limit: z.string().optional().describe("The --limit pattern, if any."),
  tags: z.string().optional().describe("The --tags given, if any."),
  skipTags: z.string().optional().describe("The --skip-tags given, if any."),
  extraVars: z.object({
    names: z.array(z.string()).describe("Names of the -e variables (values are never stored)."),
    sha256: z.string().describe("sha256 of the -e values, so apply can require the same ones."),
  }).strict().describe("The extra variables the plan was made with."),
  summary: z.object({
    hosts: z.number().int().describe("Hosts planned."),
    change: z.number().int().describe("Tasks that would change something."),
    unchanged: z.number().int().describe("Tasks with nothing to do."),
    unknown: z.number().int().describe("Tasks whose outcome is known only after apply."),
    failed: z.number().int().describe("Tasks that would fail, and unreachable hosts."),
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

export function isPlanFile(path: string): boolean {
  if (!path.endsWith(".json")) return false;
  try {
    return JSON.parse(readFileSync(path, "utf8"))?.format === PLAN_FORMAT;
  } catch {
    return false;
  }
}

export function readPlanFile(path: string): PlanFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UserError(`${path}: not a readable plan file: ${(e as Error).message}`);
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${path}: not a valid plan (${issue.path.join("/") || "top"}: ${issue.message})`,
      `make a new one with: lago-provision plan INVENTORY -o ${path}`,
    );
  }
  return parsed.data;
}

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
