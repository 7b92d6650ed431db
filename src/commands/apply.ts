/**
 * `apply INVENTORY` (converge), `apply INVENTORY --check` (dry run), `plan INVENTORY -o plan.json`
 * (dry run saved) and `apply plan.json` (apply exactly that plan, or refuse on drift).
 * Stages: load → validate (nothing is contacted on error) → run → recap.
 * Exit codes: 0 success (with --detailed-exitcode: nothing to change), 1 a host failed or was
 * unreachable, 2 (with --detailed-exitcode) changes pending, 130/143 stopped by SIGINT/SIGTERM
 * (./interrupt.ts).
 */
import type { Connect } from "../connection/connect.ts";
import { checkConnectionFiles } from "../connection/credentials.ts";
import { formatProblem, loadConfig, resolveConnection, selectHosts } from "../config/index.ts";
import type { Inventory } from "../config/model.ts";
import { checkOutputFile, writeFileAtomically } from "../core/files.ts";
import { UserError } from "../core/errors.ts";
import type { HostRun } from "../engine/host-run.ts";
import { type RunHost, runPlays, type RunSummary } from "../engine/run.ts";
import type { Reporter, RunEvent } from "../output/events.ts";
import { createReporter, Redactor, secretsFromVars } from "../output/index.ts";
import {
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
import { markUnsafe } from "../vars/template.ts";
import { parseExtraVars } from "./extra-vars.ts";
import { stopOnSignals } from "./interrupt.ts";
import { withFleetGuard } from "../fleet/guard.ts";
import { FleetHosts } from "../fleet/hosts.ts";
import { secretsStage } from "./secrets-stage.ts";
import { fleetTopology, topologyVars } from "../fleet/topology.ts";

export interface ApplyOptions {
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
  /** The fleet lock (`--no-lock` sets false), `--lock-wait`, `--lock-ttl`; `--retry-failed` (src/fleet/guard.ts). */
  lock?: boolean;
  lockWait?: number;
  lockTtl?: number;
  retryFailed?: boolean;
  /** Set by the command, not an option: aborted by SIGINT/SIGTERM (./interrupt.ts). */
  signal?: AbortSignal;
}

const splitList = (s?: string) => s?.split(",").map((t) => t.trim()).filter(Boolean);

export function inventoryHosts(inventory: Inventory, acceptNew: boolean): RunHost[] {
  // Fleet topology (lago_web/lago_worker/lago_clock groups): validated, and each host's lago_services.
  const topology = fleetTopology(inventory);
  return inventory.hosts.map((h) => {
    const settings = resolveConnection(h.name, h.vars, { inventory });
    if (acceptNew) settings.hostKeyChecking = "accept-new";
    // A key or known_hosts file that cannot serve stops the run here, before any host is contacted.
    checkConnectionFiles(settings);
    return { name: h.name, settings, vars: { ...topologyVars(topology, h.name), ...h.vars } };
  });
}

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

/** Sends events to several reporters (the screen and a plan collector). */
const tee = (...reporters: Reporter[]): Reporter => ({
  emit: (e: RunEvent) => reporters.forEach((r) => r.emit(e)),
  close: () => reporters.forEach((r) => r.close()),
});

/** Load, validate, the secrets stage, and run once. */
export async function converge(
  inventoryPath: string,
  opts: ApplyOptions,
  reporter: Reporter,
  connect?: Connect,
): Promise<RunSummary> {
  const extraVars = parseExtraVars(opts.extraVars);
  const { inventory, playbook } = loadConfig(inventoryPath, opts.playbook, { limit: opts.limit });
  const hosts = inventoryHosts(inventory, opts.acceptNewHostKeys);
  // What Ansible would warn about in the inventory (a group_vars file for no group …): said, not fatal.
  for (const w of inventory.warnings) writeStderr(`warning: ${formatProblem(w)}\n`);
  markUnsafe(inventory.unsafe); // `!unsafe` values are never rendered as templates
  const tags = splitList(opts.tags);
  const skipTags = splitList(opts.skipTags);
  // One connection per host, for the secrets stage and the play alike.
  const connections = new FleetHosts(hosts, opts.forks, connect);
  // An error that escapes the run is redacted too: with the -e values until the stores are open.
  let errorRedactor = new Redactor(secretsFromVars(extraVars));
  // The error itself when it holds no secret, so its kind (and exit code: usage, interrupted) stays.
  const redactError = (e: unknown) => {
    if (!(e instanceof UserError)) return e;
    const [message, hint] = [errorRedactor.redactText(e.message), e.hint && errorRedactor.redactText(e.hint)];
    return message === e.message && hint === e.hint ? e : new UserError(message, hint);
  };
  try {
    const secrets = await secretsStage({
      inventory,
      plays: playbook.plays,
      hosts,
      limit: opts.limit,
      check: opts.check,
      extraVars,
      tags,
      skipTags,
      connect: connections.connector(),
      forks: opts.forks,
      emit: (e) => reporter.emit(e),
    });

    // Secrets are whatever secret-named variables hold (inventory, play vars, -e), the values that were
    // encrypted with ansible-vault, and every value of the stores the stage opened; one redactor per host.
    const everywhere = [
      ...inventory.secrets,
      ...playbook.plays.flatMap((p) => secretsFromVars(p.vars)),
      ...secretsFromVars(extraVars),
      ...secrets.secrets,
    ];
    errorRedactor = new Redactor(everywhere);
    const redactors = new Map<string, { r: Redactor; known: number }>();
    const redactorFor = (h: HostRun) => {
      let cached = redactors.get(h.name);
      // Rebuilt when a module taught the host new secrets, so they are redacted at once.
      if (!cached || cached.known !== h.secrets.size) {
        const hostSecrets = [...h.secrets].map(([name, value]) => ({ name, value }));
        const r = new Redactor([...secretsFromVars(h.inventoryVars), ...everywhere, ...hostSecrets]);
        cached = { r, known: h.secrets.size };
        redactors.set(h.name, cached);
      }
      return cached.r;
    };

    const summary = await runPlays(playbook.file, playbook.plays, hosts, {
      check: opts.check,
      diff: opts.diff,
      forks: opts.forks,
      extraVars,
      tags,
      skipTags,
      reporter,
      selectHosts: (pattern) => selectHosts(inventory, pattern, opts.limit),
      inventoryFile: inventory.file,
      redactDiff: (h, d) => redactorFor(h).redactDiff(d),
      redactText: (h, t) => redactorFor(h).redactText(t),
      connect: connections.connector(),
      secrets: secrets.stores,
      factsRead: secrets.factsRead,
      signal: opts.signal,
    });
    reporter.close();
    return summary;
  } catch (e) {
    throw redactError(e);
  } finally {
    await connections.close();
  }
}

const pendingChanges = (s: PlanFile["summary"]) => s.change + s.unknown > 0;

/** Lock, --retry-failed, history and journal around a run that changes hosts (src/fleet/guard.ts). */
const guarded = (
  inventory: string,
  command: string,
  opts: ApplyOptions,
  run: (limit: string | undefined, tap: Reporter, connect: Connect) => Promise<number>,
) =>
  withFleetGuard(inventory, command, {
    ...opts,
    extraVars: parseExtraVars(opts.extraVars),
    hostsOf: (inv) => inventoryHosts(inv, opts.acceptNewHostKeys),
    say: (m) => (opts.json ? undefined : writeStdout(m)),
  }, ({ limit, tap, connect }) => run(limit, tap, connect)).then((code) => code ?? 0);

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

export const applyCommand = (target: string, opts: ApplyOptions): Promise<number> =>
  stoppable(opts, (o) => applyTo(target, o));

export const planCommand = (inventoryPath: string, opts: ApplyOptions): Promise<number> =>
  stoppable(opts, (o) => planFor(inventoryPath, o));

async function applyTo(target: string, opts: ApplyOptions): Promise<number> {
  if (isPlanFile(target)) {
    const saved = openPlan(target);
    const o = { ...opts, playbook: saved.playbook, limit: saved.limit, retryFailed: false };
    return await guarded(
      saved.inventory,
      `apply ${target}`,
      o,
      (_l, tap, connect) => applyPlan(target, saved, opts, tap, connect),
    );
  }
  if (!opts.check) {
    return await guarded(
      target,
      `apply ${target}`,
      opts,
      async (limit, tap, connect) =>
        (await converge(target, { ...opts, limit }, tee(reporterFor(opts), tap), connect)).ok ? 0 : 1,
    );
  }
  const collector = new PlanCollector();
  const summary = await converge(
    target,
    opts,
    tee(reporterFor(opts), { emit: (e) => collector.add(e), close() {} }),
  );
  if (!summary.ok) return 1;
  return opts.detailedExitcode && pendingChanges(collector.summary()) ? 2 : 0;
}

async function planFor(inventoryPath: string, opts: ApplyOptions): Promise<number> {
  // Before any host is contacted: a plan that cannot be saved is not worth making.
  if (opts.out) checkOutputFile(opts.out, { what: "plan", flag: "-o", example: "plan.json" });
  const collector = new PlanCollector();
  const summary = await converge(
    inventoryPath,
    { ...opts, check: true },
    tee(reporterFor(opts), { emit: (e) => collector.add(e), close() {} }),
  );
  const plan: PlanFile = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    created: new Date().toISOString(),
    inventory: inventoryPath,
    playbook: opts.playbook,
    limit: opts.limit,
    tags: opts.tags,
    skipTags: opts.skipTags,
    extraVars: {
      names: Object.keys(parseExtraVars(opts.extraVars)),
      sha256: hashExtraVars(parseExtraVars(opts.extraVars)),
    },
    summary: collector.summary(),
    hosts: collector.hosts,
  };
  // Half a dry run is not a plan: `apply plan.json` would take the missing tasks for drift.
  if (opts.signal?.aborted) return 1;
  if (opts.out) {
    writeFileAtomically(opts.out, JSON.stringify(plan, null, 2) + "\n");
    if (!opts.json) {
      writeStdout(`Plan saved to ${opts.out}; apply exactly it with: lago-provision apply ${opts.out}\n`);
    }
  }
  if (!summary.ok) return 1;
  return opts.detailedExitcode && pendingChanges(plan.summary) ? 2 : 0;
}

