/**
 * `npm run demo`: Lago on two testbed hosts (Debian 12 and 13), deployed by playbooks/site.yml from the
 * local registry's images, behind nginx with a self-signed certificate, with inventory/example.yml's
 * production start (sign-up closed, the first organization made by migrate) and Lago's tables in a schema
 * of their own. Then it uses each host as a client would (sign in, the REST API with the organization's
 * key, an invoice PDF downloaded through its link) and ends by printing the URLs and the login.
 * `npm run demo -- down` removes what it made: the hosts, the HTTPS forwarders, .testbed/lago-demo-/,
 * and the registry if the demo started it (the built images stay, a cache like the testbed's images).
 *
 * The hosts are a separate testbed (prefix lago-demo-, ssh on 127.0.0.1:2601-2602), so the demo never
 * touches the e2e tests' hosts. The testbed publishes only ssh: a small forwarder container per host
 * publishes its port 443 on 127.0.0.1:8441 and 8442, and each host's lago_domain is
 * lago-demo-N.localhost, a name browsers and curl resolve to this machine by themselves.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { $ } from "zx";
import { registryAnswers } from "./lib/registry.ts";
import { ensureStack, stopRegistry } from "./lib/stack-lib.ts";
import { down, up } from "./lib/testbed-lib.ts";
import { repoRoot } from "./lib/testbed-paths.ts";
import { runMain } from "./lib/run-main.ts";
import { connectionVars } from "./lib/testbed-inventory.ts";
import { exampleLagoVars, orgPassword, prepareTestbedHost, testbedLagoVars } from "./lib/testbed-lago.ts";
import { apiKey, download, frontApiUrl, type Http, httpsVia, rest, signIn } from "./lib/lago-client.ts";

const PREFIX = "lago-demo-";
const HOSTS = 2;
const HTTPS_PORT_BASE = 8440;
const FORWARDER_LABEL = "lago.demo=forwarder";
const stateDir = join(repoRoot, ".testbed", PREFIX);
const statePath = join(stateDir, "demo.json");

/** What the demo made, so `down` removes exactly that. */
interface DemoState {
  startedRegistry: boolean;
}

const log = (msg: string) => console.log(`[demo] ${msg}`);

