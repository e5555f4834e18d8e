"""View models and the words the pages use for codes: states, blockers, reasons, remedies.

Every text here is an English msgid; templates pass it through the catalogue, so a code
never reaches the reader untranslated.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineclose.services.reads.models import RequestView

STATE_LABELS: dict[str, str] = {
    "submitted": "Submitted",
    "needs_action": "Needs your action",
    "under_review": "Under review",
    "rejected": "Not approved",
    "approved": "Approved",
    "scheduled": "Scheduled",
    "executing": "Closing",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
}

NEXT_STEP: dict[str, str] = {
    "submitted": "We are checking your request.",
    "needs_action": "Fix the items listed, then resubmit on the same reference.",
    "under_review": "A reviewer decides by the review due date. We will send you an SMS.",
    "rejected": "Read the reasons below, fix them, then resubmit on the same reference.",
    "approved": "The closure starts shortly. You can still withdraw until it does.",
    "scheduled": "The closure starts on the scheduled date. You can withdraw until then.",
    "executing": "The line is being closed. This can no longer be withdrawn.",
    "closed": "The line is closed. Download your certificate below.",
    "withdrawn": "You withdrew this request. The line stays active.",
}

BLOCKER_TITLES: dict[str, str] = {
    "ARREARS": "Unpaid bills",
    "COMMITMENT_ACTIVE": "Minimum contract term",
    "BINDINGS_PRESENT": "Services that use this number",
    "IDENTITY_NOT_VERIFIED": "Proof that you hold the line",
    "LINE_NOT_ACTIVE": "Line not active",
    "OPEN_ORDER": "Another order in progress",
    "LEGAL_HOLD": "Legal hold",
    "LOST_REPORTED": "Line reported lost",
}

BLOCKER_MEANINGS: dict[str, str] = {
    "ARREARS": "A line cannot be closed while a bill is unpaid.",
    "COMMITMENT_ACTIVE": (
        "Your contract has a minimum term. Pay the early-termination fee, "
        "or close the line when the term ends."
    ),
    "BINDINGS_PRESENT": (
        "These services send codes to this number. After closure the number may go to "
        "someone else, so unbind it from each service first."
    ),
    "IDENTITY_NOT_VERIFIED": "We need proof that you hold the line before closing it.",
    "LINE_NOT_ACTIVE": "This line is already closed or closing.",
    "OPEN_ORDER": "Another order on this line (such as a port-out or SIM swap) must finish first.",
    "LEGAL_HOLD": "This line is frozen by a legal hold and cannot be closed now.",
    "LOST_REPORTED": "This line is reported lost, so only the holder can close it in a store.",
}

BLOCKER_STEPS: dict[str, str] = {
    "IDENTITY_NOT_VERIFIED": "Sign in with a code sent to the line, or visit a store with your ID.",
    "LINE_NOT_ACTIVE": "Nothing to do.",
    "OPEN_ORDER": "Wait for the other order to finish, then check again.",
    "LEGAL_HOLD": "Contact customer service.",
    "LOST_REPORTED": "Visit a store with your ID document.",
}

WARNING_TEXT: dict[str, str] = {
    "PROMO_CREDIT_FORFEITED": "Promotional credit is not refunded.",
    "REFUND_FEE": "A refund fee applies under the operator's terms.",
    "BINDINGS_LEFT_KNOWINGLY": "Some services stay bound: they will lose this number.",
    "LINE_SUSPENDED": "The line is suspended; closing it ends it for good.",
    "FLEET_DATA_CARD": "Data card in an enterprise fleet: the account holder decides.",
    "CALENDAR_FALLBACK": "The holiday calendar is incomplete: the due date may move.",
}

REASON_TEXT: dict[str, str] = {
    "ID_MISMATCH": "The identity details did not match the holder's.",
    "DOCUMENT_UNREADABLE": "The ID document could not be read.",
    "REFUND_ACCOUNT_INVALID": "The refund account is not valid.",
    "HOLDER_NOT_REQUESTER": "The request was not made by the holder of the line.",
    "FLEET_AUTHORISATION_MISSING": "The fleet account holder's authorisation is missing.",
    "FRAUD_SUSPECTED": "The request needs to be confirmed in person.",
    "OTHER": "Another reason: see the reviewer's note.",
}

REMEDY_TEXT: dict[str, str] = {
    "VERIFY_IDENTITY": "Check your details and resubmit.",
    "VERIFY_ID_DOCUMENT_IN_STORE": "Visit a store with your ID document.",
    "CORRECT_REFUND_ACCOUNT": "Enter a correct refund account and resubmit.",
    "HOLDER_MUST_REQUEST": "The holder of the line must make the request.",
    "PROVIDE_FLEET_AUTHORISATION": "Ask the fleet account holder to authorise the closure.",
    "VISIT_STORE_WITH_ID_DOCUMENT": "Visit a store with your ID document.",
    "CONTACT_SUPPORT": "Contact customer service.",
}

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
