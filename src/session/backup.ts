/**
 * What the backup, restore and status commands share: where a host keeps its backups, the manifest the
 * host script prints, and verified copies of a backup to this machine or to another host.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { quote } from "../core/command.ts";
import { UserError } from "../core/errors.ts";
import { type BackupManifest, checkFiles, parseManifest, parseMeasured } from "../backup/manifest.ts";
import { BACKUP_ROOT } from "../backup/host-script.ts";
import { download, type HostRun, measureLocal, measureScript, upload } from "../backup/transfer.ts";
import { tail } from "../fleet/hosts.ts";
import type { Session } from "./session.ts";

/** Where a host keeps its backups, and how many (lago_backup_dir, lago_backup_keep). */
export function hostBackupSettings(s: Session, host: string, keep?: number) {
  const vars = s.fleet.host(host).vars;
  return {
    dir: String(vars.lago_backup_dir ?? BACKUP_ROOT),
    project: String(vars.lago_project ?? "lago"),
    lagoDir: String(vars.lago_dir ?? "/opt/lago"),
    keep: keep ?? Number(vars.lago_backup_keep ?? 7),
  };
}

/** The manifest a host script printed after `backup PATH`. */
export function readBackupOutput(host: string, stdout: string): { path: string; manifest: BackupManifest } {
  const m = /^backup (\S+)\n(.*)$/m.exec(stdout);
  if (!m) throw new UserError(`${host}: the backup script printed no backup: ${stdout.slice(-200)}`);
  const manifest = parseManifest(m[2], `${host}:${m[1]}`);
  if ("error" in manifest) throw new UserError(manifest.error);
  return { path: m[1], manifest };
}

export const fileNames = (m: BackupManifest) => m.files.map((f) => f.name);

/** Copies a backup folder of a host to a local folder and checks it; returns the folder. */
export async function copyToController(
  run: HostRun,
  from: { host: string; path: string; manifest: BackupManifest },
  root: string,
): Promise<string> {
  const dir = resolve(root, from.host, from.manifest.id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of fileNames(from.manifest)) await download(run, `${from.path}/${name}`, join(dir, name));
  const problems = checkFiles(from.manifest, measureLocal(dir, fileNames(from.manifest)));
  if (problems.length) {
    throw new UserError(`the copy in ${dir} does not match the manifest: ${problems.join("; ")}`);
  }
  // The manifest last: a folder with a manifest is a whole, verified copy.
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(from.manifest) + "\n", { mode: 0o600 });
  return dir;
}

/** Copies local backup files to `dir` on a host (made 0700) and checks them there. */
export async function copyToHost(
  run: HostRun,
  local: string,
  manifest: BackupManifest,
  dir: string,
  where: string,
): Promise<void> {
  const mk = await run(`umask 077; mkdir -p ${quote(dir)} && chmod 0700 ${quote(dir)}`);
  if (mk.exitCode !== 0) throw new UserError(`${where}: cannot create ${dir}: ${tail(mk)}`);
  for (const name of fileNames(manifest)) await upload(run, join(local, name), `${dir}/${name}`);
  const measured = await run(measureScript(quote(dir), fileNames(manifest)));
  const problems = checkFiles(manifest, parseMeasured(measured.stdout));
  if (problems.length) {
    throw new UserError(`the copy on ${where} does not match the manifest: ${problems.join("; ")}`);
  }
  const json = new TextEncoder().encode(JSON.stringify(manifest) + "\n");
  const w = await run(`umask 077; cat > ${quote(`${dir}/manifest.json`)}`, json);
  if (w.exitCode !== 0) throw new UserError(`${where}: writing the manifest: ${tail(w)}`);
}
