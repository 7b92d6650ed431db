/** The takeover plan of an upstream-compose install, from what the host showed (data tables). */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/core/errors.ts";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { adoptFactsScript, parseAdoptFacts, removeContainersScript } from "../../../src/fleet/adopt-facts.ts";
import {
  type AdoptFacts,
  compareCounts,
  inventoryChanges,
  parseCounts,
  planAdoption,
  ROLE_DEFAULTS,
  roleDbImage,
} from "../../../src/fleet/adopt-plan.ts";
import { COUNT_SQL, dumpScript, moveEnv, moveScript } from "../../../src/fleet/pg-move.ts";

// A truncated stand-in for upstream's rsa-keys volume private.pem: only its form is read here.
const PEM = readFileSync(new URL("../../fixtures/keys/placeholder-private-key.pem", import.meta.url), "utf8");

/** Upstream's docker-compose.yml run as the docs say, on its placeholders. */
const upstream = (over: Partial<AdoptFacts> = {}): AdoptFacts => ({
  host: "lago1",
  from: "/srv/lago",
  project: "lago",
  dotenv: { LAGO_RSA_PRIVATE_KEY: "cGVt" },
  apiEnv: {
    DATABASE_URL: "postgresql://lago:changeme@db:5432/lago?search_path=public",
    SECRET_KEY_BASE: "your-secret-key-base-hex-64",
    LAGO_RSA_PRIVATE_KEY: "cGVt",
    LAGO_ENCRYPTION_PRIMARY_KEY: "your-encryption-primary-key",
    LAGO_ENCRYPTION_DETERMINISTIC_KEY: "your-encryption-deterministic-key",
    LAGO_ENCRYPTION_KEY_DERIVATION_SALT: "your-encryption-derivation-salt",
    REDIS_URL: "redis://redis:6379",
  },
  apiVersion: "v1.50.0",
  rsaKeyFile: null,
  db: { image: "getlago/postgres-partman:15.0-alpine", dataVersion: "15", passwordEnv: "changeme" },
  volumes: ["lago_lago_postgres_data", "lago_lago_redis_data", "lago_lago_storage_data"],
  apiDir: "/srv/lago",
  dbContainer: "lago-db",
  upstream: ["lago-api", "lago-migrate", "lago-db", "lago-redis"],
  pgVolume: { name: "lago_lago_postgres_data", version: "15" },
  kept: [],
  ...over,
});

