"""The words for codes, as English msgids: states, blockers, warnings, reasons and remedies.

Pages, notices and API answers pass them through the catalogue in the reader's language, so
a code never reaches a subscriber untranslated while the code itself stays stable.
"""

from __future__ import annotations

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

# What to do about each blocker, short enough for an SMS.
BLOCKER_ACTIONS: dict[str, str] = {
    "ARREARS": "pay the unpaid bills",
    "COMMITMENT_ACTIVE": "accept the early-termination fee or close at the end of the term",
    "BINDINGS_PRESENT": "unbind this number from the services that use it",
    "IDENTITY_NOT_VERIFIED": "prove you hold the line with a code sent to it or in a store",
    "LINE_NOT_ACTIVE": "nothing: the line is not active",
    "OPEN_ORDER": "wait for the other order on the line to finish",
    "LEGAL_HOLD": "contact customer service about the legal hold",
    "LOST_REPORTED": "visit a store with your ID document",
}
