"""Jurisdiction profiles: the numbers each jurisdiction imposes on a closure, each with its source.

Marks follow RULES.md: `law` (read in the legal text), `rep` (reputable secondary source),
`practice` (operator practice; a default, not a law). Operators override any value.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

UNDER_MINIMUM = ("donate", "credit", "other_method")


@dataclass(frozen=True)
class Sourced:
    value: int
    mark: str
    note: str


@dataclass(frozen=True)
class JurisdictionProfile:
    code: str
    name: str
    country: str  # ISO 3166 code used for the holiday calendar and phone numbers
    currency: str
    locale: str
    timezone: str
    calendar: str  # "chinesecalendar" or "holidays"
    id_scheme: str  # "cn_ric" or "generic"
    review_working_days: Sourced
    aging_days: Sourced
    refund_fee_minor: Sourced
    retention_days_after_closure: Sourced
    second_approval_refund_minor: Sourced
    id_last_six_allowed: bool
    # Money after closure: the bank's smallest transfer, what happens to a refund under it
    # (donate | credit | other_method), and the largest amount due written off, not collected.
    refund_minimum_minor: Sourced = Sourced(100, "practice", "operator default")
    under_minimum: str = "credit"
    debt_write_off_minor: Sourced = Sourced(500, "practice", "operator default")

    def with_overrides(self, overrides: dict[str, Any]) -> JurisdictionProfile:
        """Apply an operator's overrides; numeric rule values become `practice` with the operator's note."""
        known = {f.name for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known:
                raise ValueError(f"unknown profile setting {key!r}")
            current = getattr(self, key)
            if isinstance(current, Sourced):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{key} must be a non-negative whole number")
                changes[key] = Sourced(value, "practice", "operator override")
            elif key == "under_minimum" and value not in UNDER_MINIMUM:
                raise ValueError(f"under_minimum must be one of {', '.join(UNDER_MINIMUM)}")
            else:
                changes[key] = value
        return replace(self, **changes)


PROFILES: dict[str, JurisdictionProfile] = {
    "cn": JurisdictionProfile(
        code="cn",
        name="China",
        country="CN",
        currency="CNY",
        locale="zh_CN",
        timezone="Asia/Shanghai",
        calendar="chinesecalendar",
        id_scheme="cn_ric",
        review_working_days=Sourced(2, "practice", "online review typically 2 working days"),
        aging_days=Sourced(90, "rep", "about 90 days (60 to 180 reported)"),
        refund_fee_minor=Sourced(0, "rep", "prepaid balance refunded simply, no fee"),
        retention_days_after_closure=Sourced(730, "law", "identity records kept 2 years"),
        second_approval_refund_minor=Sourced(50_000, "practice", "refunds over CNY 500"),
        id_last_six_allowed=True,
        refund_minimum_minor=Sourced(100, "practice", "bank card and Alipay transfers from CNY 1"),
        under_minimum="other_method",
        debt_write_off_minor=Sourced(1_000, "practice", "amounts under CNY 10 are not collected"),
    ),
    "uk": JurisdictionProfile(
        code="uk",
        name="United Kingdom",
        country="GB",
        currency="GBP",
        locale="en",
        timezone="Europe/London",
        calendar="holidays",
        id_scheme="generic",
        review_working_days=Sourced(2, "rep", "business customers: codes within 2 working days"),
        aging_days=Sourced(90, "practice", "no statutory figure; operator default"),
        refund_fee_minor=Sourced(0, "practice", "no fee unless the contract says"),
        retention_days_after_closure=Sourced(2190, "practice", "operator default 6 years"),
        second_approval_refund_minor=Sourced(20_000, "practice", "refunds over GBP 200"),
        id_last_six_allowed=False,
        refund_minimum_minor=Sourced(
            100, "practice", "Faster Payments from GBP 1, operator default"
        ),
        under_minimum="credit",
        debt_write_off_minor=Sourced(500, "practice", "amounts under GBP 5 are not collected"),
    ),
    "us": JurisdictionProfile(
        code="us",
        name="United States",
        country="US",
        currency="USD",
        locale="en",
        timezone="America/New_York",
        calendar="holidays",
        id_scheme="generic",
        review_working_days=Sourced(3, "practice", "operator default"),
        aging_days=Sourced(45, "law", "at least 45 days after permanent disconnection"),
        refund_fee_minor=Sourced(0, "practice", "operator default"),
        retention_days_after_closure=Sourced(548, "law", "billing records 18 months"),
        second_approval_refund_minor=Sourced(25_000, "practice", "refunds over USD 250"),
        id_last_six_allowed=False,
        refund_minimum_minor=Sourced(100, "practice", "operator default"),
        under_minimum="credit",
        debt_write_off_minor=Sourced(500, "practice", "amounts under USD 5 are not collected"),
    ),
    "ph": JurisdictionProfile(
        code="ph",
        name="Philippines",
        country="PH",
        currency="PHP",
        locale="en",
        timezone="Asia/Manila",
        calendar="holidays",
        id_scheme="generic",
        review_working_days=Sourced(3, "practice", "operator default"),
        aging_days=Sourced(90, "practice", "operator default"),
        refund_fee_minor=Sourced(0, "practice", "operator default"),
        retention_days_after_closure=Sourced(3653, "law", "registration data 10 years"),
        second_approval_refund_minor=Sourced(1_000_000, "practice", "refunds over PHP 10,000"),
        id_last_six_allowed=False,
        refund_minimum_minor=Sourced(10_000, "practice", "bank transfers from PHP 100"),
        under_minimum="other_method",
        debt_write_off_minor=Sourced(20_000, "practice", "amounts under PHP 200 are not collected"),
    ),
    "eu": JurisdictionProfile(
        code="eu",
        name="European Union",
        country="BE",
        currency="EUR",
        locale="en",
        timezone="Europe/Brussels",
        calendar="holidays",
        id_scheme="generic",
        review_working_days=Sourced(5, "rep", "Belgium: paid within 5 business days"),
        aging_days=Sourced(180, "rep", "Portugal: no reassignment for 180 days"),
        refund_fee_minor=Sourced(500, "rep", "Belgium: EUR 5 fee where the contract says"),
        retention_days_after_closure=Sourced(365, "law", "Germany: end of the following year"),
        second_approval_refund_minor=Sourced(20_000, "practice", "refunds over EUR 200"),
        id_last_six_allowed=False,
        refund_minimum_minor=Sourced(
            100, "practice", "SEPA transfers from EUR 1, operator default"
        ),
        under_minimum="donate",
        debt_write_off_minor=Sourced(500, "practice", "amounts under EUR 5 are not collected"),
    ),
}


def profile_for(code: str, overrides: dict[str, Any] | None = None) -> JurisdictionProfile:
    try:
        base = PROFILES[code]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown jurisdiction profile {code!r}; use one of {known}") from None
    return base.with_overrides(overrides) if overrides else base
