"""An operator's settings as staff see them: each rule's value next to its source (as RULES.md
marks them), the auto-approval policy and the notification settings. Supervisors and admins;
staff bound to an operator see only theirs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lineclose.domain.operator_settings import RULE_RANGES, rule_range
from lineclose.domain.policies import AutoApprovalPolicy
from lineclose.domain.profiles import PROFILES, Sourced
from lineclose.errors import Forbidden
from lineclose.services.context import Actor, Role
from lineclose.services.data_in.bulk_import import operator_by_code
from lineclose.services.lines import profile_of
from lineclose.services.operator_admin import notifications_of


@dataclass(frozen=True)
class RuleView:
    name: str
    value: int
    mark: str
    source: str
    overridden: bool
    profile_value: int
    profile_mark: str
    profile_source: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class OperatorSettingsView:
    code: str
    name: str
    profile: str
    profile_name: str
    currency: str
    timezone: str
    rules: list[RuleView]
    auto_approval: dict[str, Any]
    notifications: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "profile": self.profile,
            "profile_name": self.profile_name,
            "currency": self.currency,
            "timezone": self.timezone,
            "rules": [vars(r) for r in self.rules],
            "auto_approval": self.auto_approval,
            "notifications": self.notifications,
        }


def operator_settings(session: Session, actor: Actor, code: str) -> OperatorSettingsView:
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(
            "supervisors and admins see an operator's settings", code="role_not_allowed"
        )
    operator = operator_by_code(session, code)
    if actor.operator_id is not None and actor.operator_id != operator.id:
        raise Forbidden("this operator is not yours", code="other_operator")
    base = PROFILES[operator.profile]
    effective = profile_of(operator)
    overrides = operator.profile_overrides or {}
    rules = []
    for name in RULE_RANGES:
        rule: Sourced = getattr(effective, name)
        allowed = rule_range(base, name)
        rules.append(
            RuleView(
                name=name,
                value=rule.value,
                mark=rule.mark,
                source=rule.note,
                overridden=name in overrides,
                profile_value=getattr(base, name).value,
                profile_mark=getattr(base, name).mark,
                profile_source=getattr(base, name).note,
                minimum=allowed.minimum,
                maximum=allowed.maximum,
            )
        )
    policy = AutoApprovalPolicy.from_settings(operator.auto_approval)
    return OperatorSettingsView(
        code=operator.code,
        name=operator.name,
        profile=operator.profile,
        profile_name=base.name,
        currency=base.currency,
        timezone=base.timezone,
        rules=rules,
        auto_approval={
            "enabled": policy.enabled,
            "identity_methods": sorted(m.value for m in policy.identity_methods),
            "max_refund_minor": policy.max_refund_minor,
            "allow_fleet_data_cards": policy.allow_fleet_data_cards,
            "allow_future_dates": policy.allow_future_dates,
        },
        notifications={
            "webhook_url": "",
            "ops_email": "",
            "notify_bound_services": True,
            "sms_sender": "",
            **notifications_of(session, operator.id),
        },
    )
