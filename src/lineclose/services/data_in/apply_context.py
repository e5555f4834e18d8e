"""What every handler of a batch shares: the operator, the clock, and what the batch changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.domain.profiles import JurisdictionProfile
from lineclose.services.context import Deps
from lineclose.services.data_in.records import Item, Known
from lineclose.services.data_in.wide_records import WideRecord


@dataclass(frozen=True)
class Reject:
    row: int
    field: str
    message: str
    code: str = "invalid_value"


@dataclass
class FoldedFacts:
    """Facts of a line that the same batch also creates: written with the line's own insert
    (`line_id` set then), so their handler has no update left to make."""

    columns: dict[str, Any]
    line_id: int | None = None


@dataclass
class Shared:
    """What the kinds of one batch share. `in_service`: which numbers are lines in service
    (None: not one); the lines part clears it after writing, then adds the lines it wrote.
    `folded`: by number, the line columns the batch's balances and usage give."""

    in_service: dict[str, int | None] = field(default_factory=dict)
    folded: dict[str, FoldedFacts] = field(default_factory=dict)
    # What the source last said, by kind, read for the whole batch before any kind is applied
    # (a kind's own records are written by that kind only).
    known: dict[str, dict[str, Known]] = field(default_factory=dict)
    wide: dict[str, WideRecord] = field(default_factory=dict)  # by number, read with `known`
    # A wide file's batch: its parts keyed by the number are kept here as each kind is applied
    # (applied or found unchanged), and written at the batch's end, one record per number.
    wide_file: bool = False
    parts: list[Item] = field(default_factory=list)
    # By reference, the subscribers the batch applied or found unchanged: their lines need
    # not read the subscribers' records back.
    subscriber_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class ApplyContext:
    session: Session
    deps: Deps
    operator_id: int
    profile: JurisdictionProfile
    now: datetime
    line_changes: dict[int, set[str]] = field(default_factory=dict)
    new_lines: list[tuple[str, str]] = field(default_factory=list)  # (imsi, msisdn) for the HLR
    rejects: list[Reject] = field(default_factory=list)
    shared: Shared = field(default_factory=Shared)

    @property
    def in_service(self) -> dict[str, int | None]:
        return self.shared.in_service

    def touch(self, line_id: int, *what: str) -> None:
        self.line_changes.setdefault(line_id, set()).update(what)

    def refuse(
        self, item: Item, field_name: str, message: str, code: str = "invalid_value"
    ) -> None:
        self.rejects.append(Reject(item.row, field_name, message, code))

    def moment(self, day: date | None) -> datetime | None:
        """A date the source gave, as the start of that day in the jurisdiction's time."""
        if day is None:
            return None
        return datetime.combine(day, time(0), ZoneInfo(self.profile.timezone))

    def lines_in_service(self, numbers: Iterable[str]) -> dict[str, int]:
        wanted = set(numbers)
        known = self.in_service
        missing = [m for m in wanted if m not in known]
        if missing:
            rows = self.session.execute(
                select(models.Line.msisdn, models.Line.id).where(
                    models.Line.operator_id == self.operator_id,
                    among(self.session, models.Line.msisdn, missing),
                    models.Line.status != "closed",
                )
            ).all()
            known.update(dict.fromkeys(missing))
            known.update({m: i for m, i in rows})
        return {m: i for m in wanted if (i := known[m]) is not None}

    def resolve_lines(self, items: list[Item]) -> list[Item]:
        """Items whose number is a line of this operator in service; the others are refused."""
        found = self.lines_in_service(i.record["msisdn"] for i in items)
        kept = []
        for item in items:
            line_id = found.get(item.record["msisdn"])
            if line_id is None:
                self.refuse(
                    item,
                    "msisdn",
                    "msisdn is not a line of this operator in service: send it in lines first",
                    "unknown_line",
                )
                continue
            item.entity_id = item.entity_id or line_id
            item.record["_line_id"] = line_id
            kept.append(item)
        return kept
