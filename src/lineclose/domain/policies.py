"""Per-operator rules that let a clean request close without waiting for a reviewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineclose.domain.eligibility import Eligibility
from lineclose.domain.facts import IdentityMethod, LineFacts, LineKind


@dataclass(frozen=True)
class AutoApprovalPolicy:
    enabled: bool = False
    identity_methods: frozenset[IdentityMethod] = field(
        default_factory=lambda: frozenset({IdentityMethod.OTP})
    )
    max_refund_minor: int = 0
    allow_fleet_data_cards: bool = False
    allow_future_dates: bool = True

    @classmethod
    def from_settings(cls, raw: dict[str, Any] | None) -> AutoApprovalPolicy:
        if not raw:
            return cls()
        return cls(
            enabled=bool(raw.get("enabled", False)),
            identity_methods=frozenset(
                IdentityMethod(m) for m in raw.get("identity_methods", ["otp"])
            ),
            max_refund_minor=int(raw.get("max_refund_minor", 0)),
            allow_fleet_data_cards=bool(raw.get("allow_fleet_data_cards", False)),
            allow_future_dates=bool(raw.get("allow_future_dates", True)),
        )


@dataclass(frozen=True)
class AutoDecision:
    approve: bool
    reasons: tuple[str, ...]


def decide_auto_approval(
    policy: AutoApprovalPolicy, line: LineFacts, eligibility: Eligibility
) -> AutoDecision:
    """Approve without a reviewer only when every condition of the policy holds; say which failed."""
    failed: list[str] = []
    if not policy.enabled:
        failed.append("auto-approval is off for this operator")
    if eligibility.blockers:
        failed.append("the request has blockers")
    if not eligibility.identity_methods & policy.identity_methods:
        allowed = ", ".join(sorted(m.value for m in policy.identity_methods))
        failed.append(f"identity was not verified by {allowed}")
    if eligibility.quote.refund.minor > policy.max_refund_minor:
        failed.append(f"refund above {policy.max_refund_minor} minor units")
    if not policy.allow_future_dates and eligibility.closure_date > eligibility.today:
        failed.append("closure requested for a future date")
    if line.kind is LineKind.DATA_ONLY and line.fleet and not policy.allow_fleet_data_cards:
        failed.append("data card in an enterprise fleet")
    if failed:
        return AutoDecision(False, tuple(failed))
    methods = ", ".join(sorted(m.value for m in eligibility.identity_methods))
    return AutoDecision(
        True,
        (
            f"identity verified by {methods}",
            "no blockers",
            f"refund {eligibility.quote.refund.minor} within {policy.max_refund_minor}",
        ),
    )
