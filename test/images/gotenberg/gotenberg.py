#!/usr/bin/env python3
"""Gotenberg stand-in: GET /health like Gotenberg 8, and any POST /forms/... returns a one-page PDF."""
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
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
            self.reply(200, b"8.0.0-lago-stand-in", "text/plain")
        else:
            self.reply(404, b"Not Found", "text/plain")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/forms/"):
            self.reply(200, PDF, "application/pdf")
        else:
            self.reply(404, b"Not Found", "text/plain")

    def log_message(self, fmt, *args):
        sys.stderr.write("gotenberg: " + fmt % args + "\n")


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 ignores SIGTERM unless handled
ThreadingHTTPServer(("0.0.0.0", 3000), Handler).serve_forever()
