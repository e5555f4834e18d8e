"""data from the operator's own systems: source records, last usage, legal holds, settings

Imports and the sync API remember, per operator and natural key, keyed digests of what the
source last sent (no values), so a repeated row changes nothing and a changed one is audited
with the fields that moved. Bound services may be told of a closure at a URL as well as an
address.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("field_digests", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_source_records_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_records")),
        sa.UniqueConstraint(
            "operator_id", "kind", "source_key", name=op.f("uq_source_records_operator_id")
        ),
    )
    op.create_table(
        "line_activity",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("last_usage_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_line_activity_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_line_activity")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_by_enc", sa.Text(), nullable=True),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_legal_holds_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
        sa.UniqueConstraint("line_id", name=op.f("uq_legal_holds_line_id")),
    )
    op.create_table(
        "operator_settings",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("notifications", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_settings_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_operator_settings")),
    )
    op.add_column("bindings", sa.Column("notify_url", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bindings") as batch:
        batch.drop_column("notify_url")
    op.drop_table("operator_settings")
    op.drop_table("legal_holds")
    op.drop_table("line_activity")
    op.drop_table("source_records")
