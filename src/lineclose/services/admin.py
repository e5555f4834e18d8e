"""Chores an administrator runs from the command line: the schema and the audit chain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lineclose.db import audit
from lineclose.db.migrate import upgrade


def upgrade_schema(database_url: str) -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    upgrade(database_url)


def audit_chain(session: Session) -> audit.ChainReport:
    """Walk the audit log's hash chain; the report names the first broken link, if any."""
    return audit.verify_chain(session)
