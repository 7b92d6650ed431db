/**
 * playbooks/site.yml end to end: two bare testbed hosts (Debian 12: compose v1, Debian 13: compose v2)
 * to a healthy Lago behind nginx with a self-signed certificate, images from the local registry, with
 * what a production start has (the first organization made by migrate, sign-up off, Lago's tables in a
 * schema of their own). The second host's public URL has port 8443, a port forward in front of nginx's
 * 443. Then, as a client would: sign in through the front's GraphQL, read the API key, call the REST API
 * at LAGO_API_URL/api/v1/, download an invoice PDF a worker wrote through its /rails/active_storage/ link,
 * open /cable; /metrics and /sidekiq are not served outside. Re-runs change nothing and keep the secrets
 * (identical on both hosts); a variable only the front reads is predicted by --check --diff and recreates
 * the front alone, a backend one the backend alone; and external database mode, with PostgreSQL on the
 * third host and Lago's tables in schema lago_app.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { $ } from "zx";
import { type CliResult, failuresOf, recapOf, repoRoot, resultsOf, runCli } from "./cli.ts";
import {
  exampleLagoVars,
  lagoInventoryText,
  orgPassword,
  prepareTestbedHost,
} from "../../scripts/lib/testbed-lago.ts";
import { apiKey, curlInHost, download, frontApiUrl, rest, signIn } from "../../scripts/lib/lago-client.ts";
import { ensureStack, type Stack, waitFor } from "./stack.ts";
import { execIn, type Testbed, type TestbedHost, useTestbed } from "./testbed.ts";

let tb: Testbed;
let stack: Stack;
/** Hosts 1 (bookworm) and 2 (trixie) run Lago; host 3 (bookworm) is the external PostgreSQL server. */
let lago: TestbedHost[];
let dbHost: TestbedHost;
let dir: string;
let inventory: string;

const PASSPHRASE = "e2e lago passphrase, long enough";
const EXT_PASSWORD = "ext-Pa55:w@rd/%?&x"; // characters a URL must encode
const SCHEMA = "lago_billing";
/** inventory/example.yml's production start (its first organization, sign-up closed), and a schema of its own. */
const EXAMPLE = exampleLagoVars();
const PRODUCTION_START = { ...EXAMPLE, lago_postgres_schema: SCHEMA };
const EMAIL = String(EXAMPLE.lago_org_user_email);
/** The five secrets of the installation (the api stand-in shows their sha256). */
const SECRETS = [
  "LAGO_RSA_PRIVATE_KEY",
  "SECRET_KEY_BASE",
  "LAGO_ENCRYPTION_PRIMARY_KEY",
  "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
  "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
];
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

const apply = (playbook: string, ...extra: string[]) =>
  runCli(["apply", inventory, "-p", playbook, "--json", ...extra], {
    env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE },
  });

async function timed(what: string, playbook: string, ...extra: string[]): Promise<CliResult> {
  const started = Date.now();
  const r = await apply(playbook, ...extra);
  console.log(`lago e2e: ${what} in ${seconds(started)}`);
  expect(r.code, failuresOf(r)).toBe(0);
  return r;
}

/** What clients use: https://NAME on the first host, https://NAME:8443 (a port forward) on the second. */
const publicUrl = (h: TestbedHost) => h === lago[1] ? `https://${h.name}:8443` : `https://${h.name}`;

/** The running container of a service of the lago project on a host. */
async function container(h: TestbedHost, service: string): Promise<string> {
  const r = await execIn(h.name, [
    "docker",
    ...["ps", "-q", "--filter", "label=com.docker.compose.project=lago"],
    ...["--filter", `label=com.docker.compose.service=${service}`],
  ]);
  return r.stdout.trim();
}

/** psql in the bundled db container. */
async function psql(h: TestbedHost, sql: string): Promise<string> {
  const r = await execIn(h.name, [
    "docker",
    "exec",
    await container(h, "db"),
    "psql",
    "-U",
    "lago",
    "-d",
    "lago",
    "-tAc",
    sql,
  ]);
  return r.stdout.trim();
}

/** service -> container ID of the lago project on a host. */
async function containerIds(h: TestbedHost): Promise<Record<string, string>> {
  const r = await execIn(h.name, [
    "docker",
    ...["ps", "-a", "--filter", "label=com.docker.compose.project=lago", "--filter"],
    ...[
      "label=com.docker.compose.oneoff=False",
      "--format",
      '{{.Label "com.docker.compose.service"}} {{.ID}}',
    ],
  ]);
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(" ")));
}

