/**
 * The shipped roles' variables, typed (issue 12): what each of the lago role's variables may hold, in
 * zod like module arguments. They join the schema of every variables document (inventory, group_vars/,
 * host_vars/, vars_files, role defaults and vars, play vars) and `-e`, so `apply`, `apply --check`,
 * `plan` and `lint` refuse a mistyped value when the files load, before any host, naming the file, line
 * and column where it is defined; the JSON Schemas in schemas/ give editors the same checks.
 *
 * A `{{ template }}` is accepted as written (its value is known on the host). What depends on several
 * variables or on rendered values (SMTP needs a port, S3 needs its keys, the secrets, a value lago.env
 * can hold on one line) stays an assert task in roles/lago/tasks/main.yml.
 */
import { z } from "zod";
import { templateString } from "./template-string.ts";

/**
 * Dedicated worker queues (`start.<queue>.worker.sh`, `SIDEKIQ_<QUEUE>=true`) the lago role runs: v1.50's
 * eight, and alerts and wallets (scripts from v1.51.0 on).
 */
export const QUEUES = [
  "events",
  "pdfs",
  "billing",
  "clock",
  "webhook",
  "analytics",
  "ai_agent",
  "payments",
  "alerts",
  "wallets",
];

/** Lago's services a host may run (lago_services). */
export const LAGO_SERVICES = ["api", "front", "worker", "clock", "pdf"];

const templated = <T extends z.ZodType>(schema: T) => z.union([schema, templateString]);

const count = (what: string) =>
  templated(z.number({ error: "should be a positive whole number" }).int().positive()).optional()
    .describe(what);
const SWITCH = "should be true or false (a YAML boolean)";
const toggle = (what: string) => templated(z.boolean({ error: SWITCH })).optional().describe(what);
const OPTIONAL_SWITCH = 'should be true, false or "" (unset)';
const optionalToggle = (what: string) =>
  templated(z.union([z.boolean({ error: OPTIONAL_SWITCH }), z.literal("", { error: OPTIONAL_SWITCH })]))
    .optional().describe(what);
const MILLISECONDS = 'should be a number of milliseconds or "" (unset)';
const milliseconds = (what: string) =>
  templated(z.union([z.number({ error: MILLISECONDS }).int().min(0), z.literal("", { error: MILLISECONDS })]))
    .optional().describe(what);
const oneOf = (values: string[], what: string) =>
  templated(z.enum(values as [string, ...string[]], { error: `should be one of ${values.join(", ")}` }))
    .optional().describe(what);
