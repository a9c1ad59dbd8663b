"""Run the Alembic migrations shipped in the package (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from expensehub.db.derived import drop_report_views_before_migrating

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations and the given database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for another database or an in-memory one)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def head() -> str:
    """The newest revision this expensehub ships."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert found is not None, "no migrations shipped"
    return found


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (the report views are dropped first); a SQLite
    database's folder is created when missing."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    drop_report_views_before_migrating(url)
    command.upgrade(alembic_config(url), revision)


def upgrade_if_behind(url: str) -> None:
    """``upgrade`` to the newest revision unless the database is already there (quietly, then)."""
    path = sqlite_path(url)
    if (path is not None and not path.exists()) or current(url) != head():
        upgrade(url)


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` down to ``revision`` (the report views are dropped first)."""
    drop_report_views_before_migrating(url)
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database is at, or ``None`` when it has never been migrated."""
    from sqlalchemy import inspect

    from expensehub.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            return None if row is None else str(row[0])
    finally:
        engine.dispose()
