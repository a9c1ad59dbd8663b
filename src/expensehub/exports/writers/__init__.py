"""Export writers: one pipeline, four formats (CSV, XLSX, Parquet, JSON Lines).

Every writer takes the output columns and an iterator of record batches, and yields the file's bytes
in chunks as it goes, so an export streams to a file or an HTTP response with flat memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from expensehub.exports.writers.base import FORMATS, OutputColumn, WriterOptions

__all__ = ["CONTENT_TYPES", "EXTENSIONS", "FORMATS", "OutputColumn", "WriterOptions", "write"]

CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
EXTENSIONS: dict[str, str] = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx", "parquet": "parquet"}


def write(
    fmt: str,
    columns: Sequence[OutputColumn],
    batches: Iterable[Sequence[Sequence[Any]]],
    options: WriterOptions | None = None,
) -> Iterator[bytes]:
    """The bytes of ``batches`` written as ``fmt`` (csv, xlsx, parquet, jsonl)."""
    opts = options or WriterOptions()
    if fmt == "csv":
        from expensehub.exports.writers.csv import write_csv

        return write_csv(columns, batches, opts)
    if fmt == "jsonl":
        from expensehub.exports.writers.jsonl import write_jsonl

        return write_jsonl(columns, batches, opts)
    if fmt == "xlsx":
        from expensehub.exports.writers.xlsx import write_xlsx

        return write_xlsx(columns, batches, opts)
    if fmt == "parquet":
        from expensehub.exports.writers.parquet import write_parquet

        return write_parquet(columns, batches, opts)
    raise ValueError(f"unknown format {fmt!r}")
