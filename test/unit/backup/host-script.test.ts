/**
 * The host backup script run by sh on this machine with a stand-in `docker` on PATH that answers as the
 * Docker CLI does for a Lago project (containers, pg_dump's bytes, the image tag, the storage volume's
 * folder): its manifest is one parseManifest accepts, its checksums are the files', retention keeps the
 * newest, and a failure leaves nothing behind. The real thing is test/e2e/backup.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { hostBackupScript } from "../../../src/backup/host-script.ts";
import { parseManifest } from "../../../src/backup/manifest.ts";
import { measureLocal } from "../../../src/backup/transfer.ts";
import { readBackupOutput } from "../../../src/session/backup.ts";
import { LocalConnection } from "../../../src/connection/local.ts";

const DOCKER = `#!/bin/sh
case "$1" in
  ps) case "$*" in *"service=db "*) [ -n "$NO_DB" ] || echo dbid;; *"service=api "*) echo apiid;; esac;;
  exec) case "$*" in *pg_dump*) [ -z "$DUMP_FAILS" ] || { echo "pg_dump: error: could not write: No space left on device" >&2; exit 1; }; printf 'PGDMP fake dump';;
                     *psql*) echo 20250101000000;; esac;;
  inspect) echo 172.17.0.1:5000/getlago/api:v1.50.0;;
  volume) echo "$STORAGE";;
esac
`;

let root: string;
const settings = () => ({ dir: join(root, "backups"), project: "lago", lagoDir: join(root, "opt"), keep: 2 });

async function backup(env: Record<string, string> = {}) {
  const exports = Object.entries({
    PATH: `${root}/bin:/usr/bin:/bin`,
    STORAGE: join(root, "storage"),
    ...env,
  })
    .map(([k, v]) => `export ${k}='${v}'`).join("\n");
  return await new LocalConnection("here").exec(`${exports}\n${hostBackupScript(settings())}`);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "lago-backup-unit-"));
  mkdirSync(join(root, "bin"));
  writeFileSync(join(root, "bin", "docker"), DOCKER, { mode: 0o755 });
  mkdirSync(join(root, "opt"));
  writeFileSync(join(root, "opt", "lago.env"), "SECRET_KEY_BASE='0123abcd'\nPOSTGRES_SCHEMA='lago_app'\n");
  mkdirSync(join(root, "storage", "ab"), { recursive: true });
  writeFileSync(join(root, "storage", "ab", "file"), "an invoice");
});

describe("the host backup script", () => {
  it("writes a dump, the storage archive and a manifest that says what they are", async () => {
    const r = await backup();
    expect(r.exitCode, r.stderr).toBe(0);
    const { path, manifest } = readBackupOutput("here", r.stdout);
    expect(manifest).toMatchObject({
      lago_version: "v1.50.0",
      schema_version: "20250101000000",
      storage: "local",
      project: "lago",
    });
    expect(manifest.installation).toMatch(/^[0-9a-f]{16}$/);
    const onDisk = parseManifest(readFileSync(join(path, "manifest.json"), "utf8"), path);
    expect(onDisk).toEqual(manifest);
    const measured = measureLocal(path, ["db.dump", "storage.tar.gz"]);
    expect(manifest.files).toEqual([...measured].map(([name, m]) => ({ name, ...m })));
    expect(readFileSync(join(path, "db.dump"), "utf8")).toBe("PGDMP fake dump");
    // The secret is not in the manifest (only its hash).
    expect(readFileSync(join(path, "manifest.json"), "utf8")).not.toContain("0123abcd");
  });

  it("keeps the newest backups only", async () => {
    for (const old of ["20200101T000000Z", "20200102T000000Z", "20200103T000000Z"]) {
      mkdirSync(join(settings().dir, old), { recursive: true });
    }
    mkdirSync(join(settings().dir, "not-a-backup"));
    const r = await backup();
    expect(r.exitCode, r.stderr).toBe(0);
    const left = readdirSync(settings().dir).sort();
    expect(left).toHaveLength(3);
    expect(left.slice(0, 2)).toEqual(["20200103T000000Z", left[1]]);
    expect(left[1]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(left[2]).toBe("not-a-backup");
  });

  it("a failed dump: one error line, nothing left behind", async () => {
    const r = await backup({ DUMP_FAILS: "1" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^error: pg_dump failed on .*: pg_dump: error: could not write: No space left on device \(\d+ KiB free in /,
    );
    expect(readdirSync(settings().dir)).toEqual([]);
  });

  it("no Lago on the host", async () => {
    writeFileSync(join(root, "opt", "lago.env"), "");
    const r = await backup();
    expect(r.stderr.trim()).toMatch(/^error: no SECRET_KEY_BASE in /);
  });
});
