#!/usr/bin/env python3
"""Stand-in for the getlago/api image: one program, started by ./scripts/*.sh in one of four roles.

  migrate          ./scripts/migrate.sh   create the schema and this version's tables in the real PostgreSQL
  api              ./scripts/start.api.sh HTTP :3000 (/health, /ready, /debug/env, CORS)
  worker QUEUE     ./scripts/start.worker.sh, start.QUEUE.worker.sh   liveness HTTP :8080, heartbeat in Redis
  clock            ./scripts/start.clock.sh   heartbeat key clock:<hostname> in Redis (count the clocks)

It reads the environment the real image reads, and fails where a misconfigured deployment of the real
image would fail, so e2e tests of the provisioner catch the same mistakes. The version is baked into
/app/LAGO_VERSION at build time; a version ending in -broken never reports healthy (upgrade rollback tests).
"""
import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import redis
from psycopg2 import sql

with open("/app/LAGO_VERSION", encoding="utf-8") as f:
    VERSION = f.read().strip()
BROKEN = VERSION.endswith("-broken")
HOSTNAME = socket.gethostname()
GITHUB_URL = f"https://github.com/getlago/lago-api/tree/{VERSION}"


def log(msg):
    print(f"[lago-api stand-in {VERSION} {HOSTNAME}] {msg}", file=sys.stderr, flush=True)


def version_key(version):
    return tuple(int(x) for x in re.match(r"v?(\d+)\.(\d+)\.(\d+)", version).groups())


# (release that introduced it, Rails-style version, DDL). Each release only adds to this list, so an upgrade
# test sees the new release's api unhealthy until its migrate has run, and a rollback stays healthy.
MIGRATIONS = [
    ("v1.49.0", "20250301000001",
     "CREATE TABLE organizations (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.49.0", "20250301000002",
     "CREATE TABLE customers (id bigserial PRIMARY KEY,"
     " organization_id bigint NOT NULL REFERENCES organizations (id), external_id text NOT NULL,"
     " created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.49.0", "20250301000003",
     "CREATE TABLE invoices (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id),"
     " total_amount_cents bigint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now())"),
    ("v1.50.0", "20250801000001",
     "CREATE TABLE wallets (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id),"
     " balance_cents bigint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now())"),
]
WANTED = [(v, ddl) for release, v, ddl in MIGRATIONS if version_key(release) <= version_key(VERSION)]
MIGRATION_LOCK = 2053462845  # pg_advisory_xact_lock key: concurrent migrate containers run one after another


class ConfigError(Exception):
    pass


# --- PostgreSQL: DATABASE_URL as Rails reads it --------------------------------------------------------

# Query parameters libpq understands (SSL ones among them) go through; Rails-only ones (pool,
# prepared_statements, ...) are dropped like Rails' adapter does. PG* variables (PGSSLMODE, ...) apply too.
LIBPQ_PARAMS = {
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslcompression", "sslsni",
    "sslnegotiation", "requiressl", "gssencmode", "target_session_attrs", "application_name",
    "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
}
# config/database.yml's `variables`: from the URL or from Lago's LAGO_DATABASE_* variables.
TIMEOUTS = {
    "statement_timeout": "LAGO_DATABASE_STATEMENT_TIMEOUT",
    "idle_in_transaction_session_timeout": "LAGO_DATABASE_IDLE_TX_TIMEOUT",
    "lock_timeout": "LAGO_DATABASE_LOCK_TIMEOUT",
}


def database_config():
    """psycopg2 connect() arguments and the schema, from DATABASE_URL (+ POSTGRES_SCHEMA, LAGO_DATABASE_*)."""
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
    query = dict(urllib.parse.parse_qsl(u.query))
    # `?search_path=` wins over POSTGRES_SCHEMA (database.yml's schema_search_path); the first entry is ours.
    schema = (query.pop("search_path", "") or os.environ.get("POSTGRES_SCHEMA") or "public").split(",")[0].strip()
    params = {
        "host": u.hostname,
        "port": port,
        "dbname": urllib.parse.unquote(u.path.lstrip("/")) or None,
        "user": urllib.parse.unquote(u.username) if u.username else None,
        "password": urllib.parse.unquote(u.password) if u.password else None,
        "connect_timeout": 3,
    }
    options = [query.pop("options")] if query.get("options") else []
    for name, env in TIMEOUTS.items():
        value = query.pop(name, "") or os.environ.get(env, "")
        if value:
            options.append(f"-c {name}={value}")
    params.update({k: v for k, v in query.items() if k in LIBPQ_PARAMS})
    if options:
        params["options"] = " ".join(options)
    return {k: v for k, v in params.items() if v is not None}, schema


