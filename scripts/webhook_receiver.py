"""A webhook receiver to watch Lineclose's events: verifies each signature (Standard Webhooks)
and prints the CloudEvent.

    .venv/bin/python scripts/webhook_receiver.py --port 9000 --secret whsec_...
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the whsec_ secret `webhooks add` printed")
    args = parser.parse_args()
    verifier = Webhook(args.secret)
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            try:
                event = verifier.verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                print(f"REFUSED (signature): {exc}", flush=True)
                self.send_response(401)
                self.end_headers()
                return
            repeat = " (repeat, ignored)" if event["id"] in seen else ""
            seen.add(event["id"])
            print(f"verified {event['type']} {event['subject']}{repeat}", flush=True)
            print(json.dumps(event["data"], ensure_ascii=False), flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    print(f"listening on http://127.0.0.1:{args.port}/hooks", flush=True)
    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
