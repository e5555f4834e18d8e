"""The ASGI application: API, health, and (later) pages, over one wired `App`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from lineclose import __version__
from lineclose.bootstrap import App, bootstrap
from lineclose.config import Settings
from lineclose.logs import configure_logging
from lineclose.web import api_docs, data_in, hardening, operations
from lineclose.web.api import (
    calendar,
    camara,
    debts,
    fleet,
    idle,
    language_routes,
    problems,
    reassigned,
    refunds,
    sms_hooks,
    webhooks,
)
from lineclose.web.api.routes import router
from lineclose.web.api.tmf622 import tmf622
from lineclose.web.pages import console, console_money, portal, public, refund_account, signin
from lineclose.web.pages import fleet as fleet_pages
from lineclose.web.pages.common import WEB_DIR


class Health(BaseModel):
    status: str
    version: str


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
        **hardening.docs_options(app.settings),
    )
    api.state.lineclose = app
    problems.install(api, pages=signin.error_page)
    signin.install(api)
    api.include_router(router)
    api.include_router(language_routes.router)
    api.include_router(camara.router)
    api.include_router(reassigned.router)
    api.include_router(sms_hooks.router)
    operations.install(api, app)
    api.include_router(tmf622)
    api.include_router(calendar.router)
    api.include_router(idle.router)
    api.include_router(fleet.router)
    api.include_router(portal.router)
    api.include_router(console.router)
    api.include_router(fleet_pages.router)
    api.include_router(public.router)
    data_in.install(api)
    api.include_router(refunds.router)
    api.include_router(refund_account.router)
    api.include_router(webhooks.router)
    api.include_router(debts.router)
    api.include_router(console_money.router)
    hardening.install(api, app.settings)
    if not app.settings.production:
        api_docs.install(api)
    api.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @api.get("/healthz", tags=["operations"], response_model=Health)
    def healthz() -> Health:
        return Health(status="ok", version=__version__)

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
