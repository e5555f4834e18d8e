"""Idle lines for staff: the list with the money at stake."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.reads.idle import list_idle_lines
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/idle-lines", tags=["idle lines"])
Staff = Annotated[Actor, may(Action.IDLE_LINES)]


@router.get("", responses=problems(400, 401, 403, 404, 409, 422))
def idle_lines(
    session: SessionDep,
    deps: DepsDep,
    actor: Staff,
    operator: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Lines paying a recurring fee with no usage for the profile's months, most money first."""
    listing = list_idle_lines(session, deps, actor, operator, limit)
    return {
        "lines": [
            {
                "msisdn": v.msisdn_masked,
                "operator": v.operator,
                "currency": v.currency,
                "monthly_fee_minor": v.monthly_fee_minor,
                "last_usage_on": v.last_usage_on.isoformat(),
                "months_idle": v.months_idle,
                "paid_while_idle_minor": v.paid_while_idle_minor,
                "next_year_minor": v.next_year_minor,
                "reminded_on": v.reminded_on.isoformat() if v.reminded_on else None,
                "opted_out": v.opted_out,
            }
            for v in listing.lines
        ],
        "totals": [
            {
                "currency": t.currency,
                "lines": t.lines,
                "monthly_minor": t.monthly_minor,
                "paid_while_idle_minor": t.paid_while_idle_minor,
            }
            for t in listing.totals
        ],
    }
