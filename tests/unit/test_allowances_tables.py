"""Rate tables: every bundled file loads and cites its source; lookup by effective date; bad files refused."""

from __future__ import annotations

import ast
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from expensehub.allowances import tables
from expensehub.allowances.tables import RateTableError, bundled_tables, find_table, load_tables
from expensehub.errors import ValidationFailed

PKG = Path(tables.__file__).parent


def test_every_bundled_table_loads_and_cites_an_https_source() -> None:
    loaded = bundled_tables()
    assert len(loaded) >= 16
    for t in loaded:
        assert t.source.url.startswith("https://"), t.id
        assert t.source.title.strip(), t.id
        assert t.notes, f"{t.id} has no notes"
        assert (PKG / "rates" / f"{t.id}.json").is_file()


def test_required_countries_and_kinds_are_covered() -> None:
    kinds = {(t.country, t.kind) for t in bundled_tables()}
    for country in ("de", "es", "gb", "us"):
        assert (country, "per_diem") in kinds
    for country in ("de", "es", "fr", "gb", "us"):
        assert (country, "mileage") in kinds


def test_german_foreign_tables_have_at_least_20_destinations() -> None:
    for day in (date(2025, 6, 1), date(2026, 6, 1)):
        table = find_table("de", "per_diem", day)
        countries = table.data["foreign"]["countries"]
        assert len(countries) >= 20
        for code, entry in countries.items():
            assert Decimal(entry["full_day"]) > Decimal(entry["partial_day"]) > 0, code


@pytest.mark.parametrize(
    ("country", "kind", "day", "expected_id"),
    [
        ("de", "per_diem", date(2019, 12, 31), "de/per_diem/2014-01-01"),
        ("de", "per_diem", date(2020, 1, 1), "de/per_diem/2020-01-01"),
        ("de", "per_diem", date(2025, 12, 31), "de/per_diem/2025-01-01"),
        ("de", "per_diem", date(2026, 1, 1), "de/per_diem/2026-01-01"),
        ("es", "mileage", date(2023, 7, 16), "es/mileage/2006-01-01"),
        ("es", "mileage", date(2023, 7, 17), "es/mileage/2023-07-17"),
        ("us", "mileage", date(2025, 12, 31), "us/mileage/2025-01-01"),
        ("us", "mileage", date(2026, 1, 1), "us/mileage/2026-01-01"),
        ("us", "per_diem", date(2025, 9, 30), "us/per_diem/2024-10-01"),
        ("us", "per_diem", date(2025, 10, 1), "us/per_diem/2025-10-01"),
    ],
)
def test_lookup_by_effective_date(country: str, kind: str, day: date, expected_id: str) -> None:
    assert find_table(country, kind, day).id == expected_id


def test_no_table_for_the_country_is_unsupported_country() -> None:
    with pytest.raises(ValidationFailed) as exc:
        find_table("fr", "per_diem", date(2025, 1, 1))
    assert exc.value.code == "unsupported_country"
    assert "country" in exc.value.fields


def test_no_table_for_the_date_is_no_rates_for_date() -> None:
    """The IRS sets one rate per calendar year: 2027 has no table yet."""
    with pytest.raises(ValidationFailed) as exc:
        find_table("us", "mileage", date(2027, 1, 1))
    assert exc.value.code == "no_rates_for_date"


def _write(root: Path, rel: str, data: dict[str, Any]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _table(valid_from: str, valid_to: str | None, url: str = "https://example.org/law") -> dict[str, Any]:
    return {
        "country": "de",
        "kind": "mileage",
        "rules": "banded",
        "currency": "EUR",
        "valid_from": valid_from,
        "valid_to": valid_to,
        "source": {"title": "Test law", "url": url},
        "notes": ["test"],
    }


def test_loader_refuses_overlapping_periods(tmp_path: Path) -> None:
    _write(tmp_path, "de/mileage/2020-01-01.json", _table("2020-01-01", None))
    _write(tmp_path, "de/mileage/2021-01-01.json", _table("2021-01-01", None))
    with pytest.raises(RateTableError, match="overlaps"):
        load_tables(tmp_path)  # type: ignore[arg-type]


def test_loader_accepts_consecutive_periods(tmp_path: Path) -> None:
    _write(tmp_path, "de/mileage/2020-01-01.json", _table("2020-01-01", "2020-12-31"))
    _write(tmp_path, "de/mileage/2021-01-01.json", _table("2021-01-01", None))
    assert [t.id for t in load_tables(tmp_path)] == ["de/mileage/2020-01-01", "de/mileage/2021-01-01"]  # type: ignore[arg-type]


def test_loader_refuses_a_file_named_unlike_its_contents(tmp_path: Path) -> None:
    _write(tmp_path, "de/mileage/2019-01-01.json", _table("2020-01-01", None))
    with pytest.raises(RateTableError, match="named"):
        load_tables(tmp_path)  # type: ignore[arg-type]


def test_loader_refuses_a_source_without_https(tmp_path: Path) -> None:
    _write(tmp_path, "de/mileage/2020-01-01.json", _table("2020-01-01", None, url="http://example.org"))
    with pytest.raises(RateTableError, match="https"):
        load_tables(tmp_path)  # type: ignore[arg-type]


def test_loader_refuses_valid_to_before_valid_from(tmp_path: Path) -> None:
    _write(tmp_path, "de/mileage/2020-01-01.json", _table("2020-01-01", "2019-12-31"))
    with pytest.raises(RateTableError, match="before"):
        load_tables(tmp_path)  # type: ignore[arg-type]


def test_amounts_must_be_decimal_strings_not_floats() -> None:
    assert tables.dec("0.30") == Decimal("0.30")
    with pytest.raises(RateTableError):
        tables.dec(0.3)


PURE_MODULES = ("engine", "perdiem", "mileage", "tables", "rules")
FORBIDDEN = (
    "sqlalchemy",
    "httpx",
    "fastapi",
    "starlette",
    "expensehub.models",
    "expensehub.db",
    "expensehub.api",
)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_engine_modules_are_pure(module: str) -> None:
    """The engine imports neither the database nor HTTP (DESIGN: allowances/ is pure)."""
    tree = ast.parse((PKG / f"{module}.py").read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
    bad = [m for m in imported if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