/** The api stand-in's view of its environment: non-secret values, and secrets as sha256 only. */
async function apiEnv(
  h: TestbedHost,
): Promise<{ env: Record<string, string>; secrets: Record<string, string> }> {
  const r = await execIn(h.name, ["curl", "-sf", "http://127.0.0.1:3000/debug/env"]);
  return JSON.parse(r.stdout);
}

const changedIds = (before: Record<string, string>, after: Record<string, string>) =>
  Object.keys({ ...before, ...after }).filter((s) => before[s] !== after[s]).sort();

const composeResult = (r: CliResult, h: TestbedHost) =>
  resultsOf(r, h.name).find((e) => e.task === "Lago services up (only those whose config changed)")!;

beforeAll(async () => {
  const started = Date.now();
  [tb, stack] = await Promise.all([useTestbed(3, { fresh: true }), ensureStack()]);
  lago = tb.hosts.slice(0, 2);
  dbHost = tb.hosts[2];
  await Promise.all(tb.hosts.map((h) => prepareTestbedHost(h.name)));
  dir = mkdtempSync(join(tmpdir(), "lago-e2e-"));
  inventory = join(dir, "inventory.yml");
  writeFileSync(
    inventory,
    lagoInventoryText(tb, stack.registry.pullAddr, {
      vars: PRODUCTION_START,
      groups: {
        lago: { [lago[0].name]: {}, [lago[1].name]: { lago_public_url: publicUrl(lago[1]) } },
        extdb: { [dbHost.name]: {} },
      },
    }),
  );
  console.log(`lago e2e: testbed and stack ready in ${seconds(started)}`);
});

