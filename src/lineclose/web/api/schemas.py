"""Request and response bodies of the JSON API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lineclose.domain.facts import IdentityMethod
from lineclose.domain.rejections import RejectionReason
from lineclose.services.context import Channel
from lineclose.web.api.bounds import BoundedDate, DbIdField


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentityIn(Body):
    method: IdentityMethod
    value: str | None = Field(default=None, max_length=64, description="password or ID number")


class PrecheckIn(Body):
    msisdn: str = Field(max_length=32, examples=["+8613800138001"])
    requested_date: BoundedDate | None = None
    accept_etf: bool = False
    acknowledged_bindings: list[DbIdField] = Field(default_factory=list, max_length=100)
    identity: list[IdentityIn] = Field(default_factory=list, max_length=4)


class ClosureChanges(Body):
    refund_account: str | None = Field(default=None, max_length=64)
    alternate_contact: str | None = Field(default=None, max_length=200)
    acknowledged_bindings: list[DbIdField] = Field(default_factory=list, max_length=100)
    accept_etf: bool = False
    requested_date: BoundedDate | None = None
    schedule_at_term_end: bool = False
    identity: list[IdentityIn] = Field(default_factory=list, max_length=4)


class SubmitIn(ClosureChanges):
    msisdn: str = Field(max_length=32)
    channel: Channel | None = Field(
        default=None, description="staff only: hotline, store, bulk or api"
    )


class NoteIn(Body):
    note: str = Field(default="", max_length=500)


class ReasonIn(Body):
    code: RejectionReason
    note: str = Field(default="", max_length=500)


class RejectIn(Body):
    reasons: list[ReasonIn] = Field(min_length=1, max_length=10)


class PayIn(Body):
    amount_minor: int = Field(gt=0, description="the bill's full amount in minor units")
    reference: str = Field(min_length=1, max_length=64)


class OtpIn(Body):
    msisdn: str = Field(max_length=32)


class OtpVerifyIn(Body):
    challenge_id: str = Field(max_length=64)
    code: str = Field(min_length=4, max_length=12)


Json = dict[str, Any]


class PasswordChangeIn(Body):
    current_password: str | None = Field(default=None, max_length=64)
    new_password: str = Field(max_length=64)


class PasswordResetStartIn(Body):
    msisdn: str = Field(max_length=32)


class PasswordResetIn(Body):
    challenge_id: str = Field(max_length=40)
    code: str = Field(max_length=12)
    id_number: str = Field(max_length=40, description="in full, or its last six where allowed")
    new_password: str = Field(max_length=64)


class StorePasswordResetIn(Body):
    msisdn: str = Field(max_length=32)
    id_document_seen: bool
    document_kind: str = Field(max_length=40, examples=["resident_id", "passport"])
    new_password: str = Field(max_length=64)


class AssignIn(Body):
    reviewer: str = Field(min_length=1, max_length=80, description="the reviewer token's name")


class PortOutIn(Body):
    order_reference: str = Field(min_length=1, max_length=40)


class Problem(BaseModel):
    """application/problem+json (RFC 9457) with a stable `code`; `field` names the bad input."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    field: str | None = None
    errors: list[dict[str, str]] | None = None


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The refusals a route documents, each rendered as problem+json."""
    return {
        status: {"model": Problem, "content": {"application/problem+json": {}}}
        for status in statuses
    }


class ChallengeOut(BaseModel):
    challenge_id: str
    expires_at: str
    sent_to: str


class AccessTokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_at: str


class BillOut(BaseModel):
    id: int
    kind: str
    amount_minor: int
    due_on: str
    paid: bool


class BindingOut(BaseModel):
    id: int
    service: str
    category: str
    unbound_on: str | None


class LineOut(BaseModel):
    msisdn: str
    kind: str
    payment: str
    status: str
    currency: str
    operator: str
    profile: str
    bills: list[BillOut]
    bindings: list[BindingOut]


class EligibilityOut(BaseModel):
    eligible: bool
    closure_date: str
    blockers: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    quote: dict[str, Any]
    identity_methods: list[str]


class PaymentOut(BaseModel):
    bill_id: int
    amount_minor: int
    currency: str
    reference: str
    paid: bool


class UnboundOut(BaseModel):
    id: int
    service: str
    unbound_on: str | None


class RetriedOut(BaseModel):
    id: int
    status: str


class PortedOut(BaseModel):
    msisdn: str
    state: str
