"""Closure requests, one module per use case: input, transitions, routing, submit, review,
withdraw, references. Callers use `closure.<name>`; every status change goes through
`transitions.transition`."""

from lineclose.domain.rejections import REMEDY_FOR_REASON, RejectionReason, ReviewReason
from lineclose.services.closure.assessment import evaluate_request, evaluate_with_facts
from lineclose.services.closure.input import ClosureInput, apply_input
from lineclose.services.closure.references import ensure_can_act, get_request, new_reference
from lineclose.services.closure.review import (
    approve,
    assign,
    ensure_reviewer,
    finish_approval,
    first_approvals,
    needs_second_approver,
    reject,
)
from lineclose.services.closure.routing import route
from lineclose.services.closure.submit import REFERENCE_ATTEMPTS, Submitted, resubmit, submit
from lineclose.services.closure.transitions import (
    BEGIN_EXECUTION,
    notify_line,
    start_execution,
    transition,
)
from lineclose.services.closure.withdraw import withdraw

__all__ = [
    "BEGIN_EXECUTION",
    "REFERENCE_ATTEMPTS",
    "REMEDY_FOR_REASON",
    "ClosureInput",
    "RejectionReason",
    "ReviewReason",
    "Submitted",
    "apply_input",
    "approve",
    "assign",
    "ensure_can_act",
    "ensure_reviewer",
    "evaluate_request",
    "evaluate_with_facts",
    "finish_approval",
    "first_approvals",
    "get_request",
    "needs_second_approver",
    "new_reference",
    "notify_line",
    "reject",
    "resubmit",
    "route",
    "start_execution",
    "submit",
    "transition",
    "withdraw",
]
