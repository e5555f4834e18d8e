"""Console page: an operator's settings, read only, for supervisors and admins. Each rule is
shown with its value, its source and mark (as RULES.md gives them) and its allowed range."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.services.reads.operator_settings import operator_settings
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import STAFF_COOKIE, page
from lineclose.web.pages.signin import staff_actor

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/operators/{code}")
def operator_page(code: str, request: Request, session: SessionDep, deps: DepsDep) -> Response:
    token = request.cookies.get(STAFF_COOKIE, "")
    view = page(request, None, token)
    try:
        if not token:
            raise Unauthenticated("sign in with your staff token")
        actor = staff_actor(session, deps, request)
        if not actor.is_staff:
            raise Unauthenticated("sign in with your staff token")
    except Unauthenticated:
        return view.redirect("/console")
    staff = {"staff": {"name": actor.ident, "role": actor.role.value}}
    try:
        settings = operator_settings(session, actor, code)
    except LinecloseError as exc:
        status = exc.status if exc.status in (403, 404) else 400
        return view.render("error.html", {**staff, "message": view.error_text(exc)}, status)
    return view.render("console/operator_settings.html", {**staff, "op": settings})
