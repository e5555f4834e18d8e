"""Checks of TMF622 answers against the swagger: the status is documented for the operation,
the body matches the schema it names, and the documented headers are present."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from httpx import Response

from tests.api.standards_support import tmf_document, tmf_validator

BASE = "/tmf-api/productOrderingManagement/v4"


def checked(answer: Response, method: str, path: str) -> Any:
    """`path` as the swagger writes it, e.g. '/productOrder/{id}'."""
    operation = tmf_document()["paths"][path][method.lower()]
    documented = operation["responses"]
    status = str(answer.status_code)
    assert status in documented or (status == "200" and "201" in documented), (
        f"{method} {path} answered {status}, not documented: {answer.text}"
    )
    spec = documented.get(status) or documented["201"]
    for header in spec.get("headers", {}):
        assert header in answer.headers, f"{method} {path} lacks header {header}"
    schema = spec.get("schema")
    if schema is None:
        assert not answer.content
        return None
    body = answer.json()
    definition = (schema.get("$ref") or schema["items"]["$ref"]).rsplit("/", 1)[1]
    validator = tmf_validator(definition)
    if schema.get("type") == "array":
        assert isinstance(body, list)
        for item in body:
            validator.validate(item)
    else:
        validator.validate(body)
    if definition == "Error":
        assert body["status"] == status and body["@type"] == "Error" and body["message"]
    return body


def refused(answer: Response, method: str, path: str, status: int, code: str | None = None) -> None:
    body = checked(answer, method, path)
    assert answer.status_code == status, answer.text
    if code:
        assert body["code"] == code, body


@dataclass
class Listener:
    url: str
    heard: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [body for _, body in self.heard if body["eventType"] == event_type]


@contextmanager
def listener() -> Iterator[Listener]:
    """A real HTTP listener on a free loopback port, recording what it is posted."""
    heard: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            heard.append((self.path, json.loads(self.rfile.read(length))))
            self.send_response(201)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Listener(f"http://127.0.0.1:{server.server_address[1]}/hooks", heard)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
