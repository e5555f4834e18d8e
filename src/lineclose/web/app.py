"""The ASGI application: API, health, and (later) pages, over one wired `App`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from lineclose import __version__
from lineclose.bootstrap import App
from lineclose.web import api_docs, operations
from lineclose.web.api import (
    calendar,
    camara,
    language_routes,
    problems,
    reassigned,
    sms_hooks,
)
from lineclose.web.api.routes import router
from lineclose.web.api.tmf622 import tmf622
from lineclose.web.pages import console, portal, public, signin
from lineclose.web.pages.common import WEB_DIR


class Health(BaseModel):
    status: str
    version: str


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="Lineclose",
        version=__version__,
        description="Close mobile lines end to end: precheck, identity, review, execution, "
        "certificate, number aging.",
        docs_url=None,
        redoc_url=None,
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
    api.include_router(portal.router)
    api.include_router(console.router)
    api.include_router(public.router)
    api_docs.install(api)
    api.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @api.get("/healthz", tags=["operations"], response_model=Health)
    def healthz() -> Health:
        return Health(status="ok", version=__version__)

    @api.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal")

    return api
