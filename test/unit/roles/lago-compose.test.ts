/**
 * The lago role's compose.yml and lago.env, rendered from the role's defaults as the engine renders
 * them, for the host kinds of a fleet (docs/fleet.md): which services each runs, and the SIDEKIQ_*
 * flags, the same on every host. (End to end on real hosts: test/e2e/fleet.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LIBPQ_URL_TO_ENV } from "../../../src/fleet/libpq-url.ts";
import { renderText } from "../../../src/vars/template.ts";
import { MADE_UP_SECRETS } from "./made-up-secrets.ts";

const defaults = parse(readFileSync("roles/lago/defaults/main.yml", "utf8"));
const external = { lago_db_external: true, lago_redis_external: true, lago_postgres_host: "db.internal" };

const SECRETS = MADE_UP_SECRETS;

/** As the engine renders them: after lago_secrets registered the secrets (templated defaults read them). */
function render(template: string, overrides: Record<string, unknown>): string {
  const vars = {
    ...defaults,
    inventory_hostname: "web1",
    lago_secret_values: { secrets: SECRETS },
    ...overrides,
  };
  return renderText(readFileSync(`roles/lago/templates/${template}`, "utf8"), vars, template);
}

const services = (overrides: Record<string, unknown>) =>
  Object.keys(parse(render("compose.yml.hbs", overrides)).services).sort();

/** lago.env as NAME -> value. */
const envFile = (overrides: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    render("lago.env.hbs", overrides).split("\n")
      .map((l) => /^([A-Z][A-Z0-9_]*)='(.*)'$/.exec(l)).filter((m) => m !== null).map((m) => [m![1], m![2]]),
  );

/** compose.yml parsed, as compose reads it (YAML merge keys resolved). */
const compose = (overrides: Record<string, unknown>) =>
  parse(render("compose.yml.hbs", overrides), { merge: true });

const sidekiqFlags = (overrides: Record<string, unknown>) => ({
  env: render("lago.env.hbs", overrides)
    .split("\n").filter((l) => l.startsWith("SIDEKIQ_") && !l.startsWith("SIDEKIQ_CONCURRENCY")),
  compose: Object.keys(parse(render("compose.yml.hbs", overrides))["x-backend-env"])
    .filter((k) => /^SIDEKIQ_(?!CONCURRENCY)/.test(k)),
});

describe("lago role: services per host", () => {
  const fleetWorker = {
    ...external,
    lago_services: ["worker", "pdf"],
    lago_migrate: false,
    lago_clock: false,
    lago_dedicated_workers: ["events"],
  };
  /** [case, variables, the services compose.yml defines, sorted and space-separated] */
  const cases: [string, Record<string, unknown>, string][] = [
    ["a single host runs everything", {}, "api api-clock api-worker db front migrate pdf redis"],
    [
      "fleet web host (migrates)",
      { ...external, lago_services: ["api", "front"], lago_clock: false },
      "api front migrate",
    ],
    ["fleet worker host with a dedicated queue", fleetWorker, "api-events-worker api-worker pdf"],
    ["fleet clock host", { ...external, lago_services: ["clock"], lago_migrate: false }, "api-clock"],
    [
      "clock listed, lago_clock false: no clock",
      { lago_services: ["clock", "api"], lago_clock: false },
      "api db migrate redis",
    ],
    [
      "pdf disabled",
      { lago_disable_pdf_generation: true },
      "api api-clock api-worker db front migrate redis",
    ],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => expect(services(overrides).join(" ")).toBe(expected));
  }
});

describe("lago role: SIDEKIQ_* flags", () => {
  it("a single host: its own dedicated queues", () => {
    expect(sidekiqFlags({ lago_dedicated_workers: ["events", "billing"] })).toEqual({
      env: ["SIDEKIQ_EVENTS='true'", "SIDEKIQ_BILLING='true'"],
      compose: ["SIDEKIQ_EVENTS", "SIDEKIQ_BILLING"],
    });
  });

  it("a fleet: every worker's queues on every host, also where no dedicated worker runs", () => {
    const web = sidekiqFlags({ lago_services: ["api", "front"], lago_sidekiq_queues: ["events", "pdfs"] });
    const worker = sidekiqFlags({
      lago_services: ["worker"],
      lago_dedicated_workers: ["pdfs"],
      lago_sidekiq_queues: ["events", "pdfs"],
    });
    expect(web).toEqual(worker);
    expect(web.env).toEqual(["SIDEKIQ_EVENTS='true'", "SIDEKIQ_PDFS='true'"]);
  });
});

