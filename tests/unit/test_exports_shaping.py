"""Money text, FX and cost-centre splits of export rows, and the writers' cell rules (pure)."""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expensehub.exports import shaping
from expensehub.exports.writers import OutputColumn, WriterOptions, write
from expensehub.kit.money import EXPONENTS, MAX_MINOR_UNITS


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (0, "EUR", "0.00"),
        (5, "EUR", "0.05"),
        (50, "EUR", "0.50"),
        (1234, "EUR", "12.34"),
        (-1234, "EUR", "-12.34"),
        (-5, "EUR", "-0.05"),
        (1500, "JPY", "1500"),
        (-7, "JPY", "-7"),
        (1234, "KWD", "1.234"),
        (5, "KWD", "0.005"),
        (12345, "CLF", "1.2345"),
        (None, "EUR", None),
        (1234, None, "12.34"),
    ],
)
def test_money_text(minor: int | None, currency: str | None, text: str | None) -> None:
    assert shaping.money_text(minor, currency) == text


@given(minor=st.integers(-MAX_MINOR_UNITS, MAX_MINOR_UNITS), currency=st.sampled_from(sorted(EXPONENTS)))
def test_money_text_is_exact(minor: int, currency: str) -> None:
    text = shaping.money_text(minor, currency)
    assert text is not None
    assert Decimal(text) == Decimal(minor).scaleb(-EXPONENTS[currency])
    assert len(text.partition(".")[2]) == EXPONENTS[currency]


def test_base_amount_rounds_half_even_once() -> None:
    assert shaping.base_amount(125, "GBP", "1.1", "EUR") == 138  # 137.5 -> 138
    assert shaping.base_amount(135, "GBP", "1.1", "EUR") == 148  # 148.5 -> 148
    assert shaping.base_amount(1500, "JPY", "0.0061", "EUR") == 915
    assert shaping.base_amount(1234, "KWD", "2.9789", "EUR") == 368
    assert shaping.base_amount(999, "EUR", None, "EUR") == 999
    assert shaping.base_amount(999, "USD", None, "EUR") is None
    assert shaping.base_amount(999, "USD", "1.1", None) is None
    assert shaping.base_amount(None, "USD", "1.1", "EUR") is None
    assert shaping.base_amount(999, "USD", "not a number", "EUR") is None


@given(
    minor=st.integers(0, 10**12),
    rate=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(1000), places=6),
)
def test_base_amount_matches_decimal_arithmetic(minor: int, rate: Decimal) -> None:
    expected = int((Decimal(minor).scaleb(-2) * rate).scaleb(0).quantize(Decimal(1), ROUND_HALF_EVEN))
    assert shaping.base_amount(minor, "USD", str(rate), "JPY") == expected


@given(
    total=st.integers(-(10**12), 10**12),
    shares=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
)
def test_split_parts_sum_exactly(total: int, shares: list[int]) -> None:
    weights = [str(Decimal(s) / Decimal(sum(shares))) for s in shares]
    record = [7, total, "EUR", total // 3, None, None, None]
    rows = shaping.split_record(record, [(f"C{i}", w) for i, w in enumerate(weights)], [1, 3], 5, 6)
    assert len(rows) == len(shares)
    assert sum(r[1] for r in rows) == total
    assert sum(r[3] for r in rows) == total // 3
    assert all(r[4] is None for r in rows)
    assert [r[5] for r in rows] == [f"C{i}" for i in range(len(shares))]


def test_join_codes() -> None:
    assert shaping.join_codes([]) == (None, None)
    assert shaping.join_codes([("A", "1")]) == ("A", "1")
    assert shaping.join_codes([("A", "0.5"), ("B", "0.5")]) == ("A|B", None)


def test_compiled_row_function() -> None:
    cells = [
        shaping.Cell(2),
        shaping.Cell(0, currency_index=1, money=shaping.money_text),
        shaping.Cell(constant="S"),
        shaping.Cell(3, post=shaping.truncate(3)),
    ]
    row = shaping.compile_row_function(cells)
    assert row((1234, "EUR", 9, "abcdef")) == (9, "12.34", "S", "abc")
    assert shaping.compile_row_function(cells, as_list=True)((5, "JPY", 1, None)) == [1, "5", "S", None]


COLUMNS = [
    OutputColumn("id", "id", 0),
    OutputColumn("amount", "money", 1, currency_index=2),
    OutputColumn("currency", "text", 2),
    OutputColumn("text", "text", 3),
    OutputColumn("day", "date", 4, date_format="%d.%m.%Y"),
    OutputColumn("flag", "bool", 5),
    OutputColumn("rate", "rate", 6, decimal_separator=","),
]
RECORDS = [
    (1, 1234, "EUR", 'a "quoted", text\nwith a line break', "2026-03-10", True, "1.5"),
    (2, None, "JPY", "", None, False, None),
    (3, 7, "KWD", "=1+2", "2026-12-31", None, "0.0001"),
]


def test_csv_writer_rfc4180() -> None:
    body = b"".join(write("csv", COLUMNS, [RECORDS[:2], RECORDS[2:]]))
    text = body.decode()
    assert text.startswith("id,amount,currency,text,day,flag,rate\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == [
        "1",
        "12.34",
        "EUR",
        'a "quoted", text\nwith a line break',
        "10.03.2026",
        "true",
        "1,5",
    ]
    assert rows[2] == ["2", "", "JPY", "", "", "false", ""]
    assert rows[3] == ["3", "0.007", "KWD", "=1+2", "31.12.2026", "", "0,0001"]
    assert '"a ""quoted"", text\nwith a line break"' in text
    assert text.endswith("\r\n")


def test_csv_writer_bom_and_delimiter() -> None:
    body = b"".join(write("csv", COLUMNS[:3], [RECORDS], WriterOptions(bom=True, delimiter=";")))
    assert body.startswith(b"\xef\xbb\xbfid;amount;currency\r\n1;12.34;EUR\r\n")


def test_jsonl_writer() -> None:
    lines = b"".join(write("jsonl", COLUMNS, [RECORDS])).decode().splitlines()
    first = json.loads(lines[0])
    assert first == {
        "id": 1,
        "amount": "12.34",
        "currency": "EUR",
        "text": 'a "quoted", text\nwith a line break',
        "day": "10.03.2026",
        "flag": True,
        "rate": "1,5",
    }
    assert json.loads(lines[1])["amount"] is None
    assert json.loads(lines[1])["flag"] is False


def test_empty_exports_still_have_headers() -> None:
    assert b"".join(write("csv", COLUMNS, [])) == b"id,amount,currency,text,day,flag,rate\r\n"
    assert b"".join(write("jsonl", COLUMNS, [])) == b""
    assert b"".join(write("parquet", COLUMNS, [])).startswith(b"PAR1")
    assert b"".join(write("xlsx", COLUMNS, [])).startswith(b"PK")
