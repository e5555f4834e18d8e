"""staff tokens expire and record their last use; console sessions of their own; ID masks
that hide what a partial check accepts

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

STARS = "*" * 40


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("last_used_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("hint", sa.String(length=16), nullable=True))
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_staff_sessions_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_staff_sessions_session_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_token_id"), "staff_sessions", ["token_id"])
    # Masks stored under the old rule showed the last four characters, which the cn profile's
    # last-six check accepts: keep the first three and star the rest, in SQL both databases know.
    op.execute(
        sa.text(
            "UPDATE subscribers SET id_number_masked = substr(id_number_masked, 1, 3) "
            "|| substr(:stars, 1, length(id_number_masked) - 3) "
            "WHERE id_number_masked IS NOT NULL AND length(id_number_masked) > 9 "
            "AND operator_id IN (SELECT id FROM operators WHERE profile = 'cn')"
        ).bindparams(stars=STARS)
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_sessions_token_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("hint")
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
