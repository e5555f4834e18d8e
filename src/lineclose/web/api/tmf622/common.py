"""What the TMF622 routes share: who may call them, and list parameters (TMF630)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import JSONResponse

from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.tmf622.errors import bad_request
from lineclose.services.tmf622.reads import Page
from lineclose.web.api.deps import may

OrderWriter = Annotated[Actor, may(Action.SUBMIT)]
OrderReader = Annotated[Actor, may(Action.READ_REQUEST)]
Listener = Annotated[Actor, may(Action.EVENT_SUBSCRIPTIONS)]

PAGING = frozenset({"fields", "offset", "limit"})
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": "TMF error: code, reason, message, status, @type"}
    for status in (400, 401, 403, 404, 405, 409, 500)
}


def answers(status: int, resource: str, many: bool = False) -> dict[int | str, dict[str, Any]]:
    """The success answer documented beside the TMF errors: the resource (or a list of them)
    as TMF622 v4 defines it, with the attributes every one carries."""
    one = {
        "type": "object",
        "title": resource,
        "required": ["id", "href", "@type"],
        "additionalProperties": True,
    }
    schema = {"type": "array", "items": one} if many else one
    return {
        **ERRORS,
        status: {"description": resource, "content": {"application/json": {"schema": schema}}},
    }


def fields_of(raw: str | None, allowed: frozenset[str]) -> list[str] | None:
    if raw is None or raw == "":
        return None
    names = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise bad_request("invalidFields", f"fields names unknown attributes: {unknown}")
    return names


def filters_of(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in PAGING}


def page_response(page: Page) -> JSONResponse:
    return JSONResponse(
        page.items,
        headers={"X-Total-Count": str(page.total), "X-Result-Count": str(len(page.items))},
    )
