"""Identifier parsing shared by every version: integers inside, strings or integers on the wire."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

MAX_ID = 2**63 - 1
# The JSON schema pattern of a request id; the OpenAPI documents of versions before 2026-07-01 type
# strings of this pattern as integers (``versions.integer_id_schema``).
ID_PATTERN = r"^\d+$"
# A JSON schema keyword marking an id-named response field that holds text (``TextId``).
TEXT_ID = "x-text-id"


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
    Field(json_schema_extra={"type": "string", "pattern": ID_PATTERN}),
]
"""A request id: a JSON string of digits (2026-07-01 on) or an integer (before)."""

TextId = Annotated[str, Field(json_schema_extra={TEXT_ID: True})]
"""A response field named like an id that holds text (``api_key-3``, a rate table's path): the same
JSON string in every version. Its schema carries ``x-text-id: true`` so that the OpenAPI documents of
versions with integer ids leave it a string."""
