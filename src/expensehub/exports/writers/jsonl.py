"""JSON Lines: one JSON object per row (orjson), keys in column order; money and rates as decimal strings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from expensehub.exports.shaping import compile_row_function
from expensehub.exports.writers.base import OutputColumn, WriterOptions, text_cells


def write_jsonl(
    columns: Sequence[OutputColumn], batches: Iterable[Sequence[Sequence[Any]]], options: WriterOptions
) -> Iterator[bytes]:
    del options
    cells = text_cells(columns)
    # JSON keeps booleans as booleans.
    for cell, col in zip(cells, columns, strict=True):
        if col.kind == "bool":
            cell.post = None
    row = compile_row_function(cells)
    headers = [c.header for c in columns]
    dumps = orjson.dumps
    for batch in batches:
        yield b"".join([dumps(dict(zip(headers, row(r), strict=True))) + b"\n" for r in batch])
