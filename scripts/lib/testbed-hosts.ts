/**
 * One testbed host = one container running systemd and sshd, published on 127.0.0.1 only. These are the
 * per-host building blocks: create/start/stop/pause, exec, key injection, readiness.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { $ } from "zx";
import {
  type Codename,
  codenameOf,
  hostIndex,
  hostName,
  hostPrefix,
  imageName,
  LABEL,
  log,
  portOf,
} from "./testbed-paths.ts";
import { isWorkerHost } from "./testbed-worker.ts";

export interface TestbedHost {
  name: string;
  port: number;
  codename: Codename;
}

export interface HostStatus extends TestbedHost {
  /** docker's state: running, exited, paused, created, ... */
  state: string;
}

export const hostFor = (index: number): TestbedHost => ({
  name: hostName(index),
  port: portOf(index),
  codename: codenameOf(index),
});

// The recipe's flags (testbed.md): --privileged is refused on this kernel, these are enough for systemd
// and for a nested dockerd once a role installs one (its storage on a tmpfs: overlayfs cannot sit on the
// container's own overlayfs root).
export const SYSTEMD_RUN_FLAGS = [
  "--cap-add",
  "ALL",
  "--cap-drop",
  "SYS_RESOURCE",
  "--security-opt",
  "seccomp=unconfined",
  "--security-opt",
  "apparmor=unconfined",
  "-v",
  "/sys/fs/cgroup:/sys/fs/cgroup:rw",
  "--cgroupns",
  "host",
  "--tmpfs",
  "/run",
  "--tmpfs",
  "/run/lock",
  "--stop-signal",
  "SIGRTMIN+3",
  "-e",
  "container=docker",
];
const RUN_FLAGS = [...SYSTEMD_RUN_FLAGS, "--tmpfs", "/var/lib/docker:exec"];

/** Every testbed container on this machine, any testbed's, whatever its state. */
async function listAllHosts(): Promise<HostStatus[]> {
  const format = `{{.Names}}\t{{.State}}\t{{.Label "${LABEL}.codename"}}\t{{.Label "${LABEL}.port"}}`;
  const r = await $`docker ps -a --filter ${`label=${LABEL}=host`} --format ${format}`.quiet();
  return r.stdout.split("\n").filter(Boolean).map((line) => {
    const [name, state, codename, port] = line.split("\t");
    return { name, state, codename: codename as Codename, port: Number(port) };
  });
}

/** This testbed's containers (see LAGO_TESTBED_PREFIX), whatever their state, ordered by index. */
export async function listHosts(): Promise<HostStatus[]> {
  return (await listAllHosts()).filter((h) => hostIndex(h.name) !== null)
    .sort((a, b) => hostIndex(a.name)! - hostIndex(b.name)!);
}