/** Re-plan quietly, refuse on any difference from the saved plan, then apply. */
async function applyPlan(
  planPath: string,
  saved: PlanFile,
  opts: ApplyOptions,
  tap?: Reporter,
  connect?: Connect,
): Promise<number> {
  const fromPlan: ApplyOptions = {
    ...opts,
    playbook: saved.playbook,
    limit: saved.limit,
    tags: saved.tags,
    skipTags: saved.skipTags,
  };
  if (hashExtraVars(parseExtraVars(opts.extraVars)) !== saved.extraVars.sha256) {
    throw new UserError(
      `${planPath}: the -e values differ from the ones the plan was made with (${
        saved.extraVars.names.join(", ") || "none"
      })`,
      "pass exactly the same -e options, or make a new plan",
    );
  }
  if (!opts.json) writeStdout(`Checking that the hosts are as ${planPath} found them (${saved.created})…\n`);
  const collector = new PlanCollector();
  const quiet: Reporter = { emit: (e) => collector.add(e), close() {} };
  await converge(saved.inventory, { ...fromPlan, check: true }, quiet, connect);
  if (opts.signal?.aborted) return 1;
  const drift = findDrift(saved.hosts, collector.hosts);
  if (drift.length > 0) {
    throw new UserError(
      `the hosts drifted since ${planPath} was made; nothing was applied:\n  ${drift.join("\n  ")}`,
      `review the change, then make a new plan: lago-provision plan ${saved.inventory} -p ${saved.playbook} -o ${planPath}`,
    );
  }
  const reporter = tap ? tee(reporterFor(fromPlan), tap) : reporterFor(fromPlan);
  return (await converge(saved.inventory, { ...fromPlan, check: false }, reporter, connect)).ok ? 0 : 1;
}
