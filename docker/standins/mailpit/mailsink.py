#!/usr/bin/env python3
"""SMTP sink on :1025 with a read-only web view on :8025 (stand-in for Mailpit)."""
import email
import email.policy
import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

MESSAGES = []
LOCK = threading.Lock()
LIMIT = 500


class Sink:
    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        with LOCK:
            MESSAGES.insert(0, {
                "ID": str(len(MESSAGES) + 1),
                "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "From": str(parsed.get("From", "")),
                "To": list(envelope.rcpt_tos),
                "Subject": str(parsed.get("Subject", "")),
                "Text": body.get_content() if body is not None else "",
            })
            del MESSAGES[LIMIT:]
        print(f"caught: {parsed.get('Subject', '')} -> {', '.join(envelope.rcpt_tos)}")
        return "250 Message accepted for delivery"


class View(BaseHTTPRequestHandler):
    def do_GET(self):
        with LOCK:
            messages = list(MESSAGES)
        if self.path.startswith("/api/v1/messages"):
            payload = json.dumps({"total": len(messages), "messages": messages}).encode()
            self.reply("application/json", payload)
            return
        items = "".join(
            f"<article><h2>{html.escape(m['Subject'])}</h2><p>{html.escape(m['Created'])} "
            f"from {html.escape(m['From'])} to {html.escape(', '.join(m['To']))}</p>"
            f"<pre>{html.escape(m['Text'])}</pre></article>"
            for m in messages
        )
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mail sink</title></head>"
                f"<body><h1>{len(messages)} message(s)</h1>{items}</body></html>")
        self.reply("text/html; charset=utf-8", page.encode())

    def reply(self, content_type, payload):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    controller = Controller(Sink(), hostname="0.0.0.0", port=1025)
    controller.start()
    print("mail sink: SMTP on 1025, web view on 8025")
    ThreadingHTTPServer(("0.0.0.0", 8025), View).serve_forever()
