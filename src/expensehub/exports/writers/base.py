"""What every writer shares: the output column description and the text cell builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from expensehub.exports import shaping

FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet", "jsonl")


@dataclass(frozen=True)
class OutputColumn:
    """One column of the file: its header, its type and where its value is in each record.

    ``kind`` is a catalogue kind (see ``exports.columns``) or ``auto`` (SQL reports: typed by value).
    ``index`` is the position in the record (-1 with ``constant``); money columns also name the
    position of their currency. The formats apply to text outputs (CSV, JSON Lines).
    """

    header: str
    kind: str
    index: int
    currency_index: int | None = None
    constant: Any = None
    date_format: str | None = None
    timestamp_format: str | None = None
    decimal_separator: str = "."
    max_length: int | None = None
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WriterOptions:
    """Format options: CSV delimiter and byte-order mark, sheet name, rows per batch written."""

    delimiter: str = ","
    bom: bool = False
    sheet_name: str = "export"
    tmpdir: str | None = None


def text_cells(columns: Sequence[OutputColumn]) -> list[shaping.Cell]:
    """Cells producing the text-format values (CSV, JSON Lines) of each column."""
    cells: list[shaping.Cell] = []
    for col in columns:
        steps: list[Callable[[Any], Any]] = []
        if col.kind == "date" and col.date_format:
            steps.append(shaping.date_formatter(col.date_format))
        elif col.kind == "timestamp" and col.timestamp_format:
            steps.append(shaping.timestamp_formatter(col.timestamp_format))
        elif col.kind == "bool":
            steps.append(shaping.bool_text)
        elif col.kind == "auto":
            steps.append(_auto_text)
        if col.kind in ("money", "rate") and col.decimal_separator != ".":
            steps.append(shaping.decimal_separator(col.decimal_separator))
        if col.max_length is not None:
            steps.append(shaping.truncate(col.max_length))
        post = None if not steps else steps[0] if len(steps) == 1 else shaping.chain(*steps)
        if col.index < 0:
            value = col.constant if post is None else post(col.constant)
            cells.append(shaping.Cell(constant=value))
        elif col.kind == "money" and col.currency_index is not None:
            cells.append(
                shaping.Cell(
                    col.index, currency_index=col.currency_index, money=shaping.money_text, post=post
                )
            )
        else:
            cells.append(shaping.Cell(col.index, post=post))
    return cells


def _auto_text(value: Any) -> Any:
    """SQL report values in text formats: numbers and strings as they are; others by ``str``."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
