"""Settle's row updates joined to finalize's when both run in one transaction.

Settling a batch zeroes its lines' balances and stores each request's final quote; finalizing
it then updates the same lines (closed) and the same requests (completed). When the worker
performs both in one transaction (`worker.batches.FUSED`), settle leaves those two updates
here and finalize writes each row once with both changes; whatever finalize does not take is
written when the transaction's fused steps are done, so the effects are those of the steps
performed apart (tests compare them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from lineclose.db import models
from lineclose.db.among import among
from lineclose.db.bulk_update import update_each

Request = models.ClosureRequest
REQUESTS = Request.metadata.tables[Request.__tablename__]
# A closed line's balances: its credit refunded or spent, its usage billed.
ZEROED = {"paid_credit_minor": 0, "promo_credit_minor": 0, "unbilled_usage_minor": 0}
_KEY = "execution_merge.pending"


@dataclass
class Pending:
    """Lines whose balances are still to zero, and requests' quotes still to store."""

    zeroed_lines: set[int] = field(default_factory=set)
    quotes: dict[int, dict[str, Any]] = field(default_factory=dict)


@contextmanager
def merging(session: Session) -> Iterator[None]:
    """Within the block, settle's updates wait for finalize (`pending`); what is left at its
    end is written then."""
    pending = Pending()
    session.info[_KEY] = pending
    try:
        yield
    finally:
        session.info.pop(_KEY, None)
    write_zeroed(session, pending.zeroed_lines)
    write_quotes(session, pending.quotes)


def pending(session: Session) -> Pending | None:
    """The updates waiting in this transaction, when its fused steps are being performed."""
    found = session.info.get(_KEY)
    return found if isinstance(found, Pending) else None


def take_zeroed(session: Session, line_ids: list[int]) -> bool:
    """Whether every one of the lines waits for its balances to be zeroed; if so, the caller
    zeroes them in its own update, and they no longer wait."""
    waiting = pending(session)
    if waiting is None or not waiting.zeroed_lines.issuperset(line_ids):
        return False
    waiting.zeroed_lines.difference_update(line_ids)
    return True


def take_quotes(session: Session, request_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The columns (the quote) waiting for every one of the requests, by request (none
    unless all of them wait), which the caller then stores with its own update of them."""
    waiting = pending(session)
    if waiting is None or not all(i in waiting.quotes for i in request_ids):
        return {}
    return {i: {"quote": waiting.quotes.pop(i)} for i in request_ids}


def write_zeroed(session: Session, line_ids: set[int] | list[int]) -> None:
    if line_ids:
        session.execute(
            update(models.Line)
            .where(among(session, models.Line.id, list(line_ids)))
            .values(**ZEROED)
        )


def write_quotes(session: Session, quotes: dict[int, dict[str, Any]]) -> None:
    """Each request's quote, as a change of its own (its version moves on)."""
    rows = [{"id": request_id, "quote": quote} for request_id, quote in quotes.items()]
    update_each(session, REQUESTS, rows, increment={"version": 1})
