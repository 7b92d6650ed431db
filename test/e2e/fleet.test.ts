/**
 * A Lago fleet on four testbed hosts: 2 web (lago_web), 1 worker (lago_worker), 1 clock (lago_clock),
 * with PostgreSQL and Redis outside the fleet (containers on the controller's docker, reached at the
 * bridge gateway). Deployed at v1.49.0 with apply, then:
 *
 * - upgraded to v1.50.0 (adds a migration): backup first, migrate exactly once, the api answering
 *   /health on at least one web host at every sample, never two clocks;
 * - "upgraded" to v1.50.1-broken: the first batch fails its health gate and is rolled back, the other
 *   hosts never leave v1.50.0, exit 1 with a report; `apply --retry-failed` re-runs only that host;
 * - rollback refused while the schema cannot go back, then done with --keep-schema; meanwhile a second
 *   upgrade fails naming the lock holder, and a third waits for the lock;
 * - that third upgrade killed mid-way (by the pid its lock records) and re-run: a consistent fleet.
 *
 * A background loop samples every host through `docker exec` the whole time: the web hosts' /health
 * and the number of running clock containers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { $ } from "zx";
import { prepareTestbedHost, testbedAllVars } from "../../scripts/lib/testbed-lago.ts";
import { type CliResult, recapOf, repoRoot, runCli } from "./cli.ts";
import { leakForms, startHostSampler } from "./host-sampler.ts";
import { ensureStack, type ExternalServices, type Stack, startExternalServices, waitFor } from "./stack.ts";
import { Sampler } from "./fleet-sampler.ts";
import { execIn, lagoVersionsOn, type Testbed, useTestbed } from "./testbed.ts";

const PASSPHRASE = "fleet e2e passphrase, long enough";
const DB_PASSWORD = "fleet-Db-Pass-1";
const REDIS_PASSWORD = "fleet-Redis-Pass-1";
const SCHEMA = "lago_fleet";

let tb: Testbed;
let stack: Stack;
let dir: string;
let inventory: string;
let web: string[];
let worker: string;
let clock: string;
let all: string[];
let external: ExternalServices;
let dbContainer: string;

const cli = (args: string[], opts: { onEvent?: (e: Record<string, any>) => void } = {}) =>
  runCli(args, { env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE }, ...opts });

/** Shorter health waits in the role for the broken release (the rollback's deploy waits as long). */
const FAST = ["-e", "lago_wait_timeout=90", "--health-timeout", "180"];
/** Per test: four hosts installing Docker on a 2-core machine shared with other runs can take long. */
const LONG = 1_800_000;

function writeInventory(version: string): void {
  const hosts = Object.fromEntries(tb.hosts.map((h) => [h.name, { ansible_port: h.port }]));
  const group = (names: string[]) => ({ hosts: Object.fromEntries(names.map((n) => [n, hosts[n]])) });
  const inv = {
    all: {
      vars: {
        ...testbedAllVars(tb, stack.registry.pullAddr),
        lago_version: version,
        ...external.vars,
        // Several hosts run the api and workers: shared storage is required (never used by the stand-in).
        lago_use_aws_s3: true,
        lago_aws_s3_access_key_id: "fleet-e2e-key-id",
        lago_aws_s3_secret_access_key: "fleet-e2e-secret-key",
        lago_aws_s3_bucket: "lago-fleet-e2e",
        lago_aws_s3_endpoint: `http://${external.gateway}:9`,
      },
      children: {
        lago_web: group(web),
        lago_worker: group([worker]),
        lago_clock: group([clock]),
      },
    },
  };
  writeFileSync(inventory, stringify(inv));
}

/** What each host's Lago containers run: host → sorted unique versions. */
const versions = () => lagoVersionsOn(all);

const everywhere = (v: string) => Object.fromEntries(all.map((h) => [h, [v]]));

const psql = async (query: string): Promise<string> =>
  (await $`docker exec ${dbContainer} psql -U lago -d lago -Atc ${query}`.quiet()).stdout.trim();

