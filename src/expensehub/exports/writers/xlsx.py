"""XLSX through XlsxWriter in constant-memory mode: typed cells, date and number formats, frozen header,
autofilter and column widths. A sheet holds at most 1,048,576 rows; longer exports continue on new sheets.

XLSX stores every number as an IEEE double, so amounts are written as floats in major units (exact to
the cent up to about 2^53 minor units) with a number format of the currency's decimals; the exact
values are in the CSV, JSON Lines and Parquet formats.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from expensehub.exports.writers.base import OutputColumn, WriterOptions
from expensehub.kit.money import EXPONENTS

MAX_ROWS = 1_048_576
CHUNK = 1 << 20
_WIDTHS = {"id": 12, "int": 12, "bool": 8, "date": 12, "timestamp": 20, "money": 14, "rate": 12}


def write_xlsx(
    columns: Sequence[OutputColumn], batches: Iterable[Sequence[Sequence[Any]]], options: WriterOptions
) -> Iterator[bytes]:
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=options.tmpdir)
    os.close(fd)
    try:
        _fill(path, columns, batches, options)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _fill(
    path: str,
    columns: Sequence[OutputColumn],
    batches: Iterable[Sequence[Sequence[Any]]],
    options: WriterOptions,
) -> None:
    wb = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "tmpdir": options.tmpdir or tempfile.gettempdir(),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header_fmt = wb.add_format({"bold": True, "bg_color": "#E7E6E6", "bottom": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ts_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    rate_fmt = wb.add_format({"num_format": "0.0#########"})
    money_fmts = {
        exp: wb.add_format({"num_format": "#,##0" + ("." + "0" * exp if exp else "")}) for exp in range(5)
    }
    last_col = len(columns) - 1
    state: dict[str, Any] = {"sheet": None, "row": 0, "sheets": 0}

    def new_sheet() -> Any:
        if state["sheet"] is not None and state["row"] > 1:
            state["sheet"].autofilter(0, 0, state["row"] - 1, last_col)
        state["sheets"] += 1
        name = (
            options.sheet_name[:31]
            if state["sheets"] == 1
            else f"{options.sheet_name[:26]} ({state['sheets']})"
        )
        ws = wb.add_worksheet(name)
        for i, col in enumerate(columns):
            width = _WIDTHS.get(col.kind, 0) or min(max(len(col.header) + 2, 12), 40)
            ws.set_column(i, i, max(width, len(col.header) + 2))
        ws.freeze_panes(1, 0)
        for i, col in enumerate(columns):
            ws.write_string(0, i, col.header, header_fmt)
        state["sheet"] = ws
        state["row"] = 1
        return ws

    ws = new_sheet()
    writers = [_cell_writer(col, date_fmt, ts_fmt, rate_fmt, money_fmts) for col in columns]
    for batch in batches:
        for record in batch:
            if state["row"] >= MAX_ROWS:
                ws = new_sheet()
            r = state["row"]
            for c, write_cell in enumerate(writers):
                write_cell(ws, r, c, record)
            state["row"] = r + 1
    if state["row"] > 1:
        ws.autofilter(0, 0, state["row"] - 1, last_col)
    wb.close()


def _cell_writer(
    col: OutputColumn, date_fmt: Any, ts_fmt: Any, rate_fmt: Any, money_fmts: dict[int, Any]
) -> Any:
    i = col.index
    if i < 0:
        constant = col.constant

        def const(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            if constant is not None:
                ws.write(r, c, constant)

        return const
    kind = col.kind
    if kind in ("id", "int"):

        def number(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is not None:
                if abs(v) < 2**53:
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v))

        return number
    if kind == "money":
        ci = col.currency_index

        def money(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is not None:
                cur = rec[ci] if ci is not None else None
                exp = EXPONENTS.get(cur, 2) if cur else 2
                ws.write_number(r, c, v / 10**exp if exp else v, money_fmts.get(exp))

        return money
    if kind == "rate":

        def rate(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is not None:
                ws.write_number(r, c, float(v), rate_fmt)

        return rate
    if kind == "date":

        def day(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is not None:
                d = v if isinstance(v, date) else date.fromisoformat(v)
                ws.write_datetime(r, c, datetime(d.year, d.month, d.day), date_fmt)

        return day
    if kind == "timestamp":

        def moment(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is not None:
                t = v if isinstance(v, datetime) else datetime.fromisoformat(v)
                ws.write_datetime(r, c, t.replace(tzinfo=None), ts_fmt)

        return moment
    if kind == "bool":

        def boolean(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is not None:
                ws.write_boolean(r, c, bool(v))

        return boolean
    if kind == "auto":

        def auto(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
            v = rec[i]
            if v is None:
                return
            if isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)) and abs(v) < 2**53:
                ws.write_number(r, c, v)
            elif isinstance(v, Decimal):
                ws.write_number(r, c, float(v))
            elif isinstance(v, datetime):
                ws.write_datetime(r, c, v.replace(tzinfo=None), ts_fmt)
            elif isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), date_fmt)
            else:
                ws.write_string(r, c, str(v))

        return auto

    def string(ws: Any, r: int, c: int, rec: Sequence[Any]) -> None:
        v = rec[i]
        if v is not None:
            ws.write_string(r, c, v if isinstance(v, str) else str(v))

    return string
