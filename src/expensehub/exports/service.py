"""Use cases of the exports domain: plan and stream exports, saved and scheduled reports, checkpoints.

An export is planned first (:func:`plan_export`: every input checked, nothing read yet), then
streamed (:func:`stream_export`): the repository yields batches of plain rows, this module adds the
values the database cannot compute exactly (FX conversion, tax sums, cost-centre splits, receipt URLs)
and a writer turns the records into bytes. Memory stays flat whatever the size.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from expensehub.errors import Conflict, NotFound, Unavailable, ValidationFailed
from expensehub.exports import repository, sandbox, shaping
from expensehub.exports.columns import DATASET_FILTERS, DATASETS, SPLIT_MONEY_COLUMNS, Column, catalogue
from expensehub.exports.cron import CronError, parse_cron
from expensehub.exports.sandbox import SandboxConfig
from expensehub.exports.sqlcheck import SqlRefused, check_read_only_sql
from expensehub.exports.templates import Template, columns_of, parse_template
from expensehub.exports.writers import EXTENSIONS, FORMATS, OutputColumn, WriterOptions, write
from expensehub.exports.writers.base import text_cells
from expensehub.exports.writers.csv import csv_field, write_csv_lines
from expensehub.kit.clock import utcnow
from expensehub.models.exports import ExportCheckpoint, ReportDefinition, ReportRun

log = logging.getLogger("expensehub.exports")

BATCH_ROWS = 5_000
DEFAULT_QUERY_TIMEOUT_S = 60.0
# receipt_url(company_id, document_id, sha256) -> a download URL
ReceiptUrl = Callable[[int, int, str], str]

# Values computed here rather than by the database, and the source fields each needs.
_DERIVED_DEPS: dict[str, tuple[str, ...]] = {
    "base_amount": ("document_amount", "currency", "exchange_rate", "base_currency"),
    "tax_amount": (),
    "tax_base_amount": (),
    "tax_rate": (),
    "cost_center": (),
    "cost_center_share": (),
    "receipt_url": (),
}
_DERIVED_ORDER = tuple(_DERIVED_DEPS)


@dataclass(frozen=True)
class ExportPlan:
    """A checked export: what to read, how to shape it, how to write it."""

    company_id: int
    dataset: str
    format: str
    columns: tuple[OutputColumn, ...]
    source_fields: tuple[str, ...]
    derived: tuple[str, ...]
    index: dict[str, int]
    filters: repository.Filters
    cost_centers: str
    options: WriterOptions
    template_name: str | None = None
    # "database": CSV lines rendered by the database when every column allows it; "python": always shaped
    # row by row in Python (the reference path the database path is tested against).
    render: str = "database"

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


@dataclass
class ExportSummary:
    """Filled in while an export streams: rows written, totals per currency, last change seen."""

    rows: int = 0
    source_rows: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    max_updated_at: str | None = None

    def totals_text(self) -> dict[str, str]:
        return {cur: shaping.money_text(total, cur) or "0" for cur, total in sorted(self.totals.items())}


# --------------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------------


def plan_export(
    session: Session,
    *,
    company_id: int,
    dataset: str,
    fmt: str | None = None,
    template: Template | None = None,
    columns: Sequence[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    statuses: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    employee_ids: Sequence[int] | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    updated_since: datetime | None = None,
    updated_after: datetime | None = None,
    cost_centers: str | None = None,
    bom: bool | None = None,
    render: str = "database",
) -> ExportPlan:
    """Check every input of an export and decide what to read; raises ``ValidationFailed``."""
    if render not in ("database", "python"):
        raise ValueError(f"render is database or python, not {render!r}")
    if not repository.company_exists(session, company_id):
        raise NotFound(f"company {company_id} not found", code="company_not_found")
    if dataset not in DATASETS:
        raise ValidationFailed(
            f"unknown dataset {dataset!r}; one of {', '.join(DATASETS)}",
            fields={"dataset": ["unknown dataset"]},
            code="unknown_dataset",
        )
    if template is not None and template.dataset != dataset:
        raise ValidationFailed(
            f"the template exports {template.dataset}, not {dataset}",
            fields={"template": [f"is a {template.dataset} template"]},
            code="template_dataset_mismatch",
        )
    if template is not None and columns:
        raise ValidationFailed(
            "choose columns with a template or with a column list, not both",
            fields={"columns": ["cannot be combined with a template"]},
            code="invalid_columns",
        )
    chosen_fmt = fmt or (template.format if template else None) or "csv"
    if chosen_fmt not in FORMATS:
        raise ValidationFailed(
            f"unknown format {chosen_fmt!r}; one of {', '.join(FORMATS)}",
            fields={"format": [f"must be one of {', '.join(FORMATS)}"]},
            code="unknown_format",
        )
    tf = template.filters if template else None
    filters = repository.Filters(
        date_from=date_from if date_from is not None else (tf.date_from if tf else None),
        date_to=date_to if date_to is not None else (tf.date_to if tf else None),
        statuses=statuses if statuses is not None else (tf.status if tf else None),
        types=types if types is not None else (tf.type if tf else None),
        employee_ids=employee_ids if employee_ids is not None else (tf.employee_ids if tf else None),
        legal_entity_ids=legal_entity_ids
        if legal_entity_ids is not None
        else (tf.legal_entity_ids if tf else None),
        updated_since=updated_since,
        updated_after=updated_after,
    )
    check_filters(dataset, filters)
    mode = cost_centers or (template.cost_centers if template else "join")
    if mode not in ("join", "split"):
        raise ValidationFailed(
            "cost_centers is `join` or `split`",
            fields={"cost_centers": ["must be join or split"]},
            code="invalid_option",
        )
    wanted = _wanted_columns(dataset, template, columns)
    options = WriterOptions(
        delimiter=template.delimiter if template else ",",
        bom=bom if bom is not None else (template.bom if template else False),
        sheet_name=dataset,
    )
    plan = _layout(company_id, dataset, chosen_fmt, wanted, filters, mode, options, template)
    return replace(plan, render=render)


def check_filters(dataset: str, f: repository.Filters) -> None:
    """Refuse reversed ranges, unknown enum values and filters the dataset does not have."""
    spec = DATASET_FILTERS[dataset]
    fields: dict[str, list[str]] = {}
    code = "invalid_filter"
    if f.date_from is not None and f.date_to is not None and f.date_from > f.date_to:
        fields["to"] = [f"the date range is reversed: {f.date_to} is before {f.date_from}"]
        code = "invalid_date_range"
    if f.statuses is not None:
        if spec.statuses is None:
            fields["status"] = [f"{dataset} have no status to filter on"]
            code = "unsupported_filter"
        else:
            bad = [s for s in f.statuses if s not in spec.statuses]
            if bad:
                fields["status"] = [f"unknown status {', '.join(bad)}; one of {', '.join(spec.statuses)}"]
    if f.types is not None:
        bad = [t for t in f.types if t not in spec.types]
        if bad:
            fields["type"] = [f"unknown type {', '.join(bad)}; one of {', '.join(spec.types)}"]
    if f.employee_ids is not None and not spec.employee:
        fields["employee_ids"] = [f"{dataset} have no employee to filter on"]
        code = "unsupported_filter"
    if fields:
        first = next(iter(fields.items()))
        raise ValidationFailed(f"invalid filter {first[0]}: {first[1][0]}", fields=fields, code=code)


@dataclass(frozen=True)
class _Wanted:
    column: Column | None
    header: str
    constant: Any = None
    date_format: str | None = None
    timestamp_format: str | None = None
    decimal_separator: str = "."
    max_length: int | None = None


def _wanted_columns(dataset: str, template: Template | None, names: Sequence[str] | None) -> list[_Wanted]:
    known = catalogue(dataset)
    if template is not None:
        out = []
        for c in columns_of(template):
            col = known[c.column] if c.column is not None else None
            out.append(
                _Wanted(
                    column=col,
                    header=c.header or c.column or "",
                    constant=c.value,
                    date_format=c.date_format or template.date_format,
                    timestamp_format=c.timestamp_format or template.timestamp_format,
                    decimal_separator=c.decimal_separator or template.decimal_separator,
                    max_length=c.max_length,
                )
            )
        return out
    chosen = list(names) if names else [c.name for c in DATASETS[dataset] if c.default]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise ValidationFailed(
            f"unknown column(s) {', '.join(repr(u) for u in unknown)} for {dataset}; known columns: "
            f"{', '.join(known)}",
            fields={"columns": [f"unknown column {u!r}" for u in unknown]},
            code="unknown_column",
        )
    dupes = sorted({n for n in chosen if chosen.count(n) > 1})
    if dupes:
        raise ValidationFailed(
            f"column(s) listed twice: {', '.join(dupes)}",
            fields={"columns": [f"listed twice: {d}" for d in dupes]},
            code="invalid_columns",
        )
    return [_Wanted(column=known[n], header=n) for n in chosen]


def _layout(
    company_id: int,
    dataset: str,
    fmt: str,
    wanted: list[_Wanted],
    filters: repository.Filters,
    mode: str,
    options: WriterOptions,
    template: Template | None,
) -> ExportPlan:
    spec = DATASET_FILTERS[dataset]
    known = catalogue(dataset)
    sql_fields = repository.source_fields(dataset)
    derivable = set(_DERIVED_DEPS) if dataset == "expenses" else set()
    needed: list[str] = [spec.id_column, spec.amount_column, spec.currency_column, "updated_at"]
    derived: set[str] = set()
    for w in wanted:
        if w.column is None:
            continue
        needed.append(w.column.name)
        if w.column.currency:
            needed.append(w.column.currency)
    if dataset == "expenses" and mode == "split":
        derived.update(("cost_center", "cost_center_share"))
    for name in list(needed):
        if name in derivable:
            derived.add(name)
            needed.extend(_DERIVED_DEPS[name])
    if {"tax_amount", "tax_base_amount", "tax_rate"} & derived:
        derived.update(("tax_amount", "tax_base_amount", "tax_rate"))
    if {"cost_center", "cost_center_share"} & derived:
        derived.update(("cost_center", "cost_center_share"))
    source: list[str] = []
    for name in needed:
        if name in derived or name in source:
            continue
        if name not in sql_fields:  # a catalogue column the database must provide
            raise AssertionError(f"column {name} of {dataset} has no source")
        source.append(name)
    derived_order = tuple(d for d in _DERIVED_ORDER if d in derived)
    index = {name: i for i, name in enumerate([*source, *derived_order])}
    out: list[OutputColumn] = []
    for w in wanted:
        col = w.column
        if col is None:
            out.append(OutputColumn(header=w.header, kind="text", index=-1, constant=w.constant))
            continue
        metadata = (
            {"unit": "minor", "currency_column": col.currency} if col.kind == "money" and col.currency else {}
        )
        out.append(
            OutputColumn(
                header=w.header,
                kind=col.kind,
                index=index[col.name],
                currency_index=index[col.currency] if col.currency else None,
                date_format=w.date_format,
                timestamp_format=w.timestamp_format,
                decimal_separator=w.decimal_separator,
                max_length=w.max_length,
                description=known[col.name].description,
                metadata=metadata,
            )
        )
    return ExportPlan(
        company_id=company_id,
        dataset=dataset,
        format=fmt,
        columns=tuple(out),
        source_fields=tuple(source),
        derived=derived_order,
        index=index,
        filters=filters,
        cost_centers=mode,
        options=options,
        template_name=template.name if template else None,
    )


# --------------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------------


def count_rows(session: Session, plan: ExportPlan) -> int:
    """Source rows the export will read (cost-centre splits may write more)."""
    return repository.count_rows(session, plan.dataset, plan.company_id, plan.filters)


def database_totals(session: Session, plan: ExportPlan) -> dict[str, int]:
    """The database's own sum of the dataset's amount per currency under the plan's filters."""
    return repository.currency_totals(session, plan.dataset, plan.company_id, plan.filters)


