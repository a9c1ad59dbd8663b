"""Objects the application derives from its tables outside the migrations: the report views.

The exports domain keeps its PostgreSQL report views in the schema :data:`REPORT_SCHEMA` and
re-creates them whenever their definition changes (docs/architecture.md). A view pins the columns it
reads, so a migration altering one of them would fail: :func:`drop_report_views` drops them first
(``db upgrade`` does), and the next SQL report creates them again.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

REPORT_SCHEMA = "expensehub_report"

log = logging.getLogger("expensehub.db.derived")


def drop_report_views(conn: Connection) -> list[str]:
    """Drop the report views (PostgreSQL; nothing to do on SQLite); the names dropped."""
    if conn.dialect.name != "postgresql":
        return []
    names = [
        str(name)
        for name in conn.exec_driver_sql(
            "SELECT viewname FROM pg_views WHERE schemaname = %(schema)s ORDER BY viewname",
            {"schema": REPORT_SCHEMA},
        ).scalars()
    ]
    for name in names:
        conn.exec_driver_sql(f'DROP VIEW IF EXISTS {REPORT_SCHEMA}."{name}"')
    return names


def drop_report_views_before_migrating(url: str) -> None:
    """:func:`drop_report_views` on its own connection; a failure is logged, not raised (a migration
    that touches none of the views' columns still works, and one that does says why it fails)."""
    if not url.startswith("postgresql"):
        return
    from expensehub.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            dropped = drop_report_views(conn)
        if dropped:
            log.info("dropped the report views before migrating: %s", ", ".join(dropped))
    except DBAPIError as exc:
        log.warning("could not drop the report views before migrating: %s", exc)
    finally:
        engine.dispose()
