"""What the sign-in and password pages show about the holder, never the secrets themselves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import Actor
from lineclose.services.lines import profile_of


def has_service_password(session: Session, actor: Actor) -> bool:
    """Whether the signed-in holder has set a service password (changing one needs it)."""
    if actor.subscriber_id is None:
        return False
    subscriber = session.get(models.Subscriber, actor.subscriber_id)
    return subscriber is not None and bool(subscriber.service_password_hash)


def reset_allows_last_six(session: Session, challenge_id: str) -> bool:
    """Whether the profile of the line a reset code went to accepts the last six characters of
    the ID number; the challenge id is the only thing the anonymous caller holds."""
    line = session.execute(
        select(models.Line)
        .join(models.OtpChallenge, models.OtpChallenge.line_id == models.Line.id)
        .where(models.OtpChallenge.public_id == challenge_id)
    ).scalar_one_or_none()
    return line is not None and profile_of(line.operator).id_last_six_allowed
