/**
 * `upgrade INVENTORY --to vX.Y.Z`: a rolling, health-gated upgrade of a Lago fleet under the fleet lock
 * (src/fleet/upgrade.ts has the sequence, docs/fleet.md the whole story), and `rollback INVENTORY`, the
 * same way back to the version before. Exit 0 when every host runs the target healthily, 1 otherwise
 * (the report says which host runs what).
 *
 * `rollback`: back to the version before the current one, as the hosts' deploy history records it,
 * by re-deploying its images (never migrates). Lago's migrations cannot be undone: when the deploy
 * being undone ran migrations, the database keeps the newer schema and the older code must work with
 * it (usually true: Lago's migrations add; never guaranteed), so the rollback is refused unless
 * --keep-schema says to go ahead; the other way back is restoring the dump taken before that upgrade.
 */
import { UserError } from "../core/errors.ts";
import { rollbackPlan } from "../fleet/history.ts";
import { pathLines } from "../fleet/bridges.ts";
import {
  checkRelease,
  compareVersions,
  hopsOf,
  planUpgrade,
  showPath,
  sortVersions,
} from "../fleet/releases.ts";
import { describeTopology } from "../fleet/topology.ts";
import { formatReport, runUpgrade, type UpgradeReport } from "../fleet/upgrade.ts";
import { createReporter } from "../output/index.ts";
import { progress } from "../output/progress.ts";
import { env, stdoutIsTTY, writeStderr, writeStdout } from "../runtime.ts";
import {
  type FleetRequest,
  inventoryNote,
  journalUpgrade,
  openFleet,
  readHistories,
  upgradeInput,
} from "../session/fleet.ts";

/** The options upgrade and rollback share (src/commands/options.ts, fleetOptions). */
export interface FleetCommandOptions
  extends Omit<FleetRequest, "inventory" | "command" | "tags" | "skipTags" | "say" | "screen"> {
  tags?: string;
  skipTags?: string;
  json: boolean;
  verbose: number;
}

export interface UpgradeOptions extends FleetCommandOptions {
  to: string;
  /** true (a bare --via, as before: the path always goes through the bridges) or a list of stops. */
  via?: boolean | string;
  check?: boolean;
}

/** `--via v1.40.0,v1.41.0` → its stops; a bare `--via` or none → the bridges alone. */
const viaStops = (via: boolean | string | undefined): string[] | undefined =>
  typeof via === "string" ? via.split(",").map((v) => v.trim()).filter(Boolean) : undefined;

export interface RollbackOptions extends FleetCommandOptions {
  keepSchema: boolean;
}

const splitList = (s?: string) => s?.split(",").map((t) => t.trim()).filter(Boolean);

/** The session's request from the command line of upgrade or rollback. */
function fleetRequest(inventory: string, command: string, opts: FleetCommandOptions): FleetRequest {
  return {
    ...opts,
    inventory,
    command,
    tags: splitList(opts.tags),
    skipTags: splitList(opts.skipTags),
    say: progress(opts.json, writeStdout),
    warn: (line) => writeStderr(line + "\n"),
    // -v shows each deploy's playbook run (-vv its details).
    screen: opts.verbose > 0
      ? createReporter({
        format: opts.json ? "json" : "text",
        write: writeStdout,
        isTTY: stdoutIsTTY(),
        env: env(),
        diff: false,
        verbose: opts.verbose - 1,
      })
      : undefined,
  };
}

/** Print the report; exit 0 when every host got there healthily. */
function report(command: string, r: UpgradeReport, to: string, json: boolean): number {
  if (json) writeStdout(JSON.stringify({ type: "upgrade_report", command, ...r }) + "\n");
  else writeStdout(formatReport(r, to));
  return r.ok ? 0 : 1;
}

