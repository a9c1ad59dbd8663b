"""Pure rules of a sync: the hash of what a mirror writes, and the counts it reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

OUTCOMES = ("created", "updated", "unchanged", "deleted", "failed")


def content_hash(values: Mapping[str, Any]) -> str:
    """A stable hash of the local values a remote object maps to (ids already mapped to local ones):
    the same object, unchanged on the source, hashes the same on every run."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(f"not hashable as JSON: {value!r}")

    text = json.dumps(dict(values), sort_keys=True, separators=(",", ":"), default=plain)
    return hashlib.sha256(text.encode()).hexdigest()


def as_date(value: Any) -> date | None:
    """A remote ``YYYY-MM-DD`` (or a timestamp starting with one) as a date."""
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def add(counts: dict[str, dict[str, int]], resource: str, outcome: str, n: int = 1) -> None:
    per = counts.setdefault(resource, dict.fromkeys(OUTCOMES, 0))
    per[outcome] = per.get(outcome, 0) + n
