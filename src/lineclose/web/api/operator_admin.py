"""Admin routes for an operator: create it, read its settings (each rule with its source), set
its profile overrides, auto-approval policy and notification settings. All audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from lineclose.services import operator_admin
from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.reads.operator_settings import operator_settings
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.sync_schemas import refusals

router = APIRouter(prefix="/api/v1/operators", tags=["operators"])

Admin = Annotated[Actor, may(Action.OPERATOR_SETTINGS)]
Reader = Annotated[Actor, may(Action.READ_OPERATOR_SETTINGS)]
ERRORS = refusals(
    {
        403: "not an admin, or another operator's",
        404: "no such operator",
        409: "the operator code is taken",
        422: "a value out of range: problem+json names the field and the range",
    }
)


class OperatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    profile: str


class RuleOut(BaseModel):
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


class OperatorSettingsOut(BaseModel):
    """Each rule's value beside its source and mark (RULES.md), and the allowed range."""

    code: str
    name: str
    profile: str
    profile_name: str
    currency: str
    timezone: str
    rules: list[RuleOut]
    auto_approval: dict[str, Any]
    notifications: dict[str, Any]


class SettingsIn(BaseModel):
    """Settings to change; a `null` override puts a rule back to its profile's value."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any]


@router.post("", status_code=201, response_model=OperatorSettingsOut, responses=ERRORS)
def create(body: OperatorIn, session: SessionDep, deps: DepsDep, actor: Admin) -> dict[str, Any]:
    operator_admin.create_operator(session, deps, actor, body.code, body.name, body.profile)
    session.commit()
    return operator_settings(session, actor, body.code).as_dict()


@router.get("/{code}", response_model=OperatorSettingsOut, responses=ERRORS)
def show(code: str, session: SessionDep, actor: Reader) -> dict[str, Any]:
    return operator_settings(session, actor, code).as_dict()


@router.patch("/{code}/profile", response_model=OperatorSettingsOut, responses=ERRORS)
def set_profile(
    code: str, body: SettingsIn, session: SessionDep, deps: DepsDep, actor: Admin
) -> dict[str, Any]:
    operator_admin.set_overrides(session, deps, actor, code, body.values)
    session.commit()
    return operator_settings(session, actor, code).as_dict()


@router.patch("/{code}/auto-approval", response_model=OperatorSettingsOut, responses=ERRORS)
def set_auto_approval(
    code: str, body: SettingsIn, session: SessionDep, deps: DepsDep, actor: Admin
) -> dict[str, Any]:
    operator_admin.set_auto_approval(session, deps, actor, code, body.values)
    session.commit()
    return operator_settings(session, actor, code).as_dict()


@router.patch("/{code}/notifications", response_model=OperatorSettingsOut, responses=ERRORS)
def set_notifications(
    code: str, body: SettingsIn, session: SessionDep, deps: DepsDep, actor: Admin
) -> dict[str, Any]:
    operator_admin.set_notifications(session, deps, actor, code, body.values)
    session.commit()
    return operator_settings(session, actor, code).as_dict()