def applied_versions(conn, schema):
    """The versions in <schema>.schema_migrations, or None when the table is missing."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (f'"{schema}".schema_migrations',))
        if cur.fetchone()[0] is None:
            return None
        cur.execute(sql.SQL("SELECT version FROM {}.schema_migrations").format(sql.Identifier(schema)))
        return {row[0] for row in cur}


def migrate():
    params, schema = database_config()
    try:
        conn = psycopg2.connect(**params)
    except psycopg2.OperationalError as e:
        if "does not exist" not in str(e) or "dbname" not in params:
            raise
        # migrate.sh runs `rake db:create` when it cannot connect: an external server without the database.
        admin = psycopg2.connect(**{**params, "dbname": "postgres"})
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))
        admin.close()
        log(f"created database {params['dbname']}")
        conn = psycopg2.connect(**params)
    # One transaction (PostgreSQL DDL is transactional): a failed migrate leaves nothing half done.
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        ident = sql.Identifier(schema)
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident))
        cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version varchar PRIMARY KEY)")
        # Stand-in only: one row per migrate run, so tests can tell how many ran and where.
        cur.execute("CREATE TABLE IF NOT EXISTS lago_standin_migrate_runs (id bigserial PRIMARY KEY,"
                    " hostname text NOT NULL, version text NOT NULL, applied integer NOT NULL,"
                    " ran_at timestamptz NOT NULL DEFAULT now())")
        done = applied_versions(conn, schema)
        applied = 0
        for version, ddl in WANTED:
            if version not in done:
                cur.execute(ddl)
                cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied += 1
                log(f"migrated {version} in schema {schema}")
        cur.execute("INSERT INTO lago_standin_migrate_runs (hostname, version, applied) VALUES (%s, %s, %s)",
                    (HOSTNAME, VERSION, applied))
        # migrate.sh: `signup:seed_organization` when LAGO_CREATE_ORG=true.
        if os.environ.get("LAGO_CREATE_ORG") == "true" and os.environ.get("LAGO_ORG_NAME"):
            cur.execute("INSERT INTO organizations (name) VALUES (%s) ON CONFLICT (name) DO NOTHING",
                        (os.environ["LAGO_ORG_NAME"],))
    conn.close()
    log(f"migrate done: {applied} applied, {len(WANTED)} in {VERSION}, schema {schema}")


def database_problem():
    try:
        params, schema = database_config()
        conn = psycopg2.connect(**params)
    except (ConfigError, psycopg2.Error) as e:
        return f"database: {str(e).strip()}"
    try:
        done = applied_versions(conn, schema)
    except psycopg2.Error as e:
        return f"database: {str(e).strip()}"
    finally:
        conn.close()
    if done is None:
        return f"database: no schema_migrations in schema {schema} (run ./scripts/migrate.sh)"
    pending = [v for v, _ in WANTED if v not in done]
    if pending:
        return f"database: pending migrations {', '.join(pending)} in schema {schema} (run ./scripts/migrate.sh)"
    return None


# --- Redis: REDIS_URL + REDIS_PASSWORD (Sidekiq), LAGO_REDIS_CACHE_URL + LAGO_REDIS_CACHE_PASSWORD (cache) ----

def redis_client(url_var="REDIS_URL", password_var="REDIS_PASSWORD"):
    url = os.environ.get(url_var, "")
    if not url:
        raise ConfigError(f"{url_var} is not set")
    # As lib/lago/redis_config_builder.rb: the password variable, when set, wins over one in the URL;
    # rediss:// without certificate verification.
    options = {"socket_timeout": 2, "socket_connect_timeout": 2}
    if os.environ.get(password_var):
        options["password"] = os.environ[password_var]
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    return redis.Redis.from_url(url, **options)


def redis_problem(url_var="REDIS_URL", password_var="REDIS_PASSWORD"):
    try:
        redis_client(url_var, password_var).ping()
        return None
    except (ConfigError, redis.RedisError, ValueError) as e:
        return f"redis ({url_var}): {e}"


# --- Secrets: the formats Lago documents --------------------------------------------------------------

def env_first(*names):
    """config/application.rb reads ENCRYPTION_* before LAGO_ENCRYPTION_*."""
    return next((os.environ[n] for n in names if os.environ.get(n)), "")


def secret_problems():
    problems = []
    rsa = os.environ.get("LAGO_RSA_PRIVATE_KEY", "")
    if not rsa.strip():
        problems.append("LAGO_RSA_PRIVATE_KEY is blank")
    else:
        try:
            # Base64.decode64 ignores line breaks; a raw PEM (the multi-line .env mistake) is not base64.
            pem = base64.b64decode("".join(rsa.split()), validate=True)
        except ValueError:
            pem = None
            problems.append("LAGO_RSA_PRIVATE_KEY is not base64 (a raw or multi-line PEM?)")
        if pem is not None:
            check = subprocess.run(["openssl", "rsa", "-check", "-noout", "-text"], input=pem,
                                   capture_output=True, check=False)
            bits = re.search(rb"Private-Key: \((\d+) bit", check.stdout)
            if check.returncode != 0 or not bits:
                first = (check.stderr.decode(errors="replace").strip().splitlines() or ["?"])[0]
                problems.append(f"LAGO_RSA_PRIVATE_KEY does not decode to an RSA private key ({first})")
            elif int(bits.group(1)) < 2048:
                problems.append(f"LAGO_RSA_PRIVATE_KEY is {bits.group(1)} bits, 2048 needed")
    if not re.fullmatch(r"[0-9a-fA-F]{128}", os.environ.get("SECRET_KEY_BASE", "")):
        problems.append("SECRET_KEY_BASE is not 128 hex characters")
    for name in ("PRIMARY_KEY", "DETERMINISTIC_KEY", "KEY_DERIVATION_SALT"):
        if not re.fullmatch(r"[A-Za-z0-9]{32}", env_first(f"ENCRYPTION_{name}", f"LAGO_ENCRYPTION_{name}")):
            problems.append(f"LAGO_ENCRYPTION_{name} is not 32 alphanumeric characters")
    return problems


SECRET_PROBLEMS = secret_problems()  # the environment of a running process never changes


def health_problems():
    if BROKEN:
        return [f"{VERSION} is broken on purpose (stand-in for a bad release)"]
    problems = list(SECRET_PROBLEMS)
    problems += [p for p in (database_problem(), redis_problem()) if p]
    if os.environ.get("LAGO_REDIS_CACHE_URL"):
        problems += [p for p in [redis_problem("LAGO_REDIS_CACHE_URL", "LAGO_REDIS_CACHE_PASSWORD")] if p]
    return problems


# --- What tests may see of the environment --------------------------------------------------------------

SECRET_NAME = re.compile(r"PASSWORD|SECRET|PRIVATE_KEY|_KEY($|_)|SALT|TOKEN|DSN|LICENSE|CREDENTIALS")
NOT_CONFIG = {"PATH", "HOME", "HOSTNAME", "PWD", "SHLVL", "LANG", "TERM", "DEBIAN_FRONTEND", "_"}


def visible_env():
    """Non-secret variables with their values (URL passwords masked); secrets only as sha256 of the value,
    so tests can compare them across hosts without seeing them."""
    env, secrets = {}, {}
    for name, value in sorted(os.environ.items()):
        if name in NOT_CONFIG:
            continue
        digest = hashlib.sha256(value.encode()).hexdigest()
        if SECRET_NAME.search(name):
            secrets[name] = digest
            continue
        u = urllib.parse.urlsplit(value) if "://" in value else None
        if u and u.password:
            secrets[name] = digest
            value = value.replace(f":{u.password}@", ":***@", 1)
        env[name] = value
    return {"version": VERSION, "hostname": HOSTNAME, "env": env, "secrets": secrets}


# --- HTTP ---------------------------------------------------------------------------------------------

def cors_origin(origin):
    """rack-cors as config/initializers/cors.rb sets it up: LAGO_FRONT_URL's host (with its port unless 80 or
    443), any scheme. Returns the origin to echo, or None."""
    front = os.environ.get("LAGO_FRONT_URL")
    if not front or not origin:
        return None
    u = urllib.parse.urlsplit(front)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme)
    allowed = u.hostname if port in (80, 443) else f"{u.hostname}:{port}"
    return origin if re.fullmatch(r"[a-z][a-z0-9.+-]*://" + re.escape(allowed or ""), origin) else None


class ApiHandler(BaseHTTPRequestHandler):
    server_version = "lago-api-standin"
    shutting_down = False

    def reply(self, status, payload, extra_headers=()):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        origin = cors_origin(self.headers.get("Origin"))
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Expose-Headers", "x-lago-token")
            self.send_header("Vary", "Origin")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            problems = health_problems()
            base = {"version": VERSION, "github_url": GITHUB_URL}
            if problems:
                reason = "; ".join(problems)
                # Lago's own body (message/details) plus status/reason for tests.
                self.reply(500, {**base, "message": "Unhealthy", "details": reason, "status": "Unhealthy",
                                 "reason": reason})
            else:
                self.reply(200, {**base, "message": "Success"})
        elif path == "/ready":
            if ApiHandler.shutting_down:
                self.reply(503, {"status": "shutting down"})
            else:
                self.reply(200, {"status": "ok"})
        elif path == "/debug/env":
            self.reply(200, visible_env())
        else:
            self.reply(404, {"status": 404, "error": "Not Found", "code": "resource_not_found"})

    do_HEAD = do_GET

    def do_OPTIONS(self):
        # CORS preflight; without a matching Origin the browser gets no Allow-* headers and refuses.
        if cors_origin(self.headers.get("Origin")):
            self.reply(200, {}, [
                ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"),
                ("Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers", "")),
                ("Access-Control-Max-Age", "7200"),
            ])
        else:
            self.reply(404, {"status": 404, "error": "Not Found", "code": "resource_not_found"})

    def log_message(self, fmt, *args):
        log(f"{self.address_string()} {fmt % args}")


class DualStackServer(ThreadingHTTPServer):
    """`rails s -b ::`: IPv6 and IPv4 on one socket, IPv4 only where the container has no IPv6."""
    daemon_threads = True
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve(handler, port):
    try:
        return DualStackServer(("::", port), handler)
    except OSError:
        server = ThreadingHTTPServer(("0.0.0.0", port), handler)
        server.daemon_threads = True
        return server


def api():
    for problem in SECRET_PROBLEMS:
        log(f"WARNING: {problem}")
    port = int(os.environ.get("PORT", "3000"))
    server = serve(ApiHandler, port)

    def on_term(*_):
        # /ready says 503 for a moment so a proxy stops sending traffic, then the server stops.
        ApiHandler.shutting_down = True
        grace = float(os.environ.get("LAGO_STANDIN_SHUTDOWN_GRACE", "1"))
        threading.Thread(target=lambda: (time.sleep(grace), server.shutdown()), daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    log(f"api listening on :{port}")
    server.serve_forever()


# --- Background processes: workers and the clock ------------------------------------------------------

SIDEKIQ_FLAGS = ["SIDEKIQ_EVENTS", "SIDEKIQ_PDFS", "SIDEKIQ_BILLING", "SIDEKIQ_CLOCK", "SIDEKIQ_WEBHOOK",
                 "SIDEKIQ_AI_AGENT", "SIDEKIQ_ALERTS", "SIDEKIQ_ANALYTICS", "SIDEKIQ_PAYMENTS", "SIDEKIQ_WALLETS"]


def heartbeat_forever(key, role):
    """Refreshes `key` (TTL 10 s) every 2 s with who holds it; deletes it on SIGTERM so counts are immediate.
    Redis being down is logged and retried, as Sidekiq and clockwork do."""
    value = json.dumps({"role": role, "version": VERSION, "hostname": HOSTNAME,
                        "sidekiq": {f: os.environ.get(f, "") for f in SIDEKIQ_FLAGS}})
    stop = threading.Event()

    def on_term(*_):
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    client, failing = None, False
    while not stop.is_set():
        try:
            client = client or redis_client()
            client.set(key, value, ex=10)
            if failing:
                log(f"{key}: Redis is back")
            failing = False
        except (ConfigError, redis.RedisError, ValueError) as e:
            if not failing:
                log(f"{key}: cannot reach Redis: {e}")
            client, failing = None, True
        stop.wait(2)
    try:
        redis_client().delete(key)
    except (ConfigError, redis.RedisError, ValueError):
        pass
    log(f"{role} stopped")


class LivenessHandler(BaseHTTPRequestHandler):
    """config/initializers/sidekiq.rb's liveness server: 200 "Live!" when Redis answers PING, else 404."""

    def do_GET(self):
        problem = redis_problem()
        body = b"Live!\n" if problem is None else f"Sidekiq is not ready: {problem}\n".encode()
        self.send_response(200 if problem is None else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def worker(queue):
    server = serve(LivenessHandler, 8080)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log(f"worker ({queue}) started, liveness on :8080")
    heartbeat_forever(f"worker:{queue}:{HOSTNAME}", f"worker:{queue}")


def clock():
    log("clock started")
    heartbeat_forever(f"clock:{HOSTNAME}", "clock")


def main(argv):
    role = argv[1] if len(argv) > 1 else ""
    try:
        if role == "migrate":
            migrate()
        elif role == "api":
            api()
        elif role == "worker":
            worker(argv[2] if len(argv) > 2 else "default")
        elif role == "clock":
            clock()
        else:
            print("usage: lago_standin.py migrate|api|worker [QUEUE]|clock", file=sys.stderr)
            return 2
    except (ConfigError, psycopg2.Error) as e:
        log(f"{role} failed: {str(e).strip()}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
