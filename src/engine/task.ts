/**
 * Runs one task on one host: when → loop → render args → validate → probe (one round trip) → plan →
 * (apply unless check) → changed_when/failed_when → register → notify. The plan is the same in check
 * and apply, so a dry run reports exactly what apply would do.
 */
import type { Command } from "../core/command.ts";
import { UnreachableError, UserError, withHint } from "../core/errors.ts";
import { modules } from "../modules/index.ts";
import type { Diff, ModuleContext, Plan } from "../modules/types.ts";
import type { SecretsInputs } from "../secrets/inputs.ts";
import type { TaskStatus } from "../output/events.ts";
import { evaluateCondition } from "../vars/expression.ts";
import { renderDeep, renderText } from "../vars/template.ts";
import type { HostRun, UnknownRegister } from "./host-run.ts";
import type { Task } from "../config/model.ts";
import { type Privilege, StepFailed } from "./remote.ts";
import { readLocalFile } from "../config/local-files.ts";
import { planFingerprint } from "./fingerprint.ts";

export interface TaskOutcome {
  status: TaskStatus;
  reason?: string;
  msg?: string;
  item?: unknown;
  diffs?: Diff[];
  /** Failure was ignored (ignore_errors): counted as ok, host goes on. */
  ignored?: boolean;
  /** Check mode: the outcome depends on an earlier change and is known only after apply. */
  unknown?: string;
  /** Check mode: hash of what the probe saw and what the plan would do (see fingerprint.ts). */
  fingerprint?: string;
  result: Record<string, unknown>;
}

export interface TaskEnv {
  check: boolean;
  /** Variables for this task on this host, before loop items. */
  vars: Record<string, unknown>;
  where: string;
  /** The secrets stores opened before the play (lago_secrets). */
  secrets?: SecretsInputs;
}

const whereOf = (t: Task) => `${t.source.file}:${t.source.line}:${t.source.col}`;

export function privilegeFor(
  task: Task,
  host: HostRun,
  playBecome?: boolean,
  playBecomeUser?: string,
): Privilege {
  return {
    become: task.keywords.become ?? playBecome ?? host.become,
    becomeUser: task.keywords.become_user ?? playBecomeUser ?? host.becomeUser,
  };
}

/**
 * Expand `loop` into items (rendered), or a single undefined item. Written `with_items`, lists in the
 * list are flattened one level and a single value is a list of one; `with_dict`, a mapping's entries
 * are `{ key, value }` items (as Ansible's items and dict lookups do).
 */
function loopItems(task: Task, vars: Record<string, unknown>): unknown[] | null {
  const { loop, loop_from: from } = task.keywords;
  if (loop === undefined) return null;
  const rendered = renderDeep(loop, vars, `${whereOf(task)} ${from ?? "loop"}`);
  if (from === "with_dict") {
    if (typeof rendered !== "object" || rendered === null || Array.isArray(rendered)) {
      throw new UserError(`${whereOf(task)} with_dict: expected a mapping, got ${kindOf(rendered)}`);
    }
    return Object.entries(rendered).map(([key, value]) => ({ key, value }));
  }
  if (from === "with_items") return (Array.isArray(rendered) ? rendered : [rendered]).flat(1);
  if (!Array.isArray(rendered)) {
    throw new UserError(`${whereOf(task)} loop: expected a list, got ${kindOf(rendered)}`);
  }
  return rendered;
}

const kindOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v);

export async function runTask(
  task: Task,
  host: HostRun,
  env: TaskEnv,
  privilege: Privilege,
): Promise<TaskOutcome[]> {
  let items: unknown[] | null;
  try {
    items = loopItems(task, env.vars);
  } catch (e) {
    return [unknownOrFailed(e, task, env, host, undefined)];
  }
  const run = (vars: Record<string, unknown>, item: unknown) =>
    runItem(task, host, env, privilege, vars, item).catch((e) => unknownOrFailed(e, task, env, host, item));
  if (items === null) return [await run(env.vars, undefined)];
  const loopVar = task.keywords.loop_var ?? "item";
  const outcomes: TaskOutcome[] = [];
  for (const item of items) {
    const outcome = await run({ ...env.vars, [loopVar]: item }, item);
    outcomes.push(outcome);
    if (outcome.status === "failed" && !outcome.ignored) break;
  }
  if (task.keywords.register) host.registered[task.keywords.register] = loopResult(outcomes);
  return outcomes;
}

