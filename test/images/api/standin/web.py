"""The api's HTTP routes (lago-api config/routes.rb) that a deployment depends on; test/images/CONTRACT.md
names the upstream file of each. Paths are served at the api's root, exactly as written there: a proxy
that strips or adds a prefix breaks them, as it would break the real api.
"""
import base64
import json
import os
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import psycopg2
import redis

from . import cable, db, encryption, graphql, jobs, redis_config, storage
from .boot import BROKEN, GITHUB_URL, HOSTNAME, VERSION, log
from .visible import visible_env

NOT_FOUND = {"status": 404, "error": "Not Found", "code": "resource_not_found"}
UNAUTHORIZED = {"status": 401, "error": "Unauthorized"}


class Reply(Exception):
    """Ends a request with this status and JSON body."""

    def __init__(self, status, payload):
        super().__init__(status)
        self.status, self.payload = status, payload


def not_found(resource):
    return Reply(404, {"status": 404, "error": "Not Found", "code": f"{resource}_not_found"})


def cors_origin(origin):
    """config/initializers/cors.rb: LAGO_FRONT_URL's host (with its port unless 80 or 443), any scheme (a
    scheme-less origin in rack-cors). Returns the origin to echo, or None."""
    front = os.environ.get("LAGO_FRONT_URL")
    if not front or not origin:
        return None
    u = urllib.parse.urlsplit(front)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme)
    allowed = u.hostname if port in (80, 443) else f"{u.hostname}:{port}"
    return origin if re.fullmatch(r"[a-z][a-z0-9.+-]*://" + re.escape(allowed or ""), origin) else None


# --- REST: /api/v1 (app/controllers/api/v1/*, authenticated by app/controllers/api/base_controller.rb) ---

def customer_json(row):
    lago_id, external_id, name, created_at = row
    return {"lago_id": str(lago_id), "external_id": external_id, "name": name, "created_at": created_at.isoformat()}


def invoice_json(cur, invoice_id):
    cur.execute("SELECT i.id, i.status, i.currency, i.total_amount_cents, c.external_id FROM invoices i"
                " JOIN customers c ON c.id = i.customer_id WHERE i.id = %s", (invoice_id,))
    lago_id, status, currency, total, customer = cur.fetchone()
    file = storage.attached(cur, "Invoice", lago_id, "file")
    return {"invoice": {"lago_id": str(lago_id), "status": status, "currency": currency,
                        "total_amount_cents": total, "customer": {"external_id": customer},
                        "file_url": storage.blob_url(*file) if file else None}}


def find_invoice(cur, org, invoice_id):
    if not re.fullmatch(r"[0-9a-f-]{36}", invoice_id):
        raise not_found("invoice")
    cur.execute("SELECT id FROM invoices WHERE id = %s AND organization_id = %s", (invoice_id, org))
    if cur.fetchone() is None:
        raise not_found("invoice")


def create_customer(cur, org, body):
    params = body.get("customer")
    if not isinstance(params, dict):
        raise Reply(400, {"status": 400, "error": "BadRequest: param is missing or the value is empty: customer"})
    if not params.get("external_id"):
        raise Reply(422, {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
                          "error_details": {"external_id": ["value_is_mandatory"]}})
    # Customers::CreateService upserts on external_id (200 either way).
    cur.execute("INSERT INTO customers (organization_id, external_id, name) VALUES (%s, %s, %s)"
                " ON CONFLICT (organization_id, external_id) DO UPDATE SET name = EXCLUDED.name"
                " RETURNING id, external_id, name, created_at", (org, params["external_id"], params.get("name")))
    return 200, {"customer": customer_json(cur.fetchone())}


def create_invoice(cur, org, body):
    """A one-off invoice (POST /api/v1/invoices), finalized at once; fees as {units, unit_amount_cents}."""
    params = body.get("invoice") or {}
    cur.execute("SELECT id FROM customers WHERE organization_id = %s AND external_id = %s",
                (org, params.get("external_customer_id")))
    customer = cur.fetchone()
    if customer is None:
        raise not_found("customer")
    total = sum(int(float(f.get("units", 1)) * int(f.get("unit_amount_cents", 0))) for f in params.get("fees", []))
    cur.execute("INSERT INTO invoices (organization_id, customer_id, currency, total_amount_cents)"
                " VALUES (%s, %s, %s, %s) RETURNING id", (org, customer[0], params.get("currency", "USD"), total))
    invoice_id = cur.fetchone()[0]
    # Invoices::GeneratePdfJob runs after a one-off invoice is finalized.
    jobs.enqueue(jobs.PDF_JOB, [str(invoice_id)], jobs.pdf_queue())
    return 200, invoice_json(cur, invoice_id)


