/**
 * Host images without a registry: debootstrap a Debian rootfs, configure it in a chroot, tar it into the
 * cache and `docker import` it. Each layer is cached: the image (by recipe hash label), the rootfs
 * tarball, and debootstrap's .deb downloads, so a rerun skips whatever is still there.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { $ } from "zx";
import { requireCommands } from "./machine.ts";
import { withLock } from "./testbed-lock.ts";
import { type Codename, imageName, log, mirror, testbedPaths } from "./testbed-paths.ts";

/** Beyond the recipe's base set: curl and procps are on every real host and tests reach for them. */
const PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "openssh-server",
  "python3",
  "ca-certificates",
  "iproute2",
  "sudo",
  "curl",
  "procps",
  "netbase",
];

const SSHD_CONFIG = `# lago testbed: key authentication only
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
`;

// Host keys are removed from the image so every container gets its own on first boot.
const HOSTKEYS_UNIT = `[Unit]
Description=Generate this container's own SSH host keys
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
`;

const sources = (codename: Codename): string => {
  const security = mirror().replace(/\/debian\/?$/, "/debian-security");
  return `Types: deb
URIs: ${mirror()}
Suites: ${codename} ${codename}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security}
Suites: ${codename}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;
};

// Runs inside the chroot. modules-load always fails in a container; Debian 13's own first-boot keygen
// would race ours. No apt lists, like Debian's official images: tests run `apt-get update` themselves.
const CONFIGURE = `set -eu
useradd -m -s /bin/bash deploy
install -d -m 700 -o deploy -g deploy /home/deploy/.ssh
install -d -m 700 /root/.ssh
rm -f /etc/ssh/ssh_host_*
systemctl enable lago-ssh-hostkeys.service
systemctl mask systemd-modules-load.service
if [ -e /lib/systemd/system/sshd-keygen.service ]; then systemctl mask sshd-keygen.service; fi
rm -f /etc/apt/sources.list
apt-get clean
rm -rf /var/lib/apt/lists/*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
`;

const FILES: Record<string, { text: (c: Codename) => string; mode: number }> = {
  "etc/sudoers.d/deploy": { text: () => "deploy ALL=(ALL:ALL) NOPASSWD: ALL\n", mode: 0o440 },
  "etc/ssh/sshd_config.d/lago-testbed.conf": { text: () => SSHD_CONFIG, mode: 0o644 },
  "etc/systemd/system/lago-ssh-hostkeys.service": { text: () => HOSTKEYS_UNIT, mode: 0o644 },
  "etc/apt/sources.list.d/debian.sources": { text: sources, mode: 0o644 },
};

/** Changes to anything that shapes the image change this hash, which invalidates cached tarballs and images. */
export function recipeHash(codename: Codename): string {
  const files = Object.entries(FILES).map(([path, f]) => [path, f.text(codename), f.mode]);
  const recipe = JSON.stringify({ v: 1, codename, mirror: mirror(), PACKAGES, CONFIGURE, files });
  return createHash("sha256").update(recipe).digest("hex").slice(0, 12);
}

const RECIPE_LABEL = "lago.testbed.recipe";

async function imageRecipe(codename: Codename): Promise<string | null> {
  const r = await $`docker image inspect -f ${`{{index .Config.Labels "${RECIPE_LABEL}"}}`} ${
    imageName(codename)
  }`
    .quiet().nothrow();
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** debootstrap mounts /proc and /sys inside the target; a failed run can leave them behind. */
async function removeRootfs(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const mounts = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1])
    .filter((m) => m && (m === dir || m.startsWith(dir + "/"))).sort().reverse();
  for (const m of mounts) await $`umount -l ${m}`.quiet().nothrow();
  await $`rm -rf --one-file-system ${dir}`.quiet();
}

async function debootstrap(codename: Codename, dir: string, cacheDir: string): Promise<void> {
  await requireCommands(["debootstrap"], "demo");
  const debs = join(cacheDir, "debs", codename);
  mkdirSync(debs, { recursive: true });
  const logFile = join(cacheDir, `debootstrap-${codename}.log`);
  const started = Date.now();
  log(`debootstrap ${codename} (log: ${logFile})`);
  const r = await $`debootstrap --variant=minbase --cache-dir=${debs} --include=${
    PACKAGES.join(",")
  } ${codename} ${dir} ${mirror()} > ${logFile} 2>&1`
    .quiet().nothrow();
  if (r.exitCode !== 0) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`debootstrap ${codename} failed (exit ${r.exitCode}):\n${tail}`);
  }
  log(`debootstrap ${codename} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function writeFiles(codename: Codename, dir: string): void {
  for (const [path, f] of Object.entries(FILES)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.text(codename));
    chmodSync(full, f.mode);
  }
}

/** The configured rootfs as a tarball in the cache (built if missing). */
async function rootfsTarball(codename: Codename): Promise<string> {
  const { cacheDir } = testbedPaths();
  const hash = recipeHash(codename);
  const tarball = join(cacheDir, `rootfs-${codename}-${hash}.tar`);
  if (existsSync(tarball)) return tarball;
  const dir = join(cacheDir, `rootfs-${codename}.build`);
  await removeRootfs(dir);
  await debootstrap(codename, dir, cacheDir);
  writeFiles(codename, dir);
  await $`chroot ${dir} /bin/sh -c ${CONFIGURE}`.quiet();
  await $`tar -C ${dir} --numeric-owner -cf ${tarball + ".tmp"} .`.quiet();
  renameSync(tarball + ".tmp", tarball);
  await removeRootfs(dir);
  // Older recipes' tarballs are dead weight.
  for (const f of readdirSync(cacheDir)) {
    if (f.startsWith(`rootfs-${codename}-`) && f.endsWith(".tar") && join(cacheDir, f) !== tarball) {
      rmSync(join(cacheDir, f));
    }
  }
  return tarball;
}

// docker 20.10's import accepts no STOPSIGNAL change; `docker run --stop-signal` sets it instead.
/** Makes sure `lago-testbed:<codename>` exists and matches the current recipe. */
export async function ensureImage(codename: Codename): Promise<void> {
  const hash = recipeHash(codename);
  if (await imageRecipe(codename) === hash) return;
  const { cacheDir } = testbedPaths();
  mkdirSync(cacheDir, { recursive: true });
  await withLock(join(cacheDir, `build-${codename}.lock`), async () => {
    if (await imageRecipe(codename) === hash) return; // built by whoever held the lock
    const started = Date.now();
    const tarball = await rootfsTarball(codename);
    await $`docker import ${[
      "-c",
      'CMD ["/lib/systemd/systemd"]',
      "-c",
      "ENV container=docker",
      "-c",
      `LABEL ${RECIPE_LABEL}=${hash}`,
    ]} ${tarball} ${imageName(codename)}`.quiet();
    log(`image ${imageName(codename)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

export async function ensureImages(codenames: readonly Codename[]): Promise<void> {
  await Promise.all([...new Set(codenames)].map(ensureImage));
}
