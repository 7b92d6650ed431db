/**
 * `apply INVENTORY` (converge), `apply INVENTORY --check` (dry run), `plan INVENTORY -o plan.json`
 * (dry run saved) and `apply plan.json` (apply exactly that plan, or refuse on drift): the command
 * line turned into one request to the session (src/session/apply.ts), and the result into output and
 * an exit code: 0 success (with --detailed-exitcode: nothing to change), 1 a host failed or was
 * unreachable, 2 (with --detailed-exitcode) changes pending, 130/143 stopped by SIGINT/SIGTERM
 * (src/session/interrupt.ts).
 */
import { vaultSecretsFromOptions } from "../config/ansible/vault-secrets.ts";
import { EXIT, UsageError, UserError } from "../core/errors.ts";
import { checkOutputFile, writeFileAtomically } from "../core/files.ts";
import type { Reporter } from "../output/events.ts";
import { createReporter } from "../output/index.ts";
import {
  badPlanLimit,
  findDrift,
  hashExtraVars,
  isPlanFile,
  openPlan,
  PLAN_FORMAT,
  PLAN_VERSION,
  PlanCollector,
  type PlanFile,
} from "../plan/plan-file.ts";
import { env, stdoutIsTTY, writeStderr, writeStdout } from "../runtime.ts";
import { apply, type ApplyRequest } from "../session/apply.ts";
import { stopOnSignals } from "../session/interrupt.ts";
import { pendingChanges, type RunResult } from "../session/result.ts";

export interface ApplyOptions {
  /** `-i`, repeatable: inventories (after the one named as the argument, if any), merged in order. */
  inventory?: string[];
  /** `--vault-password-file`, `--vault-id` (none: ANSIBLE_VAULT_PASSWORD_FILE). */
  vaultPasswordFile?: string[];
  vaultId?: string[];
  playbook: string;
  check: boolean;
  diff: boolean;
  limit?: string;
  extraVars: string[];
  forks: number;
  tags?: string;
  skipTags?: string;
  acceptNewHostKeys: boolean;
  json: boolean;
  verbose: number;
  detailedExitcode?: boolean;
  /** plan only: where to save the plan. */
  out?: string;
  /** The fleet lock (`--no-lock` sets false), `--lock-wait`, `--lock-ttl`; `--retry-failed`. */
  lock?: boolean;
  lockWait?: number;
  lockTtl?: number;
  retryFailed?: boolean;
  /** Set by the command, not an option: aborted by SIGINT/SIGTERM (src/session/interrupt.ts). */
  signal?: AbortSignal;
}

const splitList = (s?: string) => s?.split(",").map((t) => t.trim()).filter(Boolean);

function reporterFor(opts: ApplyOptions): Reporter {
  return createReporter({
    format: opts.json ? "json" : "text",
    write: writeStdout,
    isTTY: stdoutIsTTY(),
    env: env(),
    diff: opts.diff,
    verbose: opts.verbose,
  });
}

/** The inventories of the command line: the argument, then each `-i`; at least one. */
function inventories(target: string | undefined, opts: ApplyOptions, command: string): string[] {
  const all = [...(target === undefined ? [] : [target]), ...(opts.inventory ?? [])];
  if (all.length === 0) {
    throw new UsageError(
      `name an inventory: lago-provision ${command} INVENTORY (or -i INVENTORY, repeatable)`,
    );
  }
  return all;
}

/** The request for the session, from the command line: `sources` are the inventories, in order. */
function request(sources: string[], command: string, opts: ApplyOptions): ApplyRequest {
  const [inventory, ...more] = sources;
  return {
    inventory,
    inventories: more,
    vault: vaultSecretsFromOptions(opts),
    playbook: opts.playbook,
    limit: opts.limit,
    extraVars: opts.extraVars,
    acceptNewHostKeys: opts.acceptNewHostKeys,
    command,
    check: opts.check,
    diff: opts.diff,
    tags: splitList(opts.tags),
    skipTags: splitList(opts.skipTags),
    forks: opts.forks,
    lock: opts.lock === false ? false : { wait: opts.lockWait, ttl: opts.lockTtl },
    retryFailed: opts.retryFailed,
    signal: opts.signal,
    reporter: reporterFor(opts),
    say: (m) => (opts.json ? undefined : writeStdout(m + "\n")),
    warn: (line) => writeStderr(line + "\n"),
  };
}

/** Exit code of a run: a failure, else (with --detailed-exitcode, in check mode) whether changes are pending. */
function exitCode(result: RunResult | undefined, opts: ApplyOptions): number {
  if (result && !result.ok) return EXIT.FAILED;
  return result?.check && opts.detailedExitcode && pendingChanges(result) ? EXIT.CHANGES : EXIT.OK;
}

