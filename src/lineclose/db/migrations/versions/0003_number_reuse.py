"""a number can be given to a new line once its old line is closed and aged

The MSISDN is unique among lines in service only (a partial unique index); closed lines keep
their number for certificates, history and reassigned-number checks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

IN_SERVICE = sa.text("status != 'closed'")


def upgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_constraint("uq_lines_msisdn", type_="unique")
        batch.create_index("ix_lines_msisdn", ["msisdn"])
    op.create_index(
        "uq_lines_msisdn_in_service",
        "lines",
        ["msisdn"],
        unique=True,
        sqlite_where=IN_SERVICE,
        postgresql_where=IN_SERVICE,
    )


def downgrade() -> None:
    op.drop_index("uq_lines_msisdn_in_service", table_name="lines")
    with op.batch_alter_table("lines") as batch:
        batch.drop_index("ix_lines_msisdn")
        batch.create_unique_constraint("uq_lines_msisdn", ["msisdn"])
