"""Bodies of the sync API. Values are checked by the same validators as the bulk files, so the
fields here are loose on purpose (text or numbers) and a bad one is named by its field."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Value = str | int | None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineIn(_Body):
    iccid: Value = None
    imsi: Value = None
    subscriber_ref: Value = None
    subscriber_kind: Value = None
    name: Value = None
    id_number: Value = None
    email: Value = None
    line_kind: Value = None
    payment: Value = None
    monthly_fee_minor: Value = None
    billing_day: Value = None
    activated_on: Value = None
    fleet_account: Value = None
    paid_credit_minor: Value = None
    promo_credit_minor: Value = None
    unbilled_usage_minor: Value = None
    last_usage_on: Value = None
    commitment_end: Value = None
    etf_rule: Value = None
    etf_fixed_minor: Value = None
    etf_monthly_minor: Value = None
    processing_fee_minor: Value = None


class BillIn(_Body):
    period_start: Value = None
    period_end: Value = None
    amount_minor: Value = None
    currency: Value = None
    due_on: Value = None
    paid_on: Value = None


class PaymentIn(_Body):
    bill_id: Value = None
    amount_minor: Value = None
    currency: Value = None
    paid_on: Value = None


class BalanceIn(_Body):
    paid_credit_minor: Value = None
    promo_credit_minor: Value = None


class UsageIn(_Body):
    unbilled_usage_minor: Value = None


class LastUsageIn(_Body):
    last_usage_on: Value = None


class BindingIn(_Body):
    category: Value = None
    notify_email: Value = None
    notify_url: Value = None
    bound_on: Value = None
    unbound_on: Value = None


class HoldIn(_Body):
    reason: Value = None
    requested_by: Value = None
    placed_on: Value = None


class LiftIn(_Body):
    reason: Value = None
    requested_by: Value = None
    lifted_on: Value = None


class LostIn(_Body):
    reported_on: Value = None


class SyncOut(BaseModel):
    kind: str
    outcome: str
    changed: list[str]
    reevaluated: list[str]


PROBLEM_SCHEMA: dict[str, object] = {
    "type": "object",
    "description": "application/problem+json (RFC 9457) with a stable `code`; `field` names "
    "the bad input and `allowed` the range it must be in",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "allowed": {"type": "object"},
    },
    "required": ["type", "title", "status", "code", "detail"],
}


def refusals(described: dict[int, str]) -> dict[int | str, dict[str, object]]:
    """The refusals a route documents, each rendered as problem+json."""
    return {
        status: {
            "description": text,
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
        }
        for status, text in described.items()
    }