def stream_export(
    session: Session,
    plan: ExportPlan,
    *,
    summary: ExportSummary | None = None,
    receipt_url: ReceiptUrl | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_ROWS,
) -> Iterator[bytes]:
    """The export's bytes, chunk by chunk. ``summary`` is filled in as the chunks are consumed."""
    summary = summary if summary is not None else ExportSummary()
    dialect = repository.dialect_of(session)
    text_columns = database_text_columns(plan)
    if text_columns is not None:
        lines = _database_lines(
            session, plan, text_columns, dialect, summary, receipt_url, progress, batch_size
        )
        return write_csv_lines(plan.columns, lines, plan.options)
    stmt = repository.rows_query(plan.dataset, plan.company_id, plan.filters, plan.source_fields, dialect)
    rows = repository.stream(session, stmt, batch_size)
    records = _records(session, plan, rows, summary, receipt_url, progress)
    return write(plan.format, plan.columns, records, plan.options)


def database_text_columns(plan: ExportPlan) -> list[repository.TextColumn] | None:
    """The plan's columns for the database to render as CSV, or ``None`` when Python must shape the rows.

    The database renders CSV exports whose columns it can format exactly: every catalogue column, the
    tax and cost-centre columns (joined mode), constants, decimal separators and truncation. Python keeps
    cost-centre splits, custom date or timestamp formats, SQL reports, and the other formats.
    """
    if (
        plan.format != "csv"
        or plan.cost_centers != "join"
        or plan.render != "database"
        or len(plan.columns) < 2
    ):
        return None
    names = {i: name for name, i in plan.index.items()}
    delimiter = plan.options.delimiter
    out: list[repository.TextColumn] = []
    for col in plan.columns:
        if col.index < 0:
            value = col.constant
            if col.max_length is not None and isinstance(value, str):
                value = value[: col.max_length]
            out.append(repository.TextColumn(None, "text", constant=csv_field(value, delimiter)))
            continue
        name = names[col.index]
        custom_format = (col.kind == "date" and col.date_format) or (
            col.kind == "timestamp" and col.timestamp_format
        )
        if (
            col.kind == "auto"
            or custom_format
            or (name in plan.derived and name not in repository.DB_DERIVED)
        ):
            return None
        out.append(
            repository.TextColumn(
                name,
                col.kind,
                currency=names[col.currency_index] if col.currency_index is not None else None,
                decimal_separator=col.decimal_separator,
                max_length=col.max_length,
            )
        )
    return out


