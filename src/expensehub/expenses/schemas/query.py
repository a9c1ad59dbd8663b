"""Types of the list filters' values (``expenses/resources.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema


def _parse_bound(value: Any) -> date | datetime:
    """A date (`2024-01-01`) or a timestamp (`2024-01-01T00:00:00Z`; naive means UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


DateOrTs = Annotated[
    date | datetime,
    PlainValidator(_parse_bound),
    WithJsonSchema({"type": "string", "description": "A date (YYYY-MM-DD) or an ISO 8601 timestamp"}),
]
