"""an index for the idle-line sweep: lines of an operator by status and last use

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_lines_operator_status_last_usage", "lines", ["operator_id", "status", "last_usage_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_lines_operator_status_last_usage", table_name="lines")
