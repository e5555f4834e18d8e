"""/docs and /redoc from assets served by the app itself: no CDN, so they work offline and
on an operator's closed network. The assets ship in the pinned `fastapi-offline` wheel
(Swagger UI under Apache-2.0, ReDoc under MIT); only its static files are used."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/apidocs"


def assets_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install(api: FastAPI) -> None:
    """Serve the docs pages; create the FastAPI app with docs_url=None and redoc_url=None."""
    api.mount(ASSETS, StaticFiles(directory=assets_dir()), name="apidocs")

    @api.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=api.openapi_url or "/openapi.json",
            title=f"{api.title}: API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )

    @api.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=api.openapi_url or "/openapi.json",
            title=f"{api.title}: API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
