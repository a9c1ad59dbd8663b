"""Database errors that concurrent writers cause, on real databases: each becomes a stable 409/503 code.

``db/errors.translate`` is the safety net behind the locks; these tests make each error happen for real.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.db.errors import translate
from expensehub.db.locking import for_update, hold_write_lock
from expensehub.errors import Conflict, Unavailable
from expensehub.kit.clock import utcnow
from expensehub.models import Employee, Project
from tests.factories import Tenant
from tests.waiting import HANG_S


def _project(tenant: Tenant, code: str) -> Project:
    now = utcnow()
    return Project(
        company_id=tenant.company_id,
        legal_entity_id=tenant.le_es,
        name="Apollo",
        code=code,
        created_at=now,
        updated_at=now,
    )


def test_a_unique_key_taken_first_by_another_writer_is_a_conflict(
    session_factory: sessionmaker[Session], tenant: Tenant
) -> None:
    with transaction(session_factory) as s:
        s.add(_project(tenant, "P-1"))
    with session_factory() as s:
        s.add(_project(tenant, "P-1"))
        with pytest.raises(DBAPIError) as caught:
            s.flush()
    error = translate(caught.value)
    assert isinstance(error, Conflict)
    assert error.code == "conflict"


@contextmanager
def _sqlite_write_lock(path: str) -> Iterator[None]:
    """Another process's writer, holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_sqlite_locked_beyond_the_busy_timeout_is_busy(db_url: str, tenant: Tenant) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock")
    engine = make_engine(db_url, sqlite_busy_timeout=0.2)
    factory = make_session_factory(engine)
    try:
        with (
            _sqlite_write_lock(db_url.removeprefix("sqlite:///")),
            factory() as s,
            pytest.raises(DBAPIError) as caught,
        ):
            hold_write_lock(s)
        error = translate(caught.value)
        assert isinstance(error, Unavailable)
        assert error.code == "database_busy"
        # Within the timeout, a writer waits for the lock instead of failing.
        with factory() as s:
            hold_write_lock(s)
            s.rollback()
    finally:
        engine.dispose()


def test_a_postgresql_deadlock_is_a_concurrent_update(
    db_url: str, session_factory: sessionmaker[Session], tenant: Tenant
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: no deadlocks")
    first, second = tenant.employee_ids[:2]
    caught: list[BaseException] = []
    both_hold = threading.Barrier(2, timeout=HANG_S)

    def lock(a: int, b: int) -> None:
        with session_factory() as s:
            try:
                s.execute(for_update(s, select(Employee.id).where(Employee.id == a))).all()
                both_hold.wait()
                s.execute(for_update(s, select(Employee.id).where(Employee.id == b))).all()
            except DBAPIError as exc:
                caught.append(exc)
            finally:
                s.rollback()

    threads = [threading.Thread(target=lock, args=pair) for pair in ((first, second), (second, first))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_S)
    [exc] = caught  # PostgreSQL undoes one of the two; the other then goes through
    assert isinstance(exc, DBAPIError)
    error = translate(exc)
    assert isinstance(error, Conflict)
    assert error.code == "concurrent_update"
