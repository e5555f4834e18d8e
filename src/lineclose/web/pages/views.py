"""View models and the words the pages use for codes: states, blockers, reasons, remedies.

Every text here is an English msgid; templates pass it through the catalogue, so a code
never reaches the reader untranslated.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineclose.services.reads.models import RequestView
from lineclose.wording import (
    BLOCKER_MEANINGS,
    BLOCKER_STEPS,
    BLOCKER_TITLES,
    NEXT_STEP,
    REASON_TEXT,
    REMEDY_TEXT,
    STATE_LABELS,
    WARNING_TEXT,
)

BINDING_ADVICE: dict[str, str] = {
    "payment": "Change the phone number in the payment app's security settings.",
    "bank": "Ask your bank to change the phone number for SMS codes.",
    "social": "Change the phone number in the app's account settings.",
    "other": "Change the phone number in the service's account settings.",
}

CHANNEL_LABELS: dict[str, str] = {
    "online": "Online",
    "app": "App",
    "hotline": "Hotline",
    "store": "Store",
    "sms": "SMS",
    "api": "API",
    "console": "Console",
    "bulk": "Bulk",
    "system": "System",
}

METHOD_LABELS: dict[str, str] = {
    "otp": "One-time code to the line",
    "service_password": "Service password",
    "id_number": "ID number",
    "id_document_seen": "ID document seen",
}

# Audit actions and the names of their details, as staff read them in the console.
AUDIT_ACTIONS: dict[str, str] = {
    "request.submit": "Submitted",
    "request.raise_blockers": "Blockers found",
    "request.queue_for_review": "Queued for review",
    "request.resubmit": "Resubmitted",
    "request.approve": "Approved",
    "request.record_first_approval": "First approval recorded",
    "request.reject": "Rejected",
    "request.schedule": "Scheduled",
    "request.execute": "Execution started",
    "request.complete": "Closed",
    "request.withdraw": "Withdrawn",
    "request.assigned": "Assigned",
    "request.escalated": "Escalated",
    "request.settled": "Settled",
}

AUDIT_FIELDS: dict[str, str] = {
    "from": "From",
    "to": "To",
    "channel": "Channel",
    "review_due_on": "Review due by",
    "refund_minor": "Refund",
    "amount_due_minor": "Amount still owed",
    "policy": "Policy",
    "note": "Note",
}

LABELS: dict[str, dict[str, str]] = {
    "state": STATE_LABELS,
    "next": NEXT_STEP,
    "blocker": BLOCKER_TITLES,
    "meaning": BLOCKER_MEANINGS,
    "steps": BLOCKER_STEPS,
    "warning": WARNING_TEXT,
    "reason": REASON_TEXT,
    "remedy": REMEDY_TEXT,
    "advice": BINDING_ADVICE,
    "channel": CHANNEL_LABELS,
    "method": METHOD_LABELS,
    "audit_action": AUDIT_ACTIONS,
    "audit_field": AUDIT_FIELDS,
}


@dataclass(frozen=True)
class Step:
    """One step on the progress page; `state` is done, current, todo or problem."""

    label: str
    state: str
    detail: str = ""
    date: str = ""


_ORDER = ["submitted", "under_review", "approved", "executing", "closed"]


def progress_steps(view: RequestView) -> list[Step]:
    """The closure as five steps; where the request stands decides which are done."""
    status = view.status
    rank = {
        "submitted": 0,
        "needs_action": 0,
        "under_review": 1,
        "rejected": 1,
        "approved": 2,
        "scheduled": 2,
        "executing": 3,
        "closed": 4,
        "withdrawn": -1,
    }[status]

    def state_of(index: int) -> str:
        if status == "withdrawn":
            return "done" if index == 0 else "todo"
        if index < rank or (index == rank and status == "closed"):
            return "done"
        if index == rank:
            return "problem" if status in ("needs_action", "rejected") else "current"
        return "todo"

    return [
        Step("Request received", state_of(0), "", view.submitted_at),
        Step(
            "Review",
            state_of(1),
            "Review due by" if view.review_due_on else "",
            view.review_due_on or "",
        ),
        Step(
            "Approved",
            state_of(2),
            "Scheduled for" if view.scheduled_for else "",
            view.scheduled_for or "",
        ),
        Step("Line barred and bill settled", state_of(3)),
        Step("Closed, certificate issued", state_of(4)),
    ]


def rejection_items(view: RequestView) -> list[dict[str, str]]:
    """The reviewer's reasons, each with its remedy and note."""
    rejection = view.rejection or {}
    return [
        {"code": r["code"], "remedy": r.get("remedy", ""), "note": r.get("note", "")}
        for r in rejection.get("reasons", [])
    ]
