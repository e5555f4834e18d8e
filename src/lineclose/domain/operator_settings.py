"""What an operator may set, and within which range: profile overrides, the auto-approval
policy and notification settings. A value outside its range is refused with the range.

Ranges keep overrides honest: a rule the law fixes (mark `law`) may be made stricter, never
looser than the law's figure; the rest stay within what operators are reported to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from lineclose.domain.facts import IdentityMethod
from lineclose.domain.profiles import JurisdictionProfile, Sourced


class SettingRefused(ValueError):
    def __init__(self, field: str, message: str, allowed: dict[str, Any]) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.allowed = allowed


@dataclass(frozen=True)
class Range:
    minimum: int
    maximum: int


RULE_RANGES: dict[str, Range] = {
    "review_working_days": Range(1, 15),
    "aging_days": Range(30, 365),
    "refund_fee_minor": Range(0, 10_000),
    "retention_days_after_closure": Range(30, 3_653),
    "second_approval_refund_minor": Range(0, 100_000_000),
}

AUTO_APPROVAL_MAX_REFUND = 1_000_000
NOTIFICATION_KEYS = ("webhook_url", "ops_email", "notify_bound_services", "sms_sender")


def rule_range(profile: JurisdictionProfile, name: str) -> Range:
    """The allowed range of one rule; a law-marked rule's base value is a floor (aging,
    retention) or a ceiling (fees), whichever protects the subscriber."""
    base = RULE_RANGES[name]
    rule: Sourced = getattr(profile, name)
    if rule.mark != "law":
        return base
    if name == "refund_fee_minor":
        return Range(base.minimum, min(base.maximum, rule.value))
    return Range(max(base.minimum, rule.value), base.maximum)


def check_overrides(profile: JurisdictionProfile, values: dict[str, Any]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for name, value in values.items():
        if name not in RULE_RANGES:
            raise SettingRefused(
                name, f"{name} is not a rule an operator can set", {"rules": sorted(RULE_RANGES)}
            )
        allowed = rule_range(profile, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingRefused(name, f"{name} must be a whole number", _shown(allowed))
        if not allowed.minimum <= value <= allowed.maximum:
            raise SettingRefused(
                name,
                f"{name} must be between {allowed.minimum} and {allowed.maximum}",
                _shown(allowed),
            )
        checked[name] = value
    return checked


def _shown(allowed: Range) -> dict[str, Any]:
    return {"minimum": allowed.minimum, "maximum": allowed.maximum}


def check_auto_approval(values: dict[str, Any]) -> dict[str, Any]:
    known = {
        "enabled",
        "identity_methods",
        "max_refund_minor",
        "allow_fleet_data_cards",
        "allow_future_dates",
    }
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            raise SettingRefused(
                name, f"{name} is not part of the auto-approval policy", {"settings": sorted(known)}
            )
        if name == "identity_methods":
            methods = [m.value for m in IdentityMethod]
            if not isinstance(value, list) or not value or any(v not in methods for v in value):
                raise SettingRefused(
                    name,
                    f"{name} must list one or more of: {', '.join(methods)}",
                    {"choices": methods},
                )
            checked[name] = sorted(set(value))
        elif name == "max_refund_minor":
            allowed = Range(0, AUTO_APPROVAL_MAX_REFUND)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= allowed.maximum
            ):
                raise SettingRefused(
                    name, f"{name} must be between 0 and {allowed.maximum}", _shown(allowed)
                )
            checked[name] = value
        else:
            if not isinstance(value, bool):
                raise SettingRefused(
                    name, f"{name} must be true or false", {"choices": [True, False]}
                )
            checked[name] = value
    return checked


def check_notifications(values: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name not in NOTIFICATION_KEYS:
            raise SettingRefused(
                name, f"{name} is not a notification setting", {"settings": list(NOTIFICATION_KEYS)}
            )
        if name == "notify_bound_services":
            if not isinstance(value, bool):
                raise SettingRefused(
                    name, f"{name} must be true or false", {"choices": [True, False]}
                )
        elif not isinstance(value, str):
            raise SettingRefused(name, f"{name} must be text", {})
        elif name == "webhook_url" and value:
            parsed = urlparse(value)
            if parsed.scheme != "https" or not parsed.netloc or len(value) > 300:
                raise SettingRefused(
                    name,
                    f"{name} must be an https URL of at most 300 characters",
                    {"maximum_length": 300},
                )
        elif name == "ops_email" and value:
            local, at, domain = value.partition("@")
            if not at or not local or "." not in domain or len(value) > 200:
                raise SettingRefused(
                    name, f"{name} must be an e-mail address", {"maximum_length": 200}
                )
        elif name == "sms_sender" and value and not (value.isalnum() and len(value) <= 11):
            raise SettingRefused(
                name,
                f"{name} must be 1 to 11 letters or digits",
                {"minimum_length": 1, "maximum_length": 11},
            )
        checked[name] = value
    return checked
