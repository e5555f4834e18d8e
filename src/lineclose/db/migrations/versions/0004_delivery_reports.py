"""delivery reports get their own table, carried over from the outbox

Reports used to be kept as outbox rows of step `sms_delivery_report`, inserted pending and
marked done at once, keyed `dlr:<message key>:<type>`. They move to `delivery_reports`, one row
per (message key, report type), and leave the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STEP = "sms_delivery_report"

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer()),
    sa.column("step", sa.String()),
    sa.column("idempotency_key", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("available_at", UtcDateTime()),
    sa.column("result", sa.JSON()),
    sa.column("created_at", UtcDateTime()),
    sa.column("done_at", UtcDateTime()),
)
reports = sa.table(
    "delivery_reports",
    sa.column("id", sa.Integer()),
    sa.column("message_key", sa.String()),
    sa.column("report_type", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("reported_at", UtcDateTime()),
    sa.column("smsc", sa.String()),
    sa.column("received_at", UtcDateTime()),
)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _carried(row: Any) -> dict[str, Any]:
    result = dict(row.result or {})
    key = row.idempotency_key  # dlr:<message key>:<type>; the message key may hold colons
    message_key, _, kannel_type = key.removeprefix("dlr:").rpartition(":")
    reported = result.get("reported_at")
    return {
        "message_key": (row.payload or {}).get("message_key") or message_key,
        "report_type": int(result.get("type") or kannel_type),
        "status": str(result.get("status") or "")[:16],
        "reported_at": _aware(datetime.fromisoformat(reported)) if reported else None,
        "smsc": result.get("smsc"),
        "received_at": row.done_at or row.created_at,
    }


def upgrade() -> None:
    op.create_table(
        "delivery_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=120), nullable=False),
        sa.Column("report_type", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_at", UtcDateTime(), nullable=True),
        sa.Column("smsc", sa.String(length=64), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_reports")),
        sa.UniqueConstraint("message_key", "report_type", name="uq_delivery_reports_message_type"),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            outbox.c.idempotency_key,
            outbox.c.payload,
            outbox.c.result,
            outbox.c.created_at,
            outbox.c.done_at,
        )
        .where(outbox.c.step == STEP)
        .order_by(outbox.c.id)
    ).all()
    if rows:
        bind.execute(reports.insert(), [_carried(r) for r in rows])
    bind.execute(outbox.delete().where(outbox.c.step == STEP))


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(reports).order_by(reports.c.id)).all()
    if rows:
        bind.execute(
            outbox.insert(),
            [
                {
                    "step": STEP,
                    "idempotency_key": f"dlr:{r.message_key}:{r.report_type}",
                    "payload": {"message_key": r.message_key},
                    "status": "done",
                    "attempts": 0,
                    "available_at": r.received_at,
                    "result": {
                        "status": r.status,
                        "type": r.report_type,
                        "reported_at": r.reported_at.isoformat() if r.reported_at else None,
                        "smsc": r.smsc,
                    },
                    "created_at": r.received_at,
                    "done_at": r.received_at,
                }
                for r in rows
            ],
        )
    op.drop_table("delivery_reports")