def _database_lines(
    session: Session,
    plan: ExportPlan,
    text_columns: Sequence[repository.TextColumn],
    dialect: str,
    summary: ExportSummary,
    receipt_url: ReceiptUrl | None,
    progress: Callable[[int], None] | None,
    batch_size: int,
) -> Iterator[list[str]]:
    """Batches of CSV lines rendered by the database; Python fills in FX conversions and receipt URLs."""
    stmt, layout = repository.csv_lines_query(
        plan.dataset,
        plan.company_id,
        plan.filters,
        text_columns,
        delimiter=plan.options.delimiter,
        receipts=receipt_url is not None,
        dialect=dialect,
    )
    delimiter, company_id = plan.options.delimiter, plan.company_id
    by_name = {c.name: col for c, col in zip(text_columns, plan.columns, strict=True) if c.name}
    base_cell = text_cells([by_name["base_amount"]])[0] if layout.fx else None
    url_cell = text_cells([by_name["receipt_url"]])[0] if layout.receipts else None
    base_amount, money_text = shaping.base_amount, shaping.money_text
    L = repository.LineLayout
    rc = layout.receipt_at

    def field(cell: shaping.Cell, value: Any) -> str:
        """The CSV text of a value Python computed, through the column's formats (separator, length)."""
        return csv_field(cell.post(value) if cell.post else value, delimiter)

    def patched(row: Sequence[Any]) -> str:
        line: str = row[L.LINE]
        edits: list[tuple[int, str]] = []
        if base_cell is not None and row[L.FX_AT] is not None:
            minor = base_amount(row[L.AMOUNT], row[L.CURRENCY], row[L.FX_RATE], row[L.FX_BASE])
            edits.append((row[L.FX_AT], field(base_cell, money_text(minor, row[L.FX_BASE]))))
        if url_cell is not None and receipt_url is not None and row[rc] is not None:
            doc, sha = row[rc + 1].split(":", 1)
            edits.append((row[rc], field(url_cell, receipt_url(company_id, int(doc), sha))))
        for at, text in sorted(edits, reverse=True):
            line = line[:at] + text + line[at:]
        return line

    # Rows that need Python: a converted amount, a receipt to sign.
    flags = (*((L.FX_AT,) if layout.fx else ()), *((rc,) if layout.receipts else ()))
    totals = summary.totals
    for batch in repository.stream_lines(session, stmt, layout, batch_size):
        if not batch:
            continue
        if not flags:
            lines = [row[L.LINE] for row in batch]
        elif len(flags) == 1:
            (flag,) = flags
            lines = [row[L.LINE] if row[flag] is None else patched(row) for row in batch]
        else:
            lines = [
                row[L.LINE] if row[L.FX_AT] is None and row[rc] is None else patched(row) for row in batch
            ]
        for row in batch:
            amount = row[L.AMOUNT]
            if amount is not None:
                totals[row[L.CURRENCY]] = totals.get(row[L.CURRENCY], 0) + amount
        newest = max((u for u in map(itemgetter(L.UPDATED_AT), batch) if u is not None), default=None)
        if newest is not None and (summary.max_updated_at is None or newest > summary.max_updated_at):
            summary.max_updated_at = newest
        summary.rows += len(batch)
        summary.source_rows += len(batch)
        if progress is not None:
            progress(len(batch))
        yield lines


