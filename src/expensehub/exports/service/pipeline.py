"""Streaming a planned export: rows in batches, derived values added, bytes out.

The repository yields batches of plain rows (or CSV lines the database rendered); this module adds the
values the database cannot compute exactly (FX conversion, tax sums, cost-centre splits, receipt URLs)
and a writer turns the records into bytes. Memory stays flat whatever the size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from expensehub.exports import repository, shaping
from expensehub.exports.columns import DATASET_FILTERS, SPLIT_MONEY_COLUMNS
from expensehub.exports.service.plan import ExportPlan
from expensehub.exports.writers import write
from expensehub.exports.writers.base import text_cells
from expensehub.exports.writers.csv import csv_field, write_csv_lines

BATCH_ROWS = 5_000
# receipt_url(company_id, document_id, sha256) -> a download URL
ReceiptUrl = Callable[[int, int, str], str]


@dataclass
class ExportSummary:
    """Filled in while an export streams: rows written, totals per currency, last change seen."""

    rows: int = 0
    source_rows: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    max_updated_at: str | None = None

    def totals_text(self) -> dict[str, str]:
        return {cur: shaping.money_text(total, cur) or "0" for cur, total in sorted(self.totals.items())}


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
