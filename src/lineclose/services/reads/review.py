"""What a reviewer sees beside a request: the blockers and quote as of now, and where the
two-approver rule stands."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lineclose.domain.identifiers import mask_middle
from lineclose.domain.states import RequestState
from lineclose.services import closure
from lineclose.services.access import Action, allowed
from lineclose.services.context import Actor, Deps
from lineclose.services.lines import profile_of
from lineclose.services.reads.models import View
from lineclose.services.reads.requests import readable_request
from lineclose.services.views import quote_view


class CurrentCheck(View):
    blockers: list[str]
    quote: dict[str, Any]


class ApprovalState(View):
    needs_second: bool
    threshold_minor: int
    first_by: list[str]
    mine: bool


class ReviewState(View):
    current: CurrentCheck | None
    approval: ApprovalState | None
    assigned_to: str | None
    can_decide: bool
    can_assign: bool


def staff_label(label: str) -> str:
    """A staff member as other staff see them on a request: role and a masked name."""
    role, _, name = label.partition(":")
    return f"{role}:{mask_middle(name, 2, 1)}" if name else mask_middle(role, 2, 1)


def review_state(session: Session, deps: Deps, actor: Actor, reference: str) -> ReviewState:
    """The request re-evaluated as of now while it is open to review or action; whether this
    actor may decide it or hand it on (the same rules the API's review routes apply)."""
    row = readable_request(session, actor, reference)
    under_review = row.status == RequestState.UNDER_REVIEW.value
    current = approval = None
    if row.status in (RequestState.UNDER_REVIEW.value, RequestState.NEEDS_ACTION.value):
        result = closure.evaluate_request(session, deps, row)
        current = CurrentCheck(
            blockers=[b.code.value for b in result.blockers], quote=quote_view(result.quote)
        )
        if under_review:
            first = closure.first_approvals(session, row)
            approval = ApprovalState(
                needs_second=closure.needs_second_approver(row, result),
                threshold_minor=profile_of(row.operator).second_approval_refund_minor.value,
                first_by=[staff_label(label) for label in first],
                mine=actor.label in first,
            )
    return ReviewState(
        current=current,
        approval=approval,
        assigned_to=row.assigned_to,
        can_decide=under_review and allowed(actor, Action.DECIDE),
        can_assign=(
            under_review and row.escalated_at is not None and allowed(actor, Action.ASSIGN)
        ),
    )
