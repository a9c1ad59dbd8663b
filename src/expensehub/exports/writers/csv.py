"""CSV (RFC 4180): UTF-8, CRLF line ends, fields quoted only when needed, optional BOM for Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from expensehub.exports.shaping import compile_row_function
from expensehub.exports.writers.base import OutputColumn, WriterOptions, text_cells


def _started(columns: Sequence[OutputColumn], options: WriterOptions) -> tuple[io.StringIO, Any]:
    """The buffer and writer of a CSV, the buffer holding the header (after the BOM when asked)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=options.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if options.bom:
        buf.write("\ufeff")
    writer.writerow([c.header for c in columns])
    return buf, writer


def write_csv(
    columns: Sequence[OutputColumn], batches: Iterable[Sequence[Sequence[Any]]], options: WriterOptions
) -> Iterator[bytes]:
    buf, writer = _started(columns, options)
    row = compile_row_function(text_cells(columns))
    yield buf.getvalue().encode("utf-8")
    for batch in batches:
        buf.seek(0)
        buf.truncate()
        writer.writerows(map(row, batch))
        yield buf.getvalue().encode("utf-8")


def csv_field(value: Any, delimiter: str) -> str:
    """One field as ``csv.writer`` (QUOTE_MINIMAL) writes it: quoted when it holds the delimiter, a double
    quote, CR or LF; ``None`` as empty."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if '"' in text or delimiter in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv_lines(
    columns: Sequence[OutputColumn], batches: Iterable[Sequence[str]], options: WriterOptions
) -> Iterator[bytes]:
    """CSV from lines already rendered (by the database): the header, then each batch of lines."""
    buf, _writer = _started(columns, options)
    yield buf.getvalue().encode("utf-8")
    for lines in batches:
        if lines:
            yield ("\r\n".join(lines) + "\r\n").encode("utf-8")
