"""TMF622 answers refusals in the TMF error shape (TMF630): `code`, `reason`, `message`,
`status` (a string) and `@type`, whatever raised them: a service, validation or the caller's
token. A route class catches them here so the rest of the API keeps its problem+json."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from lineclose.errors import LinecloseError

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def tmf_error(status: int, code: str, message: str) -> JSONResponse:
    body = {
        "code": code,
        "reason": REASONS.get(status, "Error"),
        "message": message,
        "status": str(status),
        "@type": "Error",
    }
    return JSONResponse(body, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    # Field names only: the offending values may be personal data.
    fields = [".".join(str(p) for p in e["loc"] if p != "body") or "body" for e in exc.errors()]
    return f"invalid request: fix {', '.join(fields)}"


class TmfRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return tmf_error(400, "invalidRequest", _validation_message(exc))
            except LinecloseError as exc:
                # The specification documents 400, not 422, for input it cannot accept, and
                # no 404 for a POST: a create naming something unknown is a bad request.
                status = exc.status
                if status == 422 or (status == 404 and request.method == "POST"):
                    status = 400
                return tmf_error(status, exc.code, exc.message)

        return answer