describe("planAdoption", () => {
  it("keeps every key as the install runs with it, placeholders included, each loudly", () => {
    const p = planAdoption(upstream());
    expect(p.secrets).toEqual([
      { name: "LAGO_RSA_PRIVATE_KEY", source: "api environment", placeholder: false },
      { name: "SECRET_KEY_BASE", source: "api environment", placeholder: true },
      { name: "LAGO_ENCRYPTION_PRIMARY_KEY", source: "api environment", placeholder: true },
      { name: "LAGO_ENCRYPTION_DETERMINISTIC_KEY", source: "api environment", placeholder: true },
      { name: "LAGO_ENCRYPTION_KEY_DERIVATION_SALT", source: "api environment", placeholder: true },
      { name: "POSTGRES_PASSWORD", source: "db container", placeholder: true },
    ]);
    expect(p.warnings).toHaveLength(5);
    expect(p.warnings.find((w) => w.includes("LAGO_ENCRYPTION_PRIMARY_KEY"))).toContain("never rotate it");
    expect(p.warnings.find((w) => w.includes("POSTGRES_PASSWORD"))).toContain("ALTER ROLE");
    expect(p.vars).toEqual({
      lago_project: "lago",
      lago_version: "v1.50.0",
      lago_db_external: false,
      lago_postgres_user: "lago",
      lago_postgres_db: "lago",
      lago_postgres_schema: "public",
      lago_allow_insecure_defaults: true,
    });
    expect(p.takeover).toBe(true);
    expect(p.lines).toContain("+ backup: pg_dump in lago-db to /var/backups/lago/ before anything stops");
    expect(p.lines).toContain("- container lago-api (upstream's compose; its volumes kept)");
    expect(p.pgUpgrade).toBeNull();
    expect(p.lines).toContain("= volume lago_lago_postgres_data (reused as it is)");
    expect(p.lines).toContain("+ store SECRET_KEY_BASE (from the api environment, PLACEHOLDER kept)");
  });

  const cases: [string, Partial<AdoptFacts>, (p: ReturnType<typeof planAdoption>) => void][] = [
    [
      "the rsa-keys volume's private.pem wins over the variable (rsa_keys.rb), base64 on one line",
      { rsaKeyFile: PEM },
      (p) =>
        expect(p.secrets[0]).toEqual({
          name: "LAGO_RSA_PRIVATE_KEY",
          source: "rsa-keys volume",
          placeholder: false,
        }),
    ],
    [
      "unprefixed ENCRYPTION_* are read first, as lago-api does",
      {
        apiEnv: {
          ...upstream().apiEnv!,
          ENCRYPTION_PRIMARY_KEY: "A".repeat(32),
          ENCRYPTION_DETERMINISTIC_KEY: "B".repeat(32),
          ENCRYPTION_KEY_DERIVATION_SALT: "C".repeat(32),
        },
      },
      (p) =>
        expect(p.secrets.filter((s) => s.name.includes("ENCRYPTION")).every((s) => !s.placeholder)).toBe(
          true,
        ),
    ],
    [
      "an external database: its password from DATABASE_URL, no db volume to move",
      {
        db: null,
        apiEnv: { ...upstream().apiEnv!, DATABASE_URL: "postgresql://lago:s%40fe@pg.internal:5432/lago" },
      },
      (p) => {
        expect(p.secrets.at(-1)).toEqual({
          name: "POSTGRES_PASSWORD",
          source: "api environment",
          placeholder: false,
        });
        expect(p.vars.lago_db_external).toBe(true);
      },
    ],
    [
      "a directory named otherwise keeps its project, so its volumes",
      { project: "billing", volumes: ["billing_lago_postgres_data"] },
      (p) => {
        expect(p.vars.lago_project).toBe("billing");
        expect(p.lines).toContain("= volume billing_lago_postgres_data (reused as it is)");
      },
    ],
  ];
  it.each(cases)("%s", (_n, over, check) => check(planAdoption(upstream(over))));
  it("a re-run, once the role runs it: the same keys, nothing to take over", () => {
    const p = planAdoption(upstream({ apiDir: "/opt/lago", upstream: [] }));
    expect(p.takeover).toBe(false);
    expect(p.secrets).toHaveLength(6);
    expect(p.lines).toContain("= already run by lago-provision (from /opt/lago): nothing to take over");
    expect(p.lines.join("\n")).not.toMatch(/backup|- container/);
  });
  it("never puts a value in the plan", () => {
    const p = planAdoption(upstream({ rsaKeyFile: PEM }));
    const text = JSON.stringify(p);
    for (
      const v of ["changeme", "your-encryption-primary-key", Buffer.from(PEM).toString("base64"), "MIIE"]
    ) {
      expect(text).not.toContain(v);
    }
  });

  const refused: [string, Partial<AdoptFacts>, string][] = [
    [
      "a .env that cannot be read",
      { dotenv: { error: "Permission denied" } },
      "lago1:/srv/lago/.env cannot be read: Permission denied",
    ],
    [
      "no running api",
      { apiEnv: null },
      "lago1:/srv/lago: no running api container of compose project 'lago'",
    ],
    [
      "an api without its RSA key",
      { apiEnv: { ...upstream().apiEnv!, LAGO_RSA_PRIVATE_KEY: "" } },
      "lago1:/srv/lago: the running api has no LAGO_RSA_PRIVATE_KEY",
    ],
    [
      "data newer than the role's PostgreSQL",
      { db: { image: "postgres:16", dataVersion: "16", passwordEnv: "x" } },
      "PostgreSQL 16, newer than the role's 15",
    ],
  ];
  it.each(refused)("refuses %s", (_n, over, message) => {
    expect(() => planAdoption(upstream(over))).toThrow(UserError);
    expect(() => planAdoption(upstream(over))).toThrow(message);
  });
});

