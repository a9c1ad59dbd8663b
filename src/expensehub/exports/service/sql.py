"""SQL reports: a read-only query checked by its text, then run in the report sandbox and streamed."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from expensehub.errors import Unavailable, ValidationFailed
from expensehub.exports import sandbox
from expensehub.exports.sandbox import SandboxConfig
from expensehub.exports.service.pipeline import BATCH_ROWS, ExportSummary
from expensehub.exports.sqlcheck import SqlRefused, check_read_only_sql
from expensehub.exports.writers import FORMATS, OutputColumn, WriterOptions, write

DEFAULT_QUERY_TIMEOUT_S = 60.0


def check_sql(sql: str) -> str:
    """The report query, or ``ValidationFailed`` when it is not one read-only SELECT."""
    try:
        return check_read_only_sql(sql)
    except SqlRefused as exc:
        raise ValidationFailed(str(exc), fields={"sql": [str(exc)]}, code=exc.code) from exc


@dataclass
class SqlStream:
    """A running report query: its columns, its bytes, and the connection to close afterwards."""

    columns: list[str]
    chunks: Iterator[bytes]
    summary: ExportSummary


def stream_sql_report(
    engine: Engine,
    *,
    company_id: int,
    sql: str,
    fmt: str,
    timeout_s: float = DEFAULT_QUERY_TIMEOUT_S,
    batch_size: int = BATCH_ROWS,
    trial: bool = False,
    config: SandboxConfig | None = None,
) -> SqlStream:
    """Run a report query in the report sandbox (``exports/sandbox.py``), over the report views.

    The text is checked first (``sqlcheck``); the sandbox then holds the query to the company's
    report views, read-only, within ``timeout_s`` and its size limits. The query is started here (so
    a bad query fails before any byte is produced); the bytes come as the returned iterator is
    consumed, and the sandbox is closed when it ends.
    """
    query = check_sql(sql)
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"unknown format {fmt!r}", fields={"format": ["unknown"]}, code="unknown_format"
        )
    if trial:
        # A trial run at creation: the first row only, so errors (unknown names, writes) show up now.
        query = f"SELECT * FROM ({query}) AS report_query LIMIT 1"
    try:
        running = sandbox.run_report_sql(
            engine,
            company_id=company_id,
            sql=query,
            timeout_s=timeout_s,
            batch_size=batch_size,
            config=config,
            clock=time.monotonic,
        )
    except sandbox.SqlFailure as exc:
        raise _sql_error(exc) from exc
    except sandbox.SandboxUnavailable as exc:
        raise Unavailable(str(exc), code="sql_reports_unavailable") from exc
    summary = ExportSummary()
    columns = _sql_columns(running.columns)

    def records() -> Iterator[Sequence[Sequence[Any]]]:
        try:
            for batch in running.batches():
                summary.rows += len(batch)
                summary.source_rows += len(batch)
                yield batch
        except sandbox.SqlFailure as exc:
            raise _sql_error(exc) from exc
        finally:
            running.close()

    return SqlStream(
        columns=running.columns,
        chunks=write(fmt, columns, records(), WriterOptions(sheet_name="report")),
        summary=summary,
    )


def _sql_columns(names: Sequence[str]) -> list[OutputColumn]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        header = name or f"column_{i + 1}"
        if header in seen:
            seen[header] += 1
            header = f"{header}_{seen[header]}"
        else:
            seen[header] = 1
        out.append(OutputColumn(header=header, kind="auto", index=i))
    return out


_SQL_MESSAGES = {
    "sql_timeout": "the report query ran past its time limit",
    "sql_too_large": "the report query made a value or a result larger than reports allow: {text}",
    "sql_not_read_only": "the report query tried to write: {text}",
    "sql_not_allowed": "the report query may read only the report views ("
    + ", ".join(sandbox.REPORT_VIEWS)
    + "): {text}",
}


def _sql_error(exc: sandbox.SqlFailure) -> ValidationFailed:
    """The sandbox's refusal as a one-line validation error with a stable code."""
    text = exc.message.strip().splitlines()[0] if exc.message.strip() else exc.code
    message = _SQL_MESSAGES.get(exc.code, "the report query failed: {text}").format(text=text)
    field = "timed out" if exc.code == "sql_timeout" else text
    return ValidationFailed(message, fields={"sql": [field]}, code=exc.code)
