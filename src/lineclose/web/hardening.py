"""How the web application differs in production mode, and the middleware every mode gets.

Production mode (`LINECLOSE_PRODUCTION=true`) removes the interactive API docs and the OpenAPI
document (they list every staff and admin route to anyone; integrators get the schema from a
non-production instance or `docs/`), requires a token for /metrics, and refuses the demo
gateways at start-up (see `lineclose.security.production`), which is also what shows the demo
banner on the portal.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lineclose.config import Settings
from lineclose.web.api.problems import problem
from lineclose.web.client_address import TrustedProxyMiddleware, parse_trusted_proxies
from lineclose.web.security_headers import MetricsGuardMiddleware, SecurityHeadersMiddleware


def docs_options(settings: Settings) -> dict[str, Any]:
    """FastAPI constructor arguments: FastAPI's own docs pages (assets from a CDN) never; the
    app serves its own (`web/api_docs.py`) and the schema outside production only."""
    if settings.production:
        return {"docs_url": None, "redoc_url": None, "openapi_url": None}
    return {"docs_url": None, "redoc_url": None}


log = logging.getLogger("lineclose.api")


def install(api: FastAPI, settings: Settings) -> None:
    """Security headers and the /metrics guard, behind the trusted-proxy resolution (outermost,
    so the headers see the scheme the client really used); and a log line with the (masked)
    traceback for every unhandled error, answered as problem+json without its details."""

    @api.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        log.error("unhandled error on %s %s", request.method, route, exc_info=exc)
        return problem(500, "internal_error", "something went wrong on our side: it is logged")

    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    api.add_middleware(MetricsGuardMiddleware, token=token, production=settings.production)
    api.add_middleware(SecurityHeadersMiddleware)
    api.add_middleware(
        TrustedProxyMiddleware, trusted=parse_trusted_proxies(settings.trusted_proxies)
    )