def _records(
    session: Session,
    plan: ExportPlan,
    batches: Iterator[Sequence[Any]],
    summary: ExportSummary,
    receipt_url: ReceiptUrl | None,
    progress: Callable[[int], None] | None,
) -> Iterator[Sequence[Sequence[Any]]]:
    spec = DATASET_FILTERS[plan.dataset]
    ix = plan.index
    i_amount, i_currency, i_updated = ix[spec.amount_column], ix[spec.currency_column], ix["updated_at"]
    derived = set(plan.derived)
    company_id = plan.company_id
    none2, none3 = (None, None), (None, None, None)
    split = plan.cost_centers == "split"
    money_split = [ix[m] for m in SPLIT_MONEY_COLUMNS if m in ix]
    i_code, i_share = ix.get("cost_center", -1), ix.get("cost_center_share", -1)
    has_base, has_tax = "base_amount" in derived, "tax_amount" in derived
    has_cc, has_receipt = "cost_center" in derived, "receipt_url" in derived
    if has_base:
        i_a, i_c, i_r, i_b = ix["document_amount"], ix["currency"], ix["exchange_rate"], ix["base_currency"]
    base_amount, single_rate, join_codes = shaping.base_amount, shaping.single_rate, shaping.join_codes
    totals = summary.totals
    dialect = repository.dialect_of(session)

    def side(kind: str) -> _Side:
        stmt = repository.side_query(kind, company_id, plan.filters, dialect)
        return _Side(repository.stream(session, stmt, BATCH_ROWS))

    tax_side = side("taxes") if has_tax else None
    cc_side = side("cost_centers") if has_cc else None
    rc_side = side("receipts") if has_receipt and receipt_url is not None else None
    for batch in batches:
        if not batch:
            continue
        # Totals and the newest change come from the source rows (split rows add up to them).
        for r in batch:
            amount = r[i_amount]
            if amount is not None:
                cur = r[i_currency]
                totals[cur] = totals.get(cur, 0) + amount
        newest = max((u for u in (r[i_updated] for r in batch) if u is not None), default=None)
        if newest is not None and (summary.max_updated_at is None or newest > summary.max_updated_at):
            summary.max_updated_at = newest
        records: Sequence[Sequence[Any]]
        if not derived:
            records = batch
        else:
            hi = batch[-1][0]
            taxes = _tax_totals(tax_side.until(hi)) if tax_side else {}
            centres = cc_side.until(hi) if cc_side else {}
            receipts = rc_side.until(hi) if rc_side else {}
            out: list[Sequence[Any]] = []
            for r in batch:
                rec = list(r)
                if has_base:
                    a, c, b = r[i_a], r[i_c], r[i_b]
                    rec.append(a if c == b else base_amount(a, c, r[i_r], b))
                if has_tax:
                    t = taxes.get(r[0])
                    rec += (t[0], t[1], single_rate(t[2], t[3])) if t else none3
                shares = centres.get(r[0]) if has_cc else None
                if has_cc:
                    rec += join_codes(shares) if shares and not split else none2
                if has_receipt:
                    docs = receipts.get(r[0])
                    rec.append(
                        receipt_url(company_id, docs[0][0], docs[0][1]) if docs and receipt_url else None
                    )
                if split and shares:
                    out += shaping.split_record(rec, shares, money_split, i_code, i_share)
                else:
                    out.append(rec)
            records = out
        summary.rows += len(records)
        summary.source_rows += len(batch)
        if progress is not None:
            progress(len(batch))
        yield records


