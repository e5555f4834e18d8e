"""the subscriber's language, the ID document a store saw, and staff verifications of a caller

- subscribers.language: chosen once (portal switch, operator default), then every notice,
  SMS, certificate and API answer for that subscriber follows it.
- closure_requests.identity_document: which document store staff looked at.
- caller_verifications: a caller verified by staff (hotline or store) is remembered on the
  server for a few minutes, so the submit that follows the check does not need the secret again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineclose.db.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    with op.batch_alter_table("closure_requests") as batch:
        batch.add_column(sa.Column("identity_document", sa.String(32), nullable=True))
    op.create_table(
        "caller_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("staff", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_verifications")),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_caller_verifications_line_id_lines")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_caller_verifications_token_hash")),
    )
    op.create_index(op.f("ix_caller_verifications_line_id"), "caller_verifications", ["line_id"])


def downgrade() -> None:
    op.drop_table("caller_verifications")
    with op.batch_alter_table("closure_requests") as batch:
        batch.drop_column("identity_document")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("language")