describe("playbooks/site.yml on bare hosts", () => {
  let firstIds: Record<string, Record<string, string>>;
  let secrets: Record<string, string>;

  it("takes Debian 12 and 13 from bare to a healthy Lago through HTTPS", async () => {
    // A dry run first: nothing fails, what rests on the secrets not made yet is "unknown until apply".
    const check = await timed("check on bare hosts", "playbooks/site.yml", "-l", "lago", "--check");
    for (const h of lago) {
      expect(recapOf(check)[h.name]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(composeResult(check, h).unknown).toBeDefined();
    }
    const r = await timed("first apply (2 bare hosts)", "playbooks/site.yml", "-l", "lago");
    for (const h of lago) {
      expect(recapOf(r)[h.name]).toMatchObject({ failed: 0, unreachable: 0 });
      // compose v1 on Debian 12, v2 on Debian 13: the module found each by itself.
      expect(composeResult(r, h).reason).toMatch(
        /^project lago: create api, api-clock, api-worker, db, front/,
      );
      const http = curlInHost(h.name);
      const url = publicUrl(h);
      // The api's /health at the origin's root, and where the former /api-prefixed layout had it.
      for (const path of ["/health", "/api/health"]) {
        const health = await http({ url: url + path });
        expect(health.status, `${path}: ${health.text}`).toBe(200);
        expect(JSON.parse(health.text)).toMatchObject({ message: "Success", version: "v1.50.0" });
      }
      // The front's API_URL is the origin itself (LAGO_API_URL: /api/v1/, /graphql and /cable are there).
      expect(await frontApiUrl(http, url)).toBe(url);
      // The api allows CORS from the front's origin (LAGO_FRONT_URL), through nginx.
      const cors = await http({ url: `${url}/health`, headers: { Origin: url } });
      expect(cors.headers["access-control-allow-origin"]).toBe(url);
    }
    firstIds = Object.fromEntries(await Promise.all(lago.map(async (h) => [h.name, await containerIds(h)])));
    expect(Object.keys(firstIds[lago[0].name]).sort()).toEqual(
      ["api", "api-clock", "api-worker", "db", "front", "migrate", "pdf", "redis"],
    );
  });

  it("as a client: sign in, the REST API with the org's key, an invoice PDF the worker wrote", async () => {
    for (const h of lago) {
      const http = curlInHost(h.name);
      const url = publicUrl(h);
      const apiUrl = await frontApiUrl(http, url);
      await expect(signIn(http, apiUrl, EMAIL, "not the password")).rejects.toThrow(
        /incorrect_login_or_password/,
      );
      const session = await signIn(http, apiUrl, EMAIL, await orgPassword(h.name));
      expect(session.organizationName).toBe(EXAMPLE.lago_org_name);
      const key = await apiKey(http, apiUrl, session);

      // What an SDK given LAGO_API_URL calls: /api/v1/... unchanged; 401 without a key.
      const customer = { customer: { external_id: "cust-1", name: "First customer" } };
      expect(await rest(http, apiUrl, null, "POST", "customers", customer)).toEqual([
        401,
        { status: 401, error: "Unauthorized" },
      ]);
      const [status, created] = await rest(http, apiUrl, key, "POST", "customers", customer);
      expect(status).toBe(200);
      expect(created.customer).toMatchObject({ external_id: "cust-1", name: "First customer" });

      // A one-off invoice: a worker renders its PDF (Gotenberg) into the api's storage.
      const fees = [{ add_on_code: "setup", units: 2, unit_amount_cents: 1500 }];
      const [, invoice] = await rest(http, apiUrl, key, "POST", "invoices", {
        invoice: { external_customer_id: "cust-1", currency: "EUR", fees },
      });
      const id = invoice.invoice.lago_id;
      const fileUrl: string = await waitFor("the invoice's PDF", async () => {
        const [, body] = await rest(http, apiUrl, key, "POST", `invoices/${id}/download`);
        return body?.invoice?.file_url;
      }, 60_000);
      expect(fileUrl.startsWith(`${apiUrl}/rails/active_storage/blobs/redirect/`), fileUrl).toBe(true);
      const [redirect, file] = await download(http, fileUrl);
      expect(redirect.status).toBe(302);
      // The redirect keeps the public port: nginx passes the Host the client sent.
      expect(
        redirect.headers.location.startsWith(`${url}/rails/active_storage/disk/`),
        redirect.headers.location,
      )
        .toBe(true);
      expect(file.status).toBe(200);
      const blob = await psql(
        h,
        `select key from ${SCHEMA}.active_storage_blobs order by created_at desc limit 1`,
      );
      const path = `/app/storage/${blob.slice(0, 2)}/${blob.slice(2, 4)}/${blob}`;
      const written = await execIn(h.name, [
        "docker",
        "exec",
        await container(h, "api-worker"),
        "sha256sum",
        path,
      ]);
      expect(file.sha256).toBe(written.stdout.split(" ")[0]);
    }
  });

  it("/cable is the api's websocket, its Redis reached with the URL's password; /metrics and /sidekiq stay inside", async () => {
    const client = readFileSync(join(repoRoot, "test/e2e/fixtures/cable-client.py"), "utf8");
    for (const h of lago) {
      const cable = await execIn(
        h.name,
        ["python3", "-", `${publicUrl(h).replace("https:", "wss:")}/cable`, "127.0.0.1:443"],
        { input: client, allowFailure: true },
      );
      expect(cable.exitCode, cable.stdout + cable.stderr).toBe(0);
      expect(cable.stdout).toContain('"type": "welcome"');
      const http = curlInHost(h.name);
      for (const path of ["/metrics", "/sidekiq", "/api/metrics"]) {
        expect((await http({ url: publicUrl(h) + path })).status, path).toBe(404);
      }
      // Still there for a scraper on the host.
      const local = await execIn(h.name, ["curl", "-sf", "http://127.0.0.1:3000/metrics"]);
      expect(local.stdout).toContain("lago_standin_info");
    }
  });

  it("Lago's tables are in their own schema, and DATABASE_URL is one pg_dump takes", async () => {
    for (const h of lago) {
      const schemas = await psql(
        h,
        "select distinct table_schema from information_schema.tables where table_name in " +
          "('organizations', 'customers', 'invoices', 'schema_migrations')",
      );
      expect(schemas).toBe(SCHEMA);
      const dump = await execIn(h.name, [
        "docker",
        ...["exec", await container(h, "api"), "sh", "-c", 'pg_dump --schema-only "$DATABASE_URL"'],
      ]);
      expect(dump.stdout).toContain(`CREATE TABLE ${SCHEMA}.customers`);
    }
  });

  it("publishes api and front on 127.0.0.1 only, db and redis nowhere; lago.env is root's alone", async () => {
    for (const h of lago) {
      const ports = await execIn(h.name, [
        "docker",
        ...["ps", "--filter", "label=com.docker.compose.project=lago", "--format"],
        '{{.Label "com.docker.compose.service"}} {{.Ports}}',
      ]);
      const published = Object.fromEntries(
        ports.stdout.trim().split("\n").map((l) => [l.split(" ")[0], l.split(" ").slice(1).join(" ")]),
      );
      const mappings = (ports = "") => ports.split(", ").filter((p) => p.includes("->"));
      expect(mappings(published.api)).toEqual(["127.0.0.1:3000->3000/tcp"]);
      expect(mappings(published.front)).toEqual(["127.0.0.1:8080->80/tcp"]);
      expect(mappings(published.db)).toEqual([]);
      expect(mappings(published.redis)).toEqual([]);
      const listening = (await execIn(h.name, "ss -Hltn | awk '{print $4}'")).stdout;
      expect(listening).not.toMatch(/:(5432|6379)$/m);
      expect((await execIn(h.name, ["stat", "-c", "%a %U", "/opt/lago/lago.env"])).stdout).toBe("600 root\n");
    }
  });

  it("re-runs change nothing, and the secrets are the same on both hosts, before and after", async () => {
    const before = await Promise.all(lago.map(apiEnv));
    secrets = before[0].secrets;
    for (const name of SECRETS) {
      expect(secrets[name], name).toMatch(/^[0-9a-f]{64}$/);
      expect(before[1].secrets[name], name).toBe(secrets[name]);
    }
    for (let run = 1; run <= 3; run++) {
      const r = await timed(`re-run ${run}`, "playbooks/site.yml", "-l", "lago");
      for (const h of lago) expect(recapOf(r)[h.name]).toMatchObject({ changed: 0, failed: 0 });
    }
    const after = await Promise.all(lago.map(apiEnv));
    for (const a of after) for (const name of SECRETS) expect(a.secrets[name], name).toBe(secrets[name]);
    for (const h of lago) expect(await containerIds(h)).toEqual(firstIds[h.name]);
    // migrate ran once per host, not once per apply.
    for (const h of lago) {
      expect(await psql(h, `select count(*) from ${SCHEMA}.lago_standin_migrate_runs`)).toBe("1");
    }
  });

  it("a variable only the front reads: --check --diff predicts the front alone; apply recreates it alone", async () => {
    const dsn = ["-e", "lago_sentry_dsn_front=https://key@sentry.example.com/7"];
    const check = await timed(
      "check --diff of a front variable",
      "playbooks/site.yml",
      "-l",
      "lago",
      ...dsn,
      "--check",
      "--diff",
    );
    for (const h of lago) {
      const compose = composeResult(check, h);
      expect(compose.reason).toBe(
        "project lago: would recreate front (SENTRY_DSN_FRONT in lago.env would change)",
      );
      expect(compose.diffs[0].target).toBe("compose services");
      expect(compose.diffs[0].after).toContain(
        "front: running, config changes: reads SENTRY_DSN_FRONT (recreate)",
      );
    }
    // The env file's diff names the variable and shows no secret value.
    const envDiff = resultsOf(check, lago[0].name).find((e) => e.task.startsWith("lago.env"))!;
    expect(envDiff.diffs[0].after).toContain("SENTRY_DSN_FRONT='https://key@sentry.example.com/7'");
    const stored = (await execIn(lago[0].name, ["cat", "/opt/lago/secrets.env"])).stdout;
    for (const line of stored.split("\n").filter((l) => l.includes("="))) {
      expect(check.stdout).not.toContain(line.slice(line.indexOf("=") + 1));
    }

    const before = await Promise.all(lago.map(containerIds));
    const r = await timed("apply of a front variable", "playbooks/site.yml", "-l", "lago", ...dsn, "--diff");
    for (const [i, h] of lago.entries()) {
      expect(recapOf(r)[h.name].changed).toBe(2); // lago.env, then the front
      expect(changedIds(before[i], await containerIds(h))).toEqual(["front"]);
      const env = await curlInHost(h.name)({ url: `${publicUrl(h)}/env-config.js` });
      expect(env.text).toContain('window.SENTRY_DSN = "https://key@sentry.example.com/7"');
    }
  });

  it("a backend variable: migrate runs again, api, worker and clock are recreated, nothing else", async () => {
    const vars = [
      "-e",
      "lago_sentry_dsn_front=https://key@sentry.example.com/7",
      "-e",
      "lago_webhook_attempts=5",
    ];
    const before = await Promise.all(lago.map(containerIds));
    await timed("apply of a backend variable", "playbooks/site.yml", "-l", "lago", ...vars);
    for (const [i, h] of lago.entries()) {
      expect(changedIds(before[i], await containerIds(h))).toEqual([
        "api",
        "api-clock",
        "api-worker",
        "migrate",
      ]);
      expect((await apiEnv(h)).env.LAGO_WEBHOOK_ATTEMPTS).toBe("5");
    }
  });
});

/** A CA and a server certificate for `address` (its subjectAltName), made with openssl in a new directory. */
async function serverCertificate(address: string): Promise<string> {
  const tls = mkdtempSync(join(tmpdir(), "lago-e2e-pgtls-"));
  // Words split on spaces: mkdtemp's names have none.
  const openssl = (words: string) => $`openssl ${words.split(" ")}`.quiet();
  const [ca, caKey, key, csr, ext, crt] = [
    "ca.crt",
    "ca.key",
    "server.key",
    "server.csr",
    "san.ext",
    "server.crt",
  ]
    .map((f) => join(tls, f));
  await openssl(`req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=e2e-pg-ca -keyout ${caKey} -out ${ca}`);
  await openssl(`req -newkey rsa:2048 -nodes -subj /CN=${address} -keyout ${key} -out ${csr}`);
  writeFileSync(ext, `subjectAltName=IP:${address}\n`);
  await openssl(
    `x509 -req -in ${csr} -CA ${ca} -CAkey ${caKey} -CAcreateserial -days 2 -extfile ${ext} -out ${crt}`,
  );
  return tls;
}

describe("external PostgreSQL", () => {
  it("the stack talks to a PostgreSQL outside the project over TLS (verify-full), its tables in schema lago_app", async () => {
    const address = (await $`docker inspect -f ${"{{.NetworkSettings.IPAddress}}"} ${dbHost.name}`.quiet())
      .stdout.trim();
    const tls = await serverCertificate(address);
    await timed(
      "PostgreSQL on the third host",
      "test/e2e/fixtures/lago-extdb.yml",
      "-l",
      "extdb",
      "-e",
      `extdb_password=${EXT_PASSWORD}`,
      "-e",
      `extdb_tls_dir=${tls}`,
    );
    const h = lago[0];
    const extra = join(dir, "external-db.yml");
    writeFileSync(
      extra,
      stringify({
        lago_db_external: true,
        lago_postgres_host: address,
        lago_postgres_port: 5432,
        lago_postgres_user: "lago_ext",
        lago_postgres_password: EXT_PASSWORD,
        lago_postgres_db: "billing",
        lago_postgres_schema: "lago_app",
        // The server takes TLS only (hostssl); verify-full fails unless libpq reads this CA and the
        // certificate names the address.
        lago_postgres_sslmode: "verify-full",
        lago_postgres_ssl_rootcert_src: join(tls, "ca.crt"),
      }),
    );
    const r = await timed(
      "switch to the external database",
      "playbooks/site.yml",
      "-l",
      h.name,
      "-e",
      `@${extra}`,
    );
    expect(composeResult(r, h).reason).toMatch(/remove orphan db/);
    const health = await curlInHost(h.name)({ url: `${publicUrl(h)}/health` });
    expect(health.status, health.text).toBe(200);
    // The schema is POSTGRES_SCHEMA's; DATABASE_URL stays a plain libpq URL.
    const { env } = await apiEnv(h);
    expect(env.DATABASE_URL).toBe(`postgresql://lago_ext:***@${address}:5432/billing?sslmode=verify-full`);
    expect(env.POSTGRES_SCHEMA).toBe("lago_app");
    expect(env.PGSSLROOTCERT).toBe("/app/config/postgres-ssl/root.crt");

    const psql = (sql: string) =>
      execIn(dbHost.name, [
        "sh",
        "-c",
        `docker exec $(docker ps -q --filter label=com.docker.compose.project=extdb) psql -U lago_ext -d billing -tAc "${sql}"`,
      ]);
    const tables = (await psql(
      "select table_schema || '.' || table_name from information_schema.tables where table_schema in ('lago_app', 'public') order by 1",
    )).stdout.trim().split("\n");
    expect(tables).toEqual(expect.arrayContaining([
      "lago_app.customers",
      "lago_app.invoices",
      "lago_app.organizations",
      "lago_app.schema_migrations",
      "lago_app.wallets",
    ]));
    expect(tables.filter((t) => t.startsWith("public."))).toEqual([]);
    const again = await timed(
      "re-run with the external database",
      "playbooks/site.yml",
      "-l",
      h.name,
      "-e",
      `@${extra}`,
    );
    expect(recapOf(again)[h.name]).toMatchObject({ changed: 0, failed: 0 });
  });
});