class _Side:
    """An ordered side stream ``(expensable id, *values)``, taken batch by batch as the main rows advance."""

    def __init__(self, batches: Iterator[Sequence[Any]]) -> None:
        self.batches = batches
        self.pending: list[Any] = []
        self.done = False

    def until(self, last_id: int) -> dict[int, list[tuple[Any, ...]]]:
        """The rows of every id up to ``last_id``, grouped by id, in order."""
        found: dict[int, list[tuple[Any, ...]]] = {}
        while True:
            cut = 0
            for row in self.pending:
                if row[0] > last_id:
                    break
                found.setdefault(row[0], []).append(tuple(row[1:]))
                cut += 1
            if cut < len(self.pending):
                self.pending = self.pending[cut:]
                return found
            self.pending = []
            if self.done:
                return found
            nxt = next(self.batches, None)
            if nxt is None:
                self.done = True
                return found
            self.pending = list(nxt)


def _tax_totals(lines: dict[int, list[tuple[Any, ...]]]) -> dict[int, tuple[Any, ...]]:
    """Per claim: (sum of tax amounts, sum of bases, lowest rate, highest rate)."""
    out: dict[int, tuple[Any, ...]] = {}
    for key, rows in lines.items():
        amounts = [a for a, _, _ in rows if a is not None]
        bases = [b for _, b, _ in rows if b is not None]
        rates = [r for _, _, r in rows if r is not None]
        low = min(rates, key=Decimal) if rates else None
        high = max(rates, key=Decimal) if rates else None
        out[key] = (sum(amounts) if amounts else None, sum(bases) if bases else None, low, high)
    return out


