"""Webhook subscriptions over the API, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lineclose.services.access import Action
from lineclose.services.context import Actor
from lineclose.services.reads.bound_services import bound_services
from lineclose.services.webhooks.subscriptions import (
    SubscriptionView,
    create_subscription,
    list_subscriptions,
    remove_subscription,
)
from lineclose.web.api.deps import DepsDep, SessionDep, may
from lineclose.web.api.schemas import problems

router = APIRouter(tags=["webhooks"])
Admin = Annotated[Actor, may(Action.WEBHOOKS)]
Viewer = Annotated[Actor, may(Action.VIEW_LINE)]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operator: str = Field(max_length=32)
    url: str = Field(max_length=500)
    service: str | None = Field(default=None, max_length=100)
    event_types: list[str] = Field(default_factory=list, max_length=20)


def _out(view: SubscriptionView) -> dict[str, Any]:
    return {
        "id": view.id,
        "operator": view.operator,
        "service": view.service,
        "url": view.url,
        "event_types": list(view.event_types),
        "active": view.active,
    }


@router.get("/api/v1/webhooks", responses=problems(400, 401, 403, 404, 409, 422))
def get_subscriptions(session: SessionDep, actor: Admin) -> dict[str, Any]:
    return {"subscriptions": [_out(v) for v in list_subscriptions(session, actor)]}


@router.post("/api/v1/webhooks", status_code=201, responses=problems(400, 401, 403, 404, 409, 422))
def post_subscription(
    body: SubscriptionIn, session: SessionDep, deps: DepsDep, actor: Admin
) -> dict[str, Any]:
    """Subscribe a receiver; the signing secret is in this answer only."""
    made = create_subscription(
        session,
        deps,
        actor,
        body.operator,
        body.url,
        service=body.service,
        event_types=body.event_types,
    )
    session.commit()
    return {**_out(made.view), "secret": made.secret}


@router.delete(
    "/api/v1/webhooks/{subscription_id}", responses=problems(400, 401, 403, 404, 409, 422)
)
def delete_subscription(
    subscription_id: int, session: SessionDep, deps: DepsDep, actor: Admin
) -> dict[str, Any]:
    remove_subscription(session, deps, actor, subscription_id)
    session.commit()
    return {"id": subscription_id, "active": False}


@router.get(
    "/api/v1/lines/{msisdn}/bound-services", responses=problems(400, 401, 403, 404, 409, 422)
)
def get_bound_services(msisdn: str, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """Beside the precheck: each service still bound to the number, and whether Lineclose tells
    it of the closure (`told_by`: webhook or email) or the subscriber must unbind it by hand."""
    return {
        "bound_services": [
            {
                "binding_id": b.binding_id,
                "service": b.service,
                "category": b.category,
                "told_by": b.told_by,
                "unbind_by_hand": b.told_by is None,
            }
            for b in bound_services(session, actor, msisdn)
        ]
    }
