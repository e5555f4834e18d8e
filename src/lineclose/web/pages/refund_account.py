"""The portal page a returned refund's notice links to: it takes another account.

The link itself is the proof (a one-time secret sent to the alternate contact the subscriber
gave, valid for 30 days), because the closed line can no longer receive a sign-in code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError
from lineclose.services.payouts.reconcile import account_link, take_new_account
from lineclose.web.api.deps import DepsDep, SessionDep, public
from lineclose.web.pages.common import page

router = APIRouter(prefix="/portal/refund-account", include_in_schema=False)
FormStr = Annotated[str, Form()]
TEMPLATE = "portal/refund_account.html"
OPEN = public("the link's one-time secret is the proof; it is single-use and expires")


@router.get("/{token}", dependencies=[OPEN])
def form(token: str, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    try:
        link = account_link(session, deps, token)
    except LinecloseError as exc:
        view = page(request)
        return view.render(TEMPLATE, {"link": None, "error": view.error_text(exc)}, exc.status)
    view = page(request, link.locale)
    return view.render(TEMPLATE, {"link": link, "token": token, "error": None})


@router.post("/{token}", dependencies=[OPEN])
def submit(
    token: str,
    request: Request,
    session: SessionDep,
    deps: DepsDep,
    account: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    """Seal the new account; the refund is paid to it in the next batch."""
    try:
        link = account_link(session, deps, token)
    except LinecloseError as exc:
        view = page(request)
        return view.render(TEMPLATE, {"link": None, "error": view.error_text(exc)}, exc.status)
    view = page(request, link.locale)
    try:
        view.check_csrf(csrf)
        masked = take_new_account(session, deps, token, account)
        session.commit()
    except LinecloseError as exc:
        session.rollback()
        context = {"link": link, "token": token, "error": view.error_text(exc)}
        return view.render(TEMPLATE, context | {"error_field": "account"}, exc.status)
    notice = view.t(
        "Thank you. The refund will be paid to {account} in the next payment run.",
        account=masked,
    )
    return view.render(TEMPLATE, {"link": None, "error": None, "notice": notice})
