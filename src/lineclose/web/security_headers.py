"""Response headers that keep pages from being framed, sniffed, leaked or loaded with outside code,
and the token in front of /metrics.

Pages are server-rendered, use no JavaScript and load one stylesheet from /static, so the policy
allows styles from this host only and nothing else. FastAPI's /docs and /redoc pull Swagger UI and
ReDoc from a CDN: they keep the framing and sniffing headers but not the page policy, and they
do not exist in production mode.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# One year, the value browsers' preload lists ask for; only ever sent over HTTPS (RFC 6797 7.2).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
_DOCS_PATHS = ("/docs", "/redoc")


def headers_for(path: str, scheme: str) -> dict[str, str]:
    """The security headers a response to `path`, reached over `scheme`, carries."""
    headers = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if not path.startswith(_DOCS_PATHS):
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if scheme == "https":
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


class SecurityHeadersMiddleware:
    """Adds `headers_for` to every HTTP response, leaving any header a route set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], scope["scheme"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class MetricsGuardMiddleware:
    """/metrics answers only to `Authorization: Bearer <metrics_token>` when a token is set, and
    not at all (404) in production without one: it names routes, volumes and backlogs."""

    def __init__(self, app: ASGIApp, token: str | None, production: bool) -> None:
        self.app = app
        self.token = token
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == "/metrics":
            refusal = self._refusal(Headers(scope=scope).get("authorization", ""))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, authorization: str) -> PlainTextResponse | None:
        if self.token is None:
            return PlainTextResponse("Not Found", status_code=404) if self.production else None
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            return None
        return PlainTextResponse(
            "metrics need 'Authorization: Bearer <metrics token>'",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
