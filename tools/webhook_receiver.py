#!/usr/bin/env python3
"""A small webhook receiver on loopback for the demo: appends each alert it is sent to a file
(one JSON line: the alert, whether its signature checked out, the attempt), answers 200.

Usage: tools/webhook_receiver.py PORT OUT.ndjson [SECRET]
"""
import hashlib
import hmac
import http.server
import json
import sys

port, out = int(sys.argv[1]), sys.argv[2]
secret = sys.argv[3].encode() if len(sys.argv) > 3 else None


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        signed = None
        if secret is not None:
            want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(want, self.headers.get("Throughline-Signature", ""))
        try:
            alert = json.loads(body).get("alert", {})
        except ValueError:
            alert = {"unreadable": body.decode("utf-8", "replace")}
        with open(out, "a") as f:
            f.write(json.dumps({"alert": alert, "signature_ok": signed,
                                "attempt": self.headers.get("Throughline-Delivery-Attempt")}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
