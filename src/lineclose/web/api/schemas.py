"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lineclose.domain.facts import IdentityMethod
from lineclose.services.context import Channel
from lineclose.services.requests import RejectionReason
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


class NumberRecyclingIn(BaseModel):
    phoneNumber: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{4,14}$")
    specifiedDate: date


class NumberRecyclingOut(BaseModel):
    phoneNumberRecycled: bool


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
