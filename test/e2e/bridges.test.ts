/**
 * Upgrading through Lago's bridge releases on three testbed hosts (2 web, 1 worker that also runs the
 * clock), PostgreSQL and Redis outside the fleet. Deployed at v1.29.0 with rows older releases left
 * unfilled (charges without organization_id and code, payments without organization and customer, an
 * active wallet with a negative balance, one without), then:
 *
 * - the stand-in api enforces the tasks as the real one does: without them, v1.32.0's and v1.43.0's
 *   migrations fail (one-shot migrate containers on the controller, on a schema of their own);
 * - bad input changes nothing: a tag that is not a release, a downgrade, a --via through a release
 *   that does not exist, a --via that leaves out a bridge; --check prints the path without the lock;
 * - `upgrade --to v1.50.0` passes v1.30.0 … v1.45.0, each bridge's task run once on the migrate host in
 *   order, the API answering throughout, and stops on v1.45.0 because a wallet cannot be made traceable:
 *   the fleet healthy there, the message saying what is pending;
 * - once the operator terminates that wallet (the guide's way), the same command resumes: v1.45.0's task
 *   again, then v1.50.0 and its task.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { $ } from "zx";
import { prepareTestbedHost, testbedAllVars } from "../../scripts/lib/testbed-lago.ts";
import { type CliResult, repoRoot, runCli } from "./cli.ts";
import { Sampler } from "./fleet-sampler.ts";
import {
  ensureStack,
  type ExternalServices,
  lagoSecrets,
  type Stack,
  startExternalServices,
} from "./stack.ts";
import { execIn, lagoVersionsOn, type Testbed, useTestbed } from "./testbed.ts";

const PASSPHRASE = "bridges e2e passphrase, long enough";
const DB_PASSWORD = "bridges-Db-Pass-1";
const REDIS_PASSWORD = "bridges-Redis-Pass-1";
const SCHEMA = "lago_bridges";
const LONG = 2_400_000;

let tb: Testbed;
let stack: Stack;
let inventory: string;
let web: string[];
let worker: string;
let all: string[];
let external: ExternalServices;
let dbContainer: string;

const cli = (args: string[]) => runCli(args, { env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE } });
const sampler = new Sampler(() => web, () => all);

const psql = async (query: string, schema = SCHEMA): Promise<string> =>
  (await $`docker exec -e ${`PGOPTIONS=-c search_path=${schema}`} ${dbContainer} psql -U lago -d lago -v ON_ERROR_STOP=1 -Atc ${query}`
    .quiet()).stdout.trim();

const fleetLines = (r: CliResult) => r.events.filter((e) => e.type === "fleet").map((e) => e.msg as string);
const reportOf = (r: CliResult) => r.events.find((e) => e.type === "upgrade_report") as Record<string, any>;

/** What each host's Lago containers run: host → sorted unique versions. */
const versions = () => lagoVersionsOn(all);
const everywhere = (v: string) => Object.fromEntries(all.map((h) => [h, [v]]));

/** Rows as releases before the bridges left them. */
const LEGACY_ROWS = `
  INSERT INTO organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Legacy');
  INSERT INTO customers (id, organization_id, external_id) VALUES
    ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-00000000000a', 'cus-1'),
    ('00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-00000000000a', 'cus-2');
  INSERT INTO billable_metrics (id, organization_id, code) VALUES
    ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000a', 'api_calls');
  INSERT INTO charges (billable_metric_id) VALUES
    ('00000000-0000-0000-0000-0000000000b1'), ('00000000-0000-0000-0000-0000000000b1');
  INSERT INTO add_ons (id, organization_id, code) VALUES
    ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'setup');
  INSERT INTO fixed_charges (organization_id, add_on_id) VALUES
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000a1');
  INSERT INTO invoices (id, organization_id, customer_id, currency) VALUES
    ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-00000000000a',
     '00000000-0000-0000-0000-0000000000c1', 'EUR');
  INSERT INTO payments (invoice_id, amount_cents) VALUES ('00000000-0000-0000-0000-0000000000e1', 100);
  INSERT INTO wallets (id, customer_id, balance_cents) VALUES
    ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', 500),
    ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000c2', -500);
`;

