"""Small SQL helpers shared by repositories."""

from __future__ import annotations


def escape_like(text: str) -> str:
    """Escape ``%``, ``_`` and ``\\`` so user text matches literally in LIKE (use ``escape='\\\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """LIKE pattern matching ``text`` anywhere."""
    return f"%{escape_like(text)}%"


def prefix_pattern(text: str) -> str:
    """LIKE pattern matching values that start with ``text``."""
    return f"{escape_like(text)}%"
