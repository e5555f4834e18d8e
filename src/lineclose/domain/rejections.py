"""The rejection vocabulary: why a reviewer refuses a closure and what the subscriber is told to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

NOTE_LIMIT = 500


class RejectionReason(StrEnum):
    """Why a reviewer refused, each tied to the remedy the subscriber is shown."""

    ID_MISMATCH = "ID_MISMATCH"
    DOCUMENT_UNREADABLE = "DOCUMENT_UNREADABLE"
    REFUND_ACCOUNT_INVALID = "REFUND_ACCOUNT_INVALID"
    HOLDER_NOT_REQUESTER = "HOLDER_NOT_REQUESTER"
    FLEET_AUTHORISATION_MISSING = "FLEET_AUTHORISATION_MISSING"
    FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
    OTHER = "OTHER"


REMEDY_FOR_REASON: dict[RejectionReason, str] = {
    RejectionReason.ID_MISMATCH: "VERIFY_IDENTITY",
    RejectionReason.DOCUMENT_UNREADABLE: "VERIFY_ID_DOCUMENT_IN_STORE",
    RejectionReason.REFUND_ACCOUNT_INVALID: "CORRECT_REFUND_ACCOUNT",
    RejectionReason.HOLDER_NOT_REQUESTER: "HOLDER_MUST_REQUEST",
    RejectionReason.FLEET_AUTHORISATION_MISSING: "PROVIDE_FLEET_AUTHORISATION",
    RejectionReason.FRAUD_SUSPECTED: "VISIT_STORE_WITH_ID_DOCUMENT",
    RejectionReason.OTHER: "CONTACT_SUPPORT",
}


@dataclass(frozen=True)
class ReviewReason:
    code: RejectionReason
    note: str = ""


def rejection_detail(reasons: list[ReviewReason]) -> list[dict[str, Any]]:
    """What a rejection records and shows: each reason with its remedy and the reviewer's note,
    trimmed to `NOTE_LIMIT` characters. Raises ValueError when no reason is given: a rejection
    always tells the subscriber what to fix."""
    if not reasons:
        raise ValueError("give at least one reason code")
    return [
        {
            "code": r.code.value,
            "remedy": REMEDY_FOR_REASON[r.code],
            "note": r.note.strip()[:NOTE_LIMIT],
        }
        for r in reasons
    ]
