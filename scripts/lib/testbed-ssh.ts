/**
 * The testbed's own SSH: its key pair, and the OpenSSH client used to prove a host answers. Strict host
 * key checking against the recorded known_hosts file, never trust-on-first-use.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { $ } from "zx";
import type { ExecResult, TestbedHost } from "./testbed-hosts.ts";
import { withLock } from "./testbed-lock.ts";
import { log, testbedPaths } from "./testbed-paths.ts";

/**
 * Generates the testbed key pair once; returns the public key line. Locked: e2e workers starting at the
 * same time on a fresh clone must not each write a key (one of them would authorize the wrong one).
 */
export async function ensureKey(keyPath = testbedPaths().keyPath): Promise<string> {
  if (!existsSync(`${keyPath}.pub`)) {
    mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
    await withLock(`${keyPath}.lock`, async () => {
      if (existsSync(`${keyPath}.pub`)) return;
      rmSync(keyPath, { force: true }); // a half-written pair from a run killed mid-way
      await $`ssh-keygen -q -t ed25519 -N ${""} -C lago-testbed -f ${keyPath}`.quiet();
      log(`generated testbed key ${keyPath}`);
    });
  }
  return readFileSync(`${keyPath}.pub`, "utf8").trim();
}

export interface SshOptions {
  /** root by default; `deploy` has passwordless sudo. */
  user?: string;
  keyPath?: string;
  knownHostsPath?: string;
}

/** Arguments for `ssh` (before the remote command) that reach a testbed host the strict way. */
export function sshArgs(host: Pick<TestbedHost, "port">, opts: SshOptions = {}): string[] {
  const paths = testbedPaths();
  return [
    "-i",
    opts.keyPath ?? paths.keyPath,
    "-o",
    `UserKnownHostsFile=${opts.knownHostsPath ?? paths.knownHostsPath}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(host.port),
    `${opts.user ?? "root"}@127.0.0.1`,
  ];
}

/** Runs a remote command over real SSH with the OpenSSH client; never throws on exit codes. */
export async function sshRun(
  host: Pick<TestbedHost, "port">,
  command: string,
  opts: SshOptions = {},
): Promise<ExecResult> {
  const r = await $`ssh ${sshArgs(host, opts)} ${command}`.quiet().nothrow();
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

export async function waitSsh(host: TestbedHost, opts: SshOptions = {}, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: ExecResult | undefined;
  while (Date.now() < deadline) {
    last = await sshRun(host, "true", opts);
    if (last.exitCode === 0) return;
    await sleep(500);
  }
  throw new Error(`${host.name}: ssh on 127.0.0.1:${host.port} not answering: ${last?.stderr.trim()}`);
}
