"""A webhook receiver built on the Standard Webhooks reference library
(`standardwebhooks` from PyPI): it verifies every delivery csapi sends,
answers the status codes it is given (then 204), and writes one JSON line
per delivery to stdout."""

import http.server
import json
import sys

from standardwebhooks.webhooks import Webhook

port, secret_file, answers = int(sys.argv[1]), sys.argv[2], sys.argv[3:]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with open(secret_file) as f:
            secret = f.read().strip()
        try:
            payload = Webhook(secret).verify(body, headers)
            verified, kind = True, payload["type"]
        except Exception as e:  # noqa: BLE001 - a failed check is the result
            verified, kind = False, repr(e)
        code = int(answers.pop(0)) if answers else 204
        line = {"verified": verified, "type": kind, "id": headers.get("webhook-id"), "answered": code}
        print(json.dumps(line), flush=True)
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
