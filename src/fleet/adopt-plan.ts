/**
 * Taking over a Lago installed with upstream's compose file (getlago/lago `docker-compose.yml`, or its
 * `deploy/` variants): what the running install is made of, read from the host (`AdoptFacts`), and the
 * plan that keeps its data readable (pure, tested with data tables).
 *
 * Rules (lago-upstream.md "Secrets", lago-api config/initializers/rsa_keys.rb, config/application.rb):
 * - every key the data depends on is kept as the running containers have it, placeholders included
 *   (compose's `${VAR:-changeme}` defaults are what Lago runs with); a placeholder gets a loud warning
 *   and the safe way to rotate it, when there is one: never for the encryption keys;
 * - the RSA key comes from the `rsa-keys` volume's private.pem when the api uses one (it wins over the
 *   variable upstream), base64-encoded on one line as the store keeps it;
 * - the data volumes are reused: the compose project keeps its name, so `lago_postgres_data`,
 *   `lago_redis_data` and `lago_storage_data` are the same volumes;
 * - a PostgreSQL 14 data directory is never started under 15: it is dumped and restored into a new
 *   volume, row counts compared, the old volume kept.
 */
import { Buffer } from "node:buffer";
import { UserError } from "../core/errors.ts";
import { CORE_SECRETS, isPlaceholder } from "../secrets/formats.ts";

export interface AdoptFacts {
  host: string;
  /** The directory of the upstream compose file (`--from`). */
  from: string;
  /** The compose project its containers carry (`com.docker.compose.project`). */
  project: string;
  /** `.env` of `from`: its values, or why it could not be read. */
  dotenv: Record<string, string> | { error: string };
  /** The environment the running api container was given (compose defaults applied). */
  apiEnv: Record<string, string> | null;
  /** The api image tag (`v1.50.0`). */
  apiVersion: string | null;
  /** `/app/config/keys/private.pem` in the api container, when there is one (PEM text). */
  rsaKeyFile: string | null;
  /** The db service's image and its data directory's PG_VERSION; null without a bundled db. */
  db: { image: string; dataVersion: string; passwordEnv: string | null } | null;
  /** The project's volumes (`lago_lago_postgres_data`, ...). */
  volumes: string[];
  /** The compose working directory of the running api: `from` while upstream's compose runs it. */
  apiDir: string | null;
  /** The db container's name (the backup is taken in it). */
  dbContainer: string | null;
  /** Containers that upstream's compose in `from` started: what the takeover stops and removes. */
  upstream: string[];
}

export type SecretSource = "api environment" | "rsa-keys volume" | "db container";

export interface KeptSecret {
  name: string;
  source: SecretSource;
  placeholder: boolean;
}

export interface AdoptPlan {
  /** What goes into the secrets store, with where each value comes from (never the value). */
  secrets: KeptSecret[];
  /** Inventory variables the host must have for the role to run this install as it is. */
  vars: Record<string, string | boolean>;
  /** False when the role already runs it (a re-run): nothing to back up, stop or deploy. */
  takeover: boolean;
  /** PostgreSQL 14 data to move to 15 with dump/restore before the db starts. */
  pgUpgrade: { from: string; to: string; volume: string } | null;
  warnings: string[];
  /** The plan as a diff, before anything changes. */
  lines: string[];
}

/** The lago role's defaults of the variables a takeover sets (roles/lago/defaults/main.yml; a unit test compares). */
export const ROLE_DEFAULTS: Record<string, string | boolean> = {
  lago_project: "lago",
  lago_version: "v1.50.0",
  lago_db_external: false,
  lago_postgres_user: "lago",
  lago_postgres_db: "lago",
  lago_postgres_schema: "public",
  lago_allow_insecure_defaults: false,
};

/** The major version the lago role's db image runs (getlago/postgres-partman:15.0-alpine). */
export const ROLE_PG_MAJOR = "15";