/** A loop's result as `register` keeps it (and rescue's `ansible_failed_result`): each item under `results`. */
export function loopResult(outcomes: TaskOutcome[]): Record<string, unknown> {
  return {
    changed: outcomes.some((o) => o.status === "changed"),
    failed: outcomes.some((o) => o.status === "failed" && !o.ignored),
    skipped: outcomes.every((o) => o.status === "skipped"),
    results: outcomes.map((o) => ({ ...o.result, item: o.item })),
  };
}

/**
 * A task that could not be run or judged (a `when`, `loop`, argument or `changed_when`/`failed_when`
 * that fails to render, arguments invalid after templating, a module that refuses): in check mode,
 * "unknown" when it only needs a result apply will make; otherwise a failure of this host, which
 * `ignore_errors` ignores, as Ansible does. Unreachable hosts and bugs are not task failures: rethrown.
 */
function unknownOrFailed(e: unknown, task: Task, env: TaskEnv, host: HostRun, item: unknown): TaskOutcome {
  const dependsOn = env.check ? missingFromCheckRun(e, host) : undefined;
  if (dependsOn) {
    const unknown = `uses the result of '${dependsOn.task}', which is known only after it runs` +
      (dependsOn.readOnly ? " (give that read-only task `check_mode: false` to run it under --check)" : "");
    return { status: "ok", reason: unknown, unknown, item, result: { changed: false, skipped: false } };
  }
  if (!(e instanceof UserError) || e instanceof UnreachableError) throw e;
  const outcome = failure(e, item);
  if (task.keywords.ignore_errors) outcome.ignored = true;
  const name = task.keywords.register;
  if (name && item === undefined) host.registered[name] = outcome.result;
  return outcome;
}

/**
 * Check mode: a task that needs a value an earlier would-change task registers, which only a real run
 * produces (command output, generated secrets), fails on an undefined variable whose root is that
 * register. That is "unknown until apply", not an error. Returns the earlier task.
 */
function missingFromCheckRun(e: unknown, host: HostRun): UnknownRegister | undefined {
  if (!(e instanceof UserError)) return undefined;
  const name = /undefined variable '([^']+)'/.exec(e.message)?.[1];
  return name === undefined ? undefined : host.predicted.unknownRegisters.get(name.split(/[.[]/)[0]);
}

