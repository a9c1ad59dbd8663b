"""Canonical text of dates, timestamps and decimals, made by the database (alike on both backends)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    func,
    literal,
    type_coerce,
)

# --------------------------------------------------------------------------------------------------
# Canonical text of dates, timestamps and decimals, made by the database
# --------------------------------------------------------------------------------------------------


def ts_text(col: Any, dialect: str) -> ColumnElement[Any]:
    """A timestamp as ``YYYY-MM-DDTHH:MM:SS.sssZ`` (UTC, milliseconds truncated, as ``format_ts``)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", col), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    raw = type_coerce(col, String())
    # SQLAlchemy stores SQLite timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): cut, do not round.
    cut = (
        type_coerce(func.substr(raw, 1, 10), String())
        .op("||")(literal("T", String()))
        .op("||")(func.substr(raw, 12, 12))
        .op("||")(literal("Z", String()))
    )
    return case((func.length(raw) >= 23, cut), else_=func.strftime("%Y-%m-%dT%H:%M:%fZ", raw))


def date_text(col: Any, dialect: str) -> ColumnElement[Any]:
    """A date as ``YYYY-MM-DD``."""
    if dialect == "postgresql":
        return func.to_char(col, "YYYY-MM-DD")
    return type_coerce(col, String())


def decimal_text(col: Any, dialect: str) -> ColumnElement[Any]:
    """An exact decimal as its shortest text (``1.5``, ``0``, ``100``).

    NUMERIC on PostgreSQL (``trim_scale``), canonical text already on SQLite (``db.types.ExactDecimal``).
    """
    if dialect == "postgresql":
        return type_coerce(func.trim_scale(col), String()).cast(String())
    return type_coerce(col, String())