def parse_ts_text(value: str) -> datetime:
    """A ``YYYY-MM-DDTHH:MM:SS.sssZ`` string back to an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------------------------------
# Checkpoints (incremental exports)
# --------------------------------------------------------------------------------------------------


def checkpoint_since(session: Session, *, company_id: int, dataset: str, name: str) -> datetime | None:
    """Where the incremental export ``name`` stopped (``None`` the first time)."""
    _check_checkpoint_name(name)
    cp = repository.get_checkpoint(session, company_id=company_id, dataset=dataset, name=name)
    return cp.updated_since if cp else None


def save_checkpoint(
    session: Session, *, company_id: int, dataset: str, name: str, summary: ExportSummary
) -> ExportCheckpoint:
    """Move the checkpoint to the newest change the export wrote (kept when it wrote nothing)."""
    _check_checkpoint_name(name)
    now = utcnow()
    cp = repository.get_checkpoint(session, company_id=company_id, dataset=dataset, name=name)
    newest = parse_ts_text(summary.max_updated_at) if summary.max_updated_at else None
    if cp is None:
        cp = repository.add(
            session,
            ExportCheckpoint(
                company_id=company_id,
                dataset=dataset,
                name=name,
                updated_since=newest,
                last_run_at=now,
                rows=0,
            ),
        )
    elif newest is not None and (cp.updated_since is None or newest > cp.updated_since):
        cp.updated_since = newest
    cp.last_run_at = now
    cp.rows = summary.rows
    session.flush()
    return cp


def _check_checkpoint_name(name: str) -> None:
    if not name or len(name) > 120 or not name.strip():
        raise ValidationFailed(
            "a checkpoint name is 1 to 120 characters",
            fields={"checkpoint": ["invalid name"]},
            code="invalid_option",
        )


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def write_file_atomically(chunks: Iterator[bytes], path: Path) -> int:
    """Write ``chunks`` to a temporary file beside ``path``, then rename it into place.

    Nothing appears at ``path`` unless every chunk was written; returns the number of bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                size += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


