/**
 * Lago's environment variables, as data for the lint rules.
 *
 * Source: the self-hosting page of Lago's documentation, as captured in the project's shared seed
 * `shared/seeds/000_3e865c978c85dcc9.txt` ("Environment variables" table: variable, default value,
 * description), extracted once. Names the same page mentions outside the table (Redis URLs, SMTP),
 * names from `shared/reference/lago-stack.md` (RAILS_ENV, APP_ENV, Sidekiq flags) and names the images
 * read that the page does not list (read in lago-api v1.50.0, lago-front's .env.sh and getlago/lago's
 * compose files; docs/lago-role.md has the full table) are listed below it. Update by hand when Lago adds
 * variables.
 */

/** [name, default (undefined when the table gives none), description] */
export const LAGO_ENV_TABLE: readonly (readonly [string, string | undefined, string])[] = [
  ["API_PORT", "3000", "Port the back-end application listens to"],
  ["API_URL", "http://localhost:3000", "URL of the Lago back-end application defined for the front image"],
  [
    "DATABASE_POOL",
    "10",
    "Max number of connection opened to the postgres database per api, worker and clock instances",
  ],
  ["DATABASE_PREPARED_STATEMENTS", "true", "Enable or disable prepared statements in the postgres database"],
  ["DATABASE_URL", undefined, "(Without docker compose) Full url to the postgres server"],
  ["FRONT_PORT", "80", "Port the front-end application listens to"],
  ["GOOGLE_AUTH_CLIENT_ID", undefined, "Client ID for Google auth Single Sign On"],
  ["GOOGLE_AUTH_CLIENT_SECRET", undefined, "Client Secret for Google auth Single Sign On"],
  ["LAGO_API_URL", "http://localhost:3000", "URL of the Lago back-end application"],
  ["LAGO_AWS_S3_ACCESS_KEY_ID", "azerty123456", "AWS Access Key id that has access to S3"],
  ["LAGO_AWS_S3_BUCKET", "bucket", "AWS S3 Bucket name"],
  [
    "LAGO_AWS_S3_ENDPOINT",
    undefined,
    "S3 compatible storage endpoint. Should be set only if you are using another storage provider than AWS S3",
  ],
  ["LAGO_AWS_S3_REGION", "us-east-1", "AWS S3 Region"],
  ["LAGO_AWS_S3_SECRET_ACCESS_KEY", "azerty123456", "AWS Secret Access Key that has access to S3"],
  [
    "LAGO_DATABASE_IDLE_TX_TIMEOUT",
    undefined,
    "A transaction left idle past the time limit (in milliseconds) is terminated. Maps to idle_in_transaction_session_timeout in postgres",
  ],
  [
    "LAGO_DATABASE_LOCK_TIMEOUT",
    undefined,
    "A statement waiting on a lock past the limit (in milliseconds) fails fast instead of blocking. Maps to lock_timeout in postgres",
  ],
  [
    "LAGO_DATABASE_STATEMENT_TIMEOUT",
    undefined,
    "Any single query exceeding the time limit (in milliseconds) is cancelled. Maps to statement_timeout in postgres",
  ],
  [
    "LAGO_DISABLE_PDF_GENERATION",
    "false",
    "Disable automatic PDF generation for invoices, credit notes, and receipts. As a result, the corresponding download endpoints will be unavailable",
  ],
  ["LAGO_DISABLE_SIGNUP", undefined, "Disable Sign up when running Lago in self-hosted"],
  ["LAGO_DISABLE_WALLET_REFRESH", undefined, "Disable automatic refresh of wallet ongoing balance"],
  [
    "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
    "your-encryption-deterministic-key",
    "Encryption deterministic key used to secure sensitive values stored in the database",
  ],
  [
    "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
    "your-encryption-derivation-salt",
    "Encryption key salt used to secure sensitive values stored in the database",
  ],
  [
    "LAGO_ENCRYPTION_PRIMARY_KEY",
    "your-encryption-primary-key",
    "Encryption primary key used to secure sensitive values stored in the database",
  ],
  ["LAGO_FRONT_URL", "http://localhost", "URL of the Lago front-end application.Used for CORS configuration"],
  ["LAGO_GCS_BUCKET", undefined, "GCS Bucket Name"],
  ["LAGO_GCS_CREDENTIALS", undefined, "GCS Credentials JSON file path"],
  ["LAGO_GCS_GSA_EMAIL", undefined, "GCS GSA Email"],
  ["LAGO_GCS_IAM", "false", "GCS IAM Authentication"],
  ["LAGO_GCS_PROJECT", undefined, "GCS Project name"],
  ["LAGO_MEMCACHE_SERVERS", undefined, "Comma-separated list of memcache servers"],
  ["LAGO_PDF_URL", "http://pdf:3000", "PDF Service URL on your infrastructure"],
  ["LAGO_RAILS_STDOUT", "true", "Set to true to activate logs on containers"],
  ["LAGO_REDIS_CACHE_HOST", "redis", "Host name of the redis cache server. See Configuring Redis."],
  [
    "LAGO_REDIS_CACHE_MASTER_NAME",
    "master",
    "Name of the Redis Sentinel master instance. Only used when LAGO_REDIS_CACHE_SENTINELS is set. See Configuring Redis.",
  ],
  ["LAGO_REDIS_CACHE_PASSWORD", undefined, "Password of the redis cache server. See Configuring Redis."],
  [
    "LAGO_REDIS_CACHE_POOL_SIZE",
    "5",
    "Max number of connections in the redis cache connection pool. See Configuring Redis.",
  ],
  ["LAGO_REDIS_CACHE_PORT", "6379", "Port the redis cache server listens to. See Configuring Redis."],
  [
    "LAGO_REDIS_CACHE_SENTINELS",
    undefined,
    "Comma-separated list of Redis Sentinel addresses for Sidekiq high availability (e.g., sentinel-1:26379,sentinel-2:26379,sentinel-3:26379). Only applies to Sidekiq, not the cache",
  ],
  [
    "LAGO_REDIS_SIDEKIQ_MASTER_NAME",
    "master",
    "Name of the Redis Sentinel master instance. Only used when LAGO_REDIS_SIDEKIQ_SENTINELS is set. See Configuring Redis.",
  ],
  [
    "LAGO_REDIS_SIDEKIQ_SENTINELS",
    undefined,
    "Comma-separated list of Redis Sentinel addresses for Sidekiq high availability (e.g., sentinel-1:26379,sentinel-2:26379,sentinel-3:26379). Only applies to Sidekiq, not the cache",
  ],
  ["LAGO_RSA_PRIVATE_KEY", undefined, "Private key used for webhook signatures"],
  ["LAGO_SIDEKIQ_WEB", undefined, "Activate the Sidekiq web UI, disabled by default"],
  ["LAGO_USE_AWS_S3", "false", "Use AWS S3 for files storage"],
  [
    "LAGO_USE_GCS",
    "false",
    "Use Google Cloud Service Cloud Storage for file storage, ⚠️ If you want to use GCS, you have to pass the credentials json key file to the api and worker service",
  ],
  ["LAGO_WEBHOOK_ATTEMPTS", "3", "Number of failed attempt before stopping to deliver a webhook"],
  ["POSTGRES_DB", "lago", "(With Docker compose) Name of the postgres database"],
  ["POSTGRES_HOST", "db", "(With Docker compose) Host name of the postgres server"],
  ["POSTGRES_PASSWORD", "changeme", "(With Docker compose) Database password for postgres connection"],
  ["POSTGRES_PORT", "5432", "(With Docker compose) Port the postgres database listens to"],
  ["POSTGRES_SCHEMA", "public", "Name of the postgres schema"],
  ["POSTGRES_USER", "lago", "(With Docker compose) Database user for postgres connection"],
  ["REDIS_HOST", "redis", "Host name of the redis server"],
  ["REDIS_PASSWORD", undefined, "Password of the redis server"],
  ["REDIS_PORT", "6379", "Port the redis database listens to"],
  ["SECRET_KEY_BASE", "your-secret-key-base-hex-64", "Secret key used for session encryption"],
  ["SENTRY_DSN_FRONT", undefined, "Sentry DSN key for error and performance tracking on Lago front-end"],
  ["SENTRY_DSN", undefined, "Sentry DSN key for error and performance tracking on Lago back-end"],
];

