"""SMS keyword channel (short code per operator, STOP opt-outs), idle-line reminders and
fleet closure batches

Lines get `last_usage_on`, the date of their last chargeable use, which idle-line reminders
read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0008"
down_revision = "0007"
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
    op.create_table(
        "fleet_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("authorised_contact_enc", sa.Text(), nullable=False),
        sa.Column("authorised_contact_masked", sa.String(length=200), nullable=False),
        sa.Column("authorising_document", sa.String(length=200), nullable=False),
        sa.Column("source_digest", sa.String(length=64), nullable=False),
        sa.Column("refund_account_enc", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=80), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_fleet_batches_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_batches")),
        sa.UniqueConstraint("reference", name=op.f("uq_fleet_batches_reference")),
        sa.UniqueConstraint(
            "operator_id", "source_digest", name=op.f("uq_fleet_batches_operator_id")
        ),
    )
    op.create_index(op.f("ix_fleet_batches_operator_id"), "fleet_batches", ["operator_id"])
    op.create_index(op.f("ix_fleet_batches_status"), "fleet_batches", ["status"])
    op.create_table(
        "fleet_batch_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("blockers", sa.JSON(), nullable=False),
        sa.Column("refund_minor", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["fleet_batches.id"],
            name=op.f("fk_fleet_batch_lines_batch_id_fleet_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_fleet_batch_lines_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["closure_requests.id"],
            name=op.f("fk_fleet_batch_lines_request_id_closure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_batch_lines")),
        sa.UniqueConstraint("batch_id", "row_number", name=op.f("uq_fleet_batch_lines_batch_id")),
    )
    op.create_index("ix_fleet_batch_lines_batch_state", "fleet_batch_lines", ["batch_id", "state"])
    op.create_index(op.f("ix_fleet_batch_lines_line_id"), "fleet_batch_lines", ["line_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fleet_batch_lines_line_id"), table_name="fleet_batch_lines")
    op.drop_index("ix_fleet_batch_lines_batch_state", table_name="fleet_batch_lines")
    op.drop_table("fleet_batch_lines")
    op.drop_index(op.f("ix_fleet_batches_status"), table_name="fleet_batches")
    op.drop_index(op.f("ix_fleet_batches_operator_id"), table_name="fleet_batches")
    op.drop_table("fleet_batches")
    op.drop_index(op.f("ix_idle_reminders_line_id"), table_name="idle_reminders")
    op.drop_table("idle_reminders")
    op.drop_table("sms_opt_outs")
    op.drop_table("sms_channel_settings")
    op.drop_index(op.f("ix_lines_last_usage_on"), table_name="lines")
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("last_usage_on")
