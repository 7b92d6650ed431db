/** The takeover plan of an upstream-compose install, from what the host showed (data tables). */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/core/errors.ts";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { adoptFactsScript, parseAdoptFacts, removeContainersScript } from "../../../src/fleet/adopt-facts.ts";
import {
  type AdoptFacts,
  inventoryChanges,
  planAdoption,
  ROLE_DEFAULTS,
} from "../../../src/fleet/adopt-plan.ts";

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
      "PostgreSQL 14 data under the role's 15: dump and restore, the old volume kept",
      { db: { image: "postgres:14-alpine", dataVersion: "14", passwordEnv: "changeme" } },
      (p) => {
        expect(p.pgUpgrade).toEqual({ from: "14", to: "15", volume: "lago_lago_postgres_data" });
        expect(p.lines.join("\n")).toContain(
          "pg_dump, restore into a new PostgreSQL 15 volume, row counts compared",
        );
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
    });
  });
  const cases: [string, string, Partial<AdoptFacts>][] = [
    ["an unreadable .env", "dotenv-error no such file\nproject lago\n", {
      dotenv: { error: "no such file" },
    }],
    ["no api running", "dotenv \nproject billing\n", { apiEnv: null, project: "billing" }],
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
