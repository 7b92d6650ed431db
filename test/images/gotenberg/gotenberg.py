#!/usr/bin/env python3
"""Gotenberg 8 stand-in (getlago/lago-gotenberg): GET /health and /version, POST /forms/chromium/convert/html
(what lago-api's app/services/utils/pdf_generator.rb calls) returning a one-page PDF that carries a hash of
the request, so every invoice's file differs. Flags as Gotenberg's: `--name=value`; an unknown flag stops it
(as the real binary does); --libreoffice-disable-routes=true removes the /forms/libreoffice routes.
"""
import hashlib
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLAGS = {"api-port": "3000", "api-timeout": "30s", "chromium-disable-javascript": "false",
         "chromium-ignore-certificate-errors": "false", "libreoffice-disable-routes": "false", "log-level": "info"}


def parse(argv):
    flags = dict(FLAGS)
    for arg in argv:
        name, _, value = arg.lstrip("-").partition("=")
        if not arg.startswith("--") or name not in flags:
            sys.exit(f"gotenberg: unknown flag: {arg}")
        flags[name] = value or "true"
    return flags


OPTIONS = parse(sys.argv[1:])


def pdf(digest):
    return (b"%PDF-1.4\n% " + digest.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            up = {"status": "up"}
            self.reply(200, json.dumps({"status": "up", "details": {"chromium": up, "libreoffice": up}}).encode(),
                       "application/json")
        elif self.path == "/version":
            self.reply(200, b"8.15.0-lago-stand-in", "text/plain")
        else:
            self.reply(404, b"Not Found", "text/plain")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        libreoffice = self.path.startswith("/forms/libreoffice/")
        if self.path.startswith("/forms/") and not (libreoffice and OPTIONS["libreoffice-disable-routes"] == "true"):
            self.reply(200, pdf(hashlib.sha256(body).hexdigest()), "application/pdf")
        else:
            self.reply(404, b"Not Found", "text/plain")

    def log_message(self, fmt, *args):
        sys.stderr.write("gotenberg: " + fmt % args + "\n")


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 ignores SIGTERM unless handled
ThreadingHTTPServer(("0.0.0.0", int(OPTIONS["api-port"])), Handler).serve_forever()