/** Named by the same documentation page outside the table. */
const ELSEWHERE_IN_SEED = [
  "REDIS_URL",
  "LAGO_REDIS_CACHE_URL",
  "LAGO_FROM_EMAIL",
  "LAGO_SMTP_ADDRESS",
  "LAGO_SMTP_PORT",
  "LAGO_SMTP_USERNAME",
  "LAGO_SMTP_PASSWORD",
];

/** Named by shared/reference/lago-stack.md (backend and front environment, db container). */
const FROM_REFERENCE = ["RAILS_ENV", "APP_ENV", "SIDEKIQ_CONCURRENCY", "PGDATA"];

/** Read by the images (the file that reads each), not in the documentation's table. */
const FROM_UPSTREAM = [
  "POSTGRES_SCHEMA", // config/database.yml (in the table too, listed for its reader)
  "LAGO_DISABLE_SSL", // config/environments/production.rb (assume_ssl)
  "LAGO_LOG_LEVEL", // config/environments/production.rb
  "LAGO_SMTP_DOMAIN", // config/environments/production.rb
  "LAGO_OAUTH_PROXY_URL", // lago-front .env.sh; app/services/payment_providers/gocardless_service.rb
  "LAGO_DOMAIN", // lago-front .env.sh; config/initializers/cors.rb without LAGO_FRONT_URL
  "LAGO_REDIS_CABLE_URL", // config/cable.yml
  "LAGO_GCS_KEYFILE_JSON_PATH", // config/storage.yml
  "LAGO_AWS_S3_PATH_STYLE", // config/storage.yml
  "LAGO_AWS_S3_SSL_VERIFY", // config/storage.yml
  "LAGO_CREATE_ORG", // scripts/migrate.sh, lib/tasks/signup.rake
  "LAGO_ORG_NAME", // lib/tasks/signup.rake
  "LAGO_ORG_USER_EMAIL", // lib/tasks/signup.rake
  "LAGO_ORG_USER_PASSWORD", // lib/tasks/signup.rake
  "LAGO_ORG_API_KEY", // lib/tasks/signup.rake
  "LAGO_DISABLE_SEGMENT", // config/initializers/analytics_ruby.rb, app/jobs/segment_*_job.rb
  "LAGO_LICENSE", // lib/lago_utils/lago_utils/license.rb
  "NANGO_PUBLIC_KEY", // lago-front .env.sh
  "LAGO_SUPERSET_URL", // lago-front .env.sh
  "PGSSLROOTCERT", // libpq, for sslmode verify-ca / verify-full
  "PGSSLCERT", // libpq
  "PGSSLKEY", // libpq
];

