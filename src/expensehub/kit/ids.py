"""Identifier parsing shared by every version: integers inside, strings or integers on the wire."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

MAX_ID = 2**63 - 1


def parse_id(value: Any) -> int:
    """Accept a positive integer or a string of decimal digits (both API versions send either)."""
    if isinstance(value, bool):
        raise ValueError("an id must be an integer or a string of digits")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit():
        result = int(value.strip())
    else:
        raise ValueError("an id must be an integer or a string of digits")
    if result < 1 or result > MAX_ID:
        raise ValueError("id out of range")
    return result


def parse_path_id(raw: str) -> int | None:
    """Id from a URL segment, or ``None`` when the segment cannot be an id (the caller answers 404)."""
    try:
        return parse_id(raw)
    except ValueError:
        return None


IdIn = Annotated[
    int,
    BeforeValidator(parse_id),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d+$"}),
]
"""A request id: a JSON string of digits (2026-07-01 on) or an integer (before)."""
