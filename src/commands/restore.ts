/**
 * `restore INVENTORY --from BACKUP`: a backup made by `backup` (a folder on this machine, or the name of
 * one on the host, or `latest`) back into one Lago host. Read first, judged (src/backup/manifest.ts
 * `judgeRestore`): a damaged backup, another installation's, or a newer release's or schema's is refused
 * before anything changes. Then, under the fleet lock: stop api, workers and clock, restore the database
 * and the file storage, migrate when the backup is older, start, and wait until the host is healthy.
 * `--check` prints the steps and changes nothing.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import { checkFiles, judgeRestore, parseManifest, parseMeasured } from "../backup/manifest.ts";
import { parseRestoreFacts, restoreFactsScript, restoreScript } from "../backup/restore-script.ts";
import { measureLocal } from "../backup/transfer.ts";
import { tail } from "../fleet/hosts.ts";
import { RealUpgradeOps } from "../fleet/ops.ts";
import { progress } from "../output/progress.ts";
import { writeStdout } from "../runtime.ts";
import { copyToHost, fileNames, hostBackupSettings } from "../session/backup.ts";
import { openInstallation } from "../session/fleet.ts";

export interface RestoreOptions {
  from: string;
  limit?: string;
  check: boolean;
  healthTimeout: number;
  acceptNewHostKeys: boolean;
  lockWait: number;
  lockTtl: number;
  json: boolean;
}

const ALL_FILES = ["db.dump", "storage.tar.gz"];

export async function restoreCommand(inventoryPath: string, opts: RestoreOptions): Promise<number> {
  const say = progress(opts.json, writeStdout);
  // A folder on this machine: read and checked before any host is contacted.
  const localDir = existsSync(join(opts.from, "manifest.json")) ? opts.from : undefined;
  const local = localDir
    ? parseManifest(readFileSync(join(localDir, "manifest.json"), "utf8"), localDir)
    : undefined;
  if (local && "error" in local) throw new UserError(local.error);
  if (local) {
    const problems = checkFiles(local, measureLocal(localDir!, fileNames(local)));
    if (problems.length) {
      throw new UserError(`backup ${localDir} is damaged: ${problems.join("; ")}`, "nothing was changed");
    }
  } else if (!/^(\d{8}T\d{6}Z|latest)$/.test(opts.from)) {
    throw new UserError(
      `--from ${opts.from}: neither a backup folder on this machine (with manifest.json) nor a backup name`,
      "give the folder `backup --copy-to` made, a name like 20261204T210000Z kept on the host, or latest",
    );
  }
  const { session: s, backupHosts } = await openInstallation({
    inventory: inventoryPath,
    limit: opts.limit,
    acceptNewHostKeys: opts.acceptNewHostKeys,
    // --check reads the hosts only: no lock.
    lock: opts.check
      ? undefined
      : { command: `restore ${inventoryPath} --from ${opts.from}`, wait: opts.lockWait, ttl: opts.lockTtl },
    say,
  });
  const { topology } = s.loaded;
  try {
    if (topology.mode === "fleet") {
      throw new UserError(
        "restore of a fleet (its database outside the Lago hosts) is not supported yet",
        "restore the dump with pg_restore on the database server, with every api, worker and clock stopped",
      );
    }
    if (backupHosts.length !== 1) {
      throw new UserError(
        `restore goes to one host; ${inventoryPath} selects ${backupHosts.length}: ${backupHosts.join(", ")}`,
        "choose it with --limit HOST",
      );
    }
    const host = backupHosts[0];
    const settings = hostBackupSettings(s, host);
    const run = (script: string, stdin?: string | Uint8Array) => s.fleet.run(host, script, stdin);
    const name = local ? local.id : opts.from;
    const read = async () => {
      const r = await run(restoreFactsScript(settings, settings.dir, name, ALL_FILES));
      if (r.exitCode !== 0) {
        throw new UserError(`${host}: reading the backup and the host failed: ${tail(r)}`);
      }
      return parseRestoreFacts(host, r.stdout);
    };
    const facts = await read();
    if (!facts.backup && !local) {
      throw new UserError(`${host}: no backup ${name} in ${settings.dir}`, `list them: ls ${settings.dir}`);
    }
    const manifest = local ?? parseManifest(facts.backup!.manifestText, `${host}:${facts.backup!.path}`);
    if ("error" in manifest) throw new UserError(manifest.error, "nothing was changed");
    if (!facts.bundledDb) {
      throw new UserError(
        `${host} uses an external PostgreSQL: restore into it is not supported yet`,
        "restore db.dump with pg_restore on that server while api, workers and clock are stopped",
      );
    }
    // Judged before anything is copied or changed (a local copy's files were checked above).
    const problems = facts.backup ? checkFiles(manifest, parseMeasured(facts.backup.measuredText)) : [];
    const decision = judgeRestore(manifest, facts.target, problems);
    if (decision.refusal) throw new UserError(decision.refusal, "nothing was changed");
    const target = facts.target;
    const path = `${settings.dir}/${manifest.id}`;
    say(
      `${
        opts.check ? "would restore" : "restoring"
      } ${host}:${path} (made ${manifest.created} on ${manifest.host}):`,
    );
    if (!facts.backup) say(`  0. copy ${localDir} to ${host}:${path}, checked`);
    for (const [i, step] of decision.steps.entries()) say(`  ${i + 1}. ${step}`);
    if (opts.check) return 0;
    if (!facts.backup) {
      await copyToHost(run, localDir!, local!, path, host);
      say(`${host}: copied ${localDir} to ${path}, checksums verified`);
    }
    const done = await run(
      restoreScript(settings, path, {
        storage: manifest.storage === "local",
        migrate: decision.migrate,
      }),
    );
    for (const line of done.stdout.split("\n")) {
      if (line.startsWith("step ")) say(`${host}: ${line.slice(5)}`);
    }
    if (done.exitCode !== 0 || !/^restored$/m.test(done.stdout)) {
      const why = done.stderr.split("\n").filter(Boolean).slice(-1)[0]?.replace(/^error: /, "");
      throw new UserError(`${host}: restore failed: ${why ?? `exit ${done.exitCode}`}`);
    }
    const ops = new RealUpgradeOps({
      fleet: s.fleet,
      topology,
      deploy: () => Promise.resolve(new Map()),
      say,
      user: `${s.me.owner}`,
      run: "restore",
      healthTimeoutSec: opts.healthTimeout,
    });
    const problem = await ops.health(host, target.version!);
    if (problem) throw new UserError(`${host}: restored, but not healthy: ${problem}`);
    if (opts.json) {
      writeStdout(
        JSON.stringify({ type: "restore", host, backup: manifest.id, migrated: decision.migrate }) + "\n",
      );
    } else say(`${host}: restored ${manifest.id}${decision.migrate ? " and migrated" : ""}, healthy`);
    return 0;
  } finally {
    await s.close();
  }
}
