"""The subscriber's language over the API: chosen once, then followed by every message."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lineclose.services import language
from lineclose.services.access import SUBSCRIBER
from lineclose.services.context import Actor
from lineclose.web.api.deps import DepsDep, SessionDep, allow
from lineclose.web.api.schemas import problems

router = APIRouter(prefix="/api/v1/me", tags=["identity"])
SubscriberOnly = Annotated[Actor, allow(*SUBSCRIBER)]


class LanguageIn(BaseModel):
    language: Literal["zh_CN", "en"] = Field(description="zh_CN (Simplified Chinese) or en")


class LanguageOut(BaseModel):
    language: str


@router.put("/language", response_model=LanguageOut, responses=problems(401, 403, 422))
def choose_language(
    body: LanguageIn, session: SessionDep, deps: DepsDep, actor: SubscriberOnly
) -> LanguageOut:
    """Store the signed-in subscriber's language: SMS, e-mail, the certificate and the portal
    follow it from then on."""
    chosen = language.choose_language(session, deps, actor, body.language)
    session.commit()
    return LanguageOut(language=chosen)
