"""Parquet through pyarrow: typed columns, written in row groups as the batches arrive.

Types: ids and integers int64; money int64 **minor units** (the column's metadata names the currency
column and ``unit=minor``); rates decimal128(28, 12); dates date32; timestamps timestamp[ms, UTC];
booleans bool; text UTF-8 strings. SQL report columns are typed from their first non-null values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from expensehub.exports.writers.base import OutputColumn, WriterOptions

ROW_GROUP_ROWS = 65_536

_TYPES: dict[str, Any] = {
    "id": pa.int64(),
    "int": pa.int64(),
    "money": pa.int64(),
    "text": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "rate": pa.decimal128(28, 12),
}


class _Sink:
    """A write-only file object that keeps what pyarrow writes until the generator hands it out."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = False
        self.position = 0

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _auto_type(values: Sequence[Any]) -> Any:
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return pa.bool_()
        if isinstance(v, int):
            return pa.int64()
        if isinstance(v, float):
            return pa.float64()
        if isinstance(v, Decimal):
            return pa.string()
        if isinstance(v, datetime):
            return pa.timestamp("us", tz="UTC") if v.tzinfo else pa.timestamp("us")
        if isinstance(v, date):
            return pa.date32()
        return pa.string()
    return pa.string()


def _array(col: OutputColumn, values: Sequence[Any], typ: Any) -> Any:
    if col.kind in ("date", "timestamp", "rate"):
        return pa.array(values, pa.string()).cast(typ)
    if col.kind == "auto":
        try:
            return pa.array(values, typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            return pa.array([None if v is None else str(v) for v in values], pa.string()).cast(typ)
    return pa.array(values, typ)


def write_parquet(
    columns: Sequence[OutputColumn], batches: Iterable[Sequence[Sequence[Any]]], options: WriterOptions
) -> Iterator[bytes]:
    del options
    sink = _Sink()
    writer: Any = None
    schema: Any = None
    pending: list[Any] = []
    pending_rows = 0

    def flush() -> None:
        nonlocal pending, pending_rows
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema=schema), row_group_size=ROW_GROUP_ROWS)
        pending, pending_rows = [], 0

    for batch in batches:
        if not batch:
            continue
        transposed = list(zip(*batch, strict=True))
        if schema is None:
            schema = _schema(columns, transposed)
            writer = pq.ParquetWriter(sink, schema, compression="snappy")
        arrays = []
        for col, fld in zip(columns, schema, strict=True):
            if col.index < 0:
                arrays.append(pa.array([col.constant] * len(batch), fld.type))
            else:
                arrays.append(_array(col, transposed[col.index], fld.type))
        pending.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
        pending_rows += len(batch)
        if pending_rows >= ROW_GROUP_ROWS:
            flush()
            yield sink.take()
    if schema is None:
        schema = _schema(columns, None)
        writer = pq.ParquetWriter(sink, schema, compression="snappy")
    flush()
    writer.close()
    yield sink.take()


def _schema(columns: Sequence[OutputColumn], transposed: Sequence[Sequence[Any]] | None) -> Any:
    fields = []
    for col in columns:
        if col.index < 0:
            typ = pa.string()
        elif col.kind == "auto":
            typ = _auto_type(transposed[col.index]) if transposed is not None else pa.string()
        else:
            typ = _TYPES[col.kind]
        meta = {"description": col.description, **col.metadata} if col.description or col.metadata else None
        fields.append(pa.field(col.header, typ, metadata=meta))
    return pa.schema(fields)