def download_invoice(cur, org, invoice_id):
    """POST /api/v1/invoices/:id/download: the invoice once its file exists, else a new PDF job and an
    empty 200 (app/controllers/api/v1/invoices_controller.rb#download_pdf)."""
    find_invoice(cur, org, invoice_id)
    if storage.attached(cur, "Invoice", invoice_id, "file"):
        return 200, invoice_json(cur, invoice_id)
    jobs.enqueue(jobs.PDF_JOB, [invoice_id], jobs.pdf_queue())
    return 200, None


def show_customer(cur, org, external_id):
    cur.execute("SELECT id, external_id, name, created_at FROM customers WHERE organization_id = %s"
                " AND external_id = %s", (org, external_id))
    row = cur.fetchone()
    if row is None:
        raise not_found("customer")
    return 200, {"customer": customer_json(row)}


def show_invoice(cur, org, invoice_id):
    find_invoice(cur, org, invoice_id)
    return 200, invoice_json(cur, invoice_id)


def show_organization(cur, org, _):
    cur.execute("SELECT id, name FROM organizations WHERE id = %s", (org,))
    lago_id, name = cur.fetchone()
    return 200, {"organization": {"lago_id": str(lago_id), "name": name}}


# (method, path pattern, handler(cur, organization id, body or path argument))
REST = [
    ("POST", r"/api/v1/customers", create_customer),
    ("GET", r"/api/v1/customers/([^/]+)", show_customer),
    ("POST", r"/api/v1/invoices", create_invoice),
    ("GET", r"/api/v1/invoices/([^/]+)", show_invoice),
    ("POST", r"/api/v1/invoices/([^/]+)/download", download_invoice),
    ("GET", r"/api/v1/organizations", show_organization),
]


def track_api_key_usage(key_id):
    """Rails.cache.write("api_key_last_used_ID"): with a cache Redis, a failure is only a warning."""
    if redis_config.cache_enabled():
        try:
            redis_config.client(redis_config.CACHE).set(f"api_key_last_used_{key_id}", time.time())
        except (redis.RedisError, ValueError) as e:
            log(f"WARN cache: {e}")


