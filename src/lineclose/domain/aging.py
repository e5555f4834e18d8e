"""Numbers after closure: aging before reuse; a port-out never ages."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from lineclose.domain.profiles import JurisdictionProfile


class NumberState(StrEnum):
    ASSIGNED = "assigned"
    AGING = "aging"
    AVAILABLE = "available"
    PORTED_OUT = "ported_out"


def aging_until(disconnected_on: date, profile: JurisdictionProfile) -> date:
    """The first day the number may be given to someone else."""
    return disconnected_on + timedelta(days=profile.aging_days.value)


def is_released(state: NumberState, until: date | None, today: date) -> bool:
    return state is NumberState.AGING and until is not None and until <= today
