/**
 * `rollback INVENTORY`: back to the version before the current one, as the hosts' deploy history
 * records it, by re-deploying its images (rolling and health-gated like an upgrade; never migrates).
 *
 * Lago's migrations cannot be undone. When the deploy being undone ran migrations, the database keeps
 * the newer schema and the older code must work with it (usually true: Lago's migrations add; never
 * guaranteed): the rollback is refused unless --keep-schema says to go ahead; the other way back is
 * restoring the dump taken before that upgrade.
 */
import { UserError } from "../core/errors.ts";
import { rollbackPlan } from "../fleet/history.ts";
import { openSession, readHistories } from "../fleet/session.ts";
import { runUpgrade } from "../fleet/upgrade.ts";
import {
  finish,
  type FleetCommandOptions,
  fleetSay,
  inventoryNote,
  opsFor,
  sessionOptions,
  upgradeInput,
} from "./upgrade.ts";

export interface RollbackOptions extends FleetCommandOptions {
  keepSchema: boolean;
}

export async function rollbackCommand(inventoryPath: string, opts: RollbackOptions): Promise<number> {
  const say = fleetSay(opts.json);
  const s = await openSession(inventoryPath, {
    ...sessionOptions(opts, say),
    lockCommand: `rollback ${inventoryPath}`,
  });
  try {
    const plan = rollbackPlan(await readHistories(s, s.members.map((m) => m.name)));
    if (typeof plan === "string") throw new UserError(`cannot roll back: ${plan}`);
    const ops = opsFor(s, inventoryPath, opts, say);
    const states = await ops.survey(s.members.map((m) => m.name));
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
    const report = await runUpgrade(upgradeInput(s, opts, [[plan.from, plan.to]], "rollback"), ops);
    if (report.ok) inventoryNote(s, plan.to, say);
    return finish(s, inventoryPath, opts, "rollback", report);
  } finally {
    await s.close();
  }
}
