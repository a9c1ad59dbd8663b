"""Pure helpers: money, cursors, ids, time formats, version rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expensehub.kit import money
from expensehub.kit.clock import format_date_as_ts, format_ts
from expensehub.kit.cursors import decode_cursor, encode_cursor
from expensehub.kit.ids import parse_id, parse_path_id
from expensehub.versions import VERSIONS, is_id_key


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_cursor_round_trip(value: int) -> None:
    assert decode_cursor(encode_cursor(value)) == value


def test_cursor_matches_factorial_examples() -> None:
    assert encode_cursor(16) == "MTY="
    assert encode_cursor(27) == "Mjc="
    assert decode_cursor("MTc=") == 17


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_plain_ids_are_accepted_as_cursors(value: int) -> None:
    assert decode_cursor(str(value)) == value


@pytest.mark.parametrize("raw", ["", "!!", "bm90LWEtbnVtYmVy", "-5", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk="])
def test_invalid_cursors(raw: str) -> None:
    assert decode_cursor(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [(5, 5), ("42", 42), (" 7 ", 7)])
def test_parse_id(raw: object, expected: int) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", [True, 0, -1, "a1", "1.5", 1.0, None, "", 2**63, "٣"])
def test_parse_id_rejects(raw: object) -> None:
    with pytest.raises(ValueError, match="id"):
        parse_id(raw)


def test_parse_path_id() -> None:
    assert parse_path_id("12") == 12
    assert parse_path_id("1e3") is None


def test_exponents() -> None:
    assert money.exponent("EUR") == 2
    assert money.exponent("JPY") == 0
    assert money.exponent("KWD") == 3
    assert not money.is_currency("EURO")
    assert not money.is_currency("eur")


def test_convert_rounds_half_even_once() -> None:
    assert money.convert(1001, "EUR", Decimal("0.5"), "GBP") == 500  # 5.005 -> 5.00
    assert money.convert(1003, "EUR", Decimal("0.5"), "GBP") == 502  # 5.015 -> 5.02
    assert money.convert(1000, "USD", Decimal("151.37"), "JPY") == 1514
    assert money.convert(1234, "EUR", Decimal("1"), "KWD") == 12340


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.decimals(min_value=0, max_value=1000, places=4), min_size=1, max_size=8).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_split_sums_exactly(total: int, weights: list[Decimal]) -> None:
    parts = money.split_largest_remainder(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(Decimal(part) - Decimal(total) * weight / weight_sum) < 1


def test_split_example() -> None:
    assert money.split_largest_remainder(100, [Decimal(1), Decimal(1), Decimal(1)]) == [34, 33, 33]
    assert money.split_largest_remainder(-100, [Decimal("0.5"), Decimal("0.5")]) == [-50, -50]


def test_split_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="weight"):
        money.split_largest_remainder(10, [])
    with pytest.raises(ValueError, match="weights"):
        money.split_largest_remainder(10, [Decimal(0)])


def test_timestamp_format() -> None:
    ts = datetime(2024, 6, 6, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert format_ts(ts) == "2024-06-06T12:00:00.123Z"
    assert format_ts(datetime(2024, 6, 6, 12, 0)) == "2024-06-06T12:00:00.000Z"
    assert format_date_as_ts(date(2020, 1, 1)) == "2020-01-01T00:00:00.000Z"
    assert format_ts(None) is None
    assert datetime.fromisoformat(format_ts(datetime.now(UTC)) or "").tzinfo is not None


def test_id_keys() -> None:
    assert is_id_key("id")
    assert is_id_key("employee_id")
    assert is_id_key("cost_center_ids")
    assert not is_id_key("external_id")
    assert not is_id_key("identifier")


def test_render_versions() -> None:
    obj = {
        "id": 1,
        "employee_id": None,
        "cost_center_ids": [2, 3],
        "external_id": "X-1",
        "amount": 500,
        "category": {"id": 4, "name": "Meals"},
        "approved": True,
    }
    new = VERSIONS["2026-10-01"].render(obj)
    assert new == {
        "id": "1",
        "employee_id": None,
        "cost_center_ids": ["2", "3"],
        "external_id": "X-1",
        "amount": 500,
        "category": {"id": "4", "name": "Meals"},
        "approved": True,
    }
    assert VERSIONS["2026-04-01"].render(obj) == obj


def test_private_keys_never_reach_the_wire() -> None:
    obj = {"id": 3, "label": "Meals", "_company_id": 9, "_created_at": "2026-01-01T00:00:00.000Z"}
    assert VERSIONS["2026-10-01"].render(obj, "finance/categories") == {"id": "3", "label": "Meals"}


def test_categories_in_2026_04_carry_the_old_shape() -> None:
    obj = {"id": 3, "label": "Meals", "_company_id": 9, "_created_at": "t0", "_updated_at": "t1"}
    old = VERSIONS["2026-04-01"].render(obj, "finance/categories")
    assert old == {
        "id": 3,
        "label": "Meals",
        "name": "Meals",
        "company_id": 9,
        "created_at": "t0",
        "updated_at": "t1",
    }


def test_project_objects_wrapped_only_in_2026_04() -> None:
    obj = {"id": 5, "name": "Apollo"}
    assert VERSIONS["2026-04-01"].render_one(obj, "project_management/projects") == {"data": obj}
    assert VERSIONS["2026-10-01"].render_one(obj, "project_management/projects") == {
        "id": "5",
        "name": "Apollo",
    }
    assert VERSIONS["2026-04-01"].render_one(obj, "expenses/expenses") == obj


def test_2026_04_mileage_and_per_diem_shapes() -> None:
    old = VERSIONS["2026-04-01"]
    mileage = {"id": 1, "rate": "0.26", "origin_latitude": None, "rate_measurement_unit": "km"}
    assert old.render(mileage, "expenses/mileages") == {
        "id": 1,
        "rate": {"value": "0.26"},
        "origin_latitude": None,
    }
    per_diem = {"id": 2, "paid_at": "2026-03-01T10:00:00.000Z", "review_request_at": None}
    assert old.render(per_diem, "expenses/per_diems") == {
        "id": 2,
        "paid_at": "2026-03-01",
        "review_request_at": None,
    }
