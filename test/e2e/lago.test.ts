/**
 * playbooks/site.yml end to end: two bare testbed hosts (Debian 12: compose v1, Debian 13: compose v2)
 * to a healthy Lago behind nginx with a self-signed certificate, images from the local registry. Then:
 * re-runs change nothing and keep the secrets (identical on both hosts); a variable only the front reads
 * is predicted by --check --diff and recreates the front alone, a backend one the backend alone; and
 * external database mode, with PostgreSQL on the third host and Lago's tables in schema lago_app.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { $ } from "zx";
import { type CliResult, failuresOf, recapOf, resultsOf, runCli } from "./cli.ts";
import { connectionVars } from "../../scripts/lib/testbed-inventory.ts";
import { prepareTestbedHost, testbedLagoVars } from "../../scripts/lib/testbed-lago.ts";
import { ensureStack, type Stack } from "./stack.ts";
import { curlIn, execIn, type Testbed, type TestbedHost, useTestbed } from "./testbed.ts";

let tb: Testbed;
let stack: Stack;
/** Hosts 1 (bookworm) and 2 (trixie) run Lago; host 3 (bookworm) is the external PostgreSQL server. */
let lago: TestbedHost[];
let dbHost: TestbedHost;
let dir: string;
let inventory: string;

const PASSPHRASE = "e2e lago passphrase, long enough";
const EXT_PASSWORD = "ext-Pa55:w@rd/%?&x"; // characters a URL must encode
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

/** curl inside the host, its name resolved to 127.0.0.1 (nginx with the demo's self-signed certificate). */
const curlLago = (h: TestbedHost, url: string) => curlIn(h.name, h.name, url);

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
  const host = (h: TestbedHost) => connectionVars(h, tb.keyPath);
  writeFileSync(
    inventory,
    stringify({
      all: {
        vars: testbedLagoVars(tb.knownHostsPath, stack.registry.pullAddr),
        children: {
          lago: { hosts: Object.fromEntries(lago.map((h) => [h.name, host(h)])) },
          extdb: { hosts: { [dbHost.name]: host(dbHost) } },
        },
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
      const health = await curlLago(h, `https://${h.name}/api/health`);
      expect(health.status, health.body).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ message: "Success", version: "v1.50.0" });
      const env = await curlLago(h, `https://${h.name}/env-config.js`);
      expect(env.body).toContain(`window.API_URL = "https://${h.name}/api"`);
      // The api allows CORS from the front's origin (LAGO_FRONT_URL), through nginx.
      const cors = await execIn(h.name, [
        "curl",
        ...["-sk", "-o", "/dev/null", "-D", "-", "-H", `Origin: https://${h.name}`],
        ...["--resolve", `${h.name}:443:127.0.0.1`, `https://${h.name}/api/health`],
      ]);
      expect(cors.stdout.toLowerCase()).toContain(`access-control-allow-origin: https://${h.name}`);
    }
    firstIds = Object.fromEntries(await Promise.all(lago.map(async (h) => [h.name, await containerIds(h)])));
    expect(Object.keys(firstIds[lago[0].name]).sort()).toEqual(
      ["api", "api-clock", "api-worker", "db", "front", "migrate", "pdf", "redis"],
    );
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
      const runs = await execIn(h.name, [
        "sh",
        "-c",
        "docker exec $(docker ps -q --filter label=com.docker.compose.service=db) " +
        "psql -U lago -d lago -tAc 'select count(*) from lago_standin_migrate_runs'",
      ]);
      expect(runs.stdout.trim()).toBe("1");
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
      const env = await curlLago(h, `https://${h.name}/env-config.js`);
      expect(env.body).toContain('window.SENTRY_DSN = "https://key@sentry.example.com/7"');
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

describe("external PostgreSQL", () => {
  it("the stack talks to a PostgreSQL outside the project, its tables in schema lago_app", async () => {
    await timed(
      "PostgreSQL on the third host",
      "test/e2e/fixtures/lago-extdb.yml",
      "-l",
      "extdb",
      "-e",
      `extdb_password=${EXT_PASSWORD}`,
    );
    const address = (await $`docker inspect -f ${"{{.NetworkSettings.IPAddress}}"} ${dbHost.name}`.quiet())
      .stdout.trim();
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
    const health = await curlLago(h, `https://${h.name}/api/health`);
    expect(health.status, health.body).toBe(200);
    expect((await apiEnv(h)).env.DATABASE_URL).toContain(`@${address}:5432/billing?search_path=lago_app`);

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