/** What rotating a placeholder means, per secret: the documented safe way, or why there is none. */
const ROTATION: Record<string, string> = {
  LAGO_ENCRYPTION_PRIMARY_KEY:
    "never rotate it: the payment-provider and integration secrets in the database " +
    "are encrypted with it and Lago has no re-encryption",
  LAGO_ENCRYPTION_DETERMINISTIC_KEY: "never rotate it: encrypted columns are searched and decrypted with it",
  LAGO_ENCRYPTION_KEY_DERIVATION_SALT: "never rotate it: every encryption key is derived with it",
  SECRET_KEY_BASE:
    "rotating it logs every user out and breaks customer portal links: when that is acceptable, " +
    "replace it in the store, then apply",
  LAGO_RSA_PRIVATE_KEY:
    "rotating it changes the webhook signing key: every receiver must fetch the new public " +
    "key (GET /api/v1/webhooks/public_key)",
  POSTGRES_PASSWORD:
    'rotate it in the database first: docker exec <db> psql -U <user> -c "ALTER ROLE <user> ' +
    "PASSWORD '<new>'\", then put the new value in the store and apply",
  REDIS_PASSWORD: "rotate it with the Redis server's requirepass and the store together, then apply",
};

/** DATABASE_URL's password, decoded. */
function urlPassword(url: string | undefined): string | null {
  const m = url ? /^[a-z]+:\/\/[^:/@]*:([^@]*)@/.exec(url) : null;
  return m ? decodeURIComponent(m[1]) : null;
}

/** DATABASE_URL's user, database and schema (`search_path=`, else POSTGRES_SCHEMA), as the role names them. */
function databaseVars(env: Record<string, string>): Record<string, string> {
  const m = /^[a-z]+:\/\/(?:([^:/@]*)(?::[^@]*)?@)?[^/]*\/([^?]*)(?:\?(.*))?$/.exec(env.DATABASE_URL ?? "");
  if (!m) return {};
  const schema = new URLSearchParams(m[3] ?? "").get("search_path") ?? env.POSTGRES_SCHEMA ?? "public";
  return {
    lago_postgres_user: decodeURIComponent(m[1] ?? "lago") || "lago",
    lago_postgres_db: decodeURIComponent(m[2]) || "lago",
    lago_postgres_schema: schema,
  };
}

/** The encryption keys as lago-api reads them: `ENCRYPTION_*` first, else `LAGO_ENCRYPTION_*`. */
function encryptionValue(env: Record<string, string>, name: string): string | undefined {
  return env[name.replace(/^LAGO_/, "")] || env[name];
}

/**
 * The keys the running install uses, with their values: what `adopt` puts in the store. Refused (one
 * UserError naming the host): an unreadable `.env`, no running api container to read the effective
 * values from, a key Lago runs with that cannot be found.
 */
export function adoptedSecrets(f: AdoptFacts): { name: string; source: SecretSource; value: string }[] {
  const where = `${f.host}:${f.from}`;
  if ("error" in f.dotenv) {
    throw new UserError(
      `${where}/.env cannot be read: ${f.dotenv.error}`,
      "adopt reads the install's .env as root (sudo when the login user is not root); check --from and the file",
    );
  }
  if (!f.apiEnv) {
    throw new UserError(
      `${where}: no running api container of compose project '${f.project}': its keys are read from it`,
      `start the install first (cd ${f.from} && docker compose up -d), then adopt it`,
    );
  }
  const env = f.apiEnv;
  const out: { name: string; source: SecretSource; value: string }[] = [];
  for (const name of CORE_SECRETS) {
    if (name === "LAGO_RSA_PRIVATE_KEY" && f.rsaKeyFile) {
      out.push({ name, source: "rsa-keys volume", value: Buffer.from(f.rsaKeyFile).toString("base64") });
      continue;
    }
    const value = name.startsWith("LAGO_ENCRYPTION_") ? encryptionValue(env, name) : env[name];
    if (value === undefined || (name === "LAGO_RSA_PRIVATE_KEY" && value.trim() === "")) {
      throw new UserError(
        `${where}: the running api has no ${name}, which Lago needs`,
        "adopt keeps the keys a running install uses: this one is not running as Lago expects",
      );
    }
    out.push({ name, source: "api environment", value });
  }
  const fromUrl = urlPassword(env.DATABASE_URL);
  if (f.db?.passwordEnv) {
    out.push({ name: "POSTGRES_PASSWORD", source: "db container", value: f.db.passwordEnv });
  } else if (fromUrl !== null) {
    out.push({ name: "POSTGRES_PASSWORD", source: "api environment", value: fromUrl });
  }
  if (env.REDIS_PASSWORD) {
    out.push({ name: "REDIS_PASSWORD", source: "api environment", value: env.REDIS_PASSWORD });
  }
  return out;
}