const sampler = new Sampler(() => web, () => all);

/** Every sample since `from`: some web host answered 200, and at most one clock ran fleet-wide. */
const expectServingWithOneClock = (from: number) => sampler.expectServingWithOneClock(from);

const fleetLines = (r: CliResult) => r.events.filter((e) => e.type === "fleet").map((e) => e.msg as string);
const reportOf = (r: CliResult) => r.events.find((e) => e.type === "upgrade_report") as Record<string, any>;
const outcomes = (r: CliResult) =>
  Object.fromEntries(
    Object.entries(reportOf(r).hosts).map(([h, x]: [string, any]) => [h, [x.version, x.outcome]]),
  );

beforeAll(async () => {
  const started = Date.now();
  [tb, stack] = await Promise.all([useTestbed(4, { fresh: !process.env.LAGO_FLEET_REUSE }), ensureStack()]);
  all = tb.hosts.map((h) => h.name);
  await Promise.all(all.map(prepareTestbedHost)); // Docker 26 on Debian 13 in an unprivileged container
  [web, worker, clock] = [all.slice(0, 2), all[2], all[3]];
  const prefix = `${all[0].replace(/-1$/, "")}-fleet`;
  dir = join(repoRoot, ".cache", prefix);
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
  writeInventory("v1.49.0");
  console.log(`fleet: testbed, stack, db and redis ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(async () => {
  await sampler.stop();
  await external?.remove(!!process.env.LAGO_FLEET_KEEP);
});

describe("a Lago fleet: 2 web, 1 worker, 1 clock, external PostgreSQL and Redis", () => {
  it(
    "apply deploys v1.49.0: the clock on the clock host only, migrate on one web host, history recorded",
    async () => {
      const started = Date.now();
      const r = await cli(["apply", inventory, "--json"]);
      console.log(`fleet: first apply in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
      for (const h of all) expect(recapOf(r)[h]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(await versions()).toEqual(everywhere("v1.49.0"));
      const clocks = await Promise.all(
        all.map(async (h) =>
          (await execIn(h, "docker ps -q --filter label=com.docker.compose.service=api-clock | wc -l")).stdout
            .trim()
        ),
      );
      expect(clocks).toEqual(["0", "0", "0", "1"]);
      // Each host runs what its group says (lago_services), nothing else.
      const running = await Promise.all(
        all.map(async (h) =>
          (await execIn(
            h,
            "docker ps --filter label=com.docker.compose.project=lago --format '{{.Label \"com.docker.compose.service\"}}' | sort | tr '\\n' ' '",
          )).stdout.trim()
        ),
      );
      expect(running).toEqual(["api front", "api front", "api-worker pdf", "api-clock"]);
      expect(await psql("SELECT count(*) FROM lago_fleet.lago_standin_migrate_runs")).toBe("1");
      const history = await cli(["history", inventory]);
      expect(history.stdout, history.stderr).toMatch(/apply +v1\.49\.0 +ok: /);
      sampler.start();
    },
    LONG,
  );

  it(
    "a re-run that changes nothing: one connection and at most 3 round trips per host, the lock included; each file read once",
    async () => {
      // LAGO_PROVISION_STATS: what the process did, written when it exits (src/core/stats.ts).
      const statsFile = join(mkdtempSync(join(tmpdir(), "lago-fleet-stats-")), "stats.json");
      const r = await runCli(["apply", inventory, "--json"], {
        env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE, LAGO_PROVISION_STATS: statsFile },
      });
      expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
      for (const h of all) expect(recapOf(r)[h]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
      const stats = JSON.parse(readFileSync(statsFile, "utf8"));
      // Lock, facts, the version check and the secrets survey in one; every task's probe in one; release.
      // The lock's keep-alive (one renewal every TTL/4, 75 s) comes on top on a machine slow enough for
      // the run to last that long; it never makes a task probe on its own (test/unit/engine/prefetch.test.ts).
      for (const h of all) {
        const { connections, roundTrips, lockRenewals } = stats.hosts[h];
        expect(connections, `${h}: ${JSON.stringify(stats.hosts)}`).toBe(1);
        expect(roundTrips - lockRenewals, `${h}: ${JSON.stringify(stats.hosts)}`).toBeLessThanOrEqual(3);
      }
      const readTwice = Object.entries(stats.files).filter(([, n]) => n !== 1);
      expect(readTwice).toEqual([]);
      expect(Object.keys(stats.files)).toContain(inventory);
    },
    LONG,
  );

  it(
    "upgrade v1.49.0 → v1.50.0: backup, migrate once, rolling, clock last, the API always answering",
    async () => {
      const from = Date.now();
      // Issue 19: the backup's pg_dump is held (a table it must lock is locked) until a sampler on the
      // backup host has seen its argument vector, which must not hold the database password.
      await psql("CREATE TABLE IF NOT EXISTS lago_fleet.backup_hold (id int)");
      const hold =
        $`docker exec ${dbContainer} psql -U lago -d lago -c ${"BEGIN; LOCK TABLE lago_fleet.backup_hold IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3600);"}`
          .quiet().nothrow();
      await waitFor("the lock held", async () =>
        (await psql(
          "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'backup_hold' AND l.granted",
        )) === "1");
      const argv = await startHostSampler(web[0]);
      await sleep(3000); // a few samples before
      const upgrade = cli(["upgrade", inventory, "--to", "v1.50.0", "--json"]);
      // pg_dump waits for the lock: the sampler sees the process itself, with its URL (its script, which
      // names it, comes first; on Debian it is /usr/bin/perl /usr/bin/pg_dump …, then the real binary),
      // or the upgrade ended without one.
      let ended = false;
      void upgrade.finally(() => ended = true);
      let seen: string[] = [];
      while (!ended && seen.length === 0) {
        seen = (await argv.lines()).split("\n").filter((l) => /\bpg_dump --no-owner postgresql:\/\//.test(l));
        if (seen.length === 0) await sleep(250);
      }
      await psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3600)%' AND pid <> pg_backend_pid()",
      );
      await hold;
      const r = await upgrade;
      const cmdlines = await argv.stop();
      await psql("DROP TABLE lago_fleet.backup_hold");
      // The URL without its password, the password nowhere (DATABASE_URL has it URL-encoded).
      expect(seen.join("\n")).toMatch(/pg_dump --no-owner postgresql:\/\/lago@/);
      for (const form of [...leakForms(DB_PASSWORD), ...leakForms(REDIS_PASSWORD)]) {
        expect(cmdlines.includes(form), `a password in a process's arguments: ${cmdlines}`).toBe(false);
      }
      await sleep(3000);
      const lines = fleetLines(r);
      expect(r.code, lines.join("\n") + r.stderr).toBe(0);
      expect(outcomes(r)).toEqual(Object.fromEntries(all.map((h) => [h, ["v1.50.0", "ok"]])));
      // Order: backup, pulls, one migrate, then web1, web2, worker, and the clock host last.
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      expect(at(/^backup: /)).toBeGreaterThan(-1);
      expect(at(/^backup: /)).toBeLessThan(at(/^pulled v1\.50\.0 on /));
      expect(at(/^pulled v1\.50\.0/)).toBeLessThan(at(/^migrated with v1\.50\.0 on /));
      expect(at(/^migrated with/)).toBeLessThan(at(/^batch 1\/4: /));
      expect(lines.filter((l) => /^batch \d\/4: /.test(l))).toEqual([
        `batch 1/4: ${web[0]} → v1.50.0`,
        `batch 2/4: ${web[1]} → v1.50.0`,
        `batch 3/4: ${worker} → v1.50.0`,
        `batch 4/4: ${clock} → v1.50.0`,
      ]);
      expect(at(new RegExp(`^${clock}: old clock stopped`))).toBeGreaterThan(at(/^batch 4\/4/));
      expect(await versions()).toEqual(everywhere("v1.50.0"));
      // Exactly one migrate with the new image, fleet-wide; its migration is there.
      expect(
        await psql("SELECT count(*) FROM lago_fleet.lago_standin_migrate_runs WHERE version = 'v1.50.0'"),
      )
        .toBe("1");
      expect(
        await psql(
          "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'lago_fleet' AND table_name = 'invoices' AND column_name = 'purchase_order_number'",
        ),
      ).toBe("1");
      // The dump is on the migrate host, named after the version it was taken from.
      const backup = reportOf(r).backups[0] as string;
      expect(backup).toMatch(
        new RegExp(`^${web[0]}:/var/backups/lago/\\d{8}T\\d{6}Z-v1\\.49\\.0\\.sql\\.gz \\(\\d+ KiB\\)$`),
      );
      const path = backup.split(":")[1].split(" ")[0];
      const dump = await execIn(web[0], `stat -c %a ${path}; gzip -dc ${path} | grep -c 'CREATE TABLE'`);
      expect(dump.stdout.split("\n")[0]).toBe("600");
      expect(Number(dump.stdout.split("\n")[1])).toBeGreaterThanOrEqual(4);
      expectServingWithOneClock(from);
      // The inventory follows (apply refuses to change a fleet's version).
      expect(lines.some((l) => l.startsWith("note: the inventory still says lago_version v1.49.0"))).toBe(
        true,
      );
      const refused = await cli(["apply", inventory]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("a fleet changes version with upgrade or rollback");
      writeInventory("v1.50.0");
    },
    LONG,
  );

  it(
    "a broken release: the first batch is rolled back, the others never leave v1.50.0, exit 1 with a report",
    async () => {
      const from = Date.now();
      const r = await cli(["upgrade", inventory, "--to", "v1.50.1-broken", ...FAST, "--json"]);
      expect(r.code).toBe(1);
      expect(outcomes(r)).toEqual({
        [web[0]]: ["v1.50.0", "failed"],
        [web[1]]: ["v1.50.0", "untouched"],
        [worker]: ["v1.50.0", "untouched"],
        [clock]: ["v1.50.0", "untouched"],
      });
      const report = reportOf(r);
      expect(report.error).toBe(
        `batch 1/4 failed its health gate (${web[0]}); it was rolled back and the upgrade stopped`,
      );
      expect(report.hosts[web[0]].note).toMatch(/rolled back to v1\.50\.0$/);
      expect(await versions()).toEqual(everywhere("v1.50.0"));
      // Other hosts never ran the broken release: nothing of it was even started there.
      for (const h of [web[1], worker, clock]) {
        const seen = await execIn(h, "docker ps -a --format '{{.Image}}' | grep -c broken || true");
        expect(seen.stdout.trim()).toBe("0");
      }
      // The text report says it too.
      const text = await cli(["history", inventory]);
      expect(text.stdout).toMatch(/upgrade +v1\.50\.0 → v1\.50\.1-broken +failed: /);
      expectServingWithOneClock(from);

      // The journal remembers the failed host: --retry-failed re-runs only it.
      const retry = await cli(["apply", inventory, "--retry-failed", "--json"]);
      expect(retry.code, retry.stderr).toBe(0);
      expect(Object.keys(recapOf(retry))).toEqual([web[0]]);
    },
    LONG,
  );

  it("rollback is refused while the database keeps v1.50.0's schema, unless --keep-schema", async () => {
    const r = await cli(["rollback", inventory]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "refusing to roll back v1.50.0 → v1.49.0: the deploy of v1.50.0 ran Lago's migrations, which cannot be undone",
    );
    expect(r.stderr).toMatch(
      /hint: .*--keep-schema.*restore the dump taken before that upgrade \(.*\/var\/backups\/lago\//,
    );
  });

  it(
    "concurrent runs: one fails naming the holder, one waits; killed mid-way, a re-run makes the fleet whole",
    async () => {
      const from = Date.now();
      let started!: () => void;
      const holding = new Promise<void>((r) => (started = r));
      const rollback = cli(["rollback", inventory, "--keep-schema", "--json"], {
        onEvent: (e) => {
          if (e.type === "fleet" && /^rolling back/.test(e.msg)) started();
        },
      });
      await holding;
      // A second upgrade, not willing to wait: refused, naming who holds the lock and what it runs.
      const refused = await cli(["upgrade", inventory, "--to", "v1.50.0"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(
          `^error: the fleet is locked: \\S+@\\S+ \\(pid \\d+\\) holds the fleet lock on .*'rollback ${inventory}', started \\d+s ago`,
        ),
      );
      // A third one waits for the lock, then upgrades; it is killed after its first batch.
      let killed = false;
      const waiting = cli(["upgrade", inventory, "--to", "v1.50.0", "--lock-wait", "900", "--json"], {
        onEvent: (e) => {
          if (killed || e.type !== "fleet" || !/^batch 2\/4: /.test(e.msg)) return;
          killed = true;
          // The pid the lock records is the controller process this test started.
          const lock = JSON.parse($.sync`docker exec ${web[0]} cat /var/lib/lago-provision/lock`.stdout);
          process.kill(lock.pid, "SIGKILL");
        },
      });
      const done = await rollback;
      expect(done.code, fleetLines(done).join("\n")).toBe(0);
      expect(outcomes(done)).toEqual(Object.fromEntries(all.map((h) => [h, ["v1.49.0", "ok"]])));
      const interrupted = await waiting;
      expect(killed).toBe(true);
      expect(interrupted.code).not.toBe(0);
      expect(fleetLines(interrupted)[0]).toMatch(/^waiting for the fleet lock: /);

      // The dead run's lock is stale (its pid is gone on this controller); a re-run takes it over.
      const status = await cli(["lock", "status", inventory]);
      expect(status.stdout).toMatch(/STALE \(its process \d+ on \S+ is gone\)/);
      const rerun = await cli(["upgrade", inventory, "--to", "v1.50.0", "--json"]);
      expect(rerun.code, fleetLines(rerun).join("\n") + rerun.stderr).toBe(0);
      expect(
        fleetLines(rerun).some((l) =>
          /taking over a stale lock of .*: its process \d+ on \S+ is gone/.test(l)
        ),
      )
        .toBe(true);
      expect(await versions()).toEqual(everywhere("v1.50.0"));
      for (const h of web) {
        const health = await execIn(h, "curl -s --max-time 3 http://127.0.0.1:3000/health");
        expect(JSON.parse(health.stdout)).toMatchObject({ version: "v1.50.0", message: "Success" });
      }
      expect(
        (await cli(["lock", "status", inventory])).stdout.trim().split("\n").every((l) => / free$/.test(l)),
      )
        .toBe(true);
      await sleep(3000);
      expectServingWithOneClock(from);
    },
    LONG,
  );

  it("history: every deploy with who, from → to and the result per host", async () => {
    await sampler.stop();
    const s = sampler.samples;
    const one = s.filter((x) => Object.values(x.health).filter((c) => c === 200).length === 1).length;
    const clocks = Math.max(...s.map((x) => Object.values(x.clocks).reduce((a, b) => a + b, 0)));
    console.log(
      `fleet: ${s.length} samples over ${((s.at(-1)!.at - s[0].at) / 1000).toFixed(0)} s: ` +
        `${one} with one web host answering 200 (the other restarting), none with none; at most ${clocks} clock`,
    );
    const r = await cli(["history", inventory, "--json"]);
    const rows = JSON.parse(r.stdout).rows as {
      command: string;
      from: string;
      to: string;
      hosts: Record<string, string>;
    }[];
    expect(rows.map((x) => `${x.command} ${x.from ?? "-"} → ${x.to}`)).toEqual(expect.arrayContaining([
      "apply - → v1.49.0",
      "upgrade v1.49.0 → v1.50.0",
      "upgrade v1.50.0 → v1.50.1-broken",
      "rollback v1.50.0 → v1.49.0",
    ]));
    expect(readFileSync(join(dir, ".lago-provision", "journal.json"), "utf8")).toContain(
      '"command": "upgrade"',
    );
  });
});
