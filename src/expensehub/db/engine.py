"""Engine and session factory; one transaction per entrypoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False, sqlite_busy_timeout: float = 30.0) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with the settings each needs.

    SQLite: WAL (readers never wait for the writer) and a busy timeout: a writer waits up to
    ``sqlite_busy_timeout`` seconds for the one write lock, then fails with "database is locked" (a 503
    ``database_busy``, ``db/errors.py``). The driver's default transaction handling is kept on purpose:
    a transaction begins before its first write, and ``db/locking.py`` relies on that.
    """
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": sqlite_busy_timeout}
        engine = create_engine(url, echo=echo, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory; sessions do not expire objects on commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
