"""Operator administration: create an operator, set its profile overrides, its auto-approval
policy and its notification settings. Admins only (an admin bound to an operator: that one);
every change is audited with the old and new values (none of them personal data)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import audit, models
from lineclose.db.models_data_in import OperatorSettings
from lineclose.domain import operator_settings as rules
from lineclose.domain.profiles import PROFILES
from lineclose.errors import Conflict, Forbidden, InvalidInput
from lineclose.services.context import Actor, Deps, Role
from lineclose.services.data_in.bulk_import import operator_by_code
from lineclose.services.lines import profile_of
from lineclose.services.provisioning import add_operator

_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,31}")


def ensure_admin(actor: Actor, operator_id: int | None) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin may change an operator's settings", code="admin_only")
    if (
        actor.operator_id is not None
        and operator_id is not None
        and actor.operator_id != operator_id
    ):
        raise Forbidden("this operator is not yours", code="other_operator")


def _refused(exc: rules.SettingRefused) -> InvalidInput:
    return InvalidInput(
        exc.message, code="setting_out_of_range", field=exc.field, allowed=exc.allowed
    )


def create_operator(
    session: Session, deps: Deps, actor: Actor, code: str, name: str, profile: str
) -> models.Operator:
    """A new operator on one jurisdiction profile; its code is how files and tokens name it."""
    ensure_admin(actor, None)
    if actor.operator_id is not None:
        raise Forbidden(
            "an admin bound to an operator cannot create another", code="other_operator"
        )
    if not _CODE.fullmatch(code):
        raise InvalidInput(
            "code must be 2 to 32 lower-case letters, digits or dashes",
            code="invalid_code",
            field="code",
        )
    if not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", code="invalid_name", field="name")
    if profile not in PROFILES:
        raise InvalidInput(
            f"profile must be one of: {', '.join(sorted(PROFILES))}",
            code="unknown_profile",
            field="profile",
            allowed={"choices": sorted(PROFILES)},
        )
    taken = session.execute(select(models.Operator.id).where(models.Operator.code == code)).first()
    if taken:
        raise Conflict(f"an operator with code {code!r} exists already", code="operator_exists")
    operator = add_operator(session, deps, code, name.strip(), profile)
    audit.append(
        session,
        deps.clock.now(),
        actor.label,
        "operator.created",
        "operator",
        code,
        {"profile": profile},
    )
    return operator


def set_overrides(
    session: Session, deps: Deps, actor: Actor, code: str, values: dict[str, Any]
) -> models.Operator:
    """Override rule values; `null` puts a rule back to its profile's sourced value."""
    operator = operator_by_code(session, code)
    ensure_admin(actor, operator.id)
    base = PROFILES[operator.profile]
    cleared = [k for k, v in values.items() if v is None]
    try:
        checked = rules.check_overrides(base, {k: v for k, v in values.items() if v is not None})
    except rules.SettingRefused as exc:
        raise _refused(exc) from None
    before = dict(operator.profile_overrides or {})
    after = {k: v for k, v in {**before, **checked}.items() if k not in cleared}
    operator.profile_overrides = after
    _audit(session, deps, actor, operator, "operator.profile_overrides_set", before, after)
    return operator


def set_auto_approval(
    session: Session, deps: Deps, actor: Actor, code: str, values: dict[str, Any]
) -> models.Operator:
    operator = operator_by_code(session, code)
    ensure_admin(actor, operator.id)
    try:
        checked = rules.check_auto_approval(values)
    except rules.SettingRefused as exc:
        raise _refused(exc) from None
    before = dict(operator.auto_approval or {})
    operator.auto_approval = {**before, **checked}
    _audit(
        session, deps, actor, operator, "operator.auto_approval_set", before, operator.auto_approval
    )
    return operator


def notifications_of(session: Session, operator_id: int) -> dict[str, Any]:
    row = session.get(OperatorSettings, operator_id)
    return dict(row.notifications) if row else {}


def set_notifications(
    session: Session, deps: Deps, actor: Actor, code: str, values: dict[str, Any]
) -> models.Operator:
    operator = operator_by_code(session, code)
    ensure_admin(actor, operator.id)
    try:
        checked = rules.check_notifications(values)
    except rules.SettingRefused as exc:
        raise _refused(exc) from None
    row = session.get(OperatorSettings, operator.id)
    before = dict(row.notifications) if row else {}
    after = {**before, **checked}
    if row is None:
        session.add(
            OperatorSettings(
                operator_id=operator.id, notifications=after, updated_at=deps.clock.now()
            )
        )
    else:
        row.notifications = after
        row.updated_at = deps.clock.now()
    _audit(session, deps, actor, operator, "operator.notifications_set", before, after)
    return operator


def _audit(
    session: Session,
    deps: Deps,
    actor: Actor,
    operator: models.Operator,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
    profile_of(operator)  # the stored overrides must still make a valid profile
    session.flush()
    audit.append(
        session,
        deps.clock.now(),
        actor.label,
        action,
        "operator",
        operator.code,
        {
            "changed": changed,
            "before": {k: before.get(k) for k in changed},
            "after": {k: after.get(k) for k in changed},
        },
    )
