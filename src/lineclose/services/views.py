"""Plain, JSON-ready views of domain results, shared by the API, the pages and stored history."""

from __future__ import annotations

from typing import Any

from lineclose.domain.eligibility import Blocker, Eligibility, Remedy
from lineclose.domain.settlement import Quote


def remedy_view(remedy: Remedy) -> dict[str, Any]:
    view: dict[str, Any] = {"code": remedy.code.value}
    if remedy.amount_minor is not None:
        view["amount_minor"] = remedy.amount_minor
    if remedy.date is not None:
        view["date"] = remedy.date.isoformat()
    if remedy.items:
        view["items"] = list(remedy.items)
    return view


def blocker_view(blocker: Blocker) -> dict[str, Any]:
    return {
        "code": blocker.code.value,
        "message": blocker.message,
        "remedies": [remedy_view(r) for r in blocker.remedies],
    }


def quote_view(quote: Quote) -> dict[str, Any]:
    return {
        "currency": quote.currency,
        "closure_date": quote.closure_date.isoformat(),
        "prorated_fee_minor": quote.prorated_fee.minor,
        "unbilled_usage_minor": quote.unbilled_usage.minor,
        "early_termination_fee_minor": quote.early_termination_fee.minor,
        "early_termination_fee_included": quote.etf_included,
        "total_charges_minor": quote.total_charges.minor,
        "paid_credit_minor": quote.paid_credit.minor,
        "forfeited_promo_credit_minor": quote.forfeited_promo_credit.minor,
        "refund_fee_minor": quote.refund_fee.minor,
        "refund_minor": quote.refund.minor,
        "amount_due_minor": quote.amount_due.minor,
    }


def eligibility_view(result: Eligibility) -> dict[str, Any]:
    return {
        "eligible": result.eligible,
        "closure_date": result.closure_date.isoformat(),
        "blockers": [blocker_view(b) for b in result.blockers],
        "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
        "quote": {**quote_view(result.quote), "review_due_on": result.review_due_on.isoformat()},
        "identity_methods": sorted(m.value for m in result.identity_methods),
    }
