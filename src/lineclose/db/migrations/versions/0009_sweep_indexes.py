"""indexes that keep the sweeps proportional to what is due, not to the history kept

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NOT_ERASED = sa.text("erased_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_numbers_state_aging_until", "numbers", ["state", "aging_until"])
    op.create_index(
        "ix_subscribers_not_erased",
        "subscribers",
        ["id"],
        sqlite_where=NOT_ERASED,
        postgresql_where=NOT_ERASED,
    )
    op.create_index(
        "ix_lines_subscriber_closed_at", "lines", ["subscriber_id", "status", "closed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_lines_subscriber_closed_at", table_name="lines")
    op.drop_index("ix_subscribers_not_erased", table_name="subscribers")
    op.drop_index("ix_numbers_state_aging_until", table_name="numbers")