/** The lago role's variables (roles/lago/defaults/main.yml documents each one). */
export const lagoRoleVars = {
  lago_version: templated(
    z.string({ error: "should be a pinned release tag like v1.50.0" }).regex(/^v\S{5,}$/, {
      error: "should be a pinned release tag like v1.50.0, not `latest`, which changes under you and " +
        "skips the migrations and bridge releases an upgrade needs",
    }),
  ).optional().describe("The Lago release of the api and front images: a pinned tag vX.Y.Z."),
  lago_api_port: count("API_PORT: the api is published on 127.0.0.1 at this port."),
  lago_front_port: count("FRONT_PORT: the front is published on 127.0.0.1 at this port."),
  lago_postgres_port: count("POSTGRES_PORT: the PostgreSQL server's port."),
  lago_redis_port: count("The Redis server's port."),
  lago_redis_cache_port: count("The Redis cache's port."),
  lago_database_pool: count("DATABASE_POOL: database connections per process."),
  lago_redis_cache_pool_size: count("LAGO_REDIS_CACHE_POOL_SIZE."),
  lago_webhook_attempts: count("LAGO_WEBHOOK_ATTEMPTS."),
  lago_sidekiq_concurrency: count("SIDEKIQ_CONCURRENCY of every worker."),
  lago_wait_timeout: count("Seconds to wait for the containers, then the api and the front, to be healthy."),
  lago_db_external: toggle("true: Lago uses lago_postgres_host, no db service in the project."),
  lago_redis_external: toggle("true: Lago uses lago_redis_host, no redis service in the project."),
  lago_redis_tls: toggle("rediss:// to Redis."),
  lago_redis_cache_tls: toggle("rediss:// to the Redis cache."),
  lago_migrate: toggle("Run migrate before api, workers and clock start (one host of a fleet)."),
  lago_clock: toggle("Run api-clock, the scheduler (exactly one in a fleet)."),
  lago_database_prepared_statements: toggle("DATABASE_PREPARED_STATEMENTS."),
  lago_disable_pdf_generation: toggle("LAGO_DISABLE_PDF_GENERATION."),
  lago_rails_stdout: toggle("RAILS_LOG_TO_STDOUT."),
  lago_use_aws_s3: toggle("LAGO_USE_AWS_S3: files in S3."),
  lago_use_gcs: toggle("LAGO_USE_GCS: files in Google Cloud Storage."),
  lago_gcs_iam: toggle("LAGO_GCS_IAM."),
  lago_aws_s3_path_style: toggle("LAGO_AWS_S3_PATH_STYLE."),
  lago_create_org: toggle("LAGO_CREATE_ORG: seed the first organization."),
  lago_allow_insecure_defaults: toggle("Allow the docs' placeholder values (a throwaway trial only)."),
  lago_disable_signup: optionalToggle("LAGO_DISABLE_SIGNUP."),
  lago_disable_wallet_refresh: optionalToggle("LAGO_DISABLE_WALLET_REFRESH."),
  lago_sidekiq_web: optionalToggle("LAGO_SIDEKIQ_WEB."),
  lago_disable_segment: optionalToggle("LAGO_DISABLE_SEGMENT."),
  // Its default is a template (from tls_mode), which renders to the text 'true' or 'false'.
  lago_disable_ssl: templated(
    z.union([
      z.boolean({ error: "should be true or false" }),
      z.enum(["true", "false"], { error: "should be true or false" }),
    ]),
  ).optional().describe("LAGO_DISABLE_SSL: true when clients reach Lago over plain HTTP."),
  lago_database_statement_timeout: milliseconds("LAGO_DATABASE_STATEMENT_TIMEOUT."),
  lago_database_idle_tx_timeout: milliseconds("LAGO_DATABASE_IDLE_TX_TIMEOUT."),
  lago_database_lock_timeout: milliseconds("LAGO_DATABASE_LOCK_TIMEOUT."),
  lago_postgres_sslmode: oneOf(
    ["", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
    "POSTGRES_SSLMODE (libpq's sslmode).",
  ),
  tls_mode: oneOf(["none", "selfsigned", "letsencrypt", "provided"], "How nginx gets its certificate."),
  lago_log_level: oneOf(["", "debug", "info", "warn", "error", "fatal", "unknown"], "LAGO_LOG_LEVEL."),
  // Renamed: lago-api reads LAGO_GCS_KEYFILE_JSON_PATH (config/storage.yml), never LAGO_GCS_CREDENTIALS.
  lago_gcs_credentials: z.never().optional().describe(
    "not read by Lago: lago_gcs_credentials sets LAGO_GCS_CREDENTIALS, which lago-api never reads; set " +
      "lago_gcs_keyfile_json_path (where the key file is mounted, default /app/gcs_keyfile.json) instead",
  ),
  lago_services: templated(
    z.array(
      z.enum(LAGO_SERVICES as [string, ...string[]], {
        error: `should be one of ${LAGO_SERVICES.join(", ")}`,
      }),
      {
        error: "should be a list of Lago's services",
      },
    ),
  ).optional().describe("Lago's services on this host: any of api, front, worker, clock, pdf."),
  lago_dedicated_workers: templated(
    z.array(z.enum(QUEUES as [string, ...string[]], { error: `should be one of ${QUEUES.join(", ")}` }), {
      error: "should be a list of Sidekiq queues",
    }),
  ).optional().describe("Dedicated Sidekiq workers besides api-worker, each a service api-<queue>-worker."),
};

/** Every shipped role's typed variables (one namespace: each name starts with its role's prefix). */
export const roleVarsShape = { ...lagoRoleVars };