describe("lago role: what the real images read", () => {
  it("LAGO_API_URL is the public origin itself, what an SDK is given (it calls /api/v1/ under it)", () => {
    expect(envFile({})).toMatchObject({ LAGO_API_URL: "https://web1", LAGO_FRONT_URL: "https://web1" });
    const forwarded = envFile({ lago_public_url: "https://lago.example.com:8443" });
    expect(forwarded.LAGO_API_URL).toBe("https://lago.example.com:8443");
    expect(compose({}).services.front.environment.API_URL).toBe("${LAGO_API_URL}");
  });

  it("POSTGRES_SCHEMA goes to every backend service; DATABASE_URL stays a libpq URL; migrate makes the schema", () => {
    const vars = { lago_postgres_schema: "lago_app", lago_postgres_sslmode: "verify-full" };
    expect(envFile(vars)).toMatchObject({
      POSTGRES_SCHEMA: "lago_app",
      DATABASE_URL: "postgresql://lago:made-up-postgres-password@db:5432/lago?sslmode=verify-full",
    });
    const services = compose({ ...vars, lago_dedicated_workers: ["events"] }).services;
    for (const name of ["migrate", "api", "api-worker", "api-events-worker", "api-clock"]) {
      expect(services[name].environment.POSTGRES_SCHEMA, name).toBe("${POSTGRES_SCHEMA}");
    }
    expect(services.migrate.command.join(" ")).toContain("CREATE SCHEMA IF NOT EXISTS");
    expect(services.migrate.command[2].replaceAll("$$", "$")).toContain(LIBPQ_URL_TO_ENV);
    expect(compose({}).services.migrate.command).toEqual(["./scripts/migrate.sh"]);
    expect(envFile({}).DATABASE_URL).toBe("postgresql://lago:made-up-postgres-password@db:5432/lago");
  });

  it("migrate's psql gets the URL without its password, the password in PGPASSWORD", () => {
    const password = "p@ss/w:rd+%é $x";
    const url = `postgresql://lago:${encodeURIComponent(password)}@db:5432/lago?sslmode=require`;
    const [shell, flag, script] = compose({ lago_postgres_schema: "lago_app" }).services.migrate.command;
    // bundle, psql and migrate.sh stand in, recording what they were given.
    const dir = mkdtempSync(join(tmpdir(), "lago-migrate-"));
    try {
      mkdirSync(join(dir, "bin"));
      mkdirSync(join(dir, "scripts"));
      const tool = (path: string, body: string) =>
        writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      tool(join(dir, "bin/bundle"), "exit 0");
      tool(
        join(dir, "bin/psql"),
        `printf '%s\\n' "$*" > "${dir}/argv"; printenv PGPASSWORD > "${dir}/password"; cat > /dev/null`,
      );
      tool(join(dir, "scripts/migrate.sh"), `echo migrated > "${dir}/migrated"`);
      const r = spawnSync(shell, ["--norc", "--noprofile", flag, script.replaceAll("$$", "$")], {
        cwd: dir,
        env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, DATABASE_URL: url, POSTGRES_SCHEMA: "lago_app" },
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const argv = readFileSync(join(dir, "argv"), "utf8");
      expect(argv).toContain("postgresql://lago@db:5432/lago?sslmode=require");
      expect(argv).not.toContain(encodeURIComponent(password).slice(0, 6));
      expect(readFileSync(join(dir, "password"), "utf8")).toBe(`${password}\n`);
      expect(readFileSync(join(dir, "migrated"), "utf8")).toBe("migrated\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("redis-server gets its password in its config on stdin, never in an argument", () => {
    const password = "p@ss \"w\\rd$ x'1";
    const [shell, flag, script] = compose({}).services.redis.command;
    const dir = mkdtempSync(join(tmpdir(), "lago-redis-"));
    try {
      mkdirSync(join(dir, "bin"));
      // The image's entrypoint stands in: it records its arguments and what it reads on stdin.
      writeFileSync(
        join(dir, "bin/docker-entrypoint.sh"),
        `#!/bin/sh\nprintf '%s\\n' "$*" > "${dir}/argv"; cat > "${dir}/config"\n`,
        { mode: 0o755 },
      );
      const r = spawnSync(shell, [flag, script.replaceAll("$$", "$")], {
        env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, REDISCLI_AUTH: password, REDIS_PORT: "6390" },
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(join(dir, "argv"), "utf8")).toBe("redis-server - --port 6390\n");
      // requirepass "\xHH…": what redis-server's config parser reads back as the password.
      const m = /^requirepass "((?:\\x[0-9a-f]{2})+)"\n$/.exec(readFileSync(join(dir, "config"), "utf8"));
      expect(m).not.toBeNull();
      const bytes = m![1].split("\\x").filter(Boolean).map((h) => parseInt(h, 16));
      expect(Buffer.from(bytes).toString()).toBe(password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the Redis password is in the URLs (ActionCable reads only LAGO_REDIS_CABLE_URL, else REDIS_URL)", () => {
    expect(envFile({})).toMatchObject({
      REDIS_URL: "redis://:made-up-redis-password@redis:6379",
      REDIS_PASSWORD: "made-up-redis-password",
      LAGO_REDIS_CACHE_URL: "redis://:made-up-redis-password@redis:6379",
      LAGO_REDIS_CABLE_URL: "redis://:made-up-redis-password@redis:6379",
    });
    expect(envFile({ lago_redis_password: "", lago_redis_tls: true }).REDIS_URL).toBe("rediss://redis:6379");
    // A whole URL, for an ACL user and a database index: once, never a second REDIS_URL line.
    const acl = envFile({ lago_redis_url: "redis://lago:pw@redis.internal:6379/2" });
    expect(acl).toMatchObject({
      REDIS_URL: "redis://lago:pw@redis.internal:6379/2",
      LAGO_REDIS_CABLE_URL: "redis://lago:pw@redis.internal:6379/2",
    });
    const lines = render("lago.env.hbs", { lago_secret_values: { secrets: SECRETS } }).split("\n");
    expect(lines.filter((l) => l.startsWith("REDIS_URL="))).toHaveLength(1);
  });

  it("the env fixes: OAuth proxy on front and backend, GCS key path, SMTP 587, LAGO_DISABLE_SSL with plain HTTP", () => {
    const c = compose({
      lago_use_gcs: true,
      lago_gcs_credentials_src: "gcs.json",
      lago_gcs_keyfile_json_path: "/secrets/gcs.json",
    });
    expect(c.services.front.environment.LAGO_OAUTH_PROXY_URL).toBe("${LAGO_OAUTH_PROXY_URL}");
    expect(c.services.api.environment.LAGO_OAUTH_PROXY_URL).toBe("${LAGO_OAUTH_PROXY_URL}");
    expect(c.services.api.volumes).toContain("./gcs_keyfile.json:/secrets/gcs.json:ro");
    expect(c.services.api.environment.LAGO_GCS_CREDENTIALS).toBeUndefined();
    const env = envFile({ lago_gcs_keyfile_json_path: "/secrets/gcs.json" });
    expect(env).toMatchObject({
      LAGO_OAUTH_PROXY_URL: "https://proxy.getlago.com",
      LAGO_GCS_KEYFILE_JSON_PATH: "/secrets/gcs.json",
      LAGO_SMTP_PORT: "587",
      LAGO_DISABLE_SSL: "false",
    });
    expect(envFile({ tls_mode: "none" })).toMatchObject({
      LAGO_DISABLE_SSL: "true",
      LAGO_API_URL: "http://web1",
    });
  });

  it("the first organization: its password only when lago_create_org", () => {
    expect(envFile({})).toMatchObject({ LAGO_CREATE_ORG: "false", LAGO_ORG_USER_PASSWORD: "" });
    expect(envFile({ lago_create_org: true, lago_org_name: "Acme", lago_org_user_email: "a@b.c" }))
      .toMatchObject({
        LAGO_CREATE_ORG: "true",
        LAGO_ORG_NAME: "Acme",
        LAGO_ORG_USER_EMAIL: "a@b.c",
        LAGO_ORG_USER_PASSWORD: "made-up-lago-org-user-password",
      });
  });

  it("settings per service, for the front too; PostgreSQL TLS files mounted with libpq's variables", () => {
    const vars = {
      lago_dedicated_workers: ["events"],
      lago_service_env: {
        api: { LAGO_DATABASE_STATEMENT_TIMEOUT: 30000 },
        "api-events-worker": { SIDEKIQ_CONCURRENCY: 20, DATABASE_POOL: 20 },
        front: { NANGO_PUBLIC_KEY: "nango" },
      },
      lago_postgres_ssl_rootcert_src: "ca.pem",
    };
    const s = compose(vars).services;
    expect(s.api.environment.LAGO_DATABASE_STATEMENT_TIMEOUT).toBe("${API__LAGO_DATABASE_STATEMENT_TIMEOUT}");
    expect(s["api-worker"].environment.LAGO_DATABASE_STATEMENT_TIMEOUT).toBe(
      "${LAGO_DATABASE_STATEMENT_TIMEOUT}",
    );
    expect(s["api-events-worker"].environment.SIDEKIQ_CONCURRENCY).toBe(
      "${API_EVENTS_WORKER__SIDEKIQ_CONCURRENCY}",
    );
    expect(s.front.environment.NANGO_PUBLIC_KEY).toBe("${FRONT__NANGO_PUBLIC_KEY}");
    expect(envFile(vars)).toMatchObject({
      API__LAGO_DATABASE_STATEMENT_TIMEOUT: "30000",
      API_EVENTS_WORKER__SIDEKIQ_CONCURRENCY: "20",
      API_EVENTS_WORKER__DATABASE_POOL: "20",
      FRONT__NANGO_PUBLIC_KEY: "nango",
    });
    for (const name of ["migrate", "api", "api-worker", "api-clock"]) {
      expect(s[name].environment.PGSSLROOTCERT, name).toBe("/app/config/postgres-ssl/root.crt");
      expect(s[name].volumes, name).toContain("./postgres-ssl:/app/config/postgres-ssl:ro");
    }
  });

  it("Gotenberg pinned, with upstream's production flags", () => {
    const pdf = compose({}).services.pdf;
    expect(pdf.image).toBe("getlago/lago-gotenberg:8.15");
    expect(pdf.command).toEqual([
      "gotenberg",
      "--libreoffice-disable-routes=true",
      "--chromium-ignore-certificate-errors=true",
      "--chromium-disable-javascript=true",
      "--api-timeout=300s",
    ]);
  });
});