# --------------------------------------------------------------------------------------------------
# SQL reports
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Saved reports and schedules
# --------------------------------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$")


def create_report(
    session: Session,
    *,
    company_id: int,
    name: str,
    fmt: str | None = None,
    template: Template | None = None,
    sql: str | None = None,
    schedule: str | None = None,
    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S,
    config: SandboxConfig | None = None,
) -> ReportDefinition:
    """Save a report (a template or a read-only SQL query), optionally on a cron schedule.

    Everything is checked before anything is written: the name, the template, the SQL (by its text,
    then by a trial run returning no rows), the cron expression.
    """
    fields: dict[str, list[str]] = {}
    if not _NAME.match(name or ""):
        fields["name"] = ["1-120 characters: letters, digits, space, dot, dash, underscore"]
    if (template is None) == (sql is None):
        fields["report"] = ["give exactly one of a template or a SQL query"]
    if fields:
        raise ValidationFailed(
            f"invalid report: {next(iter(fields.values()))[0]}", fields=fields, code="invalid_report"
        )
    chosen_fmt = fmt or (template.format if template else None) or "csv"
    if chosen_fmt not in FORMATS:
        raise ValidationFailed(
            f"unknown format {chosen_fmt!r}; one of {', '.join(FORMATS)}",
            fields={"format": ["unknown format"]},
            code="unknown_format",
        )
    if repository.get_report_by_name(session, company_id=company_id, name=name) is not None:
        raise Conflict(f"a report named {name!r} exists already", code="duplicate_report_name")
    next_run = None
    cron_text = None
    if schedule is not None:
        try:
            cron = parse_cron(schedule)
        except CronError as exc:
            raise ValidationFailed(
                f"invalid cron expression: {exc}", fields={"schedule": [str(exc)]}, code="invalid_cron"
            ) from exc
        cron_text = cron.expression
        next_run = cron.next_after(utcnow())
    template_json = None
    dataset = None
    if template is not None:
        template = parse_template(template.model_dump(by_alias=True, exclude_none=True))
        plan_export(
            session, company_id=company_id, dataset=template.dataset, fmt=chosen_fmt, template=template
        )
        template_json = template.model_dump_json(by_alias=True, exclude_none=True)
        dataset = template.dataset
    if sql is not None:
        engine = _engine_of(session)
        trial = stream_sql_report(
            engine,
            company_id=company_id,
            sql=sql,
            fmt=chosen_fmt,
            timeout_s=query_timeout_s,
            trial=True,
            config=config,
        )
        for _ in trial.chunks:
            pass
        sql = check_sql(sql)
    now = utcnow()
    return repository.add(
        session,
        ReportDefinition(
            company_id=company_id,
            name=name,
            kind="template" if template is not None else "sql",
            dataset=dataset,
            template=template_json,
            sql=sql,
            format=chosen_fmt,
            schedule=cron_text,
            enabled=True,
            next_run_at=next_run,
            created_at=now,
            updated_at=now,
        ),
    )


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def list_reports(session: Session, *, company_id: int) -> list[ReportDefinition]:
    return repository.list_reports(session, company_id=company_id)


def find_report(session: Session, *, company_id: int, ref: str) -> ReportDefinition:
    """A report of the company by id (digits) or by name."""
    report = None
    if ref.isdigit():
        report = repository.get_report(session, company_id=company_id, report_id=int(ref))
    if report is None:
        report = repository.get_report_by_name(session, company_id=company_id, name=ref)
    if report is None:
        raise NotFound(f"report {ref!r} not found", code="report_not_found")
    return report


def delete_report(session: Session, *, company_id: int, ref: str) -> ReportDefinition:
    report = find_report(session, company_id=company_id, ref=ref)
    repository.delete_report(session, report)
    return report


