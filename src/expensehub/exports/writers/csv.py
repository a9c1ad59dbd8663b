"""CSV (RFC 4180): UTF-8, CRLF line ends, fields quoted only when needed, optional BOM for Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from expensehub.exports.shaping import compile_row_function
from expensehub.exports.writers.base import OutputColumn, WriterOptions, text_cells


def write_csv(
    columns: Sequence[OutputColumn], batches: Iterable[Sequence[Sequence[Any]]], options: WriterOptions
) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=options.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if options.bom:
        buf.write("\ufeff")
    writer.writerow([c.header for c in columns])
    row = compile_row_function(text_cells(columns))
    yield buf.getvalue().encode("utf-8")
    for batch in batches:
        buf.seek(0)
        buf.truncate()
        writer.writerows(map(row, batch))
        yield buf.getvalue().encode("utf-8")
