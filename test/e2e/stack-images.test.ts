/**
 * The stack images on the controller's docker (not a testbed host): the real PostgreSQL and Redis, and the
 * api, front and Gotenberg stand-ins holding to their contract (test/images/CONTRACT.md): the schema of
 * POSTGRES_SCHEMA, /health asking the database only, the first organization and its API key, how the RSA
 * key is read, /cable on the Redis URL alone, file links and their redirect, CORS, workers and clock, the
 * front's env-config.js, Gotenberg's flags; and that a testbed host reaches the registry.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { repoRoot } from "./cli.ts";
import { execIn, status as testbedStatus, useTestbed } from "./testbed.ts";
import { ensureStack, lagoSecrets, LocalDocker, type RunOptions, type Stack, waitFor } from "./stack.ts";
import { REGISTRY_PORT } from "../../scripts/lib/registry.ts";

const docker = new LocalDocker("lago-stack-smoke");
const secrets = lagoSecrets();
const DB = {
  POSTGRES_USER: "lago",
  POSTGRES_PASSWORD: "db-Pass-1",
  POSTGRES_DB: "lago",
  PGDATA: "/data/postgres",
};
const REDIS_PASSWORD = "redis-Pass-1";
const SCHEMA = "lago_e2e";
const FRONT_URL = "https://billing.example.test";
const DATABASE_URL = `postgresql://lago:${DB.POSTGRES_PASSWORD}@db:5432/lago`;
const ORG = {
  LAGO_CREATE_ORG: "true",
  LAGO_ORG_NAME: "Acme",
  LAGO_ORG_USER_EMAIL: "admin@acme.test",
  LAGO_ORG_USER_PASSWORD: "first-Password-1",
  LAGO_ORG_API_KEY: "acme-key-0123456789",
};
const WITH_KEY = { Authorization: `Bearer ${ORG.LAGO_ORG_API_KEY}` };
const CABLE_CLIENT = readFileSync(join(repoRoot, "test/e2e/fixtures/cable-client.py"), "utf8");

let stack: Stack;
let db: string;
let redis: string;

/** The backend env a provisioner writes (the lago role's, as of this stand-in). */
const backendEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL,
  POSTGRES_SCHEMA: SCHEMA,
  REDIS_URL: `redis://:${REDIS_PASSWORD}@redis:6379`,
  REDIS_PASSWORD,
  ...secrets,
  LAGO_API_URL: FRONT_URL,
  LAGO_FRONT_URL: FRONT_URL,
  LAGO_PDF_URL: "http://pdf:3000",
  RAILS_ENV: "production",
  ...extra,
});

interface Reply {
  status: number;
  body: Record<string, any>;
  headers: Headers;
}