def report_runs(session: Session, *, company_id: int, report_id: int, limit: int = 20) -> list[ReportRun]:
    return repository.list_runs(session, company_id=company_id, report_id=report_id, limit=limit)


def report_template(report: ReportDefinition) -> Template | None:
    return parse_template(json.loads(report.template)) if report.template else None


def report_path(reports_dir: Path, report: ReportDefinition, when: datetime) -> Path:
    """Where a run's file goes: ``<dir>/company-<id>/<report name>/<YYYYMMDDTHHMMSSZ>.<ext>``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", report.name).strip("-.") or f"report-{report.id}"
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    return reports_dir / f"company-{report.company_id}" / slug / f"{stamp}.{EXTENSIONS[report.format]}"


def start_run(session: Session, report: ReportDefinition, *, trigger: str, now: datetime) -> ReportRun:
    return repository.add(
        session,
        ReportRun(
            company_id=report.company_id,
            report_id=report.id,
            trigger=trigger,
            status="running",
            started_at=now,
        ),
    )


def produce_report(
    session: Session,
    report: ReportDefinition,
    *,
    out: Path,
    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S,
    receipt_url: ReceiptUrl | None = None,
    config: SandboxConfig | None = None,
) -> ExportSummary:
    """Run ``report`` and write its file at ``out`` atomically; the summary of what was written."""
    if report.kind == "sql":
        stream = stream_sql_report(
            _engine_of(session),
            company_id=report.company_id,
            sql=report.sql or "",
            fmt=report.format,
            timeout_s=query_timeout_s,
            config=config,
        )
        write_file_atomically(stream.chunks, out)
        return stream.summary
    template = report_template(report)
    assert template is not None
    plan = plan_export(
        session, company_id=report.company_id, dataset=template.dataset, fmt=report.format, template=template
    )
    summary = ExportSummary()
    write_file_atomically(stream_export(session, plan, summary=summary, receipt_url=receipt_url), out)
    return summary


def finish_run(
    session: Session, run_id: int, *, ok: bool, rows: int | None, path: str | None, error: str | None
) -> ReportRun:
    run = repository.get_run(session, run_id)
    if run is None:
        raise NotFound(f"report run {run_id} not found")
    run.status = "succeeded" if ok else "failed"
    run.finished_at = utcnow()
    run.rows = rows
    run.path = path
    run.error = error[:2000] if error else None
    report = repository.get_report(session, company_id=run.company_id, report_id=run.report_id)
    if report is not None:
        report.last_run_at = run.finished_at
    session.flush()
    return run


def claim_due_reports(session: Session, *, now: datetime, limit: int = 10) -> list[int]:
    """Claim the reports due at ``now``: move each one's next run on, so no other worker runs it.

    Returns the ids claimed by this caller; commit the session before running them.
    """
    claimed: list[int] = []
    for report_id in repository.due_report_ids(session, now=now, limit=limit):
        report = repository.get_report_unscoped(session, report_id)
        if report is None or report.schedule is None or report.next_run_at is None:
            continue
        try:
            following = parse_cron(report.schedule).next_after(max(now, report.next_run_at))
        except CronError:
            following = None
        if repository.claim_report(
            session, report_id=report_id, due_at=report.next_run_at, next_run_at=following
        ):
            claimed.append(report_id)
    session.expire_all()
    return claimed


def report_by_id(session: Session, report_id: int) -> ReportDefinition:
    """A report by id whatever its company (the worker runs every company's reports)."""
    report = repository.get_report_unscoped(session, report_id)
    if report is None:
        raise NotFound(f"report {report_id} not found", code="report_not_found")
    return report


def default_company(session: Session, company_id: int | None) -> int:
    """``company_id``, or the only company when there is exactly one (commands without --company)."""
    if company_id is not None:
        if not repository.company_exists(session, company_id):
            raise NotFound(f"company {company_id} not found", code="company_not_found")
        return company_id
    ids = repository.company_ids(session, limit=2)
    if len(ids) != 1:
        raise ValidationFailed(
            "several companies exist: choose one with --company (see `expensehub companies`)"
            if ids
            else "no company exists yet (try `expensehub demo`)",
            fields={"company": ["required"]},
            code="company_required",
        )
    return ids[0]