/**
 * Documented names the images never read, with the one they do read: setting them silently does nothing
 * (lago-api's config/storage.yml reads the GCS key file path from LAGO_GCS_KEYFILE_JSON_PATH).
 */
export const NOT_READ: ReadonlyMap<string, string> = new Map([
  ["LAGO_GCS_CREDENTIALS", "LAGO_GCS_KEYFILE_JSON_PATH"],
]);

export const LAGO_ENV_NAMES: ReadonlySet<string> = new Set(
  [
    ...LAGO_ENV_TABLE.map(([name]) => name),
    ...ELSEWHERE_IN_SEED,
    ...FROM_REFERENCE,
    ...FROM_UPSTREAM,
  ].filter((name) => !NOT_READ.has(name)),
);

/**
 * `SIDEKIQ_<QUEUE>=true` turns on a dedicated worker queue (events, pdfs, billing, clock, webhook,
 * ...); Lago adds queues over time, so the family is recognised by its prefix.
 */
export const SIDEKIQ_FLAG = /^SIDEKIQ_(?!CONCURRENCY$)[A-Z0-9_]+$/;

/** Placeholder values the documentation ships (the table's defaults for secrets), and common ones. */
export const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  "changeme",
  "your-secret-key-base-hex-64",
  "azerty123456",
  "password",
  ...LAGO_ENV_TABLE.flatMap(([, value]) => (value?.startsWith("your-") ? [value] : [])),
]);

/** True for a documented placeholder: the values above and any `your-encryption-...`. */
export const isPlaceholder = (value: string): boolean =>
  PLACEHOLDER_VALUES.has(value.trim().toLowerCase()) || /^your-encryption-/i.test(value.trim());

/** Variables whose documented default is a placeholder: they must be set (S3 keys are not secret-named). */
export const PLACEHOLDER_DEFAULTS: ReadonlySet<string> = new Set(
  LAGO_ENV_TABLE.flatMap(([name, value]) => (value !== undefined && isPlaceholder(value) ? [name] : [])),
);
