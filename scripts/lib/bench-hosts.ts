/**
 * The benchmark's hosts: a separate testbed (lago-bench-N on 127.0.0.1:3000+N) made ready for both
 * tools once, and reset to the same bare state before every first run.
 *
 * Nothing on the hosts reaches the network during a benchmark: each host gets a local apt repository
 * (jq and its libraries, downloaded once on the controller with apt-get into `.cache/bench/`) as its
 * only package source, and python3-apt, which Ansible's apt module needs (without it the module tries
 * to install it from the network). lago-provision does not use python3-apt.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { $ } from "zx";
import { PENDING_HANDLERS_FILE } from "../../src/core/state-dir.ts";
import { execIn, type TestbedHost } from "./testbed-lib.ts";
import { type Codename, mirror, repoRoot } from "./testbed-paths.ts";

/** Installed on every host once (for Ansible's apt module). */
const PREP_DEBS = ["python3-apt", "python-apt-common", "distro-info-data"];
/** Served by the hosts' local repository; the converge installs jq on its first run. */
const REPO_DEBS = ["jq", "libjq1", "libonig5"];
/** Removed by `resetHost`, so that every first run installs them again. */
export const CONVERGE_PACKAGES = ["jq", "libjq1", "libonig5"];

const REPO_DIR = "/var/cache/lago-bench-repo";
const PREP_MARK = "/etc/lago-bench-prepared";

export const cacheDir = (): string => join(repoRoot, ".cache", "bench");

const log = (msg: string) => void process.stderr.write(`[bench] ${msg}\n`);

/**
 * Downloads the .debs for one release with apt-get, using a private apt state directory (so the
 * controller's own apt configuration and lists are untouched, and trixie works from bookworm).
 */
