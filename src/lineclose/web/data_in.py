"""Routes for data coming in from an operator's systems and for operator administration."""

from __future__ import annotations

from fastapi import FastAPI

from lineclose.web.api import operator_admin, sync
from lineclose.web.pages import operator_settings


def install(api: FastAPI) -> None:
    api.include_router(sync.router)
    api.include_router(operator_admin.router)
    api.include_router(operator_settings.router)
