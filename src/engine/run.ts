/**
 * The run, in explicit stages: connect → facts → tasks (linear: each task on every active host of the
 * batch in parallel, up to --forks) → handlers → recap → disconnect. Hosts that fail or drop off leave
 * the run; the others finish.
 */
import type { ExecResult } from "../core/types.ts";
import { UnreachableError, UserError, withHint } from "../core/errors.ts";
import { connectTo } from "../connection/connect.ts";
import type { ConnectionSettings } from "../connection/settings.ts";
import { hostFactsScript, parseHostFacts } from "../facts/host.ts";
import type { Probe } from "../modules/types.ts";
import { raw } from "../core/command.ts";
import type { Diff } from "../core/types.ts";
import type { SecretsInputs } from "../secrets/inputs.ts";
import type { Reporter, RunEvent, TaskResult } from "../output/events.ts";
import { savePendingCommand } from "./host-state.ts";
import { type HostRun, isActive, newHostRun } from "./host-run.ts";
import type { Play, Task } from "../config/model.ts";
import { type Block, type Step, taskSteps } from "./blocks.ts";
import { batches, mapLimit } from "./pool.ts";
import { Remote } from "./remote.ts";
import { loopResult, privilegeFor, probesFor, runTask, type TaskOutcome } from "./task.ts";
import { mergeVars } from "./vars.ts";
import { magicVars } from "../vars/magic.ts";
import { factsOf } from "../modules/set_fact.ts";
import { MIN_SECRET_LENGTH, secretsFromVars } from "../output/redact.ts";

export interface RunHost {
  name: string;
  settings: ConnectionSettings;
  vars: Record<string, unknown>;
}

export interface RunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  extraVars: Record<string, unknown>;
  tags?: string[];
  skipTags?: string[];
  reporter: Reporter;
  /** Resolve a play's `hosts:` pattern to inventory host names (in inventory order). */
  selectHosts(pattern: string): string[];
  /** Redact secrets from a diff for this host (engine applies it to everything it reports). */
  redactDiff(host: HostRun, diff: Diff): Diff;
  redactText(host: HostRun, text: string): string;
  /** The inventory file: tasks see `inventory_file` and `inventory_dir` (lago_secrets keeps its store there). */
  inventoryFile: string;
  /**
   * A host's connection, borrowed from the caller (the session's: one per host for the whole
   * command), which closes it. Without it the run connects (ssh2 / local) and closes by itself.
   */
  remote?(settings: ConnectionSettings): Promise<Remote>;
  /** The secrets stores opened before the play (src/session/secrets-stage.ts), for lago_secrets. */
  secrets?: SecretsInputs;
  /** Once aborted (SIGINT/SIGTERM), nothing new starts: no task, host, batch, play or handler. */
  signal?: AbortSignal;
}

export interface RunSummary {
  hosts: Record<string, HostRun>;
  ok: boolean;
}

