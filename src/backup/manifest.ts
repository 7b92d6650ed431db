/**
 * A backup's manifest (`manifest.json`, written by the host script) read and judged: is it whole, whose
 * is it, can it be restored here. Pure: the commands read files and hosts, this decides.
 */
import { z } from "zod";
import { compareVersions } from "../core/release-tag.ts";
import { STAMP } from "./host-script.ts";

const FileEntry = z.object({
  name: z.enum(["db.dump", "storage.tar.gz"]),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const Manifest = z.object({
  format: z.literal(1),
  id: z.string().regex(STAMP),
  created: z.string(),
  host: z.string(),
  project: z.string(),
  installation: z.string().regex(/^[0-9a-f]{16}$/),
  lago_version: z.string(),
  schema_version: z.string().regex(/^\d*$/),
  storage: z.enum(["local", "s3", "gcs"]),
  files: z.array(FileEntry).min(1),
});

export type BackupManifest = z.infer<typeof Manifest>;
export type BackupFile = z.infer<typeof FileEntry>;

/** The manifest's text → the manifest, or one sentence saying what is wrong with it (`where` names it). */
export function parseManifest(text: string, where: string): BackupManifest | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { error: `${where}: manifest.json is not JSON (a truncated or foreign backup?)` };
  }
  const r = Manifest.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    return { error: `${where}: manifest.json ${i.path.join("/") || "(root)"}: ${i.message}` };
  }
  if (!r.data.files.some((f) => f.name === "db.dump")) {
    return { error: `${where}: manifest.json lists no db.dump` };
  }
  if (r.data.storage === "local" && !r.data.files.some((f) => f.name === "storage.tar.gz")) {
    return { error: `${where}: manifest.json lists no storage.tar.gz for local file storage` };
  }
  return r.data;
}

/** What a copy holds, measured: name → size and sha256 (a missing file is absent). */
export type Measured = Map<string, { bytes: number; sha256: string }>;

/** Every file that differs from the manifest, as one phrase each ("db.dump: 120 bytes, expected 4096"). */
export function checkFiles(m: BackupManifest, measured: Measured): string[] {
  return m.files.flatMap((f) => {
    const got = measured.get(f.name);
    if (!got) return [`${f.name} is missing`];
    if (got.bytes !== f.bytes) return [`${f.name}: ${got.bytes} bytes, expected ${f.bytes} (truncated?)`];
    if (got.sha256 !== f.sha256) return [`${f.name}: sha256 differs from the manifest (corrupt)`];
    return [];
  });
}

/** `sha256sum`-style lines plus sizes, as the hosts print them: `file NAME BYTES SHA256`. */
export function parseMeasured(stdout: string): Measured {
  const out: Measured = new Map();
  for (const line of stdout.split("\n")) {
    const m = /^file (\S+) (\d+) ([0-9a-f]{64})$/.exec(line.trim());
    if (m) out.set(m[1], { bytes: Number(m[2]), sha256: m[3] });
  }
  return out;
}

/** What the target host runs now, as restore reads it. */
export interface RestoreTarget {
  host: string;
  installation: string | null;
  /** The Lago release its containers run (null: none found). */
  version: string | null;
  /** The last migration of its database now (null: no database or no table: a destroyed volume). */
  schemaVersion: string | null;
  storage: "local" | "s3" | "gcs";
}

export interface RestoreDecision {
  /** Why it must not be restored here; undefined when it may. */
  refusal?: string;
  /** The backup's schema is older than the release that runs: migrate after restoring. */
  migrate: boolean;
  /** What will be done, in order, for --check and the log. */
  steps: string[];
}

const num = (v: string) => (v === "" ? 0n : BigInt(v));

/** a > b as releases; tags that are not releases (a local build) are not compared. */
function newer(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) > 0;
  } catch {
    return false;
  }
}

/** May this backup be restored on this host, and how (pure; the table in test/unit/backup/). */
export function judgeRestore(m: BackupManifest, t: RestoreTarget, problems: string[]): RestoreDecision {
  const refuse = (refusal: string): RestoreDecision => ({ refusal, migrate: false, steps: [] });
  if (problems.length) return refuse(`backup ${m.id} is damaged: ${problems.join("; ")}`);
  if (!t.installation) {
    return refuse(
      `${t.host} has no Lago installation (no lago.env): deploy it with apply first, then restore`,
    );
  }
  if (m.installation !== t.installation) {
    return refuse(
      `backup ${m.id} is of another installation (${m.installation}, made on ${m.host}); ${t.host} is ` +
        `${t.installation}: its data is encrypted with other keys`,
    );
  }
  if (!t.version) return refuse(`no Lago container on ${t.host} to restore under: run apply first`);
  if (m.lago_version && newer(m.lago_version, t.version)) {
    return refuse(
      `backup ${m.id} is of Lago ${m.lago_version}, newer than the ${t.version} ${t.host} runs: ` +
        `upgrade to ${m.lago_version} first (the schema cannot go back)`,
    );
  }
  if (t.schemaVersion && m.schema_version && num(m.schema_version) > num(t.schemaVersion)) {
    return refuse(
      `backup ${m.id} has schema ${m.schema_version}, newer than ${t.schemaVersion} on ${t.host}: ` +
        `upgrade first (the schema cannot go back)`,
    );
  }
  if (m.storage !== t.storage) {
    return refuse(`backup ${m.id} used ${m.storage} file storage, ${t.host} uses ${t.storage}`);
  }
  const migrate = m.lago_version !== t.version ||
    (t.schemaVersion !== null && m.schema_version !== t.schemaVersion);
  const steps = [
    `stop api, workers and clock on ${t.host}`,
    `replace the database with db.dump (pg_restore; Lago ${m.lago_version || "?"}, schema ${
      m.schema_version || "?"
    })`,
    ...(m.storage === "local" ? ["replace the file storage volume with storage.tar.gz"] : []),
    ...(migrate ? [`migrate with ${t.version} (the backup is older)`] : []),
    `start api, workers and clock, and wait until ${t.host} is healthy on ${t.version}`,
  ];
  return { migrate, steps };
}
