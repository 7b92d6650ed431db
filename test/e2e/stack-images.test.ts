/**
 * Smoke test of the stack images on the controller's docker (not a testbed host): the real PostgreSQL and
 * Redis, the api stand-in's contract (health gated on migrations, Redis and secrets; CORS; versions), the
 * front's env-config.js, and that a testbed host reaches the registry at the pull address.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn, status as testbedStatus, useTestbed } from "./testbed.ts";
import { ensureStack, lagoSecrets, LocalDocker, type Stack, waitFor } from "./stack.ts";
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

let stack: Stack;
let db: string;
let redis: string;

/** The backend env a provisioner would write: everything the api stand-in checks. */
const backendEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL: `postgresql://lago:${DB.POSTGRES_PASSWORD}@db:5432/lago?search_path=${SCHEMA}&sslmode=prefer`,
  REDIS_URL: "redis://redis:6379",
  REDIS_PASSWORD,
  ...secrets,
  LAGO_API_URL: "https://billing.example.test/api",
  LAGO_FRONT_URL: FRONT_URL,
  RAILS_ENV: "production",
  ...extra,
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function get(addr: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(`http://${addr}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  return { status: r.status, body: text.startsWith("{") ? JSON.parse(text) : { text }, headers: r.headers };
}

/** Starts an api container and waits until it serves /ready; returns its 127.0.0.1 address. */
async function startApi(name: string, version: string, env = backendEnv()): Promise<string> {
  const c = await docker.run(name, stack.local[`api:${version}`], {
    env,
    args: ["./scripts/start.api.sh"],
    publish: [3000],
  });
  const addr = await docker.addr(c, 3000);
  await waitFor(`${name} /ready`, async () => (await get(addr, "/ready")).status === 200);
  return addr;
}

const migrate = (version: string) =>
  docker.runOnce(stack.local[`api:${version}`], { env: backendEnv(), args: ["./scripts/migrate.sh"] });

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
      gotenberg: `${pull}/getlago/lago-gotenberg:8`,
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

  it("api: /health is 500 until migrate.sh ran (idempotent, in the search_path schema), then 200", async () => {
    const api = await startApi("api", "v1.49.0");
    const before = await get(api, "/health");
    expect(before.status).toBe(500);
    expect(before.body).toMatchObject({ version: "v1.49.0", status: "Unhealthy", message: "Unhealthy" });
    expect(before.body.reason).toContain("schema_migrations");

    for (let i = 0; i < 2; i++) {
      const r = await migrate("v1.49.0");
      expect(r.stderr).toContain("migrate done");
      expect(r.exitCode).toBe(0);
    }
    expect(await psql(`select count(*) from ${SCHEMA}.schema_migrations`)).toBe("3");
    expect(await psql(`select count(*) from ${SCHEMA}.lago_standin_migrate_runs`)).toBe("2");

    const after = await get(api, "/health");
    expect(after.body).toMatchObject({ version: "v1.49.0", message: "Success" });
    expect(after.status).toBe(200);
  });

  it("api: CORS only for LAGO_FRONT_URL's origin", async () => {
    const api = await startApi("api-cors", "v1.49.0");
    const ok = await get(api, "/ready", { Origin: FRONT_URL });
    expect(ok.headers.get("access-control-allow-origin")).toBe(FRONT_URL);
    const other = await get(api, "/ready", { Origin: "https://elsewhere.example.test" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("api: /debug/env shows secrets only as their sha256", async () => {
    const api = await startApi("api-env", "v1.49.0");
    const r = await get(api, "/debug/env");
    const text = JSON.stringify(r.body);
    for (const [name, value] of Object.entries(secrets)) {
      expect(text).not.toContain(value);
      expect((r.body.secrets as Record<string, string>)[name])
        .toBe(createHash("sha256").update(value).digest("hex"));
    }
    expect(text).not.toContain(DB.POSTGRES_PASSWORD);
    expect((r.body.env as Record<string, string>).LAGO_FRONT_URL).toBe(FRONT_URL);
  });

  it("api: a malformed RSA key (raw PEM, or a wrapped value cut at its first line) gives 500", async () => {
    const pem = Buffer.from(secrets.LAGO_RSA_PRIVATE_KEY, "base64").toString();
    const [raw, cut] = await Promise.all([
      startApi("api-rawpem", "v1.49.0", backendEnv({ LAGO_RSA_PRIVATE_KEY: pem })),
      startApi(
        "api-cutkey",
        "v1.49.0",
        backendEnv({ LAGO_RSA_PRIVATE_KEY: secrets.LAGO_RSA_PRIVATE_KEY.slice(0, 64) }),
      ),
    ]);
    for (const api of [raw, cut]) {
      const r = await get(api, "/health");
      expect(r.status).toBe(500);
      expect(r.body.reason).toContain("LAGO_RSA_PRIVATE_KEY");
      expect(r.body.reason).not.toContain("database"); // migrated: the key is the only problem
    }
  });

  it("upgrade: v1.50.0 is unhealthy until its migration ran; v1.50.1-broken never is", async () => {
    const api = await startApi("api-150", "v1.50.0");
    expect((await get(api, "/health")).body.reason).toContain("pending migrations 20250801000001");
    expect((await migrate("v1.50.0")).exitCode).toBe(0);
    expect(await psql(`select to_regclass('${SCHEMA}.wallets') is not null`)).toBe("t");
    expect((await get(api, "/health")).status).toBe(200);

    const broken = await startApi("api-broken", "v1.50.1-broken");
    expect((await migrate("v1.50.1-broken")).exitCode).toBe(0);
    const r = await get(broken, "/health");
    expect(r.status).toBe(500);
    expect(r.body.version).toBe("v1.50.1-broken");
  });

  it("worker answers liveness on :8080 while Redis pings; the clock keeps a clock:<host> key", async () => {
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
      const found = r.stdout.split("\n").filter(Boolean).sort();
      return found.length === 3 ? found : null;
    });
    expect(keys).toEqual(["clock:clock", "worker:default:worker", "worker:events:events"]);

    const noRedis = await docker.runOnce(image, {
      env: backendEnv({ REDIS_PASSWORD: "wrong" }),
      args: [
        "sh",
        "-c",
        "./scripts/start.worker.sh & sleep 1.5; curl -s -o /dev/null -w '%{http_code}' localhost:8080",
      ],
    });
    expect(noRedis.stdout).toBe("404");
  });

  it("front writes env-config.js from its environment and serves the app on :80", async () => {
    const front = await docker.run("front", stack.local["front:v1.49.0"], {
      env: {
        API_URL: "https://billing.example.test/api",
        APP_ENV: "production",
        LAGO_DISABLE_SIGNUP: "true",
      },
      publish: [80],
    });
    const addr = await docker.addr(front, 80);
    const js = await waitFor(
      "env-config.js",
      async () => (await get(addr, "/env-config.js")).body.text as string,
    );
    expect(js).toContain('window.API_URL = "https://billing.example.test/api"');
    expect(js).toContain('window.LAGO_DISABLE_SIGNUP = "true"');
    expect((await get(addr, "/customers/42")).body.text).toContain("v1.49.0"); // SPA fallback to index.html
  });

  it("gotenberg answers /health and nginx serves its default page", async () => {
    const [pdf, nginx] = await Promise.all([
      docker.run("pdf", stack.local.gotenberg, { publish: [3000] }),
      docker.run("nginx", stack.local.nginx, { publish: [80] }),
    ]);
    const [pdfAddr, nginxAddr] = await Promise.all([docker.addr(pdf, 3000), docker.addr(nginx, 80)]);
    await waitFor("gotenberg /health", async () => (await get(pdfAddr, "/health")).status === 200);
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
