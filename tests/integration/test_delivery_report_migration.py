"""Delivery reports kept as outbox rows before migration 0004 move to their own table."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from lineclose.db.engine import make_engine
from lineclose.db.migrate import downgrade, upgrade

KEPT_AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_reports_in_the_outbox_are_carried_to_their_table_and_back(database_url: str) -> None:
    downgrade(database_url, "0003")
    engine = make_engine(database_url)
    outbox = sa.table(
        "outbox",
        sa.column("step", sa.String()),
        sa.column("idempotency_key", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("status", sa.String()),
        sa.column("attempts", sa.Integer()),
        sa.column("available_at", sa.DateTime()),
        sa.column("result", sa.JSON()),
        sa.column("created_at", sa.DateTime()),
        sa.column("done_at", sa.DateTime()),
    )
    naive = KEPT_AT.replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            outbox.insert(),
            [
                {
                    "step": "sms_delivery_report",
                    "idempotency_key": "dlr:7:notice:approved:3:1",
                    "payload": {"message_key": "7:notice:approved:3"},
                    "status": "done",
                    "attempts": 0,
                    "available_at": naive,
                    "result": {
                        "status": "delivered",
                        "type": 1,
                        "reported_at": "2026-11-20T08:29:00+00:00",
                        "smsc": "smsc-a",
                    },
                    "created_at": naive,
                    "done_at": naive,
                },
                {
                    "step": "send_sms",
                    "idempotency_key": "7:notice:approved:3",
                    "payload": {},
                    "status": "done",
                    "attempts": 1,
                    "available_at": naive,
                    "result": None,
                    "created_at": naive,
                    "done_at": naive,
                },
            ],
        )
    engine.dispose()

    upgrade(database_url)

    engine = make_engine(database_url)
    with engine.connect() as connection:
        steps = connection.execute(sa.text("SELECT step FROM outbox")).scalars().all()
        reports = connection.execute(
            sa.text("SELECT message_key, report_type, status, smsc FROM delivery_reports")
        ).all()
    engine.dispose()
    assert steps == ["send_sms"]
    assert [tuple(r) for r in reports] == [("7:notice:approved:3", 1, "delivered", "smsc-a")]

    downgrade(database_url, "0003")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        back = (
            connection.execute(
                sa.text("SELECT idempotency_key FROM outbox WHERE step = 'sms_delivery_report'")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert back == ["dlr:7:notice:approved:3:1"]
    upgrade(database_url)
