"""Rate tables: JSON data files in ``allowances/rates/<country>/<kind>/<valid_from>.json``.

Each file holds the statutory figures of one country for one period and cites its legal source. The
loader checks every file (names match contents, periods do not overlap, the source is an https URL) and
answers "which table was in force on this day" by effective date. Pure: stdlib and ``Decimal`` only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from itertools import pairwise
from typing import Any

from expensehub.errors import ValidationFailed
from expensehub.kit.countries import COUNTRY_CODES
from expensehub.kit.money import is_currency

KINDS = ("per_diem", "mileage")


class RateTableError(ValueError):
    """A rate table file that is malformed or contradicts another one (a packaging bug, not user input)."""


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: the title of the legal or official text and its URL."""

    title: str
    url: str


@dataclass(frozen=True)
class RateTable:
    """The statutory figures of one country, for one kind of allowance, over one period."""

    country: str
    kind: str
    rules: str
    currency: str
    valid_from: date
    valid_to: date | None
    source: Source
    related_sources: tuple[Source, ...]
    notes: tuple[str, ...]
    data: Mapping[str, Any] = field(repr=False)

    @property
    def id(self) -> str:
        """Stable identifier, the file's path without extension: ``de/per_diem/2025-01-01``."""
        return f"{self.country}/{self.kind}/{self.valid_from.isoformat()}"

    def covers(self, day: date) -> bool:
        """Whether the table is in force on ``day`` (``valid_to`` null: until a newer table starts)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def dec(value: Any, what: str = "value") -> Decimal:
    """A ``Decimal`` from a table's decimal string (numbers are accepted too, floats are not)."""
    if isinstance(value, (float, bool)):
        raise RateTableError(f"{what}: write decimals as strings, not floats ({value!r})")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise RateTableError(f"{what}: not a decimal: {value!r}") from exc


def _source(raw: Any, where: str) -> Source:
    if not isinstance(raw, dict) or not raw.get("title") or not raw.get("url"):
        raise RateTableError(f"{where}: a source needs a title and a url")
    url = str(raw["url"])
    if not url.startswith("https://"):
        raise RateTableError(f"{where}: source url must be https: {url}")
    return Source(title=str(raw["title"]), url=url)


def parse_table(raw: Mapping[str, Any], where: str) -> RateTable:
    """Validate the common header of a table file and wrap it."""
    for key in ("country", "kind", "rules", "currency", "valid_from", "source", "notes"):
        if key not in raw:
            raise RateTableError(f"{where}: missing {key!r}")
    if "valid_to" not in raw:
        raise RateTableError(f"{where}: missing 'valid_to' (null when open-ended)")
    country, kind = str(raw["country"]), str(raw["kind"])
    if country not in COUNTRY_CODES:
        raise RateTableError(f"{where}: unknown country {country!r}")
    if kind not in KINDS:
        raise RateTableError(f"{where}: unknown kind {kind!r}")
    if not is_currency(str(raw["currency"])):
        raise RateTableError(f"{where}: unknown currency {raw['currency']!r}")
    try:
        valid_from = date.fromisoformat(str(raw["valid_from"]))
        valid_to = None if raw["valid_to"] is None else date.fromisoformat(str(raw["valid_to"]))
    except ValueError as exc:
        raise RateTableError(f"{where}: bad date: {exc}") from exc
    if valid_to is not None and valid_to < valid_from:
        raise RateTableError(f"{where}: valid_to is before valid_from")
    notes = raw["notes"]
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise RateTableError(f"{where}: notes must be a list of strings")
    related = raw.get("related_sources") or []
    return RateTable(
        country=country,
        kind=kind,
        rules=str(raw["rules"]),
        currency=str(raw["currency"]),
        valid_from=valid_from,
        valid_to=valid_to,
        source=_source(raw["source"], where),
        related_sources=tuple(_source(r, where) for r in related),
        notes=tuple(notes),
        data=raw,
    )


def _files(root: Traversable) -> Iterator[tuple[str, Traversable]]:
    for country_dir in sorted(root.iterdir(), key=lambda t: t.name):
        if not country_dir.is_dir():
            continue
        for kind_dir in sorted(country_dir.iterdir(), key=lambda t: t.name):
            if not kind_dir.is_dir():
                continue
            for f in sorted(kind_dir.iterdir(), key=lambda t: t.name):
                if f.name.endswith(".json"):
                    yield f"{country_dir.name}/{kind_dir.name}/{f.name}", f


def load_tables(root: Traversable) -> tuple[RateTable, ...]:
    """Every table under ``root``, checked; raises ``RateTableError`` on the first problem."""
    tables: list[RateTable] = []
    for where, f in _files(root):
        try:
            raw = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RateTableError(f"{where}: invalid JSON: {exc}") from exc
        table = parse_table(raw, where)
        if f"{table.id}.json" != where:
            raise RateTableError(f"{where}: file must be named {table.id}.json after its contents")
        tables.append(table)
    by_key: dict[tuple[str, str], list[RateTable]] = {}
    for t in tables:
        by_key.setdefault((t.country, t.kind), []).append(t)
    for group in by_key.values():
        group.sort(key=lambda t: t.valid_from)
        for before, after in pairwise(group):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise RateTableError(
                    f"{before.id} overlaps {after.id}: close it with valid_to before {after.valid_from}"
                )
    return tuple(tables)


@lru_cache(maxsize=1)
def bundled_tables() -> tuple[RateTable, ...]:
    """The tables shipped in the package."""
    return load_tables(resources.files("expensehub.allowances") / "rates")


def countries_with(kind: str, tables: tuple[RateTable, ...] | None = None) -> list[str]:
    """Countries that have at least one table of ``kind``."""
    return sorted({t.country for t in (tables or bundled_tables()) if t.kind == kind})


def find_table(country: str, kind: str, day: date, tables: tuple[RateTable, ...] | None = None) -> RateTable:
    """The table of ``country`` and ``kind`` in force on ``day``; 422 when there is none."""
    candidates = [t for t in (tables or bundled_tables()) if t.country == country and t.kind == kind]
    label = kind.replace("_", " ")
    if not candidates:
        supported = ", ".join(countries_with(kind, tables))
        raise ValidationFailed(
            f"no {label} rules for country {country!r}; supported: {supported}",
            fields={"country": [f"no {label} rules for {country!r} (supported: {supported})"]},
            code="unsupported_country",
        )
    for t in candidates:
        if t.covers(day):
            return t
    periods = ", ".join(f"{t.valid_from}..{t.valid_to or 'open'}" for t in candidates)
    raise ValidationFailed(
        f"no {label} rates for {country!r} on {day.isoformat()} (tables cover {periods})",
        fields={"date": [f"no {label} rates for {country!r} on {day.isoformat()}"]},
        code="no_rates_for_date",
    )
