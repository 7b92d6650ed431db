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
 * - a PostgreSQL 14 data directory is never started under 15: its rows are counted and it is dumped
 *   under 14, the 14 data copied to a kept volume (`<volume>-pg14`, the way back), the volume
 *   initialised by the role's 15 image with the same user, password and database, the dump restored,
 *   the rows counted again; any difference stops before the deploy (src/fleet/pg-move.ts).
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
  /**
   * The PostgreSQL data volume (the db container's, else the project's `*_postgres_data`) and the
   * PG_VERSION in it, read from the volume ("" when it has none): seen even when no db container exists.
   */
  pgVolume: { name: string; version: string } | null;
  /** Volumes where adopt kept PostgreSQL data it moved (label `lago-provision.pg-kept-from` = `from`). */
  kept: { name: string; from: string }[];
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
  pgUpgrade: PgMove | null;
  warnings: string[];
  /** The plan as a diff, before anything changes. */
  lines: string[];
}

/** Moving a PostgreSQL data directory to the role's major version (src/fleet/pg-move.ts does it). */
export interface PgMove {
  /** PG_VERSION of the data, and the major of the role's db image. */
  from: string;
  to: string;
  /** The data volume: emptied and initialised under `to` once its copy is kept. */
  volume: string;
  /** Where the old data is kept: `<volume>-pg<from>`. */
  kept: string;
  /** The role's db image: initialises the new data and restores the dump. */
  image: string;
  /** The running db container of the old version: the counts and the dump are taken in it. */
  container: string;
  /** Lago's database and its user (DATABASE_URL's): counted, dumped, and made again under `to`. */
  user: string;
  database: string;
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

/** The lago role's `lago_db_image` (roles/lago/defaults/main.yml) without the registry prefix. */
const ROLE_DB_IMAGE = "getlago/postgres-partman:15.0-alpine";

const plain = (v: unknown): v is string => typeof v === "string" && !v.includes("{{");

/**
 * The db image the role will run for these inventory variables, and its PostgreSQL major: the
 * `lago_db_image` set, else the role's default behind `lago_image_registry`; the major is the tag's first
 * number (`15.0-alpine`, `16`), else the role's 15.
 */
export function roleDbImage(vars: Record<string, unknown>): { image: string; major: string } {
  const registry = plain(vars.lago_image_registry) ? vars.lago_image_registry : "";
  const image = plain(vars.lago_db_image) && vars.lago_db_image
    ? vars.lago_db_image
    : `${registry}${ROLE_DB_IMAGE}`;
  const tag = image.slice(image.lastIndexOf("/") + 1).split(":")[1] ?? "";
  return { image, major: /^(\d+)/.exec(tag)?.[1] ?? ROLE_PG_MAJOR };
}

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

/** Where a kept volume's data came from, and how to put it back: the way back after a move. */
export function wayBack(f: Pick<AdoptFacts, "from">, kept: string, volume: string, image: string): string {
  return `put the kept data back: docker run --rm -v ${kept}:/from:ro -v ${volume}:/to --entrypoint sh ${image} ` +
    `-c 'find /to -mindepth 1 -maxdepth 1 -exec rm -rf {} + && cp -a /from/. /to/'; then start upstream's ` +
    `install again: cd ${f.from} && docker compose up -d`;
}

/**
 * A takeover that stopped the install to move its PostgreSQL data and did not deploy (a failed
 * restore, a difference in row counts, an interrupted run): no Lago runs, a kept volume exists.
 */
function unfinishedMove(f: AdoptFacts, role: { image: string; major: string }): UserError | null {
  if (f.apiEnv || f.apiDir) return null;
  const k = f.kept.find((k) => k.from === f.pgVolume?.name) ?? f.kept[0];
  if (!k) return null;
  const where = `${f.host}:${f.from}`;
  const stillOld = !!f.pgVolume && /^\d+$/.test(f.pgVolume.version) &&
    Number(f.pgVolume.version) < Number(role.major);
  return new UserError(
    `${where}: a previous adopt stopped this install to move its PostgreSQL data and did not finish; ` +
      `the old data is kept in volume ${k.name}; nothing was changed now`,
    stillOld
      ? `${k.from} still holds the old data: start upstream's install again (cd ${f.from} && docker compose up -d), ` +
        `remove the copy (docker volume rm ${k.name}), then adopt again`
      : `${
        wayBack(f, k.name, k.from, role.image)
      }; then remove the copy (docker volume rm ${k.name}) and adopt again`,
  );
}

/**
 * The takeover plan (refused as `adoptedSecrets` is). It holds no value. `roleVars`: the host's
 * inventory variables (the role's db image and its PostgreSQL major).
 */
export function planAdoption(f: AdoptFacts, roleVars: Record<string, unknown> = {}): AdoptPlan {
  const where = `${f.host}:${f.from}`;
  const role = roleDbImage(roleVars);
  const unfinished = unfinishedMove(f, role);
  if (unfinished) throw unfinished;
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

  const takeover = f.apiDir === f.from;
  let pgUpgrade: PgMove | null = null;
  if (f.db && f.db.dataVersion !== role.major) {
    const from = f.db.dataVersion;
    if (!/^\d+$/.test(from)) {
      throw new UserError(
        `${where}: cannot tell which PostgreSQL the database's data directory is (PG_VERSION '${from}', ` +
          `image ${f.db.image}); nothing was changed`,
        `check the db volume's PG_VERSION; the role runs PostgreSQL ${role.major} (${role.image})`,
      );
    }
    if (Number(from) > Number(role.major)) {
      throw new UserError(
        `${where}: the database's data directory is PostgreSQL ${from}, newer than the role's ${role.major}`,
        "set lago_db_image to a PostgreSQL of that version before adopting",
      );
    }
    const volume = f.pgVolume?.name ?? f.volumes.find((v) => /postgres_data$/.test(v)) ?? "";
    if (!volume || !f.dbContainer) {
      throw new UserError(
        `${where}: the PostgreSQL ${from} data must move to ${role.major}, but its ${
          volume ? "db container" : "volume"
        } was not found; nothing was changed`,
        "start the install (cd " + f.from + " && docker compose up -d), then adopt it",
      );
    }
    const kept = `${volume}-pg${from}`;
    if (f.kept.some((k) => k.name === kept)) {
      throw new UserError(
        `${where}: volume ${kept} already holds PostgreSQL data an earlier adopt kept; nothing was changed`,
        `check that ${volume} holds your data (upstream runs on it), then docker volume rm ${kept} and adopt again`,
      );
    }
    const names = databaseVars(f.apiEnv!);
    pgUpgrade = {
      from,
      to: role.major,
      volume,
      kept,
      image: role.image,
      container: f.dbContainer,
      user: names.lago_postgres_user ?? "lago",
      database: names.lago_postgres_db ?? "lago",
    };
  }
  const vars: Record<string, string | boolean> = {
    lago_project: f.project,
    ...(f.apiVersion ? { lago_version: f.apiVersion } : {}),
    lago_db_external: f.db === null,
    ...databaseVars(f.apiEnv!),
    // The role refuses the docs' placeholders unless told: here the data depends on them.
    ...(secrets.some((s) => s.placeholder) ? { lago_allow_insecure_defaults: true } : {}),
  };
  const lines = [
    `adopt ${where} (compose project ${f.project}${f.apiVersion ? `, Lago ${f.apiVersion}` : ""})`,
    ...secrets.map((s) =>
      `+ store ${s.name} (from the ${s.source}${s.placeholder ? ", PLACEHOLDER kept" : ""})`
    ),
    ...f.volumes.filter((v) => v !== pgUpgrade?.volume).map((v) => `= volume ${v} (reused as it is)`),
    ...(pgUpgrade ? moveLines(pgUpgrade) : []),
    ...f.kept.map((k) =>
      `= volume ${k.name}: the PostgreSQL data adopt moved out of ${k.from}, kept (the way back; ` +
      `docker volume rm ${k.name} once no longer needed)`
    ),
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

/** The move, step by step, as the diff shows it (nothing of it runs with --check). */
function moveLines(m: PgMove): string[] {
  return [
    `~ database: PostgreSQL ${m.from} data in ${m.volume}, the role runs ${m.to} (${m.image}): moved by dump ` +
    `and restore, never started under ${m.to}:`,
    `    1. Lago's other containers stopped; in ${m.container} (${m.from}): the rows of every table counted, ` +
    `pg_dump -Fc to /var/backups/lago/ (0600)`,
    `    2. + volume ${m.kept}: a copy of the PostgreSQL ${m.from} data, compared with the original, kept (the way back)`,
    `    3. ${m.volume} emptied, initialised by ${m.image} (same user, password, database), the dump restored`,
    `    4. the rows counted again: any difference stops there, nothing deployed`,
  ];
}

/** `count SCHEMA.TABLE N` lines: a table → its row count. */
export function parseCounts(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    const m = /^count (.+)\t(\d+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/**
 * The tables whose rows differ after a restore (`name: before → after`, `missing` when gone); empty when
 * every table counted before has the same count after. Tables only after (an image's own) are not Lago's.
 */
export function compareCounts(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [table, n] of before) {
    const m = after.get(table);
    if (m !== n) out.push(`${table}: ${n} → ${m === undefined ? "missing" : m}`);
  }
  return out;
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
