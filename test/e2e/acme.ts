/**
 * A real ACME server for e2e tests: Debian's `pebble` (Let's Encrypt's RFC 8555 test server) with
 * `pebble-challtestsrv` as its DNS, both on the controller, in the background, outliving the test run
 * (like the registry). Testbed hosts reach pebble's directory at the docker bridge gateway
 * (https://172.17.0.1:14000/dir); pebble validates HTTP-01 on port 80 of the address the test domain
 * resolves to, which `setARecord` points at a testbed host's container address.
 *
 * Pebble's own HTTPS certificate is made here with openssl (Debian ships none): a small CA whose PEM
 * is `caBundlePem`, for certbot's REQUESTS_CA_BUNDLE. Pebble's issuing root and intermediate are new on
 * every pebble start; `pebbleRoot()` returns the current root. Everything is in `.cache/pebble/`.
 * Listens on: the gateway's :14000 (ACME), 127.0.0.1:15000 (pebble management), 127.0.0.1:8053 (DNS),
 * 127.0.0.1:8055 (challtestsrv management): nothing beyond the controller and its containers.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { $ } from "zx";
import { requireCommands } from "../../scripts/lib/machine.ts";
import { bridgeGateway } from "../../scripts/lib/registry.ts";
import { withLock } from "../../scripts/lib/testbed-lock.ts";
import { log, repoRoot } from "../../scripts/lib/testbed-paths.ts";

export interface Pebble {
  /** The ACME directory URL as testbed hosts reach it. */
  directory: string;
  /** The CA that signed pebble's HTTPS certificate (PEM): what certbot must trust to talk to pebble. */
  caBundlePem: string;
}

export const ACME_PORT = 14000;
const MANAGEMENT = "127.0.0.1:15000";
const DNS = "127.0.0.1:8053";
const CHALL_MANAGEMENT = "127.0.0.1:8055";

export function pebblePaths() {
  const dir = join(repoRoot, ".cache", "pebble");
  const f = (name: string) => join(dir, name);
  return {
    dir,
    caKey: f("ca.key"),
    caCert: f("ca.pem"),
    key: f("pebble.key"),
    cert: f("pebble.pem"),
    /** The gateway address pebble's certificate was made for. */
    certFor: f("pebble.addr"),
    config: f("pebble-config.json"),
    pebblePid: f("pebble.pid"),
    pebbleLog: f("pebble.log"),
    challPid: f("challtestsrv.pid"),
    challLog: f("challtestsrv.log"),
  };
}

/** A CA and pebble's certificate for `addr` (and 127.0.0.1 for the management interface). */
async function makeCerts(addr: string): Promise<void> {
  const p = pebblePaths();
  mkdirSync(p.dir, { recursive: true });
  const caConf = join(p.dir, "ca.cnf");
  writeFileSync(
    caConf,
    [
      "[req]",
      "distinguished_name = dn",
      "x509_extensions = v3_ca",
      "prompt = no",
      "[dn]",
      "CN = lago-provision e2e ACME endpoint CA",
      "[v3_ca]",
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
      "",
    ].join("\n"),
  );
  const leafExt = join(p.dir, "pebble.ext");
  writeFileSync(
    leafExt,
    [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid",
      `subjectAltName = IP:${addr}, IP:127.0.0.1, DNS:localhost`,
      "",
    ].join("\n"),
  );
  const csr = join(p.dir, "pebble.csr");
  await $`openssl req -x509 -new -nodes -newkey rsa:2048 -days 3650 -config ${caConf} -keyout ${p.caKey} -out ${p.caCert}`
    .quiet();
  await $`openssl req -new -nodes -newkey rsa:2048 -subj /CN=pebble -keyout ${p.key} -out ${csr}`.quiet();
  await $`openssl x509 -req -in ${csr} -CA ${p.caCert} -CAkey ${p.caKey} -CAcreateserial -days 3650 -extfile ${leafExt} -out ${p.cert}`
    .quiet();
  writeFileSync(p.certFor, addr);
}

/** GET over HTTPS trusting only our CA; resolves with the status, or null when nothing answers. */
function httpsStatus(url: string, ca: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
    req.end();
  });
}

function httpsText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on(
        "end",
        () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`${url}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}

async function challAnswers(): Promise<boolean> {
  try {
    // The management API has no read endpoint; any HTTP answer means it is up.
    const r = await fetch(`http://${CHALL_MANAGEMENT}/`, { signal: AbortSignal.timeout(2000) });
    await r.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** Whether process `pid` is alive and its command line contains `name` (a zombie's is empty). */
function isAlive(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(name);
  } catch {
    return false;
  }
}

/** The pid in our pid file when that process is still `name`, else null. */
function livePid(pidFile: string, name: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  return isAlive(pid, name) ? pid : null;
}

/** Stops the process our pid file names (only when it is still `name`); returns whether one was running. */
async function stopPid(pidFile: string, name: string): Promise<boolean> {
  const pid = livePid(pidFile, name);
  rmSync(pidFile, { force: true });
  if (pid === null) return false;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && isAlive(pid, name); i++) await sleep(100);
  if (isAlive(pid, name)) process.kill(pid, "SIGKILL");
  return true;
}

