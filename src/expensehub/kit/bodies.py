"""A base for JSON write bodies: unknown keys ignored, no NUL characters anywhere in the text.

PostgreSQL cannot store NUL in text (it raises, which would surface as a 500), and SQLite would store
it silently; refusing it at the edge keeps both backends identical and the error a clear 422.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def no_nul(value: Any) -> Any:
    """A field validator: ``value`` unchanged, or ``ValueError`` when a string holds a NUL character."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class WriteBody(BaseModel):
    """Base of request bodies that are stored."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data
