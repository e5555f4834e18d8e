"""Reassigned-number checks: has this number left its subscriber since a date?"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from lineclose.domain.reassigned import Reassigned, reassigned
from lineclose.services.lines import parse_msisdn
from lineclose.services.reassigned import latest_disconnection


def recycled_since(session: Session, raw_msisdn: str, since: date) -> bool:
    """True when the number was disconnected on or after `since`, under the shared rule
    (`domain.reassigned`), over every operator's disconnections."""
    msisdn = parse_msisdn(raw_msisdn)
    return reassigned(latest_disconnection(session, msisdn, None), since) is Reassigned.YES
