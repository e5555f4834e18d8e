"""Console page for refunds: counts by state as a server-drawn bar chart, and the refunds of
one state (returned by default: the bank sent them back and the subscriber was asked for
another account). Masked accounts only."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lineclose.errors import LinecloseError, Unauthenticated
from lineclose.services.reads.refunds import STATES, list_refunds
from lineclose.web.api.deps import DepsDep, SessionDep
from lineclose.web.pages.common import STAFF_COOKIE, page
from lineclose.web.pages.signin import staff_actor

router = APIRouter(prefix="/console/refunds", include_in_schema=False)


@router.get("")
def refunds_page(
    request: Request, session: SessionDep, deps: DepsDep, status: str = "returned"
) -> Response:
    token = request.cookies.get(STAFF_COOKIE, "")
    try:
        if not token:
            raise Unauthenticated("sign in with your staff token")
        actor = staff_actor(session, deps, request)
        if not actor.is_staff:
            raise Unauthenticated("sign in with your staff token")
    except Unauthenticated:
        return page(request).redirect("/console")
    view = page(request, None, token)
    try:
        everything = list_refunds(session, actor, deps.clock.now(), limit=10_000)
        chosen = list_refunds(session, actor, deps.clock.now(), status=status)
    except LinecloseError as exc:
        return view.render(
            "console/refunds.html",
            {
                "staff": {"name": actor.ident, "role": actor.role.value},
                "error": view.error_text(exc),
                "bars": [],
                "rows": [],
                "status": status,
                "states": STATES,
            },
            exc.status,
        )
    counts = Counter(v.status for v in everything)
    top = max(counts.values(), default=0) or 1
    bars = [
        {"state": s, "count": counts.get(s, 0), "width": round(100 * counts.get(s, 0) / top)}
        for s in STATES
    ]
    return view.render(
        "console/refunds.html",
        {
            "staff": {"name": actor.ident, "role": actor.role.value},
            "bars": bars,
            "rows": chosen,
            "status": status,
            "states": STATES,
        },
    )