class ApiHandler(BaseHTTPRequestHandler):
    server_version = "lago-api-standin"
    shutting_down = False
    public_key = b""

    def reply(self, status, payload, content_type="application/json", extra_headers=()):
        body = b"" if payload is None else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
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

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise Reply(400, {"status": 400, "error": "BadRequest: invalid JSON"}) from None

    def route(self):
        path = urllib.parse.urlsplit(self.path).path
        method = self.command
        if path.startswith("/sidekiq") and os.environ.get("LAGO_SIDEKIQ_WEB") == "true" and method == "GET":
            return self.reply(200, b"<html><body>Sidekiq (stand-in)</body></html>", "text/html")
        if path == "/metrics" and method == "GET":
            return self.reply(200, self.metrics(), "text/plain; version=0.0.4")
        if path == "/cable":
            return cable.handle(self)
        if path == "/graphql" and method == "POST":
            return self.reply(200, graphql.execute(self.body(), self.headers))
        if path == "/health" and method == "GET":
            return self.health()
        if path == "/ready" and method == "GET":
            return self.reply(*((503, {"status": "shutting down"}) if ApiHandler.shutting_down
                                else (200, {"status": "ok"})))
        if path == "/debug/env" and method == "GET":
            return self.reply(200, visible_env())
        if path == "/api/v1/webhooks/public_key" and method == "GET":
            self.authenticate()
            return self.reply(200, self.public_key_base64(), "text/plain")
        for verb, pattern, handler in REST:
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                return self.rest(handler, m.group(1) if m.groups() else None)
        if path.startswith("/rails/active_storage/"):
            return self.active_storage(path)
        raise Reply(404, NOT_FOUND)  # config/routes.rb: match "*unmatched" => "application#not_found"

    def authenticate(self):
        """(api key id, organization id) of `Authorization: Bearer KEY`, else a 401."""
        token = (self.headers.get("Authorization") or "").split(" ")
        if len(token) < 2:
            raise Reply(401, UNAUTHORIZED)
        conn = db.connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT id, organization_id FROM api_keys WHERE value = %s", (token[1],))
                row = cur.fetchone()
        finally:
            conn.close()
        if row is None:
            raise Reply(401, UNAUTHORIZED)
        track_api_key_usage(row[0])
        return row

    def rest(self, handler, argument):
        _, org = self.authenticate()
        body = self.body() if self.command == "POST" else None
        conn = db.connect()
        try:
            with conn, conn.cursor() as cur:
                status, payload = handler(cur, org, body if argument is None else argument)
        finally:
            conn.close()
        self.reply(status, payload)

    def public_key_base64(self):
        """Base64.encode64(RsaPublicKey.to_s): the key rsa_keys.rb loaded, 60 characters a line."""
        text = base64.b64encode(self.public_key).decode()
        return ("".join(text[i:i + 60] + "\n" for i in range(0, len(text), 60))).encode()

    def health(self):
        """application_controller.rb#health: 200 when the database answers a query; Redis is not checked."""
        base = {"version": VERSION, "github_url": GITHUB_URL}
        if BROKEN:
            return self.reply(500, {**base, "message": "Unhealthy", "details": f"{VERSION} is broken on purpose"})
        try:
            conn = db.connect()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
            finally:
                conn.close()
        except (db.ConfigError, psycopg2.Error) as e:
            return self.reply(500, {**base, "message": "Unhealthy", "details": str(e).strip()})
        self.reply(200, {**base, "message": "Success"})

    def metrics(self):
        """Yabeda's Prometheus exporter (mounted at /metrics, no authentication)."""
        return (f'# TYPE lago_standin_info gauge\nlago_standin_info{{version="{VERSION}",host="{HOSTNAME}"}} 1\n'
                ).encode()

    def active_storage(self, path):
        m = re.fullmatch(r"/rails/active_storage/blobs/redirect/([^/]+)/(.+)", path)
        if m and self.command == "GET":
            payload = storage.verify(m.group(1), "blob_id")
            if payload is None:
                raise Reply(404, NOT_FOUND)
            conn = db.connect()
            try:
                with conn, conn.cursor() as cur:
                    cur.execute("SELECT key, filename, content_type FROM active_storage_blobs WHERE id = %s",
                                (payload["blob_id"],))
                    row = cur.fetchone()
            finally:
                conn.close()
            if row is None:
                raise Reply(404, NOT_FOUND)
            location = storage.disk_url(self.headers, self.client_address[0], *row)
            return self.reply(302, b"", "text/html", [("Location", location)])
        m = re.fullmatch(r"/rails/active_storage/disk/([^/]+)/(.+)", path)
        if m and self.command == "GET":
            payload = storage.verify(m.group(1), "blob_key")
            file = storage.path_for(payload["key"]) if payload else None
            if file is None or not os.path.exists(file):
                return self.reply(404, b"", "text/plain")
            with open(file, "rb") as f:
                data = f.read()
            return self.reply(200, data, payload["content_type"], [("Content-Disposition", payload["disposition"])])
        return self.reply(404, b"", "text/plain")  # a routing error under rails/active_storage: an empty 404

    def handle_request(self):
        try:
            self.route()
        except Reply as r:
            self.reply(r.status, r.payload)
        except (db.ConfigError, psycopg2.Error, storage.StorageError, redis.RedisError,
                encryption.DecryptionError) as e:
            log(f"{self.command} {self.path}: {e}")
            self.reply(500, {"status": 500, "error": "Internal Server Error"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_request

    def do_HEAD(self):
        self.handle_request()

    def do_OPTIONS(self):
        # CORS preflight; without a matching Origin the browser gets no Allow-* headers and refuses.
        if cors_origin(self.headers.get("Origin")):
            self.reply(200, {}, extra_headers=[
                ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"),
                ("Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers", "")),
                ("Access-Control-Max-Age", "7200"),
            ])
        else:
            self.reply(404, NOT_FOUND)

    def log_message(self, fmt, *args):
        log(f"{self.address_string()} {fmt % args}")


def shut_down_gracefully(server):
    """SIGTERM: /ready answers 503 for a moment so a proxy stops sending traffic, then the server stops."""
    ApiHandler.shutting_down = True
    grace = float(os.environ.get("LAGO_STANDIN_SHUTDOWN_GRACE", "1"))
    threading.Thread(target=lambda: (time.sleep(grace), server.shutdown()), daemon=True).start()