/** Starts `argv` in its own session (outliving this process), its pid in `pidFile`, output to `logFile`. */
async function spawnDetached(
  argv: string[],
  pidFile: string,
  logFile: string,
  env: Record<string, string> = {},
) {
  rmSync(pidFile, { force: true });
  const script = 'p=$1 l=$2; shift 2; echo $$ > "$p"; exec "$@" >>"$l" 2>&1 </dev/null';
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  await $`setsid -f sh -c ${script} sh ${pidFile} ${logFile} env ${envArgs} ${argv}`.quiet();
}

async function waitUntil(what: string, logFile: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await sleep(200);
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : "";
  throw new Error(`acme: ${what} did not come up:\n${tail}`);
}

/**
 * pebble and its DNS running, for the current bridge gateway. Idempotent; about 1 s when already up.
 * One caller at a time on this machine (its ports are the machine's): e2e workers may start together.
 */
export async function ensurePebble(): Promise<Pebble> {
  return await withLock(join(tmpdir(), "lago-pebble.lock"), ensurePebbleLocked);
}

async function ensurePebbleLocked(): Promise<Pebble> {
  await requireCommands(["pebble", "pebble-challtestsrv", "openssl"], "test");
  const p = pebblePaths();
  const addr = await bridgeGateway();
  const directory = `https://${addr}:${ACME_PORT}/dir`;
  const fresh = !existsSync(p.cert) || !existsSync(p.certFor) || readFileSync(p.certFor, "utf8") !== addr;
  if (fresh) {
    await stopPid(p.pebblePid, "pebble");
    await makeCerts(addr);
  }
  const ca = readFileSync(p.caCert, "utf8");

  if (!(await challAnswers())) {
    await stopPid(p.challPid, "pebble-challtestsrv");
    // DNS only (its HTTP/TLS challenge servers off); names without a record resolve to nothing.
    await spawnDetached(
      [
        "pebble-challtestsrv",
        ...["-management", CHALL_MANAGEMENT, "-dns01", DNS],
        ...["-http01", "", "-https01", "", "-tlsalpn01", ""],
        ...["-defaultIPv4", "", "-defaultIPv6", ""],
      ],
      p.challPid,
      p.challLog,
    );
    await waitUntil("pebble-challtestsrv", p.challLog, challAnswers);
  }

  const pebbleUp = async () => (await httpsStatus(directory, ca)) === 200;
  if (!(await pebbleUp())) {
    await stopPid(p.pebblePid, "pebble");
    writeFileSync(
      p.config,
      JSON.stringify(
        {
          pebble: {
            listenAddress: `${addr}:${ACME_PORT}`,
            managementListenAddress: MANAGEMENT,
            certificate: p.cert,
            privateKey: p.key,
            httpPort: 80,
            tlsPort: 443,
            ocspResponderURL: "",
            externalAccountBindingRequired: false,
          },
        },
        null,
        2,
      ),
    );
    const started = Date.now();
    await spawnDetached(
      ["pebble", "-config", p.config, "-dnsserver", DNS, "-strict=false"],
      p.pebblePid,
      p.pebbleLog,
      {
        // No random validation delays, no deliberately rejected nonces: issuance in a second, no flakes.
        PEBBLE_VA_NOSLEEP: "1",
        PEBBLE_WFE_NONCEREJECT: "0",
      },
    );
    await waitUntil("pebble", p.pebbleLog, pebbleUp);
    log(`pebble up on ${directory} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return { directory, caBundlePem: ca };
}

/**
 * Makes `name` resolve (for pebble) to `address` only, e.g. a testbed host's container address. Records
 * from earlier runs are cleared first: challtestsrv's add-a appends, and a recreated host has a new address.
 */
export async function setARecord(name: string, address: string): Promise<void> {
  const host = name.endsWith(".") ? name : `${name}.`;
  for (const [path, body] of [["clear-a", { host }], ["add-a", { host, addresses: [address] }]] as const) {
    const r = await fetch(`http://${CHALL_MANAGEMENT}/${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    await r.body?.cancel();
    if (!r.ok) throw new Error(`acme: ${path} ${host} ${address}: HTTP ${r.status}`);
  }
}

/** Pebble's current issuing root (PEM); it changes on every pebble start. */
export async function pebbleRoot(): Promise<string> {
  return await httpsText(`https://${MANAGEMENT}/roots/0`, readFileSync(pebblePaths().caCert, "utf8"));
}

/** Stops the pebble and challtestsrv this repository started; the certificates stay. */
export async function stopPebble(): Promise<void> {
  const p = pebblePaths();
  await stopPid(p.pebblePid, "pebble");
  await stopPid(p.challPid, "pebble-challtestsrv");
}

/** A container's address on docker's network (what pebble connects to for HTTP-01). */
export async function containerAddress(name: string): Promise<string> {
  const r = await $`docker inspect -f ${"{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"} ${name}`
    .quiet();
  const ip = r.stdout.trim().split(/\s+/).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  if (!ip) throw new Error(`acme: ${name} has no IPv4 address on a docker network`);
  return ip;
}