/** Upstream's compose before 97d1f0b: postgres:14-alpine, its data directory PostgreSQL 14. */
const on14 = (over: Partial<AdoptFacts> = {}) =>
  upstream({
    db: { image: "postgres:14-alpine", dataVersion: "14", passwordEnv: "changeme" },
    pgVolume: { name: "lago_lago_postgres_data", version: "14" },
    ...over,
  });
const REGISTRY = { lago_image_registry: "registry.test:5000/" };

describe("planAdoption: PostgreSQL data of another major than the role's db image", () => {
  const MOVE = {
    from: "14",
    to: "15",
    volume: "lago_lago_postgres_data",
    kept: "lago_lago_postgres_data-pg14",
    image: "registry.test:5000/getlago/postgres-partman:15.0-alpine",
    container: "lago-db",
    user: "lago",
    database: "lago",
  };
  const cases: [string, Partial<AdoptFacts>, Record<string, unknown>, typeof MOVE | null][] = [
    ["14 under the role's 15: moved by dump and restore", {}, REGISTRY, MOVE],
    ["15 under 15: nothing to move", { db: upstream().db, pgVolume: upstream().pgVolume }, REGISTRY, null],
    ["14 under a lago_db_image of 14: nothing to move", {}, { lago_db_image: "postgres:14-alpine" }, null],
    ["a db image of 16 set in the inventory: moved to 16 with it", {}, { lago_db_image: "pg:16.2" }, {
      ...MOVE,
      to: "16",
      image: "pg:16.2",
    }],
    [
      "another user and database (DATABASE_URL's): those are moved",
      {
        apiEnv: { ...upstream().apiEnv!, DATABASE_URL: "postgresql://billing:changeme@db:5432/ledger" },
      },
      REGISTRY,
      { ...MOVE, user: "billing", database: "ledger" },
    ],
    [
      "the volume read from the db container, not guessed from the names",
      {
        pgVolume: { name: "custom_pg", version: "14" },
      },
      REGISTRY,
      { ...MOVE, volume: "custom_pg", kept: "custom_pg-pg14" },
    ],
  ];
  it.each(cases)("%s", (_n, over, vars, expected) => {
    const p = planAdoption(on14(over), vars);
    expect(p.pgUpgrade).toEqual(expected);
    if (expected) {
      const text = p.lines.join("\n");
      expect(text).toContain(
        `~ database: PostgreSQL 14 data in ${expected.volume}, the role runs ${expected.to} (${expected.image}): ` +
          `moved by dump and restore, never started under ${expected.to}:`,
      );
      expect(text).toContain("the rows of every table counted, pg_dump -Fc to /var/backups/lago/ (0600)");
      expect(text).toContain(`+ volume ${expected.kept}: a copy of the PostgreSQL 14 data`);
      expect(text).toContain("the rows counted again: any difference stops there, nothing deployed");
      // The moved volume is not "reused as it is".
      expect(text).not.toContain(`= volume ${expected.volume} (reused`);
    } else {
      expect(p.lines.join("\n")).not.toMatch(/dump and restore/);
    }
  });
  it("a re-run after the move: the role runs it on 15, the kept volume is shown, nothing to move", () => {
    const p = planAdoption(
      upstream({
        apiDir: "/opt/lago",
        upstream: [],
        kept: [{ name: "lago_lago_postgres_data-pg14", from: "lago_lago_postgres_data" }],
      }),
      REGISTRY,
    );
    expect(p.takeover).toBe(false);
    expect(p.pgUpgrade).toBeNull();
    expect(p.lines).toContain(
      "= volume lago_lago_postgres_data-pg14: the PostgreSQL data adopt moved out of lago_lago_postgres_data, " +
        "kept (the way back; docker volume rm lago_lago_postgres_data-pg14 once no longer needed)",
    );
  });

  /** After a move that stopped upstream and did not deploy: no api, no db container, a kept volume. */
  const stopped = (version: string) =>
    upstream({
      apiEnv: null,
      apiDir: null,
      apiVersion: null,
      db: null,
      dbContainer: null,
      upstream: [],
      pgVolume: { name: "lago_lago_postgres_data", version },
      kept: [{ name: "lago_lago_postgres_data-pg14", from: "lago_lago_postgres_data" }],
    });
  const refused: [string, AdoptFacts, string[]][] = [
    ["unknown data version", on14({ db: { image: "postgres:latest", dataVersion: "", passwordEnv: "x" } }), [
      "cannot tell which PostgreSQL the database's data directory is (PG_VERSION '', image postgres:latest)",
    ]],
    [
      "data newer than the role's",
      on14({ db: { image: "postgres:16", dataVersion: "16", passwordEnv: "x" } }),
      [
        "PostgreSQL 16, newer than the role's 15",
      ],
    ],
    [
      "the kept volume's name taken by an earlier move",
      on14({
        kept: [{ name: "lago_lago_postgres_data-pg14", from: "lago_lago_postgres_data" }],
      }),
      ["volume lago_lago_postgres_data-pg14 already holds PostgreSQL data an earlier adopt kept"],
    ],
    ["a re-run after a failed restore: the way back", stopped("15"), [
      "a previous adopt stopped this install to move its PostgreSQL data and did not finish",
      "put the kept data back: docker run --rm -v lago_lago_postgres_data-pg14:/from:ro -v lago_lago_postgres_data:/to",
      "cd /srv/lago && docker compose up -d",
      "docker volume rm lago_lago_postgres_data-pg14",
    ]],
    ["a re-run after a move stopped before the volume was emptied: start upstream again", stopped("14"), [
      "lago_lago_postgres_data still holds the old data: start upstream's install again (cd /srv/lago && docker compose up -d)",
    ]],
  ];
  it.each(refused)("refuses %s, saying what to do", (_n, facts, messages) => {
    let error: unknown;
    try {
      planAdoption(facts, REGISTRY);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const text = `${(error as UserError).message} ${(error as UserError).hint ?? ""}`;
    for (const m of messages) expect(text).toContain(m);
  });
});

describe("roleDbImage: the db image the role will run, and its major", () => {
  const cases: [Record<string, unknown>, { image: string; major: string }][] = [
    [{}, { image: "getlago/postgres-partman:15.0-alpine", major: "15" }],
    [REGISTRY, { image: "registry.test:5000/getlago/postgres-partman:15.0-alpine", major: "15" }],
    [{ lago_db_image: "my.reg:5000/pg:16-alpine" }, { image: "my.reg:5000/pg:16-alpine", major: "16" }],
    [{ lago_db_image: "{{ x }}pg:16" }, { image: "getlago/postgres-partman:15.0-alpine", major: "15" }],
    [{ lago_db_image: "pg" }, { image: "pg", major: "15" }],
  ];
  it.each(cases)("%j", (vars, expected) => expect(roleDbImage(vars)).toEqual(expected));
});

describe("row counts before and after the restore", () => {
  it("parses `count` lines only", () => {
    expect(parseCounts("kept x\ncount public.a\t3\ncount public.Mixed Case\t0\nnoise\n")).toEqual(
      new Map([["public.a", 3], ["public.Mixed Case", 0]]),
    );
  });
  const before = new Map([["public.a", 3], ["public.b", 0], ["public.c", 7]]);
  const cases: [string, Map<string, number>, string[]][] = [
    ["equal", new Map(before), []],
    ["a table only after (the image's own) is not a difference", new Map([...before, ["partman.x", 1]]), []],
    ["a count lower, a table missing", new Map([["public.a", 2], ["public.b", 0]]), [
      "public.a: 3 → 2",
      "public.c: 7 → missing",
    ]],
  ];
  it.each(cases)("%s", (_n, after, expected) => expect(compareCounts(before, after)).toEqual(expected));
});

describe("the move's scripts", () => {
  const m = planAdoption(on14({ dbContainer: "lago db" }), REGISTRY).pgUpgrade!;
  it("counts every table with count(*), never pg_class estimates, outside PostgreSQL's schemas", () => {
    expect(COUNT_SQL).toContain("SELECT format('SELECT %L, count(*) FROM %I.%I'");
    expect(COUNT_SQL).not.toMatch(/reltuples|n_live_tup/);
    expect(COUNT_SQL).toMatch(/\\gexec\n$/);
  });
  it("dumps in the old container, quoted, to a 0600 file renamed once complete", () => {
    const s = dumpScript(m, "v1.50.0");
    expect(s).toContain("umask 077");
    expect(s).toContain("docker exec 'lago db' pg_dump -Fc -U lago lago > \"$tmp\"");
    expect(s).toMatch(/-adopt-pg14-v1\.50\.0\.dump"; tmp="\$out\.part"/);
    expect(s).toContain('mv -f "$tmp" "$out"');
  });
  it("keeps a compared copy before emptying the volume, restores with the role's image, counts again", () => {
    const s = moveScript(m, "/var/backups/lago/x.dump");
    const order = [
      "docker volume create --label lago-provision.pg-kept-from=lago_lago_postgres_data lago_lago_postgres_data-pg14",
      "cp -a /from/. /to/ && diff -r /from /to",
      'echo "kept lago_lago_postgres_data-pg14"',
      "find /v -mindepth 1 -maxdepth 1 -exec rm -rf {} +",
      '--env-file "$e" -e PGDATA=/data/postgres -v lago_lago_postgres_data:/data/postgres ' +
      "registry.test:5000/getlago/postgres-partman:15.0-alpine",
      "pg_restore --no-owner --no-privileges --exit-on-error -U lago -d lago < /var/backups/lago/x.dump",
      'counts lago-provision-pg-move "$e.counts"',
    ].map((x) => s.indexOf(x));
    expect(order.every((i) => i >= 0), JSON.stringify(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // A kept volume that exists is never written; a failed copy is removed, the original untouched.
    expect(s).toContain("! docker volume inspect lago_lago_postgres_data-pg14 >/dev/null 2>&1 ||");
    expect(s).toMatch(/docker volume rm lago_lago_postgres_data-pg14 >\/dev\/null; \{ echo 'copying/);
    // The password only on stdin, into a 0600 file removed on exit.
    expect(s).not.toContain("changeme");
    expect(s).toContain(`trap 'rm -f "$e" "$e.counts"`);
  });
  it("the new server's env: the same user, password, database; a line break refused", () => {
    expect(moveEnv(m, "changeme")).toBe("POSTGRES_USER=lago\nPOSTGRES_PASSWORD=changeme\nPOSTGRES_DB=lago\n");
    expect(() => moveEnv(m, "a\nb")).toThrow(UserError);
  });
});

describe("inventoryChanges: what the inventory must say before a takeover", () => {
  const want = { lago_project: "billing", lago_version: "v1.50.0", lago_allow_insecure_defaults: true };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["all unset: the role's defaults differ where the install does", {}, [
      "~ inventory lago_project: lago → billing",
      "~ inventory lago_allow_insecure_defaults: false → true",
    ]],
    ["set as the install runs", { lago_project: "billing", lago_allow_insecure_defaults: true }, []],
    ["another version in the inventory", {
      lago_project: "billing",
      lago_allow_insecure_defaults: true,
      lago_version: "v1.49.0",
    }, ["~ inventory lago_version: v1.49.0 → v1.50.0"]],
  ];
  it.each(cases)("%s", (_n, have, expected) => {
    expect(inventoryChanges(want, have, ROLE_DEFAULTS)).toEqual(expected);
  });
  it("ROLE_DEFAULTS are the lago role's defaults", () => {
    const defaults = parse(readFileSync("roles/lago/defaults/main.yml", "utf8"));
    for (const [k, v] of Object.entries(ROLE_DEFAULTS)) expect([k, defaults[k]]).toEqual([k, v]);
  });
});

describe("parseAdoptFacts: what the host showed", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const captured = [
    `dotenv ${b64('POSTGRES_PASSWORD=changeme\nexport LAGO_DOMAIN="lago.example.com"\n# comment\n')}`,
    "project lago",
    "api-image getlago/api:v1.50.0",
    `api-env ${
      b64(
        "DATABASE_URL=postgresql://lago:changeme@db:5432/lago\nSECRET_KEY_BASE=your-secret-key-base-hex-64\n",
      )
    }`,
    `rsa-key ${b64(PEM)}`,
    "db-image postgres:14-alpine",
    `db-env ${b64("POSTGRES_PASSWORD=changeme\nPGDATA=/data/postgres\n")}`,
    "pg-version 14",
    "volume lago_lago_postgres_data",
    "volume lago_lago_storage_data",
    "api-dir /srv/lago/",
    "db-name lago-db",
    "upstream lago-api",
    "upstream lago-db",
    "pg-volume lago_lago_postgres_data 14",
    "kept old_pg-pg14 old_pg",
    "",
  ].join("\n");
  it("reads every fact", () => {
    expect(parseAdoptFacts("h", "/srv/lago/", captured)).toEqual({
      host: "h",
      from: "/srv/lago",
      project: "lago",
      dotenv: { POSTGRES_PASSWORD: "changeme", LAGO_DOMAIN: "lago.example.com" },
      apiEnv: {
        DATABASE_URL: "postgresql://lago:changeme@db:5432/lago",
        SECRET_KEY_BASE: "your-secret-key-base-hex-64",
      },
      apiVersion: "v1.50.0",
      rsaKeyFile: PEM,
      db: { image: "postgres:14-alpine", dataVersion: "14", passwordEnv: "changeme" },
      volumes: ["lago_lago_postgres_data", "lago_lago_storage_data"],
      apiDir: "/srv/lago",
      dbContainer: "lago-db",
      upstream: ["lago-api", "lago-db"],
      pgVolume: { name: "lago_lago_postgres_data", version: "14" },
      kept: [{ name: "old_pg-pg14", from: "old_pg" }],
    });
  });
  const cases: [string, string, Partial<AdoptFacts>][] = [
    ["an unreadable .env", "dotenv-error no such file\nproject lago\n", {
      dotenv: { error: "no such file" },
    }],
    ["no api running", "dotenv \nproject billing\n", {
      apiEnv: null,
      project: "billing",
      pgVolume: null,
      kept: [],
    }],
    ["a data volume without PG_VERSION", "pg-volume v1 \n", { pgVolume: { name: "v1", version: "" } }],
    [
      "a db without PG_VERSION yet: the image's major",
      "dotenv \nproject lago\ndb-image getlago/postgres-partman:15.0-alpine\n",
      { db: { image: "getlago/postgres-partman:15.0-alpine", dataVersion: "15", passwordEnv: null } },
    ],
  ];
  it.each(cases)("%s", (_n, out, expected) => {
    expect(parseAdoptFacts("h", "/srv/lago", out)).toMatchObject(expected);
  });
  it("the script reads as root, read-only, and quotes the path", () => {
    const s = adoptFactsScript("/srv/my lago/");
    expect(s).toContain("from='/srv/my lago'");
    expect(s).not.toMatch(/docker (rm|stop|compose|run)|> *"?\$from/);
  });
  it("the takeover removes only the containers named, quoted; none is a no-op", () => {
    expect(removeContainersScript([])).toBe("true");
    expect(removeContainersScript(["lago-api", "a b"])).toBe(
      "set -e\ndocker stop -t 30 lago-api 'a b' >/dev/null\ndocker rm lago-api 'a b' >/dev/null",
    );
  });
});
