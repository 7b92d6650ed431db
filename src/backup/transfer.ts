/**
 * Backup files between a host and the controller, over the host's one SSH connection: chunks of at
 * most CHUNK bytes (base64 down, raw bytes up through stdin), so a dump of any size crosses in bounded
 * memory, with `become` as for every fleet command. Checksums are verified by the callers against the
 * manifest after every copy (src/backup/manifest.ts `checkFiles`).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { quote } from "../core/command.ts";
import { UserError } from "../core/errors.ts";
import type { ExecResult } from "../core/types.ts";
import type { Measured } from "./manifest.ts";

/** Runs a script on one host (FleetHosts.run bound to the host). */
export type HostRun = (script: string, stdin?: string | Uint8Array) => Promise<ExecResult>;

export const CHUNK = 16 * 1024 * 1024;

const lastLine = (r: ExecResult) =>
  (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-1)[0] || `exit ${r.exitCode}`;

/** Copies a host's file to a local path (written anew), chunk by chunk. */
export async function download(run: HostRun, remote: string, local: string): Promise<void> {
  const fd = openSync(local, "w", 0o600);
  try {
    for (let offset = 0;; offset += CHUNK) {
      const r = await run(
        `f=${quote(remote)}; [ -r "$f" ] || { echo "cannot read $f" >&2; exit 1; }\n` +
          `tail -c +${offset + 1} "$f" | head -c ${CHUNK} | base64 -w 0`,
      );
      if (r.exitCode !== 0) throw new UserError(`reading ${remote}: ${lastLine(r)}`);
      const bytes = Buffer.from(r.stdout.trim(), "base64");
      if (bytes.length) writeSync(fd, bytes);
      if (bytes.length < CHUNK) break;
    }
  } finally {
    closeSync(fd);
  }
}

/** Copies a local file to a host (`remote` written whole: a temp name renamed at the end). */
export async function upload(run: HostRun, local: string, remote: string): Promise<void> {
  const size = statSync(local).size;
  const part = `${remote}.part`;
  const fd = openSync(local, "r");
  try {
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
    for (let offset = 0; offset === 0 || offset < size; offset += CHUNK) {
      const n = size === 0 ? 0 : readSync(fd, buf, 0, buf.length, offset);
      const redirect = offset === 0 ? ">" : ">>";
      const r = await run(`umask 077; cat ${redirect} ${quote(part)}`, buf.subarray(0, n));
      if (r.exitCode !== 0) {
        await run(`rm -f ${quote(part)}`);
        throw new UserError(`writing ${remote}: ${lastLine(r)}`);
      }
      if (size === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  const r = await run(`mv -f ${quote(part)} ${quote(remote)}`);
  if (r.exitCode !== 0) throw new UserError(`writing ${remote}: ${lastLine(r)}`);
}

/** Size and sha256 of the named files of a local directory (absent files are left out). */
export function measureLocal(dir: string, names: string[]): Measured {
  const out: Measured = new Map();
  for (const name of names) {
    const path = `${dir}/${name}`;
    if (!existsSync(path)) continue;
    const hash = createHash("sha256");
    const fd = openSync(path, "r");
    const buf = Buffer.alloc(1024 * 1024);
    let bytes = 0;
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, bytes)) > 0; bytes += n) {
        hash.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    out.set(name, { bytes, sha256: hash.digest("hex") });
  }
  return out;
}

/**
 * A script printing `file NAME BYTES SHA256` for each file that exists in the folder `dir` (a shell word,
 * quoted by the caller) (parseMeasured).
 */
export function measureScript(dir: string, names: string[]): string {
  return `cd ${dir} 2>/dev/null || { echo "no backup at "${dir} >&2; exit 3; }\n` +
    names.map((n) =>
      `[ -f ${quote(n)} ] && echo "file ${n} $(stat -c %s ${quote(n)}) $(sha256sum ${
        quote(n)
      } | cut -d' ' -f1)"`
    ).join("\n") + "\nexit 0";
}