export async function runPlays(
  source: string,
  plays: Play[],
  inventory: RunHost[],
  opts: RunOptions,
): Promise<RunSummary> {
  const started = Date.now();
  const byName = new Map(inventory.map((h) => [h.name, h]));
  const runs = new Map<string, HostRun>();
  const emit = (e: RunEvent) => opts.reporter.emit(e);
  emit({
    type: "run_start",
    source,
    hosts: inventory.length,
    check: opts.check,
    time: new Date().toISOString(),
  });

  const hostRun = (name: string): HostRun => {
    let h = runs.get(name);
    if (!h) {
      const inv = byName.get(name)!;
      h = newHostRun(name, inv.settings.become, inv.settings.becomeUser, inv.vars);
      runs.set(name, h);
    }
    return h;
  };

  const stopped = () => opts.signal?.aborted === true;
  try {
    for (const [index, play] of plays.entries()) {
      if (stopped()) break;
      const names = opts.selectHosts(play.hosts);
      emit({ type: "play_start", play: play.name, hosts: names });
      if (names.length === 0) {
        emit({ type: "warning", msg: `play '${play.name}': no hosts match '${play.hosts}'` });
        continue;
      }
      const hosts = names.map(hostRun);
      let failedSoFar = 0;
      const tasks = play.tasks.filter((t) => selectedByTags(t, opts));
      for (const batch of batches(hosts, play.serial)) {
        if (stopped()) break;
        const active = batch.filter(isActive);
        // Each host on its own: connect, facts, then its probes read ahead (no wait for the others).
        await mapLimit(active, opts.forks, async (h) => {
          if (stopped()) return;
          await prepareHost(h, byName.get(h.name)!, play, opts);
          if (isActive(h)) await prefetchProbes(plays.slice(index), h, opts);
        });
        await runPlayOnBatch(play, tasks, batch, opts);
        failedSoFar += batch.filter((h) => !isActive(h)).length;
        if (play.anyErrorsFatal && failedSoFar > 0) break;
        if (
          play.maxFailPercentage !== undefined && (failedSoFar * 100) / hosts.length > play.maxFailPercentage
        ) {
          emit({
            type: "warning",
            msg: `play '${play.name}': more than ${play.maxFailPercentage}% of hosts failed; stopping`,
          });
          break;
        }
      }
    }
    if (stopped()) {
      emit({
        type: "warning",
        msg: `interrupted (${opts.signal!.reason}): no task started after it; ` +
          "handlers already notified stay pending on their hosts and run on the next apply",
      });
    }
  } finally {
    if (!opts.remote) await Promise.all([...runs.values()].map((h) => h.remote?.connection.close()));
  }
  const recapHosts = Object.fromEntries(
    inventory.filter((h) => runs.has(h.name)).map((h) => [h.name, runs.get(h.name)!.counts]),
  );
  emit({ type: "recap", hosts: recapHosts, durationMs: Date.now() - started });
  const all = Object.fromEntries(runs);
  return { hosts: all, ok: [...runs.values()].every(isActive) };
}

/** The facts script as a probe (read-only): its answer may have been read ahead. */
export const FACTS_PROBE: Probe<ExecResult> = { command: [raw(hostFactsScript)], parse: (r) => r };

/** Facts are gathered with the play's privilege. */
export const factsPrivilege = (play: Play, h: { become: boolean; becomeUser: string }) => ({
  become: play.become ?? h.become,
  becomeUser: play.becomeUser ?? h.becomeUser,
});

/** Connect once per run and gather facts once per play (one round trip, also reads pending handlers). */
async function prepareHost(h: HostRun, inv: RunHost, play: Play, opts: RunOptions): Promise<void> {
  try {
    h.remote ??= opts.remote
      ? await opts.remote(inv.settings)
      : new Remote(await connectTo(inv.settings), inv.settings.user, opts.signal);
    // A probe: read ahead with the fleet lock or an earlier play's probes when nothing ran since.
    const r = await h.remote.probe(FACTS_PROBE, factsPrivilege(play, h));
    if (r.exitCode !== 0) throw new UnreachableError(`${h.name}: gathering facts failed: ${r.stderr.trim()}`);
    h.facts = parseHostFacts(r.stdout);
    h.pendingOnHost = [...h.facts.pending_handlers];
    for (const name of h.facts.pending_handlers) {
      if (!h.pendingHandlers.includes(name)) h.pendingHandlers.push(name);
    }
  } catch (e) {
    markUnreachable(h, e, "connect", opts);
  }
}

function markUnreachable(h: HostRun, e: unknown, task: string, opts: RunOptions): void {
  h.unreachable = true;
  h.counts.unreachable++;
  const result: TaskResult = {
    type: "task_result",
    host: h.name,
    task,
    status: "unreachable",
    msg: withHint(e),
    durationMs: 0,
  };
  h.records.push(result);
  opts.reporter.emit(result);
}

/** Whether `--tags` / `--skip-tags` let the task run. */
export function selectedByTags(task: Task, opts: Pick<RunOptions, "tags" | "skipTags">): boolean {
  const tags = task.keywords.tags ?? [];
  if (tags.includes("never") && !(opts.tags ?? []).some((t) => tags.includes(t))) return false;
  if (opts.skipTags?.some((t) => tags.includes(t))) return false;
  if (!opts.tags || opts.tags.length === 0 || tags.includes("always")) return true;
  return opts.tags.some((t) => tags.includes(t) || (t === "untagged" && tags.length === 0) || t === "all");
}

async function runPlayOnBatch(play: Play, tasks: Task[], batch: HostRun[], opts: RunOptions): Promise<void> {
  await runSteps(play, taskSteps(tasks), batch, opts);
  await runHandlers(play, batch, opts);
}

