"""refund payouts, debts at closure, webhook subscriptions

Refunds are paid in batches (one file per operator and currency) and reconciled by end-to-end
id; each payment attempt is a row of its own. Refund instructions gain their disposition, the
outcome of the last payment and a one-time link for a new account after a return.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refund_instructions") as batch:
        batch.add_column(
            sa.Column("disposition", sa.String(length=16), nullable=False, server_default="payout")
        )
        batch.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("paid_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("return_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("account_token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("account_token_expires_at", UtcDateTime(), nullable=True))
        batch.create_unique_constraint(
            "uq_refund_instructions_account_token_hash", ["account_token_hash"]
        )
    op.create_table(
        "payout_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=140), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_payout_accounts_operator_id_operators"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payout_accounts"),
        sa.UniqueConstraint("operator_id", "currency", name="uq_payout_accounts_operator_id"),
    )
    op.create_table(
        "refund_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("file_format", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("refund_count", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_refund_batches_operator_id_operators"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refund_batches"),
        sa.UniqueConstraint("reference", name="uq_refund_batches_reference"),
    )
    op.create_index("ix_refund_batches_operator_id", "refund_batches", ["operator_id"])
    op.create_table(
        "refund_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("return_reason", sa.String(length=200), nullable=True),
        sa.Column("settled_at", UtcDateTime(), nullable=True),
        sa.Column("settled_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["refund_batches.id"], name="fk_refund_payments_batch_id_refund_batches"
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refund_instructions.id"],
            name="fk_refund_payments_refund_id_refund_instructions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refund_payments"),
        sa.UniqueConstraint("end_to_end_id", name="uq_refund_payments_end_to_end_id"),
    )
    op.create_index("ix_refund_payments_refund_id", "refund_payments", ["refund_id"])
    op.create_index("ix_refund_payments_batch_id", "refund_payments", ["batch_id"])
    op.create_table(
        "debts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("pay_reference", sa.String(length=40), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("settled_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["closure_requests.id"], name="fk_debts_request_id_closure_requests"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_debts"),
        sa.UniqueConstraint("request_id", name="uq_debts_request_id"),
        sa.UniqueConstraint("pay_reference", name="uq_debts_pay_reference"),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_webhook_subscriptions_operator_id_operators",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_index(
        "ix_webhook_subscriptions_operator_id", "webhook_subscriptions", ["operator_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_subscriptions_operator_id", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
    op.drop_table("debts")
    op.drop_index("ix_refund_payments_batch_id", table_name="refund_payments")
    op.drop_index("ix_refund_payments_refund_id", table_name="refund_payments")
    op.drop_table("refund_payments")
    op.drop_index("ix_refund_batches_operator_id", table_name="refund_batches")
    op.drop_table("refund_batches")
    op.drop_table("payout_accounts")
    with op.batch_alter_table("refund_instructions") as batch:
        batch.drop_constraint("uq_refund_instructions_account_token_hash", type_="unique")
        for column in (
            "account_token_expires_at",
            "account_token_hash",
            "return_reason",
            "paid_at",
            "updated_at",
            "disposition",
        ):
            batch.drop_column(column)
