/**
 * Harness for e2e tests against the real testbed hosts (docs/testbed.md). Call `useTestbed(n)` in
 * `beforeAll`: it builds images on first use and is cheap when the hosts are already up.
 */
import {
  type Testbed,
  type TestbedHost,
  up,
  type UpOptions,
  writeKnownHosts,
} from "../../scripts/lib/testbed-lib.ts";
import { execIn, pauseHost, startHost, stopHost, unpauseHost } from "../../scripts/lib/testbed-lib.ts";

export * from "../../scripts/lib/testbed-lib.ts";

// Module state lives as long as one test file (vitest isolates files): whether this file has its hosts yet.
let ownHosts = false;

/**
 * This worker's hosts 1..count (test/e2e/setup.ts names them). A file's first call recreates them from the
 * image, so no file sees what another left; later calls keep them unless `{ fresh: true }`. An explicit
 * `{ fresh: false }` keeps the hosts even on the first call (a developer reusing a deployed fleet).
 */
export async function useTestbed(count = 3, opts: UpOptions = {}): Promise<Testbed> {
  const tb = await up(count, { ...opts, fresh: opts.fresh ?? !ownHosts });
  ownHosts = true;
  return tb;
}

export function hostNamed(tb: Testbed, name: string): TestbedHost {
  const host = tb.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no testbed host ${name} (have ${tb.hosts.map((h) => h.name).join(", ")})`);
  return host;
}

/** Runs `fn` while the host is stopped (connection refused), and starts it again afterwards. */
export async function withHostStopped<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await stopHost(name);
  try {
    return await fn();
  } finally {
    await startHost(name);
  }
}

/** Runs `fn` while the host is frozen (TCP accepted, no SSH banner), and thaws it afterwards. */
export async function withHostPaused<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await pauseHost(name);
  try {
    return await fn();
  } finally {
    await unpauseHost(name);
  }
}

/** After a host-key test: record the hosts' current keys again so later tests can connect. */
export async function restoreKnownHosts(tb: Testbed): Promise<void> {
  await writeKnownHosts(tb.hosts, tb.knownHostsPath);
}

/**
 * curl inside a host, `domain` resolved to 127.0.0.1 on ports 80 and 443 (nginx there, TLS not
 * verified): the status, the redirect target and the body.
 */
export async function curlIn(
  host: string,
  domain: string,
  url: string,
): Promise<{ status: number; location: string; body: string }> {
  const r = await execIn(host, [
    "curl",
    ...[
      "-sk",
      "--max-time",
      "10",
      "--resolve",
      `${domain}:80:127.0.0.1`,
      "--resolve",
      `${domain}:443:127.0.0.1`,
    ],
    ...["-w", "\n%{http_code} %{redirect_url}", url],
  ], { allowFailure: true });
  const lines = r.stdout.split("\n");
  const [status, location = ""] = lines.pop()!.split(" ");
  return { status: Number(status), location, body: lines.join("\n") };
}

/** What each host's Lago containers (compose project `lago`) run: host → sorted unique api/front versions. */
export async function lagoVersionsOn(hosts: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const h of hosts) {
    const r = await execIn(
      h,
      "docker ps --filter label=com.docker.compose.project=lago --format '{{.Image}}' | grep -E '/getlago/(api|front):' | sed 's/.*://' | sort -u",
    );
    out[h] = r.stdout.split("\n").filter(Boolean);
  }
  return out;
}