export async function upgradeCommand(inventoryPath: string, opts: UpgradeOptions): Promise<number> {
  // Tags that are not releases are refused before any host is contacted.
  const via = viaStops(opts.via);
  checkRelease(opts.to, "--to", []);
  for (const v of via ?? []) checkRelease(v, "--via", []);
  // --check reads the hosts only: no lock.
  const req = {
    ...fleetRequest(inventoryPath, `upgrade ${inventoryPath} --to ${opts.to}`, opts),
    check: opts.check,
  };
  const f = await openFleet(req);
  const say = req.say;
  try {
    say(`topology: ${describeTopology(f.session.loaded.topology)}`);
    const states = await f.ops.survey(f.members.map((m) => m.name));
    const running = [...states].filter(([, x]) => x.version && x.version !== "mixed").map(([, x]) =>
      x.version!
    );
    if (running.length === 0) {
      throw new UserError(
        `no host runs Lago yet (${f.members.map((m) => m.name).join(", ")}): nothing to upgrade`,
        `deploy first: lago-provision apply ${inventoryPath} -e lago_version=${opts.to}`,
      );
    }
    const newer = [...states].filter(([, x]) =>
      x.version && x.version !== "mixed" && compareVersions(x.version, opts.to) > 0
    );
    if (newer.length) {
      throw new UserError(
        `${
          newer.map(([h, x]) => `${h} runs ${x.version}`).join(", ")
        }, newer than ${opts.to}: upgrade does not go down`,
        `to go back to the previous version: lago-provision rollback ${inventoryPath}`,
      );
    }
    const from = sortVersions(running)[0];
    say(`fleet runs ${[...states].map(([h, x]) => `${h} ${x.version ?? "nothing"}`).join(", ")}`);
    const plan = planUpgrade(from, opts.to, via);
    const hops = hopsOf(plan.path);
    for (const note of plan.notes) say(`note: ${note}`);
    say(`path: ${showPath(plan.path)} (${hops.length} hop${hops.length === 1 ? "" : "s"})`);
    for (const line of pathLines(plan.path)) say(line);
    if (opts.check) return 0;
    // Bridge tasks run once: on the migrate host of a fleet, on each single host.
    const topology = f.session.loaded.topology;
    const taskHosts = topology.mode === "fleet" ? [topology.migrateHost!] : f.members.map((m) => m.name);
    const r = await runUpgrade({
      ...upgradeInput(f, req, hops, "upgrade"),
      bridgeTasks: { start: plan.path[0], hosts: taskHosts },
    }, f.ops);
    if (r.ok) inventoryNote(f, opts.to, say);
    journalUpgrade(f, req, "upgrade", r);
    return report("upgrade", r, r.done.at(-1)?.[1] ?? opts.to, opts.json);
  } finally {
    await f.session.close();
  }
}

export async function rollbackCommand(inventoryPath: string, opts: RollbackOptions): Promise<number> {
  const req = fleetRequest(inventoryPath, `rollback ${inventoryPath}`, opts);
  const f = await openFleet(req);
  const say = req.say;
  try {
    const plan = rollbackPlan(await readHistories(f.session, f.members.map((m) => m.name)));
    if (typeof plan === "string") throw new UserError(`cannot roll back: ${plan}`);
    const states = await f.ops.survey(f.members.map((m) => m.name));
    const elsewhere = [...states].filter(([, x]) => x.version !== plan.from && x.version !== plan.to);
    if (elsewhere.length) {
      throw new UserError(
        `cannot roll back ${plan.from} → ${plan.to}: ${
          elsewhere.map(([h, x]) => `${h} runs ${x.version ?? "nothing"}`).join(", ")
        }`,
        `bring the fleet to one version first (lago-provision upgrade ${inventoryPath} --to ${plan.from})`,
      );
    }
    const restore = plan.backup
      ? `restore the dump taken before that upgrade (${plan.backup})`
      : "restore a dump taken before that upgrade";
    if (plan.migrated) {
      const why =
        `the deploy of ${plan.from} ran Lago's migrations, which cannot be undone: rolling back runs ` +
        `${plan.to}'s code on ${plan.from}'s database schema`;
      if (!opts.keepSchema) {
        throw new UserError(
          `refusing to roll back ${plan.from} → ${plan.to}: ${why}`,
          `if ${plan.to} works with the newer schema (Lago's migrations usually only add), re-run with --keep-schema; ` +
            `otherwise ${restore} and deploy ${plan.to} (docs/fleet.md, "Rollback")`,
        );
      }
      say(`warning: ${why} (--keep-schema)`);
    }
    say(`rolling back ${plan.from} → ${plan.to}`);
    const r = await runUpgrade(upgradeInput(f, req, [[plan.from, plan.to]], "rollback"), f.ops);
    if (r.ok) inventoryNote(f, plan.to, say);
    journalUpgrade(f, req, "rollback", r);
    return report("rollback", r, r.done.at(-1)?.[1] ?? "", opts.json);
  } finally {
    await f.session.close();
  }
}
