"""Staff tokens as the operator's command line lists them: never the token, only its first
characters, with when it expires and when it was last used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    role: str
    operator: str | None
    masked: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    state: str  # active, expired or revoked


def _state(token: models.ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def list_tokens(session: Session, now: datetime, include_ended: bool = False) -> list[TokenRow]:
    """Every staff and integration token, oldest first; revoked and expired ones on request."""
    rows = session.execute(
        select(models.ApiToken, models.Operator.code)
        .outerjoin(models.Operator, models.Operator.id == models.ApiToken.operator_id)
        .order_by(models.ApiToken.id)
    ).all()
    listed = []
    for token, operator in rows:
        state = _state(token, now)
        if state != "active" and not include_ended:
            continue
        listed.append(
            TokenRow(
                id=token.id,
                name=token.name,
                role=token.role,
                operator=operator,
                masked=f"{token.hint or 'lcs_'}…",
                created_at=token.created_at,
                expires_at=token.expires_at,
                last_used_at=token.last_used_at,
                state=state,
            )
        )
    return listed