/** One run of the task (one loop item): when → render → validate → probe → plan → apply. */
async function runItem(
  task: Task,
  host: HostRun,
  env: TaskEnv,
  privilege: Privilege,
  vars: Record<string, unknown>,
  item: unknown,
): Promise<TaskOutcome> {
  const where = whereOf(task);
  if (task.keywords.when !== undefined && !evaluateCondition(task.keywords.when, vars, `${where} when`)) {
    const result = { changed: false, skipped: true, skip_reason: "condition was false" };
    if (task.keywords.register && item === undefined) host.registered[task.keywords.register] = result;
    return { status: "skipped", reason: "condition was false", item, result };
  }
  const mod = modules[task.module];
  if (!mod) throw new UserError(`${where}: unknown module '${task.module}'`);

  const rawArgs = renderDeep(task.args, vars, `${where} ${task.module}`);
  const parsed = mod.args.safeParse(rawArgs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${where} ${task.module}/${issue.path.join("/")}: ${issue.message} (after templating)`,
    );
  }
  const ctx = contextFor(task, host, env, vars);

  let plan: Plan;
  let fingerprint: string | undefined;
  const remote = host.remote!;
  try {
    const probe = mod.probe(parsed.data, ctx);
    const facts = probe ? await remote.probe(probe, privilege) : undefined;
    plan = mod.plan(parsed.data, facts, ctx);
    if (env.check) fingerprint = planFingerprint(facts, plan);
    else refuseMissing(plan);
  } catch (e) {
    // A module that refuses (assert, lago_secrets) fails like a command does: failed_when and
    // ignore_errors judge it. Unreachable, or unknown until apply, is decided by the caller.
    if (e instanceof UnreachableError || (env.check && missingFromCheckRun(e, host))) throw e;
    return finish(task, host, failure(e, item), vars, where);
  }

  if (env.check) {
    const judged = judgeCheckPlan(task, host, plan, item);
    if (judged) return finish(task, host, { ...judged, fingerprint }, vars, where);
  }
  let result: Record<string, unknown> = { changed: plan.changed, ...plan.result };
  if (!env.check) {
    try {
      const outputs = [];
      for (const step of plan.steps) {
        const out = await remote.apply(step, privilege);
        if (out) outputs.push(out);
      }
      if (mod.resultFrom) result = { ...result, ...mod.resultFrom(outputs) };
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      const fail = failure(e, item);
      if (e instanceof StepFailed) {
        fail.result = {
          ...result,
          rc: e.result.exitCode,
          stdout: e.result.stdout,
          stderr: e.result.stderr,
          failed: true,
        };
      }
      return finish(task, host, fail, vars, where);
    }
  }
  const failed = result.failed === true;
  // resultFrom may know better after apply (git fetch moved HEAD or not, apt upgraded or not).
  const changed = result.changed === true;
  const outcome: TaskOutcome = {
    status: failed ? "failed" : changed ? "changed" : "ok",
    reason: env.check || !plan.changed ? plan.reason : asDone(plan.reason),
    msg: failed ? describeFailure(result) : undefined,
    item,
    diffs: plan.diffs,
    fingerprint,
    result: { ...result, failed },
  };
  return finish(task, host, outcome, vars, where, env.check && plan.changed && mod.resultFrom !== undefined);
}

/**
 * Apply: a plan that rests on something still missing fails with what is missing and what to do
 * (unless its own steps may provide it). Earlier tasks have run by now: nothing else will create it.
 */
export function refuseMissing(plan: Plan): void {
  const a = plan.assumes;
  if (a && !a.stepsProvide) throw new UserError(a.error, a.hint);
}

/**
 * Check mode: a plan that rests on something missing is a known change when an earlier task creates
 * that path, "unknown until apply" when earlier tasks would change the host some other way, and a
 * predicted failure otherwise. A plan that reads a file an earlier task would change is known only
 * after apply. Also records what this plan would change, for the tasks after it.
 */
export function judgeCheckPlan(
  task: Task,
  host: HostRun,
  plan: Plan,
  item: unknown,
): TaskOutcome | null {
  const p = host.predicted;
  let outcome: TaskOutcome | null = null;
  if (plan.assumes) {
    const creator = plan.assumes.path ? creatorOf(p.creates, plan.assumes.path) : undefined;
    if (creator) {
      plan.reason += ` ('${creator}' creates ${plan.assumes.path})`;
    } else if (p.changedTasks.length > 0) {
      const unknown = `${plan.assumes.what}; depends on earlier changes ('${
        p.changedTasks[p.changedTasks.length - 1]
      }')`;
      outcome = {
        status: "ok",
        reason: unknown,
        unknown,
        item,
        diffs: plan.diffs,
        result: { changed: false },
      };
    } else {
      const msg = `would fail: ${plan.assumes.error}${plan.assumes.hint ? ` (${plan.assumes.hint})` : ""}`;
      outcome = { status: "failed", msg, item, result: { changed: false, failed: true, msg } };
    }
  }
  const stale = (plan.reads ?? []).find((path) => p.writes.has(path));
  if (!outcome && stale) {
    const unknown = `reads ${stale}, which '${p.writes.get(stale)}' would change first: known after apply`;
    outcome = { status: "ok", reason: unknown, unknown, item, diffs: plan.diffs, result: { changed: false } };
  }
  const neverChanges = task.keywords.changed_when === false || task.keywords.changed_when === "false";
  // Steps skipped: its registered result holds only what the plan knows; a later task that needs
  // more (command output, generated values) is unknown until apply (see missingFromCheckRun). Also
  // for a read-only command (changed_when: false), which `check_mode: false` would run instead.
  if (plan.changed && task.keywords.register) {
    p.unknownRegisters.set(task.keywords.register, { task: task.name, readOnly: neverChanges });
  }
  if ((plan.changed || stale) && !neverChanges) {
    if (!p.changedTasks.includes(task.name)) p.changedTasks.push(task.name);
    for (const path of plan.creates ?? []) p.creates.set(path, task.name);
    for (const d of plan.diffs ?? []) if (d.target.startsWith("/")) p.writes.set(d.target, task.name);
    for (const path of plan.creates ?? []) p.writes.set(path, task.name);
  }
  return outcome;
}

