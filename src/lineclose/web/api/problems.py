"""One renderer for every refusal: application/problem+json with a stable `code`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from lineclose.errors import LinecloseError, RateLimited
from lineclose.services.unit_of_work import ConcurrentChange, UniqueClash
from lineclose.web.api.language import api_locale, problem_detail

log = logging.getLogger("lineclose.api")

PROBLEM = "application/problem+json"


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://lineclose.dev/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


PageRenderer = Callable[[Request, LinecloseError], Response | None]


def install(app: FastAPI, pages: PageRenderer | None = None) -> None:
    """`pages` renders a refusal on an HTML page (it answers None for API paths)."""

    @app.exception_handler(LinecloseError)
    async def _lineclose(request: Request, exc: LinecloseError) -> Response:
        shown = pages(request, exc) if pages is not None else None
        if shown is not None:
            return shown
        locale = api_locale(request)
        detail = problem_detail(exc.code, exc.message, locale)
        response = problem(exc.status, exc.code, detail, **exc.extra)
        response.headers["Content-Language"] = locale.replace("_", "-")
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending input is left out on purpose: it may be an ID number or bank account.
        errors = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
            for err in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        return problem(422, "invalid_input", f"fix these fields: {fields}", errors=errors)

    @app.exception_handler(ConcurrentChange)
    async def _stale(_: Request, exc: ConcurrentChange) -> JSONResponse:
        return problem(
            409, "stale_request", "someone else changed this request: reload and try again"
        )

    @app.exception_handler(UniqueClash)
    async def _integrity(_: Request, exc: UniqueClash) -> JSONResponse:
        log.warning("integrity conflict: %s", type(exc.orig).__name__)
        return problem(409, "conflict", "this conflicts with a change made at the same time: retry")
