/**
 * `lago-provision apply INVENTORY`: load → validate (nothing is contacted on error) → run → recap.
 * Exit code 0 when every host converged, 1 when a host failed or was unreachable.
 */
import { loadConfig, resolveConnection, selectHosts } from "../config/index.ts";
import type { Inventory } from "../config/model.ts";
import { createReporter, Redactor, secretsFromVars } from "../output/index.ts";
import { type RunHost, runPlays } from "../engine/run.ts";
import type { HostRun } from "../engine/host-run.ts";
import { env, stdoutIsTTY, writeStdout } from "../runtime.ts";
import { parseExtraVars } from "./extra-vars.ts";

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
}

const splitList = (s?: string) => s?.split(",").map((t) => t.trim()).filter(Boolean);

export function inventoryHosts(inventory: Inventory, acceptNew: boolean): RunHost[] {
  return inventory.hosts.map((h) => {
    const settings = resolveConnection(h.name, h.vars, { inventory });
    if (acceptNew) settings.hostKeyChecking = "accept-new";
    return { name: h.name, settings, vars: h.vars };
  });
}

export async function applyCommand(inventoryPath: string, opts: ApplyOptions): Promise<number> {
  const extraVars = parseExtraVars(opts.extraVars);
  const { inventory, playbook } = loadConfig(inventoryPath, opts.playbook, { limit: opts.limit });
  const hosts = inventoryHosts(inventory, opts.acceptNewHostKeys);
  const reporter = createReporter({
    format: opts.json ? "json" : "text",
    write: writeStdout,
    isTTY: stdoutIsTTY(),
    env: env(),
    diff: opts.diff,
    verbose: opts.verbose,
  });

  // Secrets are whatever secret-named variables hold (inventory, play vars, -e); one redactor per host.
  const playSecrets = playbook.plays.flatMap((p) => secretsFromVars(p.vars));
  const redactors = new Map<string, Redactor>();
  const redactorFor = (h: HostRun) => {
    let r = redactors.get(h.name);
    if (!r) {
      r = new Redactor(
        [...secretsFromVars(h.inventoryVars), ...playSecrets, ...secretsFromVars(extraVars), ...h.secrets]
          .map((s) => Array.isArray(s) ? { name: s[0], value: s[1] } : s),
      );
      redactors.set(h.name, r);
    }
    return r;
  };

  const summary = await runPlays(playbook.file, playbook.plays, hosts, {
    check: opts.check,
    diff: opts.diff,
    forks: opts.forks,
    extraVars,
    tags: splitList(opts.tags),
    skipTags: splitList(opts.skipTags),
    reporter,
    selectHosts: (pattern) => selectHosts(inventory, pattern, opts.limit),
    redactDiff: (h, d) => redactorFor(h).redactDiff(d),
    redactText: (h, t) => redactorFor(h).redactText(t),
  });
  reporter.close();
  return summary.ok ? 0 : 1;
}