/** Each step on the hosts still active for it, in lockstep (a task on every host before the next). */
async function runSteps(play: Play, steps: Step[], hosts: HostRun[], opts: RunOptions): Promise<void> {
  for (const step of steps) {
    const active = hosts.filter(isActive);
    if (active.length === 0 || opts.signal?.aborted) return;
    if ("block" in step) await runBlock(play, step.block, active, opts);
    else await runTaskOnBatch(play, step.task, active, opts);
  }
}

async function runTaskOnBatch(play: Play, task: Task, active: HostRun[], opts: RunOptions): Promise<void> {
  opts.reporter.emit({ type: "task_start", play: play.name, task: task.name });
  if (task.keywords.run_once) await runOnceForBatch(play, task, active, opts);
  else {
    await mapLimit(active, opts.forks, async (h) => {
      if (!opts.signal?.aborted) await runTaskOnHost(play, task, h, opts);
    });
  }
}

/**
 * A block, as Ansible runs it: its tasks on the hosts that enter it. Where one fails, the rest of the
 * block is skipped and the rescue runs with the failure cleared (counted rescued, not failed; a
 * failure in the rescue fails the host again). Then always runs on every host that entered, failed or
 * not, and a host failed before it stays failed. A failure left after all this is the enclosing block's.
 */
async function runBlock(play: Play, block: Block, entered: HostRun[], opts: RunOptions): Promise<void> {
  await runSteps(play, block.body, entered, opts);
  const failed = entered.filter((h) => h.failed && !h.unreachable);
  if (block.rescue.length > 0 && failed.length > 0) {
    for (const h of failed) rescue(h);
    await runSteps(play, block.rescue, failed, opts);
  }
  if (block.always.length === 0) return;
  const stillFailed = entered.filter((h) => h.failed && !h.unreachable);
  for (const h of stillFailed) h.failed = false;
  await runSteps(play, block.always, entered, opts);
  for (const h of stillFailed) if (!h.unreachable) h.failed = true;
}

/** A host whose rescue starts: no longer failed, and its rescue tasks see what failed and how. */
function rescue(h: HostRun): void {
  h.failed = false;
  h.counts.failed--;
  h.counts.rescued++;
  if (!h.lastFailure) return;
  const { task, action, result } = h.lastFailure;
  h.registered.ansible_failed_task = { name: task, action };
  h.registered.ansible_failed_result = result;
}

/**
 * `run_once`, as in Ansible: the task runs on the first host of the batch that can be reached, and its
 * result stands for every host of the batch (registered, reported, counted, notified; a failure fails
 * them all).
 */
async function runOnceForBatch(play: Play, task: Task, active: HostRun[], opts: RunOptions): Promise<void> {
  for (const [i, h] of active.entries()) {
    const outcomes = await runTaskOnHost(play, task, h, opts);
    if (!outcomes) continue; // unreachable: the next host runs it
    const others = active.slice(i + 1).filter(isActive);
    const register = task.keywords.register;
    for (const other of others) {
      if (register && register in h.registered) other.registered[register] = h.registered[register];
      const shared = outcomes.map((o) => ({
        ...o,
        reason: `${o.reason ?? o.status} (ran once on ${h.name})`,
      }));
      await recordOutcomes(task, other, shared, 0, opts);
    }
    return;
  }
}

/**
 * Reads every probe this and the later plays' tasks will need on this host in one round trip, right
 * after facts (the later plays' facts too). On a re-run where nothing changes, each task then finds its
 * answer ready: facts and this one batch for the whole playbook. The first change on a host drops the
 * answers (see Remote), and the tasks after it probe one by one, as they would without this. What a
 * later play's task cannot decide yet (a variable an earlier task registers) gives no probe.
 */
async function prefetchProbes(plays: Play[], h: HostRun, opts: RunOptions): Promise<void> {
  const probes = plays.flatMap((play, i) => {
    if (i > 0 && !opts.selectHosts(play.hosts).includes(h.name)) return [];
    const tasks = play.tasks.filter((t) => selectedByTags(t, opts));
    return [
      ...(i > 0 ? [{ command: FACTS_PROBE.command, privilege: factsPrivilege(play, h) }] : []),
      ...tasks.flatMap((task) => {
        const privilege = privilegeFor(task, h, play.become, play.becomeUser);
        const env = {
          check: checkFor(task, opts),
          vars: varsFor(play, task, h, opts),
          where: "",
          secrets: opts.secrets,
        };
        return probesFor(task, h, env).map((command) => ({ command, privilege }));
      }),
    ];
  });
  try {
    await h.remote!.prefetch(probes);
  } catch {
    // A lost connection shows in the first task; the tasks probe for themselves.
  }
}