/** The takeover plan (refused as `adoptedSecrets` is). It holds no value. */
export function planAdoption(f: AdoptFacts): AdoptPlan {
  const where = `${f.host}:${f.from}`;
  const secrets: KeptSecret[] = [];
  const warnings: string[] = [];
  for (const { name, source, value } of adoptedSecrets(f)) {
    const placeholder = isPlaceholder(value);
    secrets.push({ name, source, placeholder });
    if (placeholder) {
      warnings.push(
        `WARNING: ${name} is upstream's placeholder${
          value === "" ? " (empty)" : ""
        }, and the data depends on it: ` +
          `it is kept. ${ROTATION[name] ?? "rotate it in the store, then apply"}`,
      );
    }
  }

  const pgUpgrade = f.db && f.db.dataVersion !== ROLE_PG_MAJOR
    ? {
      from: f.db.dataVersion,
      to: ROLE_PG_MAJOR,
      volume: f.volumes.find((v) => /postgres_data$/.test(v)) ?? "",
    }
    : null;
  if (pgUpgrade && Number(pgUpgrade.from) > Number(ROLE_PG_MAJOR)) {
    throw new UserError(
      `${where}: the database's data directory is PostgreSQL ${pgUpgrade.from}, newer than the role's ${ROLE_PG_MAJOR}`,
      "set lago_db_image to a PostgreSQL of that version before adopting",
    );
  }
  const vars: Record<string, string | boolean> = {
    lago_project: f.project,
    ...(f.apiVersion ? { lago_version: f.apiVersion } : {}),
    lago_db_external: f.db === null,
    ...databaseVars(f.apiEnv!),
    // The role refuses the docs' placeholders unless told: here the data depends on them.
    ...(secrets.some((s) => s.placeholder) ? { lago_allow_insecure_defaults: true } : {}),
  };
  const takeover = f.apiDir === f.from;
  const lines = [
    `adopt ${where} (compose project ${f.project}${f.apiVersion ? `, Lago ${f.apiVersion}` : ""})`,
    ...secrets.map((s) =>
      `+ store ${s.name} (from the ${s.source}${s.placeholder ? ", PLACEHOLDER kept" : ""})`
    ),
    ...f.volumes.map((v) => `= volume ${v} (reused as it is)`),
    ...(pgUpgrade
      ? [
        `~ database: PostgreSQL ${pgUpgrade.from} data in ${pgUpgrade.volume} → pg_dump, restore into a new ` +
        `PostgreSQL ${pgUpgrade.to} volume, row counts compared; ${pgUpgrade.volume} kept untouched`,
      ]
      : []),
    ...(takeover
      ? [
        ...(f.dbContainer
          ? [`+ backup: pg_dump in ${f.dbContainer} to /var/backups/lago/ before anything stops`]
          : []),
        ...f.upstream.map((c) => `- container ${c} (upstream's compose; its volumes kept)`),
        `+ the lago role's containers of project ${f.project}, on the same volumes`,
      ]
      : [`= already run by lago-provision (from ${f.apiDir ?? "nowhere"}): nothing to take over`]),
  ];
  return { secrets, vars, takeover, pgUpgrade, warnings, lines };
}

/**
 * What the inventory must change for the host, as diff lines (`~ name: have → want`); empty when it
 * already says what the install runs with. `have` is the host's inventory variables.
 */
export function inventoryChanges(
  want: Record<string, string | boolean>,
  have: Record<string, unknown>,
  defaults: Record<string, unknown>,
): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(want)) {
    const current = name in have ? have[name] : defaults[name];
    if (String(current) !== String(value)) {
      out.push(`~ inventory ${name}: ${current === undefined ? "(unset)" : String(current)} → ${value}`);
    }
  }
  return out;
}
