"""What the worker reports of its turns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RunOutcome(StrEnum):
    """What one turn of the worker did. `LEASE_LOST` is not idleness: another worker took the
    step after this one's lease ran out, and other steps may well be due."""

    DONE = "done"
    RETRIED = "retried"
    DEAD = "dead"
    LEASE_LOST = "lease_lost"
    IDLE = "idle"


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    dead: int = 0
    lease_lost: int = 0

    def add(self, outcome: RunOutcome) -> None:
        if outcome is not RunOutcome.IDLE:
            setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    @property
    def performed(self) -> int:
        return self.done + self.retried + self.dead
