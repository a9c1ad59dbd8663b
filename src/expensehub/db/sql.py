"""Small SQL helpers shared by repositories."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expensehub.errors import AppError

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


def escape_like(text: str) -> str:
    """Escape ``%``, ``_`` and ``\\`` so user text matches literally in LIKE (use ``escape='\\\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """LIKE pattern matching ``text`` anywhere."""
    return f"%{escape_like(text)}%"


def prefix_pattern(text: str) -> str:
    """LIKE pattern matching values that start with ``text``."""
    return f"{escape_like(text)}%"


def add(session: Session, obj: T) -> T:
    """Stage a new row and flush it, so its id is known; the caller's transaction commits it."""
    session.add(obj)
    session.flush()
    return obj


def add_or_raise(session: Session, error: AppError, obj: T) -> T:
    """``add``; raises ``error`` when the row breaks a unique key (a concurrent insert of the same key
    committed first: the caller checked for it, but could not lock a row that did not exist yet)."""
    session.add(obj)
    try:
        session.flush()
    except IntegrityError as exc:
        raise error from exc
    return obj


def grouped(session: Session, stmt: Select[K, V]) -> dict[K, list[V]]:
    """The ``(key, value)`` rows of ``stmt`` as a list of values per key, each in the statement's order
    (the child rows of a whole page in one query: order by the key, then the children's order)."""
    result: dict[K, list[V]] = {}
    for key, value in session.execute(stmt):
        result.setdefault(key, []).append(value)
    return result
