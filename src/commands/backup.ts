/**
 * `backup INVENTORY`: one backup per database of the installation (each single host; a fleet's database
 * host), made on the host by the host script (src/backup/host-script.ts), kept there with retention, and
 * copied off the host when asked: to a folder on this machine (`--copy-to`), to another inventory host
 * over SSH (`--copy-to-host`). Every copy is verified against the manifest's checksums, or the command
 * fails. Under the fleet lock (no apply or upgrade changes the hosts meanwhile).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import type { BackupManifest } from "../backup/manifest.ts";
import { BACKUP_ROOT, hostBackupScript } from "../backup/host-script.ts";
import type { HostRun } from "../backup/transfer.ts";
import { FleetHosts } from "../fleet/hosts.ts";
import { progress } from "../output/progress.ts";
import { writeStdout } from "../runtime.ts";
import { copyToController, copyToHost, hostBackupSettings, readBackupOutput } from "../session/backup.ts";
import { openInstallation } from "../session/fleet.ts";

export interface BackupOptions {
  limit?: string;
  keep?: number;
  copyTo?: string;
  copyToHost?: string;
  acceptNewHostKeys: boolean;
  lockWait: number;
  lockTtl: number;
  json: boolean;
}

export interface BackupResult {
  host: string;
  path: string;
  manifest: BackupManifest;
  copies: string[];
}

export async function backupCommand(inventoryPath: string, opts: BackupOptions): Promise<number> {
  const say = progress(opts.json, writeStdout);
  const { session: s, backupHosts } = await openInstallation({
    inventory: inventoryPath,
    limit: opts.limit,
    acceptNewHostKeys: opts.acceptNewHostKeys,
    lock: { command: `backup ${inventoryPath}`, wait: opts.lockWait, ttl: opts.lockTtl },
    say,
  });
  const inventory = s.loaded.inventory;
  // The other host of --copy-to-host: any inventory host, with its own connection.
  let target: FleetHosts | undefined;
  try {
    if (opts.copyToHost && !inventory.hosts.some((h) => h.name === opts.copyToHost)) {
      throw new UserError(
        `--copy-to-host: no host '${opts.copyToHost}' in ${inventoryPath}`,
        "name a host of the inventory (it needs SSH access, not Lago)",
      );
    }
    if (backupHosts.length === 0) {
      throw new UserError(
        `no Lago host in ${inventoryPath}${opts.limit ? ` matching --limit ${opts.limit}` : ""}`,
      );
    }
    const results: BackupResult[] = [];
    for (const host of backupHosts) {
      const settings = hostBackupSettings(s, host, opts.keep);
      const run: HostRun = (script, stdin) => s.fleet.run(host, script, stdin);
      const r = await run(hostBackupScript(settings));
      if (r.exitCode !== 0) {
        const why = r.stderr.split("\n").map((l) => l.replace(/^error: /, "")).filter(Boolean).slice(-1)[0];
        throw new UserError(
          `${host}: backup failed, nothing else was changed: ${why ?? `exit ${r.exitCode}`}`,
        );
      }
      const made = readBackupOutput(host, r.stdout);
      say(
        `${host}: backup ${made.path} (Lago ${made.manifest.lago_version}, schema ${made.manifest.schema_version}, ${
          made.manifest.files.map((f) => `${f.name} ${Math.ceil(f.bytes / 1024)} KiB`).join(", ")
        })`,
      );
      const result: BackupResult = { host, ...made, copies: [] };
      let local: string | undefined;
      if (opts.copyTo) {
        local = await copyToController(run, { host, ...made }, opts.copyTo);
        result.copies.push(local);
        say(`${host}: copied to ${local}, checksums verified`);
      }
      if (opts.copyToHost) {
        target ??= new FleetHosts(s.loaded.hosts.filter((h) => h.name === opts.copyToHost));
        const name = opts.copyToHost;
        const dir = `${String(target.host(name).vars.lago_backup_dir ?? BACKUP_ROOT)}/${made.manifest.id}`;
        // Through this machine: a local copy first (a temporary one when --copy-to was not given).
        const temp = local ? undefined : mkdtempSync(join(tmpdir(), "lago-backup-"));
        try {
          local ??= await copyToController(run, { host, ...made }, temp!);
          await copyToHost(
            (script, stdin) => target!.run(name, script, stdin),
            local,
            made.manifest,
            dir,
            name,
          );
        } finally {
          if (temp) rmSync(temp, { recursive: true, force: true });
        }
        result.copies.push(`${name}:${dir}`);
        say(`${host}: copied to ${name}:${dir}, checksums verified`);
      }
      results.push(result);
    }
    if (opts.json) writeStdout(JSON.stringify({ type: "backup", backups: results }) + "\n");
    return 0;
  } finally {
    await target?.close();
    await s.close();
  }
}
