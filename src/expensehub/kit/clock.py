"""Time helpers: UTC now, and the wire formats Factorial uses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import overload


def utcnow() -> datetime:
    """Current time, tz-aware UTC, truncated to milliseconds (what the wire format carries)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC (SQLite returns naive values) and convert aware ones to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@overload
def format_ts(value: datetime) -> str: ...
@overload
def format_ts(value: None) -> None: ...
@overload
def format_ts(value: datetime | None) -> str | None: ...
def format_ts(value: datetime | None) -> str | None:
    """``2024-06-06T12:00:00.000Z``, or ``None``."""
    if value is None:
        return None
    v = as_utc(value)
    return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"


@overload
def format_date(value: date) -> str: ...
@overload
def format_date(value: None) -> None: ...
@overload
def format_date(value: date | None) -> str | None: ...
def format_date(value: date | None) -> str | None:
    """``2024-06-06``, or ``None``."""
    return None if value is None else value.isoformat()


@overload
def format_date_as_ts(value: date) -> str: ...
@overload
def format_date_as_ts(value: None) -> None: ...
@overload
def format_date_as_ts(value: date | None) -> str | None: ...
def format_date_as_ts(value: date | None) -> str | None:
    """A date rendered as midnight UTC, for fields Factorial types as timestamps (``effective_on``)."""
    if value is None:
        return None
    return format_ts(datetime.combine(value, time(0), tzinfo=UTC))
