"""Demo data for the SMS keyword channel and idle-line reminders."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.sms_keywords.channel import set_short_code

DEMO_SHORT_CODES = {"demo-cn": "10086", "demo-uk": "85075"}


def seed_demo_channels(session: Session, deps: Deps) -> None:
    """Each demo operator answers texts on a short code of its own."""
    for operator, code in DEMO_SHORT_CODES.items():
        set_short_code(session, deps, SYSTEM_ACTOR, operator, code)