/** A TCP forwarder (Python's asyncio) in the stack's python image: 127.0.0.1:PORT -> host:443. */
const FORWARD = `import asyncio, sys
host = sys.argv[1]
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    finally:
        w.close()
async def handle(r, w):
    try:
        ur, uw = await asyncio.open_connection(host, 443)
    except OSError:
        w.close()
        return
    await asyncio.gather(pipe(r, uw), pipe(ur, w), return_exceptions=True)
async def main():
    server = await asyncio.start_server(handle, "0.0.0.0", 443)
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

async function removeForwarders(): Promise<void> {
  const ids = (await $`docker ps -aq --filter ${`label=${FORWARDER_LABEL}`}`.quiet()).stdout.split("\n")
    .filter(Boolean);
  if (ids.length) await $`docker rm -f ${ids}`.quiet();
}

async function startForwarder(host: string, port: number): Promise<void> {
  const address = (await $`docker inspect -f ${"{{.NetworkSettings.IPAddress}}"} ${host}`.quiet()).stdout
    .trim();
  await $`docker run -d --name ${`${host}-https`} --label ${FORWARDER_LABEL} --restart unless-stopped -p ${`127.0.0.1:${port}:443`} lago-stack/python:bookworm python3 -c ${FORWARD} ${address}`
    .quiet();
}

/** GET over HTTPS without certificate checks (the demo's certificate is self-signed): the status code. */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

function passphrase(): string {
  const path = join(stateDir, "passphrase");
  if (!existsSync(path)) writeFileSync(path, randomBytes(24).toString("base64url"), { mode: 0o600 });
  return readFileSync(path, "utf8").trim();
}

async function demoUp(): Promise<number> {
  const started = Date.now();
  const registryWasUp = await registryAnswers();
  log("testbed hosts (Debian 12 and 13), local registry and Lago stack images (first time: a few minutes)");
  const [tb, stack] = await Promise.all([up(HOSTS), ensureStack()]);
  mkdirSync(stateDir, { recursive: true });
  const previous: DemoState | null = existsSync(statePath)
    ? JSON.parse(readFileSync(statePath, "utf8"))
    : null;
  const state: DemoState = { startedRegistry: previous?.startedRegistry ?? !registryWasUp };
  writeFileSync(statePath, JSON.stringify(state, null, 2) + "\n");
  await Promise.all(tb.hosts.map((h) => prepareTestbedHost(h.name)));

  const urls = tb.hosts.map((h, i) => ({
    host: h,
    port: HTTPS_PORT_BASE + i + 1,
    domain: `${h.name}.localhost`,
  }));
  const inventory = join(stateDir, "demo.yml");
  writeFileSync(
    inventory,
    "# Written by `npm run demo` (scripts/demo.ts); removed by `npm run demo -- down`.\n" + stringify({
      all: {
        hosts: Object.fromEntries(urls.map(({ host, port, domain }) => [host.name, {
          ...connectionVars(host, tb.keyPath),
          lago_domain: domain,
          // What the browser sees: the forwarder's port on this machine.
          lago_public_url: `https://${domain}:${port}`,
        }])),
        vars: {
          ...testbedLagoVars(tb.knownHostsPath, stack.registry.pullAddr),
          ...exampleLagoVars(),
          lago_postgres_schema: "lago_billing",
        },
      },
    }),
  );
  log(`deploying with playbooks/site.yml (inventory ${inventory})`);
  let code = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, "dist", "src", "cli.js"), "apply", inventory, "-p", "playbooks/site.yml"],
      { cwd: repoRoot, env: { ...process.env, LAGO_SECRETS_PASSPHRASE: passphrase() }, stdio: "inherit" },
    );
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    log(`apply failed (exit ${code}); fix and run \`npm run demo\` again, or \`npm run demo -- down\``);
    return 1;
  }

  await removeForwarders();
  await Promise.all(urls.map(({ host, port }) => startForwarder(host.name, port)));
  for (const { port } of urls) {
    for (let i = 0; i < 50 && await httpsStatus(`https://127.0.0.1:${port}/health`) !== 200; i++) {
      await sleep(200);
    }
  }
  const email = String(exampleLagoVars().lago_org_user_email);
  const password = await orgPassword(urls[0].host.name); // the same on every host (one secrets store)
  const lines: string[] = [];
  for (const { host, port, domain } of urls) {
    const url = `https://${domain}:${port}`;
    lines.push(`  ${url}/   (${host.codename})`);
    try {
      lines.push(...(await useAsClient(httpsVia(port), url, email, password)).map((l) => `      ${l}`));
    } catch (e) {
      lines.push(`      as a client: ${(e as Error).message}`);
      code = 1;
    }
  }
  const first = urls[0];
  console.log(`
Lago is running on ${HOSTS} hosts, HTTPS with a self-signed certificate (${
    ((Date.now() - started) / 1000).toFixed(0)
  } s):
${lines.join("\n")}

Sign in:        ${email}  ${password}
                (the organization's admin, made by migrate; on a host: grep LAGO_ORG_USER_PASSWORD /opt/lago/secrets.env)
Open a URL in a browser on this machine (*.localhost is this machine; accept the certificate warning),
or: curl -k ${`https://${first.domain}:${first.port}`}/health
API (SDKs):     LAGO_API_URL ${`https://${first.domain}:${first.port}`} (calls go to /api/v1/...), the API key above
Inside a host:  docker exec ${first.host.name} curl -sk https://127.0.0.1/health
Again:          npm run demo      (converges; nothing changes)
Remove it all:  npm run demo -- down`);
  return code;
}

/**
 * What a user of the deployment does, through the HTTPS port on this machine: the front's API_URL, sign-in,
 * the organization's API key, a customer and an invoice through the REST API, the invoice's PDF through its
 * link. Returns one line per step.
 */
async function useAsClient(http: Http, url: string, email: string, password: string): Promise<string[]> {
  const apiUrl = await frontApiUrl(http, url);
  const session = await signIn(http, apiUrl, email, password);
  const key = await apiKey(http, apiUrl, session);
  const [status] = await rest(http, apiUrl, key, "POST", "customers", {
    customer: { external_id: "demo-customer", name: "Demo customer" },
  });
  if (status !== 200) throw new Error(`POST ${apiUrl}/api/v1/customers: HTTP ${status}`);
  const [, invoice] = await rest(http, apiUrl, key, "POST", "invoices", {
    invoice: {
      external_customer_id: "demo-customer",
      currency: "EUR",
      fees: [{ units: 1, unit_amount_cents: 4200 }],
    },
  });
  const id = invoice.invoice.lago_id;
  let fileUrl: string | undefined;
  for (let i = 0; i < 120 && !fileUrl; i++) {
    const [, body] = await rest(http, apiUrl, key, "POST", `invoices/${id}/download`);
    fileUrl = body?.invoice?.file_url;
    if (!fileUrl) await sleep(500);
  }
  if (!fileUrl) throw new Error(`invoice ${id}: no PDF after 60 s`);
  const chain = await download(http, fileUrl);
  const file = chain[chain.length - 1];
  const metrics = await http({ url: `${url}/metrics` });
  return [
    `signed in as ${email} (organization ${session.organizationName}); API key ••••${key.slice(-4)}`,
    `POST ${apiUrl}/api/v1/customers: ${status}; invoice ${id}: PDF ${file.status}, sha256 ${
      file.sha256.slice(0, 12)
    }…`,
    `  through ${chain.map((r) => r.status).join(" → ")} (/rails/active_storage/...)`,
    `/metrics from outside: ${metrics.status}`,
  ];
}

async function demoDown(): Promise<number> {
  const state: DemoState | null = existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : null;
  process.env.LAGO_TESTBED_PREFIX = PREFIX;
  await removeForwarders();
  const removed = await down();
  log(removed.length ? `removed hosts ${removed.join(", ")}` : "no demo hosts");
  if (state?.startedRegistry && await stopRegistry()) log("stopped the registry the demo started");
  rmSync(stateDir, { recursive: true, force: true });
  log(`removed ${stateDir} (inventory, secrets store, passphrase); stack images kept (npm run stack)`);
  return 0;
}

async function main(args: string[]): Promise<number> {
  // A testbed of its own: the e2e tests' hosts (lago-tb-*) are never touched.
  process.env.LAGO_TESTBED_PREFIX = PREFIX;
  process.env.LAGO_TESTBED_PORT_BASE = "2600";
  switch (args[0] ?? "up") {
    case "up":
      return await demoUp();
    case "down":
      return await demoDown();
    default:
      console.error("usage: demo [up | down]");
      return 2;
  }
}

await runMain("demo", main);
