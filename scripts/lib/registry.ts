/**
 * The local image registry the stack images are pushed to: Debian's `docker-registry` serving from
 * `.cache/registry`, in the background, outliving whoever started it. The controller pushes to
 * 127.0.0.1:5000 (which docker trusts without TLS); testbed hosts pull from the docker bridge gateway
 * (e.g. 172.17.0.1:5000) once their daemon.json lists it under insecure-registries.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { $ } from "zx";
import { requireCommands } from "./machine.ts";
import { withLock } from "./testbed-lock.ts";
import { log, repoRoot } from "./testbed-paths.ts";

export interface Registry {
  /** Where the controller pushes (and pulls): 127.0.0.1:5000. */
  pushAddr: string;
  /** Where testbed hosts pull from: the bridge gateway, e.g. 172.17.0.1:5000. */
  pullAddr: string;
}

/** 5000, or `LAGO_REGISTRY_PORT`: a second clone on the same machine gets its own registry (and tags). */
export const REGISTRY_PORT = Number(process.env.LAGO_REGISTRY_PORT ?? 5000);
export const PUSH_ADDR = `127.0.0.1:${REGISTRY_PORT}`;

export function registryPaths() {
  const dir = join(repoRoot, ".cache", "registry");
  return {
    dir,
    config: join(dir, "config.yml"),
    storage: join(dir, "storage"),
    logFile: join(dir, "registry.log"),
    pidFile: join(dir, "registry.pid"),
  };
}

const configText = (storage: string): string =>
  `# Written by scripts/lib/registry.ts on every start.
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: :${REGISTRY_PORT}
`;

/** The docker bridge's gateway address, as containers on the default network reach the host. */
export async function bridgeGateway(): Promise<string> {
  const format =
    `{{range .IPAM.Config}}{{.Gateway}} {{end}}|{{index .Options "com.docker.network.bridge.name"}}`;
  const r = await $`docker network inspect bridge -f ${format}`.quiet();
  const [gateways, bridge] = r.stdout.trim().split("|");
  const gateway = gateways.split(" ").find((g) => /^\d+\.\d+\.\d+\.\d+$/.test(g));
  if (gateway) return gateway;
  // dockerd leaves IPAM's Gateway empty when it picked the subnet itself: read the bridge's own address.
  // With `ip`, not os.networkInterfaces(): that lists only interfaces that are up, and on a fresh machine
  // the bridge is down until a first container runs.
  const name = bridge || "docker0";
  const ip = await $`ip -4 -o addr show dev ${name}`.quiet().nothrow();
  const address = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(ip.stdout)?.[1];
  if (!address) throw new Error(`registry: cannot find the address of docker bridge ${name}`);
  return address;
}

/** True when a Docker registry (API v2) answers at `addr`. */
export async function registryAnswers(addr = PUSH_ADDR): Promise<boolean> {
  try {
    const r = await fetch(`http://${addr}/v2/`, { signal: AbortSignal.timeout(2000) });
    await r.body?.cancel();
    return r.headers.get("docker-distribution-api-version") === "registry/2.0";
  } catch {
    return false;
  }
}

/** The digest the registry holds for `repo:tag`, or null. */
export async function manifestDigest(repo: string, tag: string, addr = PUSH_ADDR): Promise<string | null> {
  const accept = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
  ].join(", ");
  const r = await fetch(`http://${addr}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept },
    signal: AbortSignal.timeout(5000),
  });
  return r.ok ? r.headers.get("docker-content-digest") : null;
}

export async function catalog(addr = PUSH_ADDR): Promise<string[]> {
  const r = await fetch(`http://${addr}/v2/_catalog?n=1000`, { signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`registry: GET /v2/_catalog: HTTP ${r.status}`);
  return ((await r.json()) as { repositories?: string[] }).repositories ?? [];
}

/** Whether `pid` is a live docker-registry (a zombie's cmdline is empty). */
function isRegistry(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("docker-registry");
  } catch {
    return false;
  }
}

/** The pid from our pid file when that process is still a docker-registry, else null. */
function ourPid(): number | null {
  const { pidFile } = registryPaths();
  if (!existsSync(pidFile)) return null;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  return isRegistry(pid) ? pid : null;
}

async function startRegistry(): Promise<void> {
  await requireCommands(["docker-registry"], "demo");
  const paths = registryPaths();
  mkdirSync(paths.storage, { recursive: true });
  writeFileSync(paths.config, configText(paths.storage));
  rmSync(paths.pidFile, { force: true });
  // setsid: its own session, so it outlives this process (and vitest's); the pid is the registry's (exec).
  const script = 'echo $$ > "$1"; exec docker-registry serve "$2" >>"$3" 2>&1 </dev/null';
  await $`setsid -f sh -c ${script} sh ${paths.pidFile} ${paths.config} ${paths.logFile}`.quiet();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await registryAnswers()) return;
    if (existsSync(paths.pidFile) && ourPid() === null) break; // it exited (port taken, bad config, ...)
    await sleep(200);
  }
  const tail = existsSync(paths.logFile) ? readFileSync(paths.logFile, "utf8").split("\n").slice(-15) : [];
  throw new Error(`registry: docker-registry did not come up on ${PUSH_ADDR}:\n${tail.join("\n")}`);
}

/** A registry answering on :5000 (kept if one already does, started otherwise). Idempotent. */
export async function ensureRegistry(): Promise<Registry> {
  if (!(await registryAnswers())) {
    // The port is the machine's: one starter at a time across clones, the others find it answering.
    await withLock(join(tmpdir(), "lago-stack-registry.lock"), async () => {
      if (await registryAnswers()) return;
      const started = Date.now();
      await startRegistry();
      log(`registry up on ${PUSH_ADDR} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  }
  return { pushAddr: PUSH_ADDR, pullAddr: `${await bridgeGateway()}:${REGISTRY_PORT}` };
}

/**
 * Stops the registry this repository started (its pid file); one started by anything else is left
 * alone. Pushed images stay in `.cache/registry/storage`. Returns whether a process was stopped.
 */
export async function stopRegistry(): Promise<boolean> {
  const pid = ourPid();
  rmSync(registryPaths().pidFile, { force: true });
  if (pid === null) return false;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50; i++) {
    if (!isRegistry(pid)) return true;
    await sleep(100);
  }
  process.kill(pid, "SIGKILL");
  return true;
}

export interface RegistryStatus extends Registry {
  running: boolean;
  /** Set when this repository's pid file names the running registry. */
  pid: number | null;
  repositories: string[];
}

export async function registryStatus(): Promise<RegistryStatus> {
  const running = await registryAnswers();
  return {
    running,
    pid: ourPid(),
    pushAddr: PUSH_ADDR,
    pullAddr: `${await bridgeGateway()}:${REGISTRY_PORT}`,
    repositories: running ? await catalog() : [],
  };
}