/** The containers of this testbed's e2e workers (scripts/lib/testbed-worker.ts), by name. */
export async function listWorkerHosts(): Promise<HostStatus[]> {
  return (await listAllHosts()).filter((h) => isWorkerHost(h.name, hostPrefix()))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function inspect(name: string): Promise<{ state: string; image: string; port: string } | null> {
  const format = `{{.State.Status}}\t{{.Image}}\t{{index .Config.Labels "${LABEL}.port"}}`;
  const r = await $`docker container inspect -f ${format} ${name}`.quiet().nothrow();
  if (r.exitCode !== 0) return null;
  const [state, image, port] = r.stdout.trim().split("\t");
  return { state, image, port };
}

async function imageId(codename: Codename): Promise<string> {
  return (await $`docker image inspect -f {{.Id}} ${imageName(codename)}`.quiet()).stdout.trim();
}

async function run(host: TestbedHost): Promise<void> {
  await $`docker run -d --name ${host.name} --hostname ${host.name} ${[
    "--label",
    `${LABEL}=host`,
    "--label",
    `${LABEL}.codename=${host.codename}`,
    "--label",
    `${LABEL}.port=${host.port}`,
  ]} ${RUN_FLAGS} -p ${`127.0.0.1:${host.port}:22`} ${imageName(host.codename)}`.quiet();
}

/**
 * Makes the container exist and run. A running container on the current image is left alone; a stopped
 * or paused one is started; one on an outdated image or another port is recreated.
 */
export async function ensureHost(host: TestbedHost): Promise<"created" | "started" | "kept"> {
  const current = await inspect(host.name);
  if (current && (current.image !== await imageId(host.codename) || current.port !== String(host.port))) {
    await removeHost(host.name);
  } else if (current) {
    if (current.state === "running") return "kept";
    if (current.state === "paused") await $`docker unpause ${host.name}`.quiet();
    else await $`docker start ${host.name}`.quiet();
    return "started";
  }
  await run(host);
  return "created";
}

export async function removeHost(name: string): Promise<void> {
  await $`docker rm -f -v ${name}`.quiet().nothrow();
}

/** `docker stop`: the host disappears from the network (connection refused) until `startHost`. */
export async function stopHost(name: string): Promise<void> {
  await $`docker stop -t 20 ${name}`.quiet();
}

export async function startHost(name: string): Promise<void> {
  await $`docker start ${name}`.quiet();
  await waitSystemReady(name);
}

/** `docker pause` freezes every process: TCP connects but nothing answers (timeout tests). */
export async function pauseHost(name: string): Promise<void> {
  await $`docker pause ${name}`.quiet();
}

export async function unpauseHost(name: string): Promise<void> {
  await $`docker unpause ${name}`.quiet();
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  /** Run as this user (docker exec -u); root by default. */
  user?: string;
  /** Written to the command's stdin. */
  input?: string;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

/** Runs a command in a host through `docker exec` (not SSH). A string is run by `sh -c`. */
export async function execIn(
  name: string,
  command: string | string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const argv = typeof command === "string" ? ["sh", "-c", command] : command;
  const flags = [...(opts.user ? ["-u", opts.user] : []), ...(opts.input !== undefined ? ["-i"] : [])];
  const r = await $({ input: opts.input ?? "" })`docker exec ${flags} ${name} ${argv}`.quiet().nothrow();
  const result = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new Error(`${name}: ${argv.join(" ")} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result;
}

/** A file's modification time in milliseconds (nanosecond digits kept as far as a double can), or null. */
export async function fileMtime(name: string, path: string): Promise<number | null> {
  const r = await execIn(name, ["stat", "-c", "%.9Y", path], { allowFailure: true });
  return r.exitCode === 0 ? Number(r.stdout.trim()) * 1000 : null;
}

export async function readFileIn(name: string, path: string): Promise<string> {
  return (await execIn(name, ["cat", path])).stdout;
}

/**
 * Authorizes a key for root and deploy; done on every `up`, so a new key pair just works. Keys are
 * added, not replaced: clones of the repository (each with its own key) may share the hosts.
 */
export async function authorizeKey(name: string, publicKey: string): Promise<void> {
  const script = `set -e
for home in /root /home/deploy; do
  install -d -m 700 "$home/.ssh"
  touch "$home/.ssh/authorized_keys"
  grep -qxF "$1" "$home/.ssh/authorized_keys" || printf '%s\\n' "$1" >> "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
done
chown -R deploy:deploy /home/deploy/.ssh`;
  await execIn(name, ["sh", "-c", script, "sh", publicKey.trim()]);
}

/** The host's public host keys as `type base64` lines, ed25519 first. */
export async function hostKeys(name: string): Promise<string[]> {
  const files = ["ed25519", "ecdsa", "rsa"].map((t) => `/etc/ssh/ssh_host_${t}_key.pub`).join(" ");
  const r = await execIn(name, `cat ${files} 2>/dev/null || true`);
  return r.stdout.split("\n").filter(Boolean).map((l) => l.split(/\s+/).slice(0, 2).join(" "));
}

/** New host keys, as after a reinstall; known_hosts is NOT updated, so clients must refuse the host. */
export async function regenerateHostKeys(name: string): Promise<string[]> {
  await execIn(name, "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh");
  return hostKeys(name);
}

/** Waits for systemd to finish booting (`running`, or `degraded` with the failed units logged). */
export async function waitSystemReady(name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = "";
  while (Date.now() < deadline) {
    const r = await $`docker exec ${name} systemctl is-system-running`.quiet().nothrow();
    state = r.stdout.trim();
    if (state === "running") return;
    if (state === "degraded") {
      const failed = await $`docker exec ${name} systemctl --failed --no-legend --plain`.quiet().nothrow();
      log(`${name} is degraded: ${failed.stdout.trim().replace(/\s+/g, " ")}`);
      return;
    }
    await sleep(500);
  }
  throw new Error(`${name}: systemd not ready after ${timeoutMs / 1000} s (state: ${state || "unknown"})`);
}
