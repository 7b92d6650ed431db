"""Sidekiq workers, the clock, and the one job the stand-in performs (an invoice PDF).

- Queues: a job is a JSON entry on the Redis list queue:NAME (Sidekiq's layout); each worker script
  reads the queues of its config/sidekiq/*.yml (queues.py). Invoices::GeneratePdfJob goes to `pdfs`
  when SIDEKIQ_PDFS is true, else to `invoices` (app/jobs/invoices/generate_pdf_job.rb): with the flag
  and no pdfs worker, PDFs wait for ever.
- The PDF comes from Gotenberg: POST LAGO_PDF_URL/forms/chromium/convert/html, multipart with index.html
  (app/services/utils/pdf_generator.rb), and is stored as the invoice's `file` (storage.py).
- Liveness (config/initializers/sidekiq.rb): TCP :8080 answers 200 "Live!" while Redis answers PING,
  else 404.
- Stand-in only: each worker and the clock keep a heartbeat key in Redis (worker:QUEUE:HOST, clock:HOST,
  TTL 10 s) so tests can count them.
"""
import json
import os
import secrets
import signal
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler

import psycopg2
import redis

from . import db, redis_config, storage
from .boot import HOSTNAME, VERSION, cast_boolean, log
from .queues import SIDEKIQ_FLAGS, worker_queues
from .server import serve

PDF_JOB = "Invoices::GeneratePdfJob"


def pdf_queue():
    return "pdfs" if cast_boolean("SIDEKIQ_PDFS") else "invoices"


def enqueue(job_class, args, queue):
    job = {"class": job_class, "args": args, "queue": queue, "jid": secrets.token_hex(12),
           "enqueued_at": time.time()}
    client = redis_config.client()
    client.sadd("queues", queue)
    client.lpush(f"queue:{queue}", json.dumps(job))


def multipart(fields):
    boundary = uuid.uuid4().hex
    body = b""
    for name, (filename, content_type, data) in fields.items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def generate_pdf(invoice_id):
    """app/services/invoices/generate_pdf_service.rb: nothing when LAGO_DISABLE_PDF_GENERATION is true or the
    invoice has its file already (several download calls enqueue several jobs)."""
    if cast_boolean("LAGO_DISABLE_PDF_GENERATION"):
        return
    conn = db.connect()
    try:
        with conn, conn.cursor() as cur:
            if storage.attached(cur, "Invoice", invoice_id, "file"):
                return
            cur.execute("SELECT i.currency, i.total_amount_cents, c.external_id, o.name FROM invoices i"
                        " JOIN customers c ON c.id = i.customer_id JOIN organizations o ON o.id = i.organization_id"
                        " WHERE i.id = %s", (invoice_id,))
            currency, total, customer, organization = cur.fetchone()
            html = (f"<html><body><h1>{organization}</h1><p>Invoice {invoice_id} for {customer}:"
                    f" {total / 100:.2f} {currency}</p></body></html>").encode()
            body, content_type = multipart({"files": ("index.html", "text/html", html)})
            url = os.environ.get("LAGO_PDF_URL", "").rstrip("/") + "/forms/chromium/convert/html"
            request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
            with urllib.request.urlopen(request, timeout=300) as response:
                pdf = response.read()
            storage.upload(cur, "Invoice", invoice_id, "file", f"invoice-{invoice_id}.pdf", "application/pdf", pdf)
    finally:
        conn.close()
    log(f"{PDF_JOB}: invoice {invoice_id}, {len(pdf)} bytes from {url}")


def perform(job):
    from . import bridges  # the bridge tasks enqueue through this module
    if job.get("class") == PDF_JOB:
        generate_pdf(job["args"][0])
    elif bridges.perform(job):
        log(f"{job['class']} done")
    else:
        log(f"job {job.get('class')} is not modelled by the stand-in: dropped")


class LivenessHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        problem = redis_config.problem()
        body = b"Live!\n" if problem is None else f"Sidekiq is not ready: {problem}\n".encode()
        self.send_response(200 if problem is None else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def run_forever(key, role, queues):
    """Heartbeat every 2 s; between beats, the next job of `queues`. Redis being down is logged and
    retried, as Sidekiq and clockwork do; a failed job is logged (Sidekiq retries it, the stand-in not)."""
    value = json.dumps({"role": role, "version": VERSION, "hostname": HOSTNAME,
                        "sidekiq": {f: os.environ.get(f, "") for f in SIDEKIQ_FLAGS}})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    client, failing = None, False
    while not stop.is_set():
        try:
            client = client or redis_config.client()
            client.set(key, value, ex=10)
            if failing:
                log(f"{key}: Redis is back")
            failing = False
            popped = client.brpop([f"queue:{q}" for q in queues], timeout=1) if queues else None
            if popped:
                try:
                    perform(json.loads(popped[1]))
                except (OSError, psycopg2.Error, storage.StorageError, db.ConfigError, KeyError, TypeError) as e:
                    log(f"job failed: {e}")
        except (redis.RedisError, ValueError) as e:
            if not failing:
                log(f"{key}: cannot reach Redis: {e}")
            client, failing = None, True
        stop.wait(1)
    try:
        redis_config.client().delete(key)
    except (redis.RedisError, ValueError):
        pass
    log(f"{role} stopped")


def worker(name):
    queues = worker_queues(name)
    server = serve(LivenessHandler, 8080)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log(f"worker ({name}) started on queues {', '.join(queues)}, liveness on :8080")
    run_forever(f"worker:{name}:{HOSTNAME}", f"worker:{name}", queues)


def clock():
    log("clock started")
    run_forever(f"clock:{HOSTNAME}", "clock", [])
