"""Indexes that keep the sweeps proportional to what is due, not to the history kept.

- numbers aging, by the day they finish aging: the release sweep reads only those due;
- subscribers not yet erased (partial): erased subscribers, the bulk of the history after
  years of closures, drop out of the retention sweep's scan;
- lines by subscriber and closing time: the retention sweep's per-subscriber test.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from lineclose.db.models import Line, Number, Subscriber

NOT_ERASED = text("erased_at IS NULL")

numbers_aging_due = Index("ix_numbers_state_aging_until", Number.state, Number.aging_until)
subscribers_not_erased = Index(
    "ix_subscribers_not_erased",
    Subscriber.id,
    sqlite_where=NOT_ERASED,
    postgresql_where=NOT_ERASED,
)
lines_by_subscriber_closed = Index(
    "ix_lines_subscriber_closed_at", Line.subscriber_id, Line.status, Line.closed_at
)
