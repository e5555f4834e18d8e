"""What operators watch: request ids and the access log, readiness, and Prometheus metrics.

Readiness asks the database and every configured gateway (HLR, SMS, e-mail) and answers 503
naming the one that failed. Metrics are read from the database at scrape time, so every API
process reports the same closure, outbox and review figures wherever it runs; request counts
and durations are per process, as Prometheus expects.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lineclose import logs
from lineclose.bootstrap import App
from lineclose.domain.states import RequestState
from lineclose.ports.errors import PortError
from lineclose.services.reads.metrics import database_answers, operations_figures

access_log = logging.getLogger("lineclose.access")


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
    failed: list[str] | None = None


# A caller's own request id is kept only when it is a plain token, so logs cannot be forged.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class DatabaseCollector(Collector):
    """Closures by state, outbox depth and age, dead and uncertain steps, the review backlog."""

    def __init__(self, app: App) -> None:
        self._app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._app.sessions() as session:
            figures = operations_figures(session, self._app.deps.clock.now())
        by_state, by_status = figures.by_state, figures.outbox_by_status
        closures = GaugeMetricFamily(
            "lineclose_closure_requests", "Closure requests by state", labels=["state"]
        )
        for state in RequestState:
            closures.add_metric([state.value], by_state.get(state.value, 0))
        yield closures
        yield GaugeMetricFamily(
            "lineclose_outbox_pending",
            "Outbox steps waiting to be performed",
            value=by_status.get("pending", 0),
        )
        age = figures.oldest_due_age_seconds
        yield GaugeMetricFamily(
            "lineclose_outbox_oldest_due_age_seconds",
            "How long the oldest due outbox step has waited for a worker",
            value=age,
        )
        yield GaugeMetricFamily(
            "lineclose_outbox_dead",
            "Dead letters: steps given up on",
            value=by_status.get("dead", 0),
        )
        yield GaugeMetricFamily(
            "lineclose_outbox_uncertain",
            "Notices whose interrupted send may or may not have reached the gateway",
            value=by_status.get("uncertain", 0),
        )
        yield GaugeMetricFamily(
            "lineclose_review_backlog",
            "Closure requests waiting for a reviewer",
            value=by_state.get(RequestState.UNDER_REVIEW.value, 0),
        )
        yield GaugeMetricFamily(
            "lineclose_review_overdue",
            "Reviews past their due date",
            value=figures.reviews_overdue,
        )


class RequestContext:
    """The request id (kept from X-Request-ID when well formed, else drawn) on every log line and
    response, the access log, and request counts and durations by route template.

    Plain ASGI rather than an `@app.middleware("http")` function: the route runs in the
    request's own task, without the extra task and streams `call_next` costs on every call.
    """

    def __init__(self, app: ASGIApp, requests: Counter, durations: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.durations = durations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.requests.labels(method, route, str(status)).inc()
            self.durations.labels(method, route).observe(elapsed)
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={"status": status, "duration_ms": round(elapsed * 1000, 1)},
            )
            logs.request_id.reset(token)


def install(api: FastAPI, app: App) -> None:
    """Add the request-id middleware, the access log, /readyz and /metrics to the API."""
    registry = CollectorRegistry()
    requests = Counter(
        "lineclose_http_requests",
        "HTTP requests by route template and status",
        ["method", "route", "status"],
        registry=registry,
    )
    durations = Histogram(
        "lineclose_http_request_duration_seconds",
        "HTTP request durations by route template",
        ["method", "route"],
        registry=registry,
    )
    registry.register(DatabaseCollector(app))

    api.add_middleware(RequestContext, requests=requests, durations=durations)

    @api.get(
        "/readyz",
        tags=["operations"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "a dependency does not answer"}},
    )
    def readyz() -> JSONResponse:
        """Ready when the database and every configured gateway answer; 503 names the failures."""
        checks: dict[str, Any] = {}
        try:
            with app.sessions() as session:
                database_answers(session)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"failed: {type(exc).__name__}"
        for name, gateway in (
            ("hlr", app.deps.hlr),
            ("sms", app.deps.sms),
            ("email", app.deps.email),
        ):
            try:
                gateway.ping()
                checks[name] = "ok"
            except PortError as exc:
                checks[name] = f"failed: {type(exc).__name__}: {exc.detail}"[:300]
        failed = sorted(name for name, result in checks.items() if result != "ok")
        body: dict[str, Any] = {"status": "unavailable" if failed else "ready", "checks": checks}
        if failed:
            body["failed"] = failed
        return JSONResponse(body, status_code=503 if failed else 200)

    @api.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
