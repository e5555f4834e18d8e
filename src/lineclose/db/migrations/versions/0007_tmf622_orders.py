"""TMF622: orders as posted, cancel orders, hub subscriptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tmf_product_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("closure_requests.id"), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), sa.ForeignKey("subscribers.id"), nullable=False),
        sa.Column("external_id", sa.String(120), nullable=True),
        sa.Column("posted_enc", sa.Text(), nullable=False),
        sa.Column("notified_state", sa.String(24), nullable=True),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("request_id", name="uq_tmf_product_orders_request_id"),
    )
    for column in ("operator_id", "subscriber_id", "external_id", "created_at"):
        op.create_index(f"ix_tmf_product_orders_{column}", "tmf_product_orders", [column])
    op.create_table(
        "tmf_cancel_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("tmf_product_orders.id"), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("requested_cancellation_date", sa.String(40), nullable=True),
        sa.Column("effective_cancellation_date", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_tmf_cancel_orders_public_id"),
    )
    op.create_index("ix_tmf_cancel_orders_order_id", "tmf_cancel_orders", ["order_id"])
    op.create_index("ix_tmf_cancel_orders_operator_id", "tmf_cancel_orders", ["operator_id"])
    op.create_table(
        "tmf_hub_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(40), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=True),
        sa.Column("callback", sa.String(500), nullable=False),
        sa.Column("query", sa.String(500), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_tmf_hub_subscriptions_public_id"),
    )
    op.create_index(
        "ix_tmf_hub_subscriptions_operator_id", "tmf_hub_subscriptions", ["operator_id"]
    )


def downgrade() -> None:
    op.drop_table("tmf_hub_subscriptions")
    op.drop_table("tmf_cancel_orders")
    op.drop_table("tmf_product_orders")
