"""Where a (re)submitted request goes: back to the requester, to review, or approved at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.domain.eligibility import Eligibility
from lineclose.domain.policies import AutoApprovalPolicy, decide_auto_approval
from lineclose.domain.states import Command
from lineclose.errors import InvalidInput
from lineclose.services.closure.assessment import evaluate_with_facts
from lineclose.services.closure.review import finish_approval, needs_second_approver
from lineclose.services.closure.transitions import notify_line, transition
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.language import line_locale, needs_action_words
from lineclose.services.line_loading import LoadedFacts
from lineclose.services.views import blocker_view, quote_view


def route(
    session: Session,
    deps: Deps,
    request: models.ClosureRequest,
    loaded: LoadedFacts | None = None,
) -> Eligibility:
    """After a (re)submission: blockers send it back to the requester, a clean one goes to review,
    and the operator's auto-approval policy may approve it at once, with its reasons recorded."""
    facts, result = evaluate_with_facts(session, deps, request, loaded)
    request.blockers = [blocker_view(b) for b in result.blockers]
    request.quote = {**quote_view(result.quote), "review_due_on": result.review_due_on.isoformat()}
    if result.blockers:
        event = transition(
            session,
            deps,
            request,
            Command.RAISE_BLOCKERS,
            SYSTEM_ACTOR,
            {"blockers": result.blocker_codes},
        )
        # The SMS says what to do in words, in the holder's language: never a raw code.
        action = needs_action_words(result.blocker_codes, line_locale(request.line))
        notify_line(session, deps, request, "needs_action", event, action=action)
        return result
    if result.quote.refund.is_positive and not request.refund_account_enc:
        raise InvalidInput(
            "refund_account is required: this line has a balance to refund",
            code="refund_account_required",
            field="refund_account",
        )
    request.review_due_on = result.review_due_on
    request.escalated_at = None
    line = request.line
    decision = decide_auto_approval(
        AutoApprovalPolicy.from_settings(line.operator.auto_approval), facts, result
    )
    event = transition(
        session,
        deps,
        request,
        Command.QUEUE_FOR_REVIEW,
        SYSTEM_ACTOR,
        {"review_due_on": result.review_due_on.isoformat()},
    )
    notify_line(session, deps, request, "request_received", event)
    if decision.approve and not needs_second_approver(request, result):
        # Queuing for review changes no fact the evaluation read, so its result still holds.
        finish_approval(
            session,
            deps,
            request,
            SYSTEM_ACTOR,
            {"auto_approved": list(decision.reasons)},
            result,
        )
    return result
