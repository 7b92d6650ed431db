/**
 * `adopt` of an install made with getlago/lago's docker-compose.yml as it was before 97d1f0b (January
 * 2026): its db is `postgres:14-alpine` (the stack's real PostgreSQL 14, test/images/postgres/Dockerfile.14),
 * its volume holds a PostgreSQL 14 data directory, which the role's 15 image never starts on. adopt moves it
 * by dump and restore (docs/adopt.md, "PostgreSQL 14 data"):
 *
 * - --check shows the move step by step and changes nothing (the data is still 14, no kept volume);
 * - a move that fails (a db image that is no PostgreSQL) stops before the deploy with the way back, a re-run
 *   says so and changes nothing, and the way back, run as printed, brings upstream's install back on 14;
 * - adopt counts and dumps under 14, keeps the 14 data in `lago_lago_postgres_data-pg14`, restores under
 *   15: afterwards the volume's PG_VERSION is 15, every table has the rows it had (a table of 5,000 rows
 *   among them), the Stripe secret encrypted with the placeholder keys still decrypts, the api is healthy;
 * - a re-run changes nothing, nor does apply.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { prepareTestbedHost, testbedAllVars } from "../../scripts/lib/testbed-lago.ts";
import { COUNT_SQL } from "../../src/fleet/pg-move.ts";
import { failuresOf, repoRoot, resultsOf, runCli } from "./cli.ts";
import { ensureStack, lagoSecrets, type Stack, waitFor } from "./stack.ts";
import { execIn, type Testbed, useTestbed } from "./testbed.ts";
import { upstreamCompose } from "./upstream-compose.ts";

const PASSPHRASE = "adopt pg14 e2e passphrase, long enough";
const DIR = "/root/lago";
const VOLUME = "lago_lago_postgres_data";
const KEPT = `${VOLUME}-pg14`;
const USER = { email: "owner@pg14.test", password: "pg14-Password-1", organizationName: "Old PG" };
const STRIPE_KEY = "sk_live_pg14_e2e_key_x9z";
const rsaKey = lagoSecrets().LAGO_RSA_PRIVATE_KEY;
/** What the install runs with, as adopt asks the inventory to say. */
const VARS = { lago_project: "lago", lago_version: "v1.50.0", lago_allow_insecure_defaults: true };

let tb: Testbed;
let stack: Stack;
let host: string;
let work: string;
let inventory: string;

const cli = (args: string[]) => runCli(args, { env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE } });
const sh = async (script: string) => (await execIn(host, ["sh", "-c", script])).stdout.trim();

const service = (name: string) =>
  sh(
    `docker ps -q --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.service=${name} | head -1`,
  );

async function api(path: string, body?: object, headers: Record<string, string> = {}) {
  const args = [
    "docker",
    "exec",
    await service("api"),
    "curl",
    "-s",
    "--max-time",
    "10",
    "-w",
    "\n%{http_code}",
  ];
  if (body) args.push("-H", "Content-Type: application/json", "--data-binary", JSON.stringify(body));
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const r = await execIn(host, [...args, `http://127.0.0.1:3000${path}`], { allowFailure: true });
  const lines = r.stdout.split("\n");
  const status = Number(lines.pop());
  const text = lines.join("\n");
  return { status, body: text.startsWith("{") ? JSON.parse(text) : { text } };
}

async function authHeaders(): Promise<Record<string, string>> {
  const r = await api("/graphql", {
    query:
      "mutation l($input: LoginUserInput!) { loginUser(input: $input) { token user { organizations { id } } } }",
    variables: { input: { email: USER.email, password: USER.password } },
  });
  const { token, user } = r.body.data.loginUser;
  return { Authorization: `Bearer ${token}`, "x-lago-organization": user.organizations[0].id };
}

/** The Stripe provider's secret key as the api shows it: the api decrypts the row for it. */
async function providerKey(): Promise<{ status: number; secretKey?: string }> {
  const r = await api("/graphql", {
    query: "query { paymentProviders { collection { ... on StripeProvider { code secretKey } } } }",
  }, await authHeaders());
  return { status: r.status, secretKey: r.body.data?.paymentProviders?.collection?.[0]?.secretKey };
}

/** Every table's exact row count in the running db (the query adopt itself uses), `schema.table N` lines. */
async function tableCounts(): Promise<string> {
  const r = await execIn(
    host,
    [
      "docker",
      "exec",
      "-i",
      await service("db"),
      "psql",
      "-X",
      "-q",
      "-At",
      "-F",
      " ",
      "-U",
      "lago",
      "-d",
      "lago",
    ],
    { input: COUNT_SQL },
  );
  return r.stdout.trim();
}

/** The stand-in's migrate adds a row per run (test/images/api/standin/db.py): the role's deploy runs it once. */
const RUNS = /^public\.lago_standin_migrate_runs (\d+)$/m;
const withoutRuns = (counts: string) => counts.replace(RUNS, "");
const runs = (counts: string) => Number(RUNS.exec(counts)?.[1]);

