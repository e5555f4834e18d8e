"""Demo data for the SMS keyword channel and idle-line reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.context import SYSTEM_ACTOR, Deps
from lineclose.services.sms_keywords.channel import set_short_code

DEMO_SHORT_CODES = {"demo-cn": "10086", "demo-uk": "85075"}
# Lines that pay every month and were last used this many days ago.
DEMO_IDLE_DAYS = {"+8613800138003": 150, "+8614700000009": 220, "+8614700000010": 400}


def seed_demo_channels(session: Session, deps: Deps) -> None:
    """Each demo operator answers texts on a short code of its own; a few paying lines have
    not been used for months, so the idle-line sweep has someone to remind."""
    for operator, code in DEMO_SHORT_CODES.items():
        set_short_code(session, deps, SYSTEM_ACTOR, operator, code)
    today = deps.clock.now().date()
    for msisdn, days in DEMO_IDLE_DAYS.items():
        session.execute(
            update(models.Line)
            .where(models.Line.msisdn == msisdn)
            .values(last_usage_on=today - timedelta(days=days))
        )
