"""Console pages for fleet batches (one queue item per batch, decided whole or line by line)
and for idle lines with the money at stake. Staff sign in as for the rest of the console."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.services.context import Actor
from lineclose.services.fleet import batches
from lineclose.services.reads.fleet import batch_detail, batch_lines, list_batches
from lineclose.services.reads.idle import list_idle_lines
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import STAFF_COOKIE, Page, page
from lineclose.web.pages.signin import staff_actor

router = APIRouter(prefix="/console", include_in_schema=False)


def _signed_in(
    session: SessionDep, deps: DepsDep, request: Request
) -> tuple[Actor, Page] | Response:
    token = request.cookies.get(STAFF_COOKIE, "")
    try:
        if not token:
            raise Unauthenticated("sign in with your staff token")
        actor = staff_actor(session, deps, request)
        if not actor.is_staff:
            raise Unauthenticated("sign in with your staff token")
    except Unauthenticated:
        return page(request).redirect("/console")
    return actor, page(request, None, token)


def _base(actor: Actor) -> dict[str, Any]:
    return {"staff": {"name": actor.ident, "role": actor.role.value}}


@router.get("/fleet")
def fleet_queue(request: Request, session: SessionDep, deps: DepsDep, all: str = "") -> Response:
    """Fleet batches awaiting review, oldest first, each with its precheck summary."""
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    items = list_batches(session, actor, pending_only=all != "1")
    return view.render(
        "console/fleet_queue.html", {**_base(actor), "items": items, "show_all": all == "1"}
    )


@router.get("/fleet/{reference}")
def fleet_batch(
    reference: str, request: Request, session: SessionDep, deps: DepsDep, error: str = ""
) -> Response:
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    try:
        batch = batch_detail(session, actor, reference)
        lines = batch_lines(session, actor, reference, limit=1000)
    except LinecloseError as exc:
        return view.render("error.html", {**_base(actor), "message": view.error_text(exc)}, 404)
    return view.render(
        "console/fleet_batch.html",
        {**_base(actor), "batch": batch, "lines": lines, "error": error},
    )


@router.post("/fleet/{reference}/decide")
def fleet_decide(
    reference: str,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    decision: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
    rows: Annotated[list[int] | None, Form()] = None,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Approve or reject the whole batch, or the ticked rows; refusals come back on the page."""
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    target = f"/console/fleet/{reference}"
    try:
        view.check_csrf(csrf)
        chosen = rows if decision.endswith("_rows") else None
        approve = decision.startswith("approve")
        batches.decide(session, deps, actor, reference, approve, chosen, note)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        return view.redirect(f"{target}?error={exc.code}")
    return view.redirect(target)


@router.get("/idle")
def idle_lines(request: Request, session: SessionDep, deps: DepsDep) -> Response:
    """Lines paying a recurring fee with no usage, the money paid while idle first."""
    signed = _signed_in(session, deps, request)
    if isinstance(signed, Response):
        return signed
    actor, view = signed
    listing = list_idle_lines(session, deps, actor)
    return view.render("console/idle.html", {**_base(actor), "listing": listing})
