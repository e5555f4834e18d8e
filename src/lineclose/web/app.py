"""The ASGI application: API, health, and (later) pages, over one wired `App`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from lineclose import __version__
from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.logs import configure_logging
from lineclose.web import operations
from lineclose.web.api import calendar, problems, sms_hooks
from lineclose.web.api.routes import camara, router
from lineclose.web.api.tmf622 import tmf622
from lineclose.web.pages import console, portal, public
from lineclose.web.pages.common import WEB_DIR


def create_app(app: App) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync routes run on this many threads; the database pool holds as many connections
        # (bootstrap), so no request ever waits on the pool for a connection another holds.
        anyio.to_thread.current_default_thread_limiter().total_tokens = app.settings.api_threads
        yield

    api = FastAPI(
        lifespan=lifespan,
        title="Lineclose",
        version=__version__,
        description="Close mobile lines end to end: precheck, identity, review, execution, "
        "certificate, number aging.",
    )
    api.state.lineclose = app
    problems.install(api)
    api.include_router(router)
    api.include_router(camara)
    api.include_router(sms_hooks.router)
    operations.install(api, app)
    api.include_router(tmf622)
    api.include_router(calendar.router)
    api.include_router(portal.router)
    api.include_router(console.router)
    api.include_router(public.router)
    api.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @api.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @api.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal")

    return api


def app_from_environment() -> FastAPI:
    """The app factory `lineclose serve --workers N` hands uvicorn: each process wires its own
    engine and pool from the environment (an engine must not cross a fork)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(bootstrap(settings))
