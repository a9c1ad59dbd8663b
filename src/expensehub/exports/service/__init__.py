"""Use cases of the exports domain, one module per reason to change:

* ``plan``: planning an export (every input checked, columns laid out, nothing read yet);
* ``pipeline``: streaming a planned export (rows in batches, derived values, bytes out);
* ``checkpoints``: where an incremental export stopped;
* ``files``: writing export files atomically;
* ``sql``: SQL reports, checked and run in the report sandbox;
* ``reports``: saved reports, their schedules and runs, and the commands' company lookup.

An export is planned first (:func:`plan_export`), then streamed (:func:`stream_export`). Callers
import the names gathered here (``from expensehub.exports import service``).
"""

from __future__ import annotations

from expensehub.exports.service.checkpoints import checkpoint_since, save_checkpoint
from expensehub.exports.service.files import write_file_atomically
from expensehub.exports.service.pipeline import (
    BATCH_ROWS,
    ExportSummary,
    ReceiptUrl,
    count_rows,
    database_text_columns,
    database_totals,
    parse_ts_text,
    stream_export,
)
from expensehub.exports.service.plan import ExportPlan, check_filters, plan_export
from expensehub.exports.service.reports import (
    claim_due_reports,
    create_report,
    default_company,
    delete_report,
    find_report,
    finish_run,
    list_reports,
    produce_report,
    report_by_id,
    report_path,
    report_runs,
    report_template,
    start_run,
)
from expensehub.exports.service.sql import DEFAULT_QUERY_TIMEOUT_S, SqlStream, check_sql, stream_sql_report

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_QUERY_TIMEOUT_S",
    "ExportPlan",
    "ExportSummary",
    "ReceiptUrl",
    "SqlStream",
    "check_filters",
    "check_sql",
    "checkpoint_since",
    "claim_due_reports",
    "count_rows",
    "create_report",
    "database_text_columns",
    "database_totals",
    "default_company",
    "delete_report",
    "find_report",
    "finish_run",
    "list_reports",
    "parse_ts_text",
    "plan_export",
    "produce_report",
    "report_by_id",
    "report_path",
    "report_runs",
    "report_template",
    "save_checkpoint",
    "start_run",
    "stream_export",
    "stream_sql_report",
    "write_file_atomically",
]
