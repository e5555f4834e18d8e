"""Reassigned-number checks: has this number left its subscriber since a date?"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.services.lines import parse_msisdn


def recycled_since(session: Session, raw_msisdn: str, since: date) -> bool:
    msisdn = parse_msisdn(raw_msisdn)
    found = session.execute(
        select(models.Disconnection.id)
        .where(models.Disconnection.msisdn == msisdn, models.Disconnection.disconnected_on >= since)
        .limit(1)
    ).scalar_one_or_none()
    return found is not None