async function call(addr: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const r = await fetch(`http://${addr}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  return { status: r.status, body: text.startsWith("{") ? JSON.parse(text) : { text }, headers: r.headers };
}
const get = (addr: string, path: string, headers: Record<string, string> = {}) =>
  call(addr, path, { headers });
const post = (addr: string, path: string, body: object, headers: Record<string, string> = {}) =>
  call(addr, path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** Starts an api container and waits until it serves /ready: its name and 127.0.0.1 address. */
async function startApi(
  name: string,
  version: string,
  env = backendEnv(),
  opts: RunOptions = {},
): Promise<{ name: string; addr: string }> {
  const c = await docker.run(name, stack.local[`api:${version}`], {
    env,
    args: ["./scripts/start.api.sh"],
    publish: [3000],
    ...opts,
  });
  const addr = await docker.addr(c, 3000);
  await waitFor(`${name} /ready`, async () => (await get(addr, "/ready")).status === 200);
  return { name: c, addr };
}

const migrate = (version: string, env: Record<string, string> = {}) =>
  docker.runOnce(stack.local[`api:${version}`], { env: backendEnv(env), args: ["./scripts/migrate.sh"] });

const psql = async (query: string): Promise<string> => {
  const r = await docker.exec(db, ["psql", "-U", "lago", "-d", "lago", "-Atc", query]);
  expect(r.stderr).toBe("");
  return r.stdout.trim();
};

beforeAll(async () => {
  stack = await ensureStack();
  await docker.cleanup(); // a previous run killed before its afterAll
  await docker.createNetwork();
  [db, redis] = await Promise.all([
    docker.run("db", stack.local.postgres, { env: DB, aliases: ["db"] }),
    docker.run("redis", stack.local.redis, {
      args: ["--port", "6379", "--requirepass", REDIS_PASSWORD],
      aliases: ["redis"],
    }),
    docker.run("pdf", stack.local.gotenberg, {
      aliases: ["pdf"],
      args: ["gotenberg", "--api-timeout=300s", "--libreoffice-disable-routes=true"],
    }),
  ]);
  // Upstream compose's own healthchecks.
  await waitFor(
    "db healthy",
    async () =>
      (await docker.exec(db, ["pg_isready", "-U", "lago", "-d", "lago", "-h", "localhost", "-p", "5432"]))
        .exitCode === 0,
    60_000,
  );
  await waitFor(
    "redis healthy",
    async () =>
      (await docker.exec(redis, ["redis-cli", "-a", REDIS_PASSWORD, "--no-auth-warning", "ping"])).stdout
        .includes("PONG"),
  );
});

afterAll(async () => {
  await docker.cleanup();
});

describe("stack images", () => {
  it("are pushed under upstream's names, pullable at the bridge address", () => {
    const pull = stack.registry.pullAddr;
    expect(stack.registry.pushAddr).toBe(`127.0.0.1:${REGISTRY_PORT}`);
    expect(stack.images).toMatchObject({
      postgres: `${pull}/getlago/postgres-partman:15.0-alpine`,
      redis: `${pull}/redis:7-alpine`,
      nginx: `${pull}/nginx:stable`,
      gotenberg: `${pull}/getlago/lago-gotenberg:8.15`,
      "api:v1.49.0": `${pull}/getlago/api:v1.49.0`,
      "front:v1.50.0": `${pull}/getlago/front:v1.50.0`,
      "api:v1.50.1-broken": `${pull}/getlago/api:v1.50.1-broken`,
    });
  });

  it("postgres takes password logins over the network, redis requires its password", async () => {
    const login = await docker.runOnce(stack.local.postgres, {
      env: { PGPASSWORD: DB.POSTGRES_PASSWORD },
      args: ["psql", "-h", "db", "-U", "lago", "-d", "lago", "-Atc", "select 1"],
    });
    expect(login.stdout.trim()).toBe("1");
    const wrong = await docker.runOnce(stack.local.postgres, {
      env: { PGPASSWORD: "wrong" },
      args: ["psql", "-h", "db", "-U", "lago", "-d", "lago", "-Atc", "select 1"],
    });
    expect(wrong.stderr).toContain("password authentication failed");
    const anon = await docker.exec(redis, ["redis-cli", "ping"]);
    expect(anon.stdout).toContain("NOAUTH");
  });

  it("postgres:14-alpine is a real PostgreSQL 14 with the same entrypoint: init, password logins, a restart keeps it", async () => {
    expect(stack.images["postgres:14"]).toBe(`${stack.registry.pullAddr}/postgres:14-alpine`);
    const db14 = await docker.run("db14", stack.local["postgres:14"], { env: DB, aliases: ["db14"] });
    const ready = async () =>
      (await docker.exec(db14, ["pg_isready", "-U", "lago", "-d", "lago", "-h", "localhost"])).exitCode === 0;
    await waitFor("db14 ready", ready, 60_000);
    const facts = await docker.exec(db14, [
      "sh",
      "-c",
      'cat "$PGDATA/PG_VERSION"; psql -U lago -d lago -Atc "show server_version_num" -c "create table t as select 1 as n"',
    ]);
    expect(facts.stdout.trim().split("\n").slice(0, 2)).toEqual(["14", expect.stringMatching(/^14\d{4}$/)]);
    // From another container (the 15 image's client), as the api would.
    const login = (password: string) =>
      docker.runOnce(stack.local.postgres, {
        env: { PGPASSWORD: password },
        args: ["psql", "-h", "db14", "-U", "lago", "-d", "lago", "-Atc", "select count(*) from t"],
      });
    expect((await login(DB.POSTGRES_PASSWORD)).stdout.trim()).toBe("1");
    expect((await login("wrong")).stderr).toContain("password authentication failed");
    // A second start finds the data (no second initdb).
    await $`docker restart ${db14}`.quiet();
    await waitFor("db14 restarted", ready, 60_000);
    expect((await login(DB.POSTGRES_PASSWORD)).stdout.trim()).toBe("1");
  });

  it("api: migrate puts the tables in POSTGRES_SCHEMA, never a URL's search_path; /health asks only the database", async () => {
    // The schema must exist: Rails' db:migrate does not make it (the lago role does, before migrate.sh).
    const missing = await migrate("v1.49.0");
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("no schema has been selected to create in");
    await psql(`create schema ${SCHEMA}`);
    for (let i = 0; i < 2; i++) {
      const r = await migrate("v1.49.0", {
        DATABASE_URL: `${DATABASE_URL}?search_path=public&sslmode=prefer`,
      });
      expect(r.stderr).toContain("migrate done");
      expect(r.exitCode).toBe(0);
    }
    // v1.49.0 has every migration of the stand-in up to v1.45.0: 15 of v1.0.0, 3 of v1.32.0, 2 of v1.43.0, 1 of v1.45.0.
    expect(await psql(`select count(*) from ${SCHEMA}.schema_migrations`)).toBe("21");
    expect(await psql(`select count(*) from ${SCHEMA}.lago_standin_migrate_runs`)).toBe("2");
    expect(await psql("select count(*) from information_schema.tables where table_schema = 'public'")).toBe(
      "0",
    );

    const { addr } = await startApi("api", "v1.49.0");
    const health = await get(addr, "/health");
    expect(health.body).toMatchObject({ version: "v1.49.0", message: "Success" });
    expect(health.status).toBe(200);
    // Redis is no part of /health (application_controller.rb#health): a wrong password there is fine.
    const noRedis = await startApi("api-noredis", "v1.49.0", backendEnv({ REDIS_PASSWORD: "wrong" }));
    expect((await get(noRedis.addr, "/health")).status).toBe(200);
    const noDb = await startApi(
      "api-nodb",
      "v1.49.0",
      backendEnv({ DATABASE_URL: DATABASE_URL.replace("@db:", "@nowhere:") }),
    );
    const down = await get(noDb.addr, "/health");
    expect(down.status).toBe(500);
    expect(down.body).toMatchObject({ version: "v1.49.0", message: "Unhealthy" });
  });

  it("api: LAGO_CREATE_ORG seeds the organization once; /api/v1 is 401 without its key, 200 with it", async () => {
    const incomplete = await migrate("v1.49.0", { ...ORG, LAGO_ORG_NAME: "" });
    expect(incomplete.exitCode).toBe(1);
    expect(incomplete.stderr).toContain(
      "Couldn't find LAGO_ORG_USER_PASSWORD, LAGO_ORG_USER_EMAIL or LAGO_ORG_NAME",
    );
    expect((await migrate("v1.49.0", ORG)).exitCode).toBe(0);
    // Another password on a re-run changes nothing: it only counts when the user is made.
    expect((await migrate("v1.49.0", { ...ORG, LAGO_ORG_USER_PASSWORD: "second-Password-2" })).exitCode).toBe(
      0,
    );
    expect(await psql(`select count(*) from ${SCHEMA}.organizations`)).toBe("1");

    const { addr } = await startApi("api-rest", "v1.49.0");
    const customer = (headers: Record<string, string>) =>
      post(addr, "/api/v1/customers", { customer: { external_id: "c-1" } }, headers);
    expect(await customer({})).toMatchObject({ status: 401, body: { status: 401, error: "Unauthorized" } });
    expect((await customer({ Authorization: "Bearer not-the-key" })).status).toBe(401);
    expect(await customer(WITH_KEY)).toMatchObject({
      status: 200,
      body: { customer: { external_id: "c-1" } },
    });
    // The paths are the api's own: what a prefix-stripping proxy would send finds nothing.
    expect((await post(addr, "/v1/customers", {}, WITH_KEY)).status).toBe(404);

    const login = (password: string) =>
      post(addr, "/graphql", {
        query: "mutation login($input: LoginUserInput!) { loginUser(input: $input) { token } }",
        variables: { input: { email: ORG.LAGO_ORG_USER_EMAIL, password } },
      });
    expect((await login(ORG.LAGO_ORG_USER_PASSWORD)).body.data.loginUser.token).toMatch(/^ey/);
    expect((await login("second-Password-2")).body).toMatchObject({
      data: { loginUser: null },
      errors: [{ extensions: { status: 422, details: { base: ["incorrect_login_or_password"] } } }],
    });
    // With sign-up disabled, nobody else gets in.
    const signup = await startApi("api-signup", "v1.49.0", backendEnv({ LAGO_DISABLE_SIGNUP: "true" }));
    const register = await post(signup.addr, "/graphql", {
      query: "mutation r($input: RegisterUserInput!) { registerUser(input: $input) { token } }",
      variables: { input: { email: "x@example.test", password: "x-Password-1", organizationName: "X" } },
    });
    expect(register.body).toMatchObject({
      errors: [{ extensions: { status: 405, code: "signup_disabled" } }],
    });
  });

  it("api: payment provider secrets are encrypted with the LAGO_ENCRYPTION_ keys; other keys cannot read them", async () => {
    const api = await startApi("api-crypt", "v1.49.0");
    const token = (await post(api.addr, "/graphql", {
      query: "mutation login($input: LoginUserInput!) { loginUser(input: $input) { token } }",
      variables: { input: { email: ORG.LAGO_ORG_USER_EMAIL, password: ORG.LAGO_ORG_USER_PASSWORD } },
    })).body.data.loginUser.token;
    const org = await psql(`select id from ${SCHEMA}.organizations where name = '${ORG.LAGO_ORG_NAME}'`);
    const graphql = (addr: string, query: string, variables = {}) =>
      post(addr, "/graphql", { query, variables }, {
        Authorization: `Bearer ${token}`,
        "x-lago-organization": org,
      });
    const add = await graphql(
      api.addr,
      "mutation a($input: AddStripePaymentProviderInput!) { addStripePaymentProvider(input: $input) { id secretKey } }",
      { input: { code: "stripe_eu", name: "Stripe EU", secretKey: "sk_test_crypt_xyz" } },
    );
    expect(add.body.data.addStripePaymentProvider.secretKey).toBe("••••••••…xyz");
    // Stored encrypted: the clear value is nowhere in the row.
    const row = await psql(`select secrets from ${SCHEMA}.payment_providers where code = 'stripe_eu'`);
    expect(JSON.parse(row)).toMatchObject({ p: expect.any(String), h: { iv: expect.any(String) } });
    expect(row).not.toContain("sk_test_crypt");
    const list = "query { paymentProviders { collection { ... on StripeProvider { code secretKey } } } }";
    expect((await graphql(api.addr, list)).body.data.paymentProviders.collection).toEqual([
      {
        __typename: "StripeProvider",
        id: expect.any(String),
        code: "stripe_eu",
        name: "Stripe EU",
        secretKey: "••••••••…xyz",
      },
    ]);
    // The unprefixed ENCRYPTION_* wins; another primary key or salt cannot decrypt: a 500.
    const others: Record<string, string>[] = [
      { ENCRYPTION_PRIMARY_KEY: "another-primary-key-000" },
      { LAGO_ENCRYPTION_KEY_DERIVATION_SALT: "another-salt-0000000000" },
    ];
    for (const [i, other] of others.entries()) {
      const rotated = await startApi(`api-crypt-${i}`, "v1.49.0", backendEnv(other));
      expect((await graphql(rotated.addr, list)).status).toBe(500);
    }
  });

  it("api: the RSA key is base64 of a PEM, or /app/config/keys/private.pem; anything else stops the process", async () => {
    const pem = Buffer.from(secrets.LAGO_RSA_PRIVATE_KEY, "base64").toString();
    const boot = (env: Record<string, string>) =>
      docker.runOnce(stack.local["api:v1.49.0"], { env: backendEnv(env), args: ["./scripts/start.api.sh"] });
    for (
      const [why, value, message] of [
        ["a raw PEM", pem, "Neither PUB key nor PRIV key"],
        ["a value cut short", secrets.LAGO_RSA_PRIVATE_KEY.slice(0, 64), "Neither PUB key nor PRIV key"],
        ["nothing", "", "Private key is blank"],
      ]
    ) {
      const r = await boot({ LAGO_RSA_PRIVATE_KEY: value });
      expect(r.exitCode, why).toBe(1);
      expect(r.stderr, why).toContain(message);
    }
    // Base64.decode64 skips line breaks: a wrapped value is the same key.
    const wrapped = await startApi(
      "api-wrapped",
      "v1.49.0",
      backendEnv({ LAGO_RSA_PRIVATE_KEY: secrets.LAGO_RSA_PRIVATE_KEY.replace(/(.{64})/g, "$1\n") }),
    );
    const publicKey = async (addr: string) =>
      (await get(addr, "/api/v1/webhooks/public_key", WITH_KEY)).body.text;
    const fromEnv = await publicKey(wrapped.addr);
    expect(Buffer.from(fromEnv, "base64").toString()).toContain("BEGIN PUBLIC KEY");
    // The key file (upstream's deploy/ keeps one in a volume) wins over the variable.
    const other = Buffer.from(lagoSecrets().LAGO_RSA_PRIVATE_KEY, "base64").toString();
    const withFile = await startApi("api-keyfile", "v1.49.0", backendEnv({ LAGO_RSA_PRIVATE_KEY: "" }), {
      files: { "/app/config/keys/private.pem": other },
    });
    const fromFile = await publicKey(withFile.addr);
    expect(fromFile).not.toBe(fromEnv);
    expect(Buffer.from(fromFile, "base64").toString()).toContain("BEGIN PUBLIC KEY");
  });

  it("api: /cable takes its Redis from the URL alone (REDIS_PASSWORD is not read there)", async () => {
    const cable = async (name: string, env: Record<string, string>) => {
      const { name: c } = await startApi(name, "v1.49.0", backendEnv(env));
      return await docker.exec(c, ["python3", "-c", CABLE_CLIENT, "ws://localhost:3000/cable"]);
    };
    const withUrl = await cable("cable-url", {});
    expect(withUrl.exitCode, withUrl.stdout + withUrl.stderr).toBe(0);
    expect(withUrl.stdout).toContain('"type": "welcome"');
    const passwordOnly = await cable("cable-password", { REDIS_URL: "redis://redis:6379" });
    expect(passwordOnly.exitCode).toBe(1);
    expect(passwordOnly.stdout).toContain("closed 1011");
  });

  it("api: a worker's PDF is served through the file link's redirect, to the Host the client used", async () => {
    const api = await startApi("api-files", "v1.49.0", backendEnv(), { volumes: ["/app/storage"] });
    const plain = await startApi("api-files-plain", "v1.49.0", backendEnv({ LAGO_DISABLE_SSL: "true" }), {
      volumesFrom: api.name,
    });
    const worker = await docker.run("worker-files", stack.local["api:v1.49.0"], {
      env: backendEnv(),
      args: ["./scripts/start.worker.sh"],
      volumesFrom: api.name,
    });
    await post(api.addr, "/api/v1/customers", { customer: { external_id: "c-pdf" } }, WITH_KEY);
    const fees = [{ units: 1, unit_amount_cents: 990 }];
    const created = await post(api.addr, "/api/v1/invoices", {
      invoice: { external_customer_id: "c-pdf", currency: "EUR", fees },
    }, WITH_KEY);
    const id = created.body.invoice.lago_id;
    const fileUrl: string = await waitFor(
      "file_url",
      async () =>
        (await post(api.addr, `/api/v1/invoices/${id}/download`, {}, WITH_KEY)).body.invoice?.file_url,
      60_000,
    );
    // File.join(LAGO_API_URL, rails_blob_path): under the api's root.
    expect(fileUrl.startsWith(`${FRONT_URL}/rails/active_storage/blobs/redirect/`), fileUrl).toBe(true);
    const path = new URL(fileUrl).pathname;
    const redirect = async (addr: string, headers: Record<string, string>) =>
      (await call(addr, path, { headers, redirect: "manual" })).headers.get("location") ?? "";
    // Host (or X-Forwarded-Host), port included; https (assume_ssl) unless LAGO_DISABLE_SSL.
    const viaPort = await redirect(api.addr, { "X-Forwarded-Host": "billing.example.test:8443" });
    expect(viaPort).toMatch(/^https:\/\/billing\.example\.test:8443\/rails\/active_storage\/disk\//);
    const plainHttp = await redirect(plain.addr, { "X-Forwarded-Host": "billing.example.test" });
    expect(plainHttp).toMatch(/^http:\/\/billing\.example\.test\/rails\/active_storage\/disk\//);
    const file = await docker.exec(api.name, [
      "sh",
      "-c",
      `curl -sf http://localhost:3000${new URL(viaPort).pathname} | sha256sum`,
    ]);
    const blob = await psql(
      `select key from ${SCHEMA}.active_storage_blobs order by created_at desc limit 1`,
    );
    const written = await docker.exec(worker, [
      "sha256sum",
      `/app/storage/${blob.slice(0, 2)}/${blob.slice(2, 4)}/${blob}`,
    ]);
    expect(file.stdout.split(" ")[0]).toBe(written.stdout.split(" ")[0]);
  });

  it("api: CORS only for LAGO_FRONT_URL's origin", async () => {
    const { addr } = await startApi("api-cors", "v1.49.0");
    const ok = await get(addr, "/ready", { Origin: FRONT_URL });
    expect(ok.headers.get("access-control-allow-origin")).toBe(FRONT_URL);
    const other = await get(addr, "/ready", { Origin: "https://elsewhere.example.test" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("api: /debug/env shows secrets only as their sha256; /metrics answers; /sidekiq only with LAGO_SIDEKIQ_WEB", async () => {
    const { addr } = await startApi("api-env", "v1.49.0");
    const r = await get(addr, "/debug/env");
    const text = JSON.stringify(r.body);
    for (const [name, value] of Object.entries(secrets)) {
      expect(text).not.toContain(value);
      expect((r.body.secrets as Record<string, string>)[name])
        .toBe(createHash("sha256").update(value).digest("hex"));
    }
    expect(text).not.toContain(DB.POSTGRES_PASSWORD);
    expect((r.body.env as Record<string, string>).LAGO_FRONT_URL).toBe(FRONT_URL);
    expect((await get(addr, "/metrics")).status).toBe(200);
    expect((await get(addr, "/sidekiq")).status).toBe(404);
    const web = await startApi("api-sidekiq", "v1.49.0", backendEnv({ LAGO_SIDEKIQ_WEB: "true" }));
    expect((await get(web.addr, "/sidekiq")).status).toBe(200);
  });

  it("api: GCS reads its key file at LAGO_GCS_KEYFILE_JSON_PATH (default /app/gcs_keyfile.json)", async () => {
    const gcs = { LAGO_USE_GCS: "true", LAGO_GCS_PROJECT: "p", LAGO_GCS_BUCKET: "b" };
    const atDefault = await startApi("api-gcs", "v1.49.0", backendEnv(gcs), {
      files: { "/secrets/gcs.json": "{}" },
    });
    expect((await get(atDefault.addr, "/debug/env")).body.storage).toEqual({
      service: "google",
      keyfile: "/app/gcs_keyfile.json",
      keyfile_readable: false,
    });
    const atPath = await startApi(
      "api-gcs-path",
      "v1.49.0",
      backendEnv({ ...gcs, LAGO_GCS_KEYFILE_JSON_PATH: "/secrets/gcs.json" }),
      { files: { "/secrets/gcs.json": "{}" } },
    );
    expect((await get(atPath.addr, "/debug/env")).body.storage).toMatchObject({ keyfile_readable: true });
  });

  it("upgrade: v1.50.0's migrate adds its column; v1.50.1-broken is never healthy", async () => {
    expect((await migrate("v1.50.0")).exitCode).toBe(0);
    expect(await psql(`select count(*) from ${SCHEMA}.schema_migrations`)).toBe("22");
    expect(
      await psql(
        `select count(*) from information_schema.columns where table_schema = '${SCHEMA}' and table_name = 'invoices' and column_name = 'purchase_order_number'`,
      ),
    ).toBe("1");
    const { addr } = await startApi("api-150", "v1.50.0");
    expect((await get(addr, "/health")).status).toBe(200);

    const broken = await startApi("api-broken", "v1.50.1-broken");
    const r = await get(broken.addr, "/health");
    expect(r.status).toBe(500);
    expect(r.body.version).toBe("v1.50.1-broken");
  });

  it("worker answers liveness on :8080 while Redis pings; the clock keeps a clock:<host> key; scripts per release", async () => {
    const image = stack.local["api:v1.49.0"];
    const [worker] = await Promise.all([
      docker.run("worker", image, { env: backendEnv(), args: ["./scripts/start.worker.sh"] }),
      docker.run("events", image, { env: backendEnv(), args: ["./scripts/start.events.worker.sh"] }),
      docker.run("clock", image, { env: backendEnv(), args: ["./scripts/start.clock.sh"] }),
    ]);
    // Upstream compose's worker healthcheck.
    await waitFor(
      "worker liveness",
      async () => (await docker.exec(worker, ["curl", "-fsS", "http://localhost:8080"])).stdout === "Live!\n",
    );
    const keys = await waitFor("heartbeats", async () => {
      const r = await docker.exec(redis, ["redis-cli", "-a", REDIS_PASSWORD, "--no-auth-warning", "--scan"]);
      const found = r.stdout.split("\n").filter((k) => /^(worker|clock):/.test(k)).sort();
      return found.includes("clock:clock") && found.includes("worker:events:events") ? found : null;
    });
    expect(keys).toEqual(
      expect.arrayContaining(["clock:clock", "worker:default:worker", "worker:events:events"]),
    );

    const noRedis = await docker.runOnce(image, {
      env: backendEnv({ REDIS_PASSWORD: "wrong" }),
      args: [
        "sh",
        "-c",
        "./scripts/start.worker.sh & for i in $(seq 60); do c=$(curl -s -o /dev/null -w '%{http_code}' " +
        "localhost:8080); [ $c != 000 ] && break; sleep 0.5; done; printf $c",
      ],
    });
    expect(noRedis.stdout).toBe("404");
    // v1.50 has eight dedicated worker scripts (and start.dedicated.worker.sh); alerts and wallets come later.
    const scripts = await docker.runOnce(stack.local["api:v1.50.0"], { args: ["sh", "-c", "ls scripts"] });
    expect(scripts.stdout.split("\n").filter((f) => /^start\.\w+\.worker\.sh$/.test(f)).sort()).toEqual(
      ["ai_agent", "analytics", "billing", "clock", "dedicated", "events", "payments", "pdfs", "webhook"]
        .map((q) => `start.${q}.worker.sh`),
    );
  });

  it("front writes env-config.js from its environment (lago-front's .env.sh) and serves the app on :80", async () => {
    const front = await docker.run("front", stack.local["front:v1.49.0"], {
      env: {
        API_URL: FRONT_URL,
        APP_ENV: "production",
        LAGO_DISABLE_SIGNUP: "true",
        LAGO_OAUTH_PROXY_URL: "https://proxy.getlago.com",
      },
      publish: [80],
    });
    const addr = await docker.addr(front, 80);
    const js = await waitFor(
      "env-config.js",
      async () => (await get(addr, "/env-config.js")).body.text as string,
    );
    expect(js).toContain(`window.API_URL = "${FRONT_URL}"`);
    expect(js).toContain('window.LAGO_DISABLE_SIGNUP = "true"');
    expect(js).toContain('window.LAGO_OAUTH_PROXY_URL = "https://proxy.getlago.com"');
    expect((await get(addr, "/customers/42")).body.text).toContain("v1.49.0"); // SPA fallback to index.html
  });

  it("gotenberg takes upstream's production flags (an unknown flag stops it) and nginx serves its default page", async () => {
    const [pdf, nginx] = await Promise.all([
      docker.run("pdf-flags", stack.local.gotenberg, {
        args: [
          "gotenberg",
          "--api-timeout=300s",
          "--chromium-disable-javascript=true",
          "--libreoffice-disable-routes=true",
        ],
        publish: [3000],
      }),
      docker.run("nginx", stack.local.nginx, { publish: [80] }),
    ]);
    const [pdfAddr, nginxAddr] = await Promise.all([docker.addr(pdf, 3000), docker.addr(nginx, 80)]);
    await waitFor("gotenberg /health", async () => (await get(pdfAddr, "/health")).status === 200);
    expect((await post(pdfAddr, "/forms/libreoffice/convert", {})).status).toBe(404);
    expect((await post(pdfAddr, "/forms/chromium/convert/html", {})).status).toBe(200);
    const unknown = await docker.runOnce(stack.local.gotenberg, { args: ["gotenberg", "--no-such-flag=1"] });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain("unknown flag");
    await waitFor("nginx /", async () => (await get(nginxAddr, "/")).status === 200);
  });

  it("a testbed host reaches the registry at the pull address", async () => {
    // As many hosts as are up already (at least one): `up` removes hosts above its count, and other test
    // files expect theirs to stay.
    const tb = await useTestbed(Math.max(1, (await testbedStatus()).length));
    const r = await execIn(tb.hosts[0].name, `curl -fsS http://${stack.registry.pullAddr}/v2/_catalog`);
    expect(JSON.parse(r.stdout).repositories).toEqual(
      expect.arrayContaining(["getlago/api", "getlago/front", "getlago/postgres-partman", "redis"]),
    );
  });
});
