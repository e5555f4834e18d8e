"""access control, rate limits and retention

Integration tokens carry scopes; supervisors assign escalated requests to a reviewer; rate
limit windows live in the database so every API process sees the same counts; the
retention sweep may erase a refund instruction's account, so that column becomes nullable.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index(
        op.f("ix_rate_limit_counters_expires_at"),
        "rate_limit_counters",
        ["expires_at"],
        unique=False,
    )
    # Existing tokens are staff tokens: an empty scope list is right for them.
    op.add_column("api_tokens", sa.Column("scopes", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("closure_requests", sa.Column("assigned_to", sa.String(length=80)))
    with op.batch_alter_table("refund_instructions") as batch:
        batch.alter_column("account_enc", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("refund_instructions") as batch:
        batch.alter_column("account_enc", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("closure_requests") as batch:
        batch.drop_column("assigned_to")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
    op.drop_index(op.f("ix_rate_limit_counters_expires_at"), table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