/** Whether this task only reports: the run's mode, unless the task's `check_mode` says otherwise. */
const checkFor = (task: Task, opts: RunOptions): boolean => task.keywords.check_mode ?? opts.check;

function varsFor(play: Play, task: Task, h: HostRun, opts: RunOptions): Record<string, unknown> {
  return mergeVars({
    roleDefaults: task.roleDefaults,
    inventory: h.inventoryVars,
    facts: h.facts ?? undefined,
    play: play.vars,
    roleVars: task.roleVars,
    registered: h.registered,
    task: task.keywords.vars,
    extra: opts.extraVars,
    magic: magicVars({ host: h.name, inventoryFile: opts.inventoryFile, check: opts.check }),
  });
}

/** Runs the task on one host and records what happened; the outcomes, or undefined when unreachable. */
async function runTaskOnHost(
  play: Play,
  task: Task,
  h: HostRun,
  opts: RunOptions,
): Promise<TaskOutcome[] | undefined> {
  const started = Date.now();
  const notifies = task.keywords.notify ?? [];
  const early = !checkFor(task, opts) && notifies.length > 0;
  // The handlers a change notifies are saved on the host before its first step, so a controller that
  // dies or loses the host right after the change cannot lose them: the next apply runs them.
  if (early) h.remote?.beforeChange(() => persistPending(h, union(h.pendingHandlers, notifies)));
  let outcomes: TaskOutcome[];
  try {
    outcomes = await runTask(
      task,
      h,
      { check: checkFor(task, opts), vars: varsFor(play, task, h, opts), where: "", secrets: opts.secrets },
      privilegeFor(task, h, play.become, play.becomeUser),
    );
  } catch (e) {
    if (e instanceof UnreachableError) {
      markUnreachable(h, e, task.name, opts);
      return undefined;
    }
    if (e instanceof UserError) {
      outcomes = [{ status: "failed", msg: withHint(e), result: {} }];
    } else throw e;
  } finally {
    h.remote?.beforeChange(undefined);
  }
  await recordOutcomes(task, h, outcomes, Date.now() - started, opts);
  // Saved ahead of a change that did not happen: the host's list is this run's again. (After a
  // failure it stays: the task may have changed something before it failed.)
  if (early && !h.failed && !sameNames(h.pendingOnHost, h.pendingHandlers)) await persistPending(h);
  return outcomes;
}

/** Report a task's outcomes on a host, count them, fail the host or notify its handlers. */
async function recordOutcomes(
  task: Task,
  h: HostRun,
  outcomes: TaskOutcome[],
  durationMs: number,
  opts: RunOptions,
): Promise<void> {
  for (const o of outcomes) learnSecrets(h, o.result);
  if (task.module === "set_fact") keepFacts(task, h, outcomes);
  for (const o of outcomes) {
    const result: TaskResult = {
      type: "task_result",
      host: h.name,
      task: task.name,
      status: o.status,
      ignored: o.ignored || undefined,
      // Everything textual goes through the redactor: a debug message or a command line can hold a secret.
      reason: o.reason === undefined ? undefined : opts.redactText(h, o.reason),
      unknown: o.unknown === undefined ? undefined : opts.redactText(h, o.unknown),
      msg: o.msg === undefined || task.keywords.no_log
        ? (o.msg && "(output hidden by no_log)")
        : opts.redactText(h, o.msg),
      item: task.keywords.no_log || o.item === undefined
        ? undefined
        : JSON.parse(opts.redactText(h, JSON.stringify(o.item))),
      diffs: opts.diff && !task.keywords.no_log ? o.diffs?.map((d) => opts.redactDiff(h, d)) : undefined,
      durationMs,
      check: opts.check || undefined,
      targets: o.diffs?.length ? o.diffs.map((d) => d.target) : undefined,
      source: `${task.source.file}:${task.source.line}:${task.source.col}`,
      fingerprint: o.fingerprint,
    };
    h.records.push({ ...result, role: task.role?.name });
    opts.reporter.emit(result);
  }
  // One count per task per host: the worst outcome over its loop items.
  const failed = outcomes.some((o) => o.status === "failed" && !o.ignored);
  const changed = outcomes.some((o) => o.status === "changed");
  const skipped = outcomes.every((o) => o.status === "skipped");
  const unknown = outcomes.some((o) => o.unknown !== undefined);
  if (failed) {
    h.failed = true;
    h.counts.failed++;
    h.lastFailure = { task: task.name, action: task.module, result: failedResult(outcomes) };
  } else if (changed) h.counts.changed++;
  else if (unknown) h.counts.unknown++;
  else if (skipped) h.counts.skipped++;
  else h.counts.ok++;
  if (changed && task.keywords.notify?.length) await notify(h, task.keywords.notify, opts);
}

