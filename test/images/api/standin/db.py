"""PostgreSQL as lago-api's config/database.yml (production) connects to it, and its migrations.

- DATABASE_URL gives the server; like Rails' PostgreSQL adapter, only libpq's own keywords from its
  query string reach the connection (a `search_path=` is dropped), so libpq tools such as pg_dump can
  use the same URL.
- The schema is POSTGRES_SCHEMA (`schema_search_path: ENV.fetch('POSTGRES_SCHEMA', 'public')`), set on
  every connection with `SET search_path TO`; the schema must exist (Rails does not create it).
- LAGO_DATABASE_{STATEMENT,IDLE_TX,LOCK}_TIMEOUT are the connection's `variables`.
"""
import hashlib
import hmac
import os
import secrets
import urllib.parse

import psycopg2

from .boot import HOSTNAME, VERSION, env, log, version_key

LIBPQ_KEYWORDS = {
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding", "connect_timeout",
    "client_encoding", "options", "application_name", "fallback_application_name", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication",
    "gssencmode", "sslmode", "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword",
    "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service", "target_session_attrs",
    "load_balance_hosts",
}
VARIABLES = {
    "statement_timeout": "LAGO_DATABASE_STATEMENT_TIMEOUT",
    "idle_in_transaction_session_timeout": "LAGO_DATABASE_IDLE_TX_TIMEOUT",
    "lock_timeout": "LAGO_DATABASE_LOCK_TIMEOUT",
}


class ConfigError(Exception):
    pass


def connect_params():
    """psycopg2 connect() arguments from DATABASE_URL and the LAGO_DATABASE_* variables."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise ConfigError("DATABASE_URL is not set")
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("postgres", "postgresql"):
        raise ConfigError(f"DATABASE_URL: unsupported scheme {u.scheme!r}")
    try:
        port = u.port or 5432
    except ValueError as e:
        raise ConfigError(f"DATABASE_URL: {e}") from None
    params = {k: v for k, v in urllib.parse.parse_qsl(u.query) if k in LIBPQ_KEYWORDS}
    params.update({
        "host": u.hostname,
        "port": port,
        "dbname": urllib.parse.unquote(u.path.lstrip("/")) or None,
        "user": urllib.parse.unquote(u.username) if u.username else None,
        "password": urllib.parse.unquote(u.password) if u.password else None,
    })
    params.setdefault("connect_timeout", "3")
    settings = [f"-c {name}={os.environ[var]}" for name, var in VARIABLES.items() if os.environ.get(var)]
    if settings:
        params["options"] = " ".join(([params["options"]] if params.get("options") else []) + settings)
    return {k: v for k, v in params.items() if v is not None}


def schema():
    """schema_search_path; blank means the server's default search_path."""
    return env("POSTGRES_SCHEMA", "public")


def connect(dbname=None):
    params = connect_params()
    if dbname:
        params["dbname"] = dbname
    conn = psycopg2.connect(**params)
    if schema() and not dbname:
        with conn.cursor() as cur:
            # Rails: `SET search_path TO #{schema_search_path}`, the value as written.
            cur.execute(f"SET search_path TO {schema()}")
        conn.commit()
    return conn


