"""a batch's approved cards found in row order from the index

Submission takes the next 2,000 approved cards of a batch in row order after every chunk; with
(batch_id, state) alone each claim read and sorted every approved card left, so a batch of a
million cost time in the square of its size.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 03:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_fleet_batch_lines_batch_state_row",
        "fleet_batch_lines",
        ["batch_id", "state", "row_number"],
    )
    op.drop_index("ix_fleet_batch_lines_batch_state", table_name="fleet_batch_lines")


def downgrade() -> None:
    op.create_index("ix_fleet_batch_lines_batch_state", "fleet_batch_lines", ["batch_id", "state"])
    op.drop_index("ix_fleet_batch_lines_batch_state_row", table_name="fleet_batch_lines")
