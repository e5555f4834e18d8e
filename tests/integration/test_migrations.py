"""The schema is built by the migrations, and the models never drift from them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from lineclose.db.engine import make_engine
from lineclose.db.migrate import downgrade, upgrade
from lineclose.db.models import Base


def test_models_match_the_migrated_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    engine.dispose()