export async function ensureDebs(codename: Codename): Promise<string> {
  const base = join(cacheDir(), `apt-${codename}`);
  const debs = join(base, "debs");
  const want = [...PREP_DEBS, ...REPO_DEBS];
  const have = () => existsSync(debs) ? readdirSync(debs).filter((f) => f.endsWith(".deb")) : [];
  if (want.every((p) => have().some((f) => f.startsWith(`${p}_`)))) return debs;
  for (const d of ["state/lists/partial", "cache/archives/partial", "debs"]) {
    mkdirSync(join(base, d), { recursive: true });
  }
  writeFileSync(
    join(base, "sources.list"),
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror()} ${codename} main\n`,
  );
  writeFileSync(join(base, "status"), "");
  const opts = [
    `Dir::Etc::SourceList=${join(base, "sources.list")}`,
    "Dir::Etc::SourceParts=/nonexistent",
    `Dir::State=${join(base, "state")}`,
    `Dir::State::status=${join(base, "status")}`,
    `Dir::Cache=${join(base, "cache")}`,
    "APT::Architecture=amd64",
    "Debug::NoLocking=1",
    "APT::Sandbox::User=root",
  ].flatMap((o) => ["-o", o]);
  log(`downloading ${want.join(", ")} for ${codename} (once, into ${debs})`);
  await $`apt-get ${opts} -qq update`.quiet();
  await $({ cwd: debs })`apt-get ${opts} -qq download ${want}`.quiet();
  return debs;
}

/** A Packages index for a flat repository, written by hand (no dpkg-dev needed). */
async function packagesIndex(debs: string, files: string[]): Promise<string> {
  const stanzas = await Promise.all(files.map(async (f) => {
    const bytes = readFileSync(join(debs, f));
    const control = (await $`dpkg-deb -f ${join(debs, f)}`.quiet()).stdout.trimEnd();
    const sha = createHash("sha256").update(bytes).digest("hex");
    return `${control}\nFilename: ./${f}\nSize: ${bytes.length}\nSHA256: ${sha}\n`;
  }));
  return stanzas.join("\n");
}

const pick = (debs: string, names: string[]) =>
  readdirSync(debs).filter((f) => names.some((n) => f.startsWith(`${n}_`)));

/** What `prepareHost` installs, per release: a tarball of the local repository and the prep debs. */
interface PrepBundle {
  tar: string;
  hash: string;
}

export async function prepBundle(codename: Codename): Promise<PrepBundle> {
  const debs = await ensureDebs(codename);
  const stage = join(cacheDir(), `bundle-${codename}`);
  mkdirSync(join(stage, "repo"), { recursive: true });
  mkdirSync(join(stage, "prep"), { recursive: true });
  const repoFiles = pick(debs, REPO_DEBS);
  await $`cp ${repoFiles.map((f) => join(debs, f))} ${join(stage, "repo")}`;
  await $`cp ${pick(debs, PREP_DEBS).map((f) => join(debs, f))} ${join(stage, "prep")}`;
  writeFileSync(join(stage, "repo", "Packages"), await packagesIndex(debs, repoFiles));
  const tar = join(cacheDir(), `bundle-${codename}.tar`);
  await $`tar -C ${stage} -cf ${tar} repo prep`;
  const hash = createHash("sha256").update(readFileSync(tar)).digest("hex").slice(0, 12);
  return { tar, hash };
}

/**
 * Makes a host ready for both tools (once; a marker file remembers the bundle): python3-apt installed,
 * the local repository as the only apt source.
 */
export async function prepareHost(host: TestbedHost, bundle: PrepBundle): Promise<"prepared" | "ready"> {
  const mark = await execIn(host.name, ["cat", PREP_MARK], { allowFailure: true });
  if (mark.stdout.trim() === bundle.hash) return "ready";
  await $`docker cp ${bundle.tar} ${`${host.name}:/var/tmp/lago-bench-bundle.tar`}`.quiet();
  await execIn(
    host.name,
    `set -e
rm -rf ${REPO_DIR} && mkdir -p ${REPO_DIR}
tar -C ${REPO_DIR} -xf /var/tmp/lago-bench-bundle.tar && rm -f /var/tmp/lago-bench-bundle.tar
DEBIAN_FRONTEND=noninteractive dpkg -i ${REPO_DIR}/prep/*.deb >/dev/null
mkdir -p /etc/apt/lago-bench-orig
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -e "$f" ] && mv "$f" /etc/apt/lago-bench-orig/ || true; done
echo 'deb [trusted=yes] file:${REPO_DIR}/repo ./' > /etc/apt/sources.list.d/lago-bench.list
echo ${bundle.hash} > ${PREP_MARK}`,
  );
  return "prepared";
}

/**
 * Back to the state before the converge's first run: no jq, no /opt/bench, no bench.service, an empty
 * and old package index (so both tools refresh it), no pending lago-provision handlers.
 */
export async function resetHost(host: TestbedHost): Promise<void> {
  await execIn(
    host.name,
    `systemctl disable --now bench.service >/dev/null 2>&1 || true
rm -f /etc/systemd/system/bench.service
systemctl daemon-reload
systemctl reset-failed bench.service >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive dpkg --purge ${CONVERGE_PACKAGES.join(" ")} >/dev/null 2>&1 || true
rm -rf /opt/bench /var/lib/apt/lists/* /var/lib/apt/periodic/update-success-stamp ${PENDING_HANDLERS_FILE}
touch -d 2000-01-01 /var/lib/apt/lists
sync`,
  );
}

/**
 * What the converge produced on a host, as text to compare between the two tools: file hashes and
 * attributes, the key's presence, the service and package state.
 */
export async function convergeDigest(host: TestbedHost): Promise<string> {
  const r = await execIn(
    host.name,
    `cd / && sha256sum opt/bench/index.html opt/bench/conf/app.conf etc/systemd/system/bench.service
stat -c '%n %F %a %U %G' /opt/bench /opt/bench/conf /opt/bench/index.html /opt/bench/conf/app.conf /opt/bench/key.pem /etc/systemd/system/bench.service
openssl pkey -in /opt/bench/key.pem -noout 2>/dev/null && echo 'key.pem is a private key'
echo "active=$(systemctl is-active bench) enabled=$(systemctl is-enabled bench)"
dpkg-query -W -f '\${Package} \${db:Status-Abbrev}\\n' jq openssl curl`,
    { allowFailure: true },
  );
  return r.stdout + r.stderr;
}

/** Runs `fn` over items, at most `limit` at a time (docker exec is slow when hundreds run at once). */
export async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