/**
 * set_fact: the host keeps the facts for the rest of the run (kept with its registered results, their
 * place in Ansible's precedence); a fact with a secret's name is redacted like one. In check mode, facts made from a result only apply gives are unknown
 * until apply, as that result is, for the tasks that use them.
 */
function keepFacts(task: Task, h: HostRun, outcomes: TaskOutcome[]): void {
  for (const o of outcomes) {
    const facts = o.result.ansible_facts;
    if (o.unknown !== undefined) {
      for (const name of Object.keys(factsOf(task.args))) {
        h.predicted.unknownRegisters.set(name, { task: task.name, readOnly: false });
      }
    } else if (o.status === "ok" && facts && typeof facts === "object") {
      Object.assign(h.registered, facts);
      // A fact with a secret's name is one from now on, whatever it was built from.
      for (const s of secretsFromVars(facts as Record<string, unknown>)) {
        if (s.value.length >= MIN_SECRET_LENGTH) h.secrets.set(s.name, s.value);
      }
    }
  }
}

/** A failed task's result as `register` keeps it: a loop's items under `results`, as Ansible has it. */
function failedResult(outcomes: TaskOutcome[]): Record<string, unknown> {
  if (outcomes.length === 1 && outcomes[0].item === undefined) return { failed: true, ...outcomes[0].result };
  return { ...loopResult(outcomes), failed: true, msg: "One or more items failed" };
}

/**
 * A module result may carry `secrets` (name -> value), e.g. lago_secrets: from then on every value is
 * redacted from this host's output, whatever task prints it.
 */
function learnSecrets(h: HostRun, result: Record<string, unknown>): void {
  const secrets = result.secrets;
  if (!secrets || typeof secrets !== "object") return;
  for (const [name, value] of Object.entries(secrets)) {
    if (typeof value === "string" && value !== "") h.secrets.set(name, value);
  }
}

/** Remember notifications on the host at once, so a later failure cannot lose them. */
async function notify(h: HostRun, names: string[], opts: RunOptions): Promise<void> {
  const fresh = names.filter((n) => !h.pendingHandlers.includes(n));
  if (fresh.length === 0) return;
  h.pendingHandlers.push(...fresh);
  // Already there when saved before the change (runTaskOnHost).
  if (!opts.check && !sameNames(h.pendingOnHost, h.pendingHandlers)) await persistPending(h);
}

async function persistPending(h: HostRun, names = h.pendingHandlers): Promise<void> {
  const { command, stdin } = savePendingCommand(names);
  try {
    await h.remote!.run(command, { become: h.become, becomeUser: h.becomeUser }, stdin);
    h.pendingOnHost = [...names];
  } catch {
    // Unreachable now: the next task on this host reports it.
  }
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
const sameNames = (a: string[], b: string[]) => a.length === b.length && a.every((n) => b.includes(n));

const answersTo = (handler: Task, name: string) =>
  handler.name === name || (handler.keywords.listen ?? []).includes(name);

async function runHandlers(play: Play, batch: HostRun[], opts: RunOptions): Promise<void> {
  for (const handler of play.handlers) {
    if (opts.signal?.aborted) return;
    const hosts = batch.filter((h) => isActive(h) && h.pendingHandlers.some((n) => answersTo(handler, n)));
    if (hosts.length === 0) continue;
    opts.reporter.emit({ type: "task_start", play: play.name, task: handler.name, handler: true });
    await mapLimit(hosts, opts.forks, async (h) => {
      if (opts.signal?.aborted) return;
      await runTaskOnHost(play, handler, h, opts);
      if (isActive(h)) {
        h.pendingHandlers = h.pendingHandlers.filter((n) => !answersTo(handler, n));
        if (!opts.check) await persistPending(h);
      }
    });
  }
}
