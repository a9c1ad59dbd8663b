"""Migrations build the schema the models describe, and can be rolled back, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from expensehub import models  # noqa: F401
from expensehub.db.base import Base
from expensehub.db.engine import make_engine
from expensehub.db.migrate import current, downgrade, upgrade


def test_migrated_schema_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "models changed without a migration: run scripts/regen-migration.sh"


def test_upgrade_downgrade_round_trip(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'rt.db'}"
    upgrade(url)
    assert current(url) is not None
    downgrade(url, "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        assert "expensables" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