/** PG_VERSION at the root of a volume, read on the host (no PostgreSQL started for it). */
const pgVersion = (volume: string) =>
  sh(`cat "$(docker volume inspect -f '{{.Mountpoint}}' ${volume})/PG_VERSION"`);
const containers = () => sh("docker ps -a --format '{{.Names}} {{.ID}} {{.State}} {{.Image}}' | sort");
const volumes = () => sh("docker volume ls -q | sort");

function writeInventory(vars: Record<string, unknown> = {}): void {
  writeFileSync(
    inventory,
    stringify({
      all: {
        hosts: { [host]: { ansible_port: tb.hosts[0].port } },
        vars: { ...testbedAllVars(tb, stack.registry.pullAddr), ...vars },
      },
    }),
  );
}

beforeAll(async () => {
  [tb, stack] = await Promise.all([useTestbed(1, { fresh: true }), ensureStack()]);
  host = tb.hosts[0].name;
  await prepareTestbedHost(host);
  work = join(repoRoot, ".cache", `${host}-adopt-pg14`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  inventory = join(work, "inventory.yml");
  writeInventory(VARS);
  const docker = await cli(["apply", inventory, "-p", "test/e2e/fixtures/docker.yml", "--json"]);
  expect(docker.code, failuresOf(docker)).toBe(0);
  const env = `LAGO_RSA_PRIVATE_KEY="${rsaKey}"\nPOSTGRES_PASSWORD=changeme\n`;
  await execIn(host, ["sh", "-c", `mkdir -p ${DIR} && cat > ${DIR}/docker-compose.yml`], {
    input: upstreamCompose(stack.registry.pullAddr, "postgres:14-alpine"), // as before 97d1f0b
  });
  await execIn(host, ["sh", "-c", `umask 077 && cat > ${DIR}/.env`], { input: env });
  await sh(`cd ${DIR} && lago-compose up -d 2>&1`);
  await waitFor(
    "upstream's api on PostgreSQL 14",
    async () => (await api("/health")).status === 200,
    180_000,
  );
  const reg = await api("/graphql", {
    query: "mutation r($input: RegisterUserInput!) { registerUser(input: $input) { token } }",
    variables: { input: USER },
  });
  expect(reg.body.data.registerUser.token).toMatch(/^ey/);
  const add = await api("/graphql", {
    query:
      "mutation a($input: AddStripePaymentProviderInput!) { addStripePaymentProvider(input: $input) { secretKey } }",
    variables: { input: { code: "stripe", name: "Stripe", secretKey: STRIPE_KEY } },
  }, await authHeaders());
  expect(add.body.data.addStripePaymentProvider.secretKey).toBe("••••••••…x9z");
  // Enough rows that a count taken from estimates, or a restore cut short, would show.
  await sh(
    `docker exec ${await service("db")} psql -U lago -d lago -qc ` +
      `"create table billing_history as select g as id, md5(g::text) as note from generate_series(1, 5000) g"`,
  );
}, 1_800_000);

afterAll(() => {
  if (!process.env.LAGO_ADOPT_KEEP) rmSync(work, { recursive: true, force: true });
});

let countsBefore: string;
let countsAfter: string;

describe("adopting an install whose database is PostgreSQL 14", () => {
  it("the install really runs PostgreSQL 14; --check shows the move and changes nothing", async () => {
    expect(await pgVersion(VOLUME)).toBe("14");
    expect(await sh(`docker exec ${await service("db")} psql -U lago -d lago -Atc 'show server_version_num'`))
      .toMatch(/^14\d{4}$/);
    countsBefore = await tableCounts();
    expect(countsBefore).toContain("public.billing_history 5000");
    expect(countsBefore).toMatch(/^public\.payment_providers 1$/m);
    expect(runs(countsBefore)).toBeGreaterThan(0);
    const [before, vols] = [await containers(), await volumes()];

    const check = await cli(["adopt", inventory, "--host", host, "--from", DIR, "--check"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    for (
      const line of [
        `~ database: PostgreSQL 14 data in ${VOLUME}, the role runs 15 (${stack.registry.pullAddr}/getlago/postgres-partman:15.0-alpine): moved by dump and restore, never started under 15:`,
        "in lago-db (14): the rows of every table counted, pg_dump -Fc to /var/backups/lago/ (0600)",
        `+ volume ${KEPT}: a copy of the PostgreSQL 14 data, compared with the original, kept (the way back)`,
        "the rows counted again: any difference stops there, nothing deployed",
      ]
    ) expect(check.stdout).toContain(line);
    expect(check.stdout + check.stderr).not.toContain("changeme");

    expect(await containers()).toBe(before);
    expect(await volumes()).toBe(vols);
    expect(await pgVersion(VOLUME)).toBe("14");
    expect(await sh("ls /var/backups/lago 2>/dev/null | wc -l")).toBe("0");
  });

  it("a failed move stops before the deploy with the way back; a re-run says it; the way back works", async () => {
    // A db image that is no PostgreSQL: the 14 data is copied and kept, no server starts on the volume.
    writeInventory({ ...VARS, lago_db_image: `${stack.registry.pullAddr}/getlago/api:v1.50.0` });
    const failed = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stderr).toContain("moving the data to PostgreSQL 15 failed, nothing was deployed");
    expect(failed.stderr).toContain(`PostgreSQL 15 did not start on ${VOLUME}`);
    expect(failed.stderr).not.toMatch(/\n\s+at |internal error|changeme/);
    const back = /put the kept data back: (docker run --rm -v \S+:\/from:ro .*?'[^']*')/.exec(failed.stderr);
    expect(back, failed.stderr).not.toBeNull();
    expect(failed.stderr).toContain(`cd ${DIR} && docker compose up -d`);
    expect(await pgVersion(KEPT)).toBe("14");
    expect(await service("api")).toBe("");
    expect(await service("db")).toBe("");

    const [before, vols] = [await containers(), await volumes()];
    const again = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expect(again.code, again.stdout + again.stderr).toBe(1);
    expect(again.stderr).toContain(
      `a previous adopt stopped this install to move its PostgreSQL data and did not finish; ` +
        `the old data is kept in volume ${KEPT}; nothing was changed now`,
    );
    expect(again.stderr).toContain(`docker volume rm ${KEPT}`);
    expect(await containers()).toBe(before);
    expect(await volumes()).toBe(vols);

    // The way back as printed (upstream's `docker compose` is lago-compose on these hosts).
    await sh(back![1]);
    await sh(`cd ${DIR} && lago-compose up -d 2>&1`);
    await waitFor(
      "upstream's api on PostgreSQL 14 again",
      async () => (await api("/health")).status === 200,
      180_000,
    );
    expect(await pgVersion(VOLUME)).toBe("14");
    const counts = await tableCounts();
    expect(withoutRuns(counts)).toBe(withoutRuns(countsBefore));
    expect(runs(counts)).toBe(runs(countsBefore) + 1); // upstream's migrate ran again
    countsBefore = counts;
    expect(await providerKey()).toEqual({ status: 200, secretKey: "••••••••…x9z" });
    await sh(`docker volume rm ${KEPT}`);
    writeInventory(VARS);
  });

  it("adopt moves the data to 15 by dump and restore: same rows, the secret decrypts, the 14 data kept", async () => {
    const started = Date.now();
    const r = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(`adopt with the PostgreSQL 14 → 15 move: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(r.stdout).toMatch(
      /PostgreSQL 14: \d+ tables counted, \/var\/backups\/lago\/\S+-adopt-pg14-v1\.50\.0\.dump/,
    );
    expect(r.stdout).toMatch(new RegExp(`PostgreSQL 14 → 15: ${VOLUME} restored, rows equal in \\d+ tables`));
    expect(r.stdout).toContain("adopted:");
    expect(r.stdout + r.stderr).not.toContain("changeme");

    // The data directory changed version: 15 in the volume the role mounts, 14 in the kept copy.
    expect(await pgVersion(VOLUME)).toBe("15");
    expect(await pgVersion(KEPT)).toBe("14");
    expect(await sh(`docker volume inspect -f '{{index .Labels "lago-provision.pg-kept-from"}}' ${KEPT}`))
      .toBe(VOLUME);
    const db = await service("db");
    expect(await sh(`docker inspect -f '{{.Config.Image}}' ${db}`)).toMatch(/postgres-partman:15\.0-alpine$/);
    expect(await sh(`docker exec ${db} psql -U lago -d lago -Atc 'show server_version_num'`)).toMatch(
      /^15\d{4}$/,
    );
    expect(
      await sh(`docker inspect -f '{{index .Config.Labels "com.docker.compose.project.working_dir"}}' ${db}`),
    )
      .toBe("/opt/lago");
    // The rows came across, table by table; the role's migrate then ran once more.
    countsAfter = await tableCounts();
    expect(withoutRuns(countsAfter)).toBe(withoutRuns(countsBefore));
    expect(runs(countsAfter)).toBe(runs(countsBefore) + 1);
    expect(await sh("stat -c '%a' /var/backups/lago/*-adopt-pg14-v1.50.0.dump | sort -u")).toBe("600");

    expect((await api("/health")).status).toBe(200);
    expect(await providerKey()).toEqual({ status: 200, secretKey: "••••••••…x9z" });
  });

  it("a re-run changes nothing: adopt finds the role on 15 and the kept volume, apply has nothing to do", async () => {
    const [before, vols] = [await containers(), await volumes()];
    const again = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("= already run by lago-provision (from /opt/lago): nothing to take over");
    expect(again.stdout).toContain(
      `= volume ${KEPT}: the PostgreSQL data adopt moved out of ${VOLUME}, kept`,
    );
    expect(again.stdout).not.toMatch(/dump and restore|backup:/);
    const apply = await cli(["apply", inventory, "--json"]);
    expect(apply.code, failuresOf(apply)).toBe(0);
    expect(resultsOf(apply, host).filter((e) => e.status === "changed").map((e) => e.task)).toEqual([]);
    expect(await containers()).toBe(before);
    expect(await volumes()).toBe(vols);
    expect(await tableCounts()).toBe(countsAfter);
    expect(await providerKey()).toEqual({ status: 200, secretKey: "••••••••…x9z" });
  });
});
