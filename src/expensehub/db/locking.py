"""Locking reads: how a state change reads the state it is about to check and change.

A state change reads a row, checks it against a rule in Python, then writes. Two requests doing that
at once must not both see the old state. Every such read goes through ``for_update`` (or starts with
``hold_write_lock``), which makes the read see the latest committed state and keeps it from changing
until the transaction ends:

* PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` locks the rows read. A second request's locking read waits for
  the first transaction to end, then returns the rows as that transaction left them (READ COMMITTED),
  so its check sees the new state.
* SQLite has one writer at a time and no row locks (it ignores ``FOR UPDATE``). The Python driver opens
  a transaction only before the first INSERT/UPDATE/DELETE; reads before that see whatever was
  committed at the time and lock nothing. So the write lock of the database is taken first, with
  ``BEGIN IMMEDIATE``, and the read comes after it: a second writer waits in ``BEGIN IMMEDIATE``
  (up to the busy timeout) and reads only once the first has committed. When the transaction already
  wrote something it already holds the write lock (the driver began it right before that write), and
  nothing more is needed.

Readers are never blocked (WAL on SQLite, MVCC on PostgreSQL); only writers to the same rows (PostgreSQL)
or to the same database (SQLite) wait for each other.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


def hold_write_lock(session: Session) -> None:
    """On SQLite, make the session's transaction hold the database's write lock (no-op on PostgreSQL).

    ``for_update`` calls it; call it directly only where SQLite needs the lock and PostgreSQL has
    another guard (a unique index).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if not getattr(dbapi, "in_transaction", False):
        # Not in a transaction yet: nothing was written, so nothing is held. Take the lock now; the
        # driver sees the open transaction and does not begin another one before the next write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def for_update(session: Session, stmt: S, *, of: Any = None) -> S:
    """``stmt`` as a locking read: the rows it returns are current and stay so until the transaction ends.

    Objects already in the session are refreshed from the rows read (``populate_existing``), so an
    earlier unlocked read of the same rows cannot leave stale values behind. ``of`` names the tables
    to lock on PostgreSQL when ``stmt`` joins others.
    """
    hold_write_lock(session)
    # FOR NO KEY UPDATE: no key of a locked row changes, so inserts of rows that reference it (their
    # foreign key checks take KEY SHARE locks) are not held up.
    return stmt.with_for_update(of=of, key_share=True).execution_options(populate_existing=True)