/** The task that creates `path` or something below it (mkdir -p and friends create the parents). */
function creatorOf(creates: Map<string, string>, path: string): string | undefined {
  for (const [created, name] of creates) {
    if (created === path || created.startsWith(path.endsWith("/") ? path : `${path}/`)) return name;
  }
  return undefined;
}

function contextFor(task: Task, host: HostRun, env: TaskEnv, vars: Record<string, unknown>): ModuleContext {
  return {
    host: host.facts!,
    readLocalFile: (path, kind) =>
      readLocalFile(path, kind, { roleDir: task.role?.dir, file: task.source.file }),
    renderTemplate: (text, source) => renderText(text, vars, source),
    vars,
    secrets: env.secrets,
  };
}

/**
 * The probes this task would send if it ran now, for the host's read-ahead batch (Remote.prefetch):
 * the same when → loop → render → validate → probe path as runItem, running nothing. Whatever cannot
 * be decided yet (a variable an earlier task registers, a template error) gives no probe: the task
 * then probes for itself and reports the error as usual.
 */
export function probesFor(task: Task, host: HostRun, env: TaskEnv): Command[] {
  const mod = modules[task.module];
  if (!mod) return [];
  try {
    const items = loopItems(task, env.vars);
    const loopVar = task.keywords.loop_var ?? "item";
    const commands: Command[] = [];
    for (const item of items ?? [undefined]) {
      const vars = items === null ? env.vars : { ...env.vars, [loopVar]: item };
      if (task.keywords.when !== undefined && !evaluateCondition(task.keywords.when, vars, "")) continue;
      const parsed = mod.args.safeParse(renderDeep(task.args, vars, ""));
      if (!parsed.success) continue;
      const probe = mod.probe(parsed.data, contextFor(task, host, env, vars));
      if (probe) commands.push(probe.command);
    }
    return commands;
  } catch {
    return [];
  }
}

/** Apply changed_when / failed_when / ignore_errors, then register. */
function finish(
  task: Task,
  host: HostRun,
  outcome: TaskOutcome,
  vars: Record<string, unknown>,
  where: string,
  outputPending = false,
): TaskOutcome {
  const k = task.keywords;
  const name = k.register;
  if (outputPending) {
    // Check mode and the command did not run: only constant conditions can be judged now.
    const constant = (c: unknown) => typeof c === "boolean" || c === "true" || c === "false";
    const pending = [k.changed_when, k.failed_when].find((c) => c !== undefined && !constant(c));
    if (pending !== undefined && outcome.status !== "failed") {
      outcome.unknown = `'${String(pending)}' depends on the command's output`;
      outcome.status = "ok";
      if (name && outcome.item === undefined) host.registered[name] = outcome.result;
      return outcome;
    }
  }
  const scope = name ? { ...vars, [name]: outcome.result } : { ...vars, result: outcome.result };
  if (k.changed_when !== undefined && outcome.status !== "failed") {
    const changed = evaluateCondition(k.changed_when, scope, `${where} changed_when`);
    outcome.status = changed ? "changed" : "ok";
    outcome.result.changed = changed;
  }
  if (k.failed_when !== undefined) {
    const failed = evaluateCondition(k.failed_when, scope, `${where} failed_when`);
    if (failed && outcome.status !== "failed") {
      outcome.msg = `failed_when condition is true: ${String(k.failed_when)}`;
    }
    if (!failed && outcome.status === "failed") outcome.status = outcome.result.changed ? "changed" : "ok";
    else if (failed) outcome.status = "failed";
    outcome.result.failed = failed;
  }
  if (outcome.status === "failed" && k.ignore_errors) outcome.ignored = true;
  if (name && outcome.item === undefined) host.registered[name] = outcome.result;
  return outcome;
}

/** Modules phrase changes as plans ("would create /x"); after apply the same words say what was done. */
export const asDone = (reason: string): string => reason.replace(/\bwould (be )?/g, "");

function failure(e: unknown, item: unknown): TaskOutcome {
  const msg = withHint(e);
  return { status: "failed", msg, item, result: { changed: false, failed: true, msg } };
}

function describeFailure(result: Record<string, unknown>): string {
  const tail = String(result.stderr || result.stdout || "").trim().split("\n").slice(-5).join("\n");
  return `non-zero exit code ${result.rc ?? "?"}${tail ? `: ${tail}` : ""}`;
}