/** Runs `command` so that SIGINT/SIGTERM stop it between tasks; its exit code, or 130/143 when stopped. */
async function stoppable(
  opts: ApplyOptions,
  command: (opts: ApplyOptions) => Promise<number>,
): Promise<number> {
  const stop = stopOnSignals();
  try {
    const code = await command({ ...opts, signal: stop.signal });
    return stop.exitCode() ?? code;
  } finally {
    stop.dispose();
  }
}

export const applyCommand = (target: string | undefined, opts: ApplyOptions): Promise<number> =>
  stoppable(opts, async (o) => {
    if (target !== undefined && isPlanFile(target)) {
      if (o.inventory?.length) {
        throw new UsageError(`${target} is a saved plan: it names its inventories, give no -i with it`);
      }
      return await applyPlan(target, o);
    }
    const sources = inventories(target, o, "apply");
    return exitCode(await apply(request(sources, `apply ${sources.join(" -i ")}`, o)), o);
  });

export const planCommand = (target: string | undefined, opts: ApplyOptions): Promise<number> =>
  stoppable(opts, (o) => planFor(inventories(target, o, "plan"), o));

/** What a check run would do, as a saved plan (no contents, no values: no secret). */
function planOf(
  result: RunResult,
  sources: string[],
  opts: ApplyOptions,
  extraVars: Record<string, unknown>,
) {
  const [inventory, ...more] = sources;
  const collector = new PlanCollector();
  for (const h of Object.values(result.hosts)) h.tasks.forEach((t) => collector.add(t));
  const plan: PlanFile = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    created: new Date().toISOString(),
    inventory,
    inventories: more.length ? more : undefined,
    playbook: opts.playbook,
    limit: opts.limit,
    tags: opts.tags,
    skipTags: opts.skipTags,
    extraVars: { names: Object.keys(extraVars), sha256: hashExtraVars(extraVars) },
    summary: collector.summary(),
    hosts: collector.hosts,
  };
  return plan;
}

async function planFor(sources: string[], opts: ApplyOptions): Promise<number> {
  // Before any host is contacted: a plan that cannot be saved is not worth making.
  if (opts.out) checkOutputFile(opts.out, { what: "plan", flag: "-o", example: "plan.json" });
  let extraVars: Record<string, unknown> = {};
  const result = await apply({
    ...request(sources, `plan ${sources.join(" -i ")}`, { ...opts, check: true }),
    loaded: (l) => void (extraVars = l.extraVars),
  });
  // Half a dry run is not a plan: `apply plan.json` would take the missing tasks for drift.
  if (opts.signal?.aborted) return EXIT.FAILED;
  if (result && opts.out) {
    writeFileAtomically(
      opts.out,
      JSON.stringify(planOf(result, sources, opts, extraVars), null, 2) + "\n",
    );
    if (!opts.json) {
      writeStdout(`Plan saved to ${opts.out}; apply exactly it with: lago-provision apply ${opts.out}\n`);
    }
  }
  return exitCode(result, { ...opts, check: true });
}

const planSources = (plan: PlanFile) => [plan.inventory, ...(plan.inventories ?? [])];

/** Re-plan quietly, refuse on any difference from the saved plan, then apply (src/session/apply.ts). */
async function applyPlan(planPath: string, opts: ApplyOptions): Promise<number> {
  // Checked before the lock or any host: its inventory, playbook and --limit still usable.
  const saved = openPlan(planPath);
  const fromPlan: ApplyOptions = {
    ...opts,
    playbook: saved.playbook,
    limit: saved.limit,
    tags: saved.tags,
    skipTags: saved.skipTags,
    retryFailed: false,
  };
  const result = await apply({
    ...request(planSources(saved), `apply ${planPath}`, fromPlan),
    badLimit: badPlanLimit(planPath),
    loaded(l) {
      if (hashExtraVars(l.extraVars) !== saved.extraVars.sha256) {
        throw new UserError(
          `${planPath}: the -e values differ from the ones the plan was made with (${
            saved.extraVars.names.join(", ") || "none"
          })`,
          "pass exactly the same -e options, or make a new plan",
        );
      }
      if (!opts.json) {
        writeStdout(`Checking that the hosts are as ${planPath} found them (${saved.created})…\n`);
      }
    },
    beforeApply(dryRun) {
      const drift = findDrift(saved.hosts, planOf(dryRun, planSources(saved), fromPlan, {}).hosts);
      if (drift.length > 0) {
        throw new UserError(
          `the hosts drifted since ${planPath} was made; nothing was applied:\n  ${drift.join("\n  ")}`,
          `review the change, then make a new plan: lago-provision plan ${saved.inventory} -p ${saved.playbook} -o ${planPath}`,
        );
      }
    },
  });
  return exitCode(result, fromPlan);
}
