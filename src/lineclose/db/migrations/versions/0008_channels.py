"""SMS keyword channel (short code per operator, STOP opt-outs) and idle-line reminders

Lines get `last_usage_on`, the date of their last chargeable use, which idle-line reminders
read.

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lines", sa.Column("last_usage_on", sa.Date(), nullable=True))
    op.create_index(op.f("ix_lines_last_usage_on"), "lines", ["last_usage_on"])
    op.create_table(
        "sms_channel_settings",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("short_code", sa.String(length=20), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("sms_origin_accepted", sa.Boolean(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_sms_channel_settings_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_sms_channel_settings")),
        sa.UniqueConstraint("short_code", name=op.f("uq_sms_channel_settings_short_code")),
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("opted_out_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_sms_opt_outs_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_sms_opt_outs")),
    )
    op.create_table(
        "idle_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("last_usage_on", sa.Date(), nullable=True),
        sa.Column("monthly_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_idle_reminders_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idle_reminders")),
        sa.UniqueConstraint("line_id", "period_start", name=op.f("uq_idle_reminders_line_id")),
    )
    op.create_index(op.f("ix_idle_reminders_line_id"), "idle_reminders", ["line_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_idle_reminders_line_id"), table_name="idle_reminders")
    op.drop_table("idle_reminders")
    op.drop_table("sms_opt_outs")
    op.drop_table("sms_channel_settings")
    op.drop_index(op.f("ix_lines_last_usage_on"), table_name="lines")
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("last_usage_on")
