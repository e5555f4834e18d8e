"""The ASGI application: API, health, and (later) pages, over one wired `App`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from lineclose import __version__
from lineclose.bootstrap import App
from lineclose.web import operations
from lineclose.web.api import calendar, fleet, idle, problems, sms_hooks
from lineclose.web.api.routes import camara, router
from lineclose.web.api.tmf622 import tmf622
from lineclose.web.pages import console, portal, public
from lineclose.web.pages import fleet as fleet_pages
from lineclose.web.pages.common import WEB_DIR


def create_app(app: App) -> FastAPI:
    api = FastAPI(
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
    api.include_router(idle.router)
    api.include_router(fleet.router)
    api.include_router(portal.router)
    api.include_router(console.router)
    api.include_router(fleet_pages.router)
    api.include_router(public.router)
    api.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @api.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @api.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal")

    return api
