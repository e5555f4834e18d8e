"""`update_each` writes each row's own values, JSON ones included, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lineclose.bootstrap import App
from lineclose.db.bulk_update import update_each
from lineclose.db.models import OutboxRow
from lineclose.db.outbox import enqueue_many

OUTBOX = OutboxRow.metadata.tables[OutboxRow.__tablename__]
AWKWARD = {"text": 'a "quoted" \\ back\\slash, 漢字, {braces}, [1,2]', "n": [1, None, {"k": "v"}]}


def test_each_row_gets_its_own_json_in_order(app: App) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    with app.sessions.begin() as session:
        enqueue_many(session, now, [{"step": "send_sms", "key": f"k{n}"} for n in range(5)])
    with app.sessions.begin() as session:
        ids = list(session.execute(select(OutboxRow.id).order_by(OutboxRow.id)).scalars())
        values = [AWKWARD, None, {"n": 2}, "just text", [3, "x"]]
        update_each(
            session,
            OUTBOX,
            [{"id": i, "result": v} for i, v in zip(ids, values, strict=True)],
            increment={"attempts": 1},
            last_error="same for all",
        )
    with app.sessions() as session:
        rows = session.execute(
            select(
                OutboxRow.id, OutboxRow.result, OutboxRow.attempts, OutboxRow.last_error
            ).order_by(OutboxRow.id)
        ).all()
        nulls = session.execute(
            select(OutboxRow.id).where(OutboxRow.result.is_(None)).order_by(OutboxRow.id)
        ).scalars()
        if app.engine.dialect.name == "postgresql":
            assert list(nulls) == [ids[1]]  # SQL NULL there, as before it went as one document
    assert [r.result for r in rows] == values
    assert [r.attempts for r in rows] == [1] * 5
    assert {r.last_error for r in rows} == {"same for all"}
