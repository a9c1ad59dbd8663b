"""What a list request asks for and what a page holds; the SQL lives in ``db.pagination``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_LIMIT = 100


@dataclass(frozen=True)
class PageRequest:
    """Cursor mode (``after_id``/``before_id``, keyset on id) or page mode (``page``, 1-based)."""

    limit: int = MAX_LIMIT
    after_id: int | None = None
    before_id: int | None = None
    page: int | None = None


@dataclass
class Page:
    """One page of rows, in id order, with what the list envelope's ``meta`` needs."""

    rows: list[Any]
    total: int
    limit: int
    has_next_page: bool
    has_previous_page: bool
    first_id: int | None = None
    last_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
