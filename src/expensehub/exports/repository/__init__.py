"""SQL of the exports domain, one module per reason to change:

* ``text``: canonical text of dates, timestamps and decimals, made by the database;
* ``datasets``: the three export datasets (fields, joins, filters) and streaming their rows;
* ``csvlines``: CSV lines rendered by the database (the fast path of text exports);
* ``views``: the report views (what report SQL may read; run by ``exports/sandbox.py``);
* ``reports``: report definitions, runs, schedules, checkpoints, and the CLI's company lookups.

Export rows never become ORM objects: each query is a SQLAlchemy Core SELECT of plain columns,
streamed in batches, with dates, timestamps and decimals formatted by the database, identically on
SQLite and PostgreSQL. Every query is scoped by company. The names the service uses are gathered here.
"""

from __future__ import annotations

from expensehub.db.sql import add
from expensehub.exports.repository.csvlines import (
    DB_DERIVED,
    LineLayout,
    TextColumn,
    csv_lines_query,
    stream_lines,
)
from expensehub.exports.repository.datasets import (
    Filters,
    count_rows,
    currency_totals,
    dialect_of,
    rows_query,
    side_query,
    source_fields,
    stream,
)
from expensehub.exports.repository.reports import (
    claim_report,
    company_exists,
    company_ids,
    delete_report,
    due_report_ids,
    get_checkpoint,
    get_report,
    get_report_by_name,
    get_report_unscoped,
    get_run,
    list_reports,
    list_runs,
    ping,
)
from expensehub.exports.repository.views import REPORT_VIEWS, report_view_selects

__all__ = [
    "DB_DERIVED",
    "REPORT_VIEWS",
    "Filters",
    "LineLayout",
    "TextColumn",
    "add",
    "claim_report",
    "company_exists",
    "company_ids",
    "count_rows",
    "csv_lines_query",
    "currency_totals",
    "delete_report",
    "dialect_of",
    "due_report_ids",
    "get_checkpoint",
    "get_report",
    "get_report_by_name",
    "get_report_unscoped",
    "get_run",
    "list_reports",
    "list_runs",
    "ping",
    "report_view_selects",
    "rows_query",
    "side_query",
    "source_fields",
    "stream",
    "stream_lines",
]