function writeInventory(): void {
  const hosts = Object.fromEntries(tb.hosts.map((h) => [h.name, { ansible_port: h.port }]));
  const group = (names: string[]) => ({ hosts: Object.fromEntries(names.map((n) => [n, hosts[n]])) });
  writeFileSync(
    inventory,
    stringify({
      all: {
        vars: {
          ...testbedAllVars(tb, stack.registry.pullAddr),
          lago_version: "v1.29.0",
          ...external.vars,
          lago_use_aws_s3: true,
          lago_aws_s3_access_key_id: "bridges-e2e-key-id",
          lago_aws_s3_secret_access_key: "bridges-e2e-secret-key",
          lago_aws_s3_bucket: "lago-bridges-e2e",
          lago_aws_s3_endpoint: `http://${external.gateway}:9`,
        },
        children: { lago_web: group(web), lago_worker: group([worker]), lago_clock: group([worker]) },
      },
    }),
  );
}

beforeAll(async () => {
  [tb, stack] = await Promise.all([useTestbed(3, { fresh: !process.env.LAGO_BRIDGES_REUSE }), ensureStack()]);
  all = tb.hosts.map((h) => h.name);
  await Promise.all(all.map(prepareTestbedHost));
  [web, worker] = [all.slice(0, 2), all[2]];
  const prefix = `${all[0].replace(/-1$/, "")}-bridges`;
  const dir = join(repoRoot, ".cache", prefix);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  inventory = join(dir, "fleet.yml");
  // PostgreSQL and Redis for the whole fleet.
  external = await startExternalServices(stack, prefix, {
    dbPassword: DB_PASSWORD,
    redisPassword: REDIS_PASSWORD,
    schema: SCHEMA,
  });
  dbContainer = external.db;
  writeInventory();
}, 900_000);

afterAll(async () => {
  await sampler.stop();
  await external?.remove(!!process.env.LAGO_BRIDGES_KEEP);
});

describe("the stand-in api enforces the bridge tasks as the real one does", () => {
  /** migrate.sh of `version` on the controller, against a schema of its own. */
  const migrate = async (version: string, schema: string) => {
    const r =
      await $`docker run --rm --network ${`container:${dbContainer}`} -e ${`DATABASE_URL=postgresql://lago:${DB_PASSWORD}@127.0.0.1:5432/lago`} -e ${`POSTGRES_SCHEMA=${schema}`} -e ${`LAGO_RSA_PRIVATE_KEY=${lagoSecrets().LAGO_RSA_PRIVATE_KEY}`} ${
        stack.local[`api:${version}`]
      } ./scripts/migrate.sh`.quiet().nothrow();
    return { code: r.exitCode, out: r.stdout + r.stderr };
  };

  it("v1.32.0's migrate fails while a charge has no organization_id (v1.30.0's task); v1.43.0's while one has no code (v1.42.0's)", async () => {
    const schema = "lago_bridges_unfilled";
    await psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`, "public");
    expect((await migrate("v1.29.0", schema)).code).toBe(0);
    await psql(LEGACY_ROWS, schema);
    for (const v of ["v1.30.0", "v1.31.0"]) expect((await migrate(v, schema)).code).toBe(0);
    const without = await migrate("v1.32.0", schema);
    expect(without.code).toBe(1);
    expect(without.out).toContain(
      'check constraint "charges_organization_id_null" of relation "charges" is violated',
    );
    // What v1.30.0's task fills, filled by hand: v1.32.0 then migrates, and v1.43.0 needs v1.42.0's.
    await psql("UPDATE charges SET organization_id = '00000000-0000-0000-0000-00000000000a'", schema);
    for (const v of ["v1.32.0", "v1.42.0"]) expect((await migrate(v, schema)).code).toBe(0);
    const noCode = await migrate("v1.43.0", schema);
    expect(noCode.code).toBe(1);
    expect(noCode.out).toContain(
      'check constraint "charges_code_not_null" of relation "charges" is violated',
    );
    await psql(`DROP SCHEMA ${schema} CASCADE`, "public");
  });
});

