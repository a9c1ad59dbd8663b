"""Database errors that concurrency can cause, as domain errors with stable codes.

The services lock what they check (``db/locking.py``) and insert with ``ON CONFLICT`` where rows can
collide, so these are a safety net: whatever slips through answers a 409 or a 503 a client can retry,
never a 500.

* ``conflict``: a unique or foreign key broken by a write committed at the same time (409).
* ``concurrent_update``: PostgreSQL gave up a transaction in a deadlock or a serialization failure
  (409; nothing was changed, sending the request again is safe).
* ``database_busy``: the database stayed locked by other writers beyond the busy timeout (SQLite's
  ``database is locked``) or the lock timeout (PostgreSQL); 503, retry later.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from expensehub.errors import AppError, Conflict, Unavailable

# PostgreSQL SQLSTATEs
_UNIQUE, _FOREIGN_KEY = "23505", "23503"
_SERIALIZATION, _DEADLOCK = "40001", "40P01"
_LOCK_NOT_AVAILABLE = "55P03"

CONFLICT = "conflict"
CONCURRENT_UPDATE = "concurrent_update"
DATABASE_BUSY = "database_busy"


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def translate(exc: DBAPIError) -> AppError | None:
    """The domain error for a database error caused by concurrent writers, or ``None`` (a real fault)."""
    state = _sqlstate(exc)
    text = str(exc.orig)
    if isinstance(exc, IntegrityError) and (
        state in (_UNIQUE, _FOREIGN_KEY)
        or text.startswith(("UNIQUE constraint failed", "FOREIGN KEY constraint failed"))
    ):
        return Conflict(
            "the change collides with a change committed at the same time; nothing was changed",
            code=CONFLICT,
        )
    if state in (_SERIALIZATION, _DEADLOCK):
        return Conflict(
            "the change raced another one and was undone; nothing was changed, it is safe to retry",
            code=CONCURRENT_UPDATE,
        )
    if state == _LOCK_NOT_AVAILABLE or (
        isinstance(exc, OperationalError) and text in ("database is locked", "database table is locked")
    ):
        return Unavailable("the database is busy with other writes; retry in a moment", code=DATABASE_BUSY)
    return None
