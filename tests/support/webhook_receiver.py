"""A real webhook receiver on loopback: it verifies each delivery's Standard Webhooks
signature with the library and records what it got; its answer can be switched."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    event: dict[str, Any]
    content_type: str


@dataclass
class Receiver:
    secret: str
    mode: str = "ok"  # ok | fail500 | slow | hang
    slow_seconds: float = 1.0
    received: list[Received] = field(default_factory=list)
    forged: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    event = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except WebhookVerificationError:
                    receiver.forged += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.received.append(
                    Received(
                        self.headers["webhook-id"], event, self.headers.get("content-type", "")
                    )
                )
                receiver.arrived.set()
                if receiver.mode == "slow":
                    time.sleep(receiver.slow_seconds)
                elif receiver.mode == "hang":
                    receiver.release.wait(30)
                status = 500 if receiver.mode == "fail500" else 204
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()

    def types(self) -> list[str]:
        return [json.loads(json.dumps(r.event))["type"] for r in self.received]