describe("a fleet on v1.29.0 upgraded to v1.50.0 through every bridge", () => {
  it("apply deploys v1.29.0; rows older releases left unfilled are there", async () => {
    const r = await cli(["apply", inventory, "--json"]);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(await versions()).toEqual(everywhere("v1.29.0"));
    await psql(LEGACY_ROWS);
    expect(await psql("SELECT count(*) FROM charges WHERE organization_id IS NULL")).toBe("2");
  }, LONG);

  it("bad input: one clear error each, the fleet untouched and unlocked", async () => {
    const cases: [string[], string][] = [
      [
        ["--to", "v1.33.7"],
        "error: --to: v1.33.7 is not a Lago release\nhint: the releases next to it are v1.33.4, v1.34.0",
      ],
      [
        ["--to", "v1.28.0"],
        `error: ${web[0]} runs v1.29.0, ${
          web[1]
        } runs v1.29.0, ${worker} runs v1.29.0, newer than v1.28.0: upgrade does not go down`,
      ],
      [["--to", "v1.50.0", "--via", "v1.26.3"], "error: --via: v1.26.3 is not a Lago release"],
      [
        ["--to", "v1.50.0", "--via", "v1.30.0,v1.31.0,v1.32.0"],
        "error: --via leaves out bridge releases v1.42.0, v1.43.0, v1.44.0, v1.45.0",
      ],
    ];
    for (const [args, error] of cases) {
      const r = await cli(["upgrade", inventory, ...args]);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr.startsWith(error), r.stderr).toBe(true);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+|internal error/);
    }
    expect(await versions()).toEqual(everywhere("v1.29.0"));
    const locks = await cli(["lock", "status", inventory]);
    expect(locks.stdout.trim().split("\n").every((l) => / free$/.test(l)), locks.stdout).toBe(true);
  }, LONG);

  it("--check prints the whole path and each bridge's task, and changes nothing", async () => {
    const r = await cli(["upgrade", inventory, "--to", "v1.50.0", "--check", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = fleetLines(r);
    expect(lines).toContain(
      "path: v1.29.0 → v1.30.0 → v1.31.0 → v1.32.0 → v1.42.0 → v1.43.0 → v1.44.0 → v1.45.0 → v1.50.0 (8 hops)",
    );
    expect(lines).toContain("      bundle exec rails migrations:fill_organization_id");
    expect(lines).toContain("      DRY_RUN=false bundle exec rails migrations:wallet_traceability");
    expect(lines.some((l) => /^(backup|pulled|batch)/.test(l))).toBe(false);
    expect(await versions()).toEqual(everywhere("v1.29.0"));
  }, LONG);

  it(
    "passes every stop with its task, in order, the API answering; stops healthy on v1.45.0 where a wallet cannot be traced",
    async () => {
      sampler.start();
      await sleep(3000);
      const from = Date.now();
      const r = await cli([
        "upgrade",
        inventory,
        "--to",
        "v1.50.0",
        // The backfill ends leaving the wallet: failed then, not at this deadline.
        "--task-timeout",
        "1200",
        "--skip-backup",
        "--json",
      ]);
      await sleep(3000);
      const lines = fleetLines(r);
      expect(r.code, lines.join("\n") + r.stderr).toBe(1);
      // Each bridge's task once, after its hop, before the next one's migrate.
      const tasks = lines.filter((l) => / task \d\/\d: /.test(l));
      expect(tasks).toEqual([
        "v1.30.0 task 1/1: bundle exec rails migrations:fill_organization_id",
        "v1.32.0 task 1/1: bundle exec rails upgrade:perform_required_jobs",
        "v1.42.0 task 1/1: bundle exec rails upgrade:perform_required_jobs",
        "v1.44.0 task 1/1: bundle exec rails upgrade:perform_required_jobs",
        "v1.45.0 task 1/2: bundle exec rails migrations:wallet_traceability",
        "v1.45.0 task 2/2: DRY_RUN=false bundle exec rails migrations:wallet_traceability",
      ]);
      const at = (l: string) => lines.indexOf(l);
      expect(at("migrated with v1.30.0 on " + web[0])).toBeLessThan(at(tasks[0]));
      expect(at(tasks[0])).toBeLessThan(at("migrated with v1.31.0 on " + web[0]));
      expect(at(tasks[2])).toBeLessThan(at("migrated with v1.43.0 on " + web[0]));
      expect(lines.some((l) => l.startsWith("migrated with v1.50.0"))).toBe(false);
      const report = reportOf(r);
      expect(report.error).toContain(
        `the fleet is on bridge release v1.45.0, whose task did not finish on ${web[0]}:`,
      );
      expect(report.error).toContain(
        "DRY_RUN=false bundle exec rails migrations:wallet_traceability` ended, leaving rows it could not handle",
      );
      expect(report.error).toContain(
        "still pending:\n    active wallets not traceable (fix or terminate them: see the guide's troubleshooting): 1",
      );
      expect(report.error).toContain("run the same upgrade again: it runs v1.45.0's task again and goes on");
      expect(await versions()).toEqual(everywhere("v1.45.0"));
      for (const h of web) {
        const health = await execIn(h, "curl -s --max-time 3 http://127.0.0.1:3000/health");
        expect(JSON.parse(health.stdout)).toMatchObject({ version: "v1.45.0", message: "Success" });
      }
      // What the tasks filled; the task containers are gone.
      expect(await psql("SELECT count(*) FROM charges WHERE organization_id IS NULL OR code IS NULL")).toBe(
        "0",
      );
      expect(await psql("SELECT string_agg(code, ',' ORDER BY code) FROM charges")).toBe(
        "api_calls,api_calls_2",
      );
      expect(await psql("SELECT count(*) FROM payments WHERE customer_id IS NULL OR organization_id IS NULL"))
        .toBe(
          "0",
        );
      expect(await psql("SELECT string_agg(traceable::text, ',' ORDER BY id) FROM wallets")).toBe(
        "true,false",
      );
      expect(
        (await execIn(web[0], "docker ps -aq --filter label=lago-provision.bridge | wc -l")).stdout.trim(),
      )
        .toBe("0");
      sampler.expectServingWithOneClock(from);
    },
    LONG,
  );

  it(
    "after the operator terminates that wallet, the same upgrade resumes on v1.45.0 and reaches v1.50.0",
    async () => {
      await psql("UPDATE wallets SET status = 1 WHERE id = '00000000-0000-0000-0000-0000000000d2'");
      const from = Date.now();
      const r = await cli([
        "upgrade",
        inventory,
        "--to",
        "v1.50.0",
        // For the whole of a bridge's task (v1.50.0 starts four one-shot api containers): room for a loaded
        // machine; nothing here is expected to time out.
        "--task-timeout",
        "1200",
        "--skip-backup",
        "--json",
      ]);
      await sleep(3000);
      const lines = fleetLines(r);
      expect(r.code, [...lines, JSON.stringify(reportOf(r)), r.stderr].join("\n")).toBe(0);
      expect(lines).toContain("path: v1.45.0 → v1.50.0 (1 hop)");
      const tasks = lines.filter((l) => / task \d\/\d: /.test(l)).map((l) => l.split(":")[0]);
      expect(tasks).toEqual([
        "v1.45.0 task 1/2",
        "v1.45.0 task 2/2",
        "v1.50.0 task 1/4",
        "v1.50.0 task 2/4",
        "v1.50.0 task 3/4",
        "v1.50.0 task 4/4",
      ]);
      expect(lines.indexOf("v1.45.0 task done")).toBeLessThan(lines.indexOf("upgrade v1.45.0 → v1.50.0"));
      expect(await versions()).toEqual(everywhere("v1.50.0"));
      sampler.expectServingWithOneClock(from);
      await sampler.stop();
    },
    LONG,
  );
});