# (release that introduced it, Rails-style version, DDL). Each release only adds to this list, so an upgrade
# test sees the new release's migration run once, and a rollback to an older image keeps working. The
# tables all releases have are "v1.0.0"'s; where a version is upstream's, the migration is named after
# its file in lago-api db/migrate/ (the bridge releases' constraints, standin/bridges.py).
UUID = "uuid PRIMARY KEY DEFAULT gen_random_uuid()"
MIGRATIONS = [
    ("v1.0.0", "20250301000001",
     f"CREATE TABLE organizations (id {UUID}, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000002",
     f"CREATE TABLE customers (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " external_id text NOT NULL, name text, created_at timestamptz NOT NULL DEFAULT now(),"
     " UNIQUE (organization_id, external_id))"),
    ("v1.0.0", "20250301000003",
     f"CREATE TABLE invoices (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " customer_id uuid NOT NULL REFERENCES customers (id), status text NOT NULL DEFAULT 'finalized',"
     " currency text NOT NULL, total_amount_cents bigint NOT NULL DEFAULT 0,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000004",
     f"CREATE TABLE users (id {UUID}, email text NOT NULL UNIQUE, password_digest text NOT NULL,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000005",
     f"CREATE TABLE memberships (id {UUID}, user_id uuid NOT NULL REFERENCES users (id),"
     " organization_id uuid NOT NULL REFERENCES organizations (id), status text NOT NULL DEFAULT 'active',"
     " UNIQUE (user_id, organization_id))"),
    ("v1.0.0", "20250301000006",
     f"CREATE TABLE api_keys (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " value text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000007",
     f"CREATE TABLE active_storage_blobs (id {UUID}, key text NOT NULL UNIQUE, filename text NOT NULL,"
     " content_type text, byte_size bigint NOT NULL, checksum text, service_name text NOT NULL,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000008",
     f"CREATE TABLE active_storage_attachments (id {UUID}, name text NOT NULL, record_type text NOT NULL,"
     " record_id uuid NOT NULL, blob_id uuid NOT NULL REFERENCES active_storage_blobs (id),"
     " UNIQUE (record_type, record_id, name))"),
    # Data that Lago's bridge releases backfill: organization_id and code were added nullable, filled by
    # their tasks, then made NOT NULL by a later release (a CHECK ... NOT VALID, then validated, as
    # upstream's pairs of migrations do; a NOT VALID check already refuses new rows without the value).
    ("v1.0.0", "20250301000009",
     f"CREATE TABLE billable_metrics (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " code text NOT NULL)"),
    ("v1.0.0", "20250301000010",
     f"CREATE TABLE charges (id {UUID}, organization_id uuid REFERENCES organizations (id),"
     " billable_metric_id uuid NOT NULL REFERENCES billable_metrics (id), code text,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000011",
     f"CREATE TABLE add_ons (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " code text NOT NULL)"),
    ("v1.0.0", "20250301000012",
     f"CREATE TABLE fixed_charges (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " add_on_id uuid NOT NULL REFERENCES add_ons (id), code text, created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.0.0", "20250301000013",
     f"CREATE TABLE payments (id {UUID}, organization_id uuid REFERENCES organizations (id),"
     " invoice_id uuid NOT NULL REFERENCES invoices (id), amount_cents bigint NOT NULL DEFAULT 0)"),
    # Wallet::STATUSES = [:active, :terminated]
    ("v1.0.0", "20250301000014",
     f"CREATE TABLE wallets (id {UUID}, customer_id uuid NOT NULL REFERENCES customers (id),"
     " status integer NOT NULL DEFAULT 0, balance_cents bigint NOT NULL DEFAULT 0,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    # `secrets` is encrypted (standin/encryption.py), as app/models/concerns/secrets_storable.rb has it.
    ("v1.0.0", "20250301000015",
     f"CREATE TABLE payment_providers (id {UUID}, organization_id uuid NOT NULL REFERENCES organizations (id),"
     " type varchar NOT NULL, code varchar NOT NULL, name varchar NOT NULL, secrets varchar,"
     " created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (organization_id, code))"),
    ("v1.32.0", "20250627124016",  # organization_id_check_constaint_on_charges.rb
     "ALTER TABLE charges ADD CONSTRAINT charges_organization_id_null CHECK (organization_id IS NOT NULL) NOT VALID"),
    ("v1.32.0", "20250627124017",  # not_null_organization_id_on_charges.rb
     "ALTER TABLE charges VALIDATE CONSTRAINT charges_organization_id_null;"
     " ALTER TABLE charges ALTER COLUMN organization_id SET NOT NULL;"
     " ALTER TABLE charges DROP CONSTRAINT charges_organization_id_null"),
    ("v1.32.0", "20250710102337",  # add_customer_id_to_payments.rb
     "ALTER TABLE payments ADD COLUMN customer_id uuid REFERENCES customers (id)"),
    ("v1.43.0", "20251229153718",  # add_code_not_null_check_constraint_to_charges.rb
     "ALTER TABLE charges ADD CONSTRAINT charges_code_not_null CHECK (code IS NOT NULL) NOT VALID;"
     " ALTER TABLE fixed_charges ADD CONSTRAINT fixed_charges_code_not_null CHECK (code IS NOT NULL) NOT VALID"),
    ("v1.43.0", "20251229153734",  # validate_charges_code_not_null.rb
     "ALTER TABLE charges VALIDATE CONSTRAINT charges_code_not_null;"
     " ALTER TABLE charges ALTER COLUMN code SET NOT NULL; ALTER TABLE charges DROP CONSTRAINT charges_code_not_null;"
     " ALTER TABLE fixed_charges VALIDATE CONSTRAINT fixed_charges_code_not_null;"
     " ALTER TABLE fixed_charges ALTER COLUMN code SET NOT NULL;"
     " ALTER TABLE fixed_charges DROP CONSTRAINT fixed_charges_code_not_null"),
    ("v1.45.0", "20251224152734",  # add_traceable_to_wallets.rb
     "ALTER TABLE wallets ADD COLUMN traceable boolean NOT NULL DEFAULT false"),
    ("v1.50.0", "20260622113747",  # add_purchase_order_number_to_invoices.rb
     "ALTER TABLE invoices ADD COLUMN purchase_order_number text"),
]
WANTED = [(v, ddl) for release, v, ddl in MIGRATIONS if version_key(release) <= version_key(VERSION)]
MIGRATION_LOCK = 2053462845  # pg_advisory_xact_lock key: concurrent migrate containers run one after another


def password_digest(password, salt=None):
    """has_secure_password stores a one-way digest (bcrypt upstream; PBKDF2 here, the standard library's)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 100_000).hex()
    return f"pbkdf2_sha256${salt}${digest}"


def password_matches(password, stored):
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(password_digest(password, salt), stored)


def create_database_if_missing():
    """`rake db:create`: an external server without the database gets it; an existing one is left alone."""
    try:
        psycopg2.connect(**connect_params()).close()
    except psycopg2.OperationalError as e:
        if "does not exist" not in str(e):
            raise
        name = connect_params()["dbname"]
        admin = connect("postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        log(f"created database {name}")


def migrate():
    """scripts/migrate.sh: db:create, db:migrate, then signup:seed_organization when LAGO_CREATE_ORG=true."""
    create_database_if_missing()
    conn = connect()
    # One transaction (PostgreSQL DDL is transactional): a failed migrate leaves nothing half done. Tables
    # are created unqualified, in the search_path's schema: a POSTGRES_SCHEMA that does not exist fails
    # here with PostgreSQL's "no schema has been selected to create in", as Rails' db:migrate does.
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version varchar PRIMARY KEY)")
        # Stand-in only: one row per migrate run, so tests can tell how many ran and where.
        cur.execute("CREATE TABLE IF NOT EXISTS lago_standin_migrate_runs (id bigserial PRIMARY KEY,"
                    " hostname text NOT NULL, version text NOT NULL, applied integer NOT NULL,"
                    " ran_at timestamptz NOT NULL DEFAULT now())")
        cur.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in cur}
        applied = 0
        for version, ddl in WANTED:
            if version not in done:
                cur.execute(ddl)
                cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied += 1
                log(f"migrated {version} in schema {schema()}")
        cur.execute("INSERT INTO lago_standin_migrate_runs (hostname, version, applied) VALUES (%s, %s, %s)",
                    (HOSTNAME, VERSION, applied))
    log(f"migrate done: {applied} applied, {len(WANTED)} in {VERSION}, schema {schema()}")
    if os.environ.get("LAGO_CREATE_ORG") == "true":
        seed_organization(conn)
    conn.close()


def seed_organization(conn):
    """lib/tasks/signup.rake `signup:seed_organization`: find-or-create, so a re-run changes nothing. The
    password is only used when the user is created; a new LAGO_ORG_NAME makes a second organization."""
    names = ("LAGO_ORG_USER_PASSWORD", "LAGO_ORG_USER_EMAIL", "LAGO_ORG_NAME")
    if not all(os.environ.get(n, "").strip() for n in names):
        raise ConfigError("Couldn't find LAGO_ORG_USER_PASSWORD, LAGO_ORG_USER_EMAIL or LAGO_ORG_NAME in "
                          "environement variables")
    email, name = os.environ["LAGO_ORG_USER_EMAIL"], os.environ["LAGO_ORG_NAME"]
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        cur.execute("INSERT INTO users (email, password_digest) VALUES (%s, %s) ON CONFLICT (email) DO NOTHING",
                    (email, password_digest(os.environ["LAGO_ORG_USER_PASSWORD"])))
        cur.execute("SELECT id FROM users WHERE email = %s", (email,))
        user_id = cur.fetchone()[0]
        cur.execute("SELECT id FROM organizations WHERE name = %s ORDER BY created_at LIMIT 1", (name,))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO organizations (name) VALUES (%s) RETURNING id", (name,))
            row = cur.fetchone()
        org_id = row[0]
        cur.execute("INSERT INTO memberships (user_id, organization_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (user_id, org_id))
        wanted = os.environ.get("LAGO_ORG_API_KEY", "").strip()
        if wanted:
            cur.execute("INSERT INTO api_keys (organization_id, value) VALUES (%s, %s) ON CONFLICT (value) DO NOTHING",
                        (org_id, wanted))
        else:
            cur.execute("SELECT 1 FROM api_keys WHERE organization_id = %s", (org_id,))
            if cur.fetchone() is None:
                cur.execute("INSERT INTO api_keys (organization_id, value) VALUES (%s, gen_random_uuid()::text)",
                            (org_id,))
    log(f"seeded organization {name!r} with user {email}")
