"""Scheduled reports in the worker: claim what is due, run it, write the file, record the run.

One transaction per step: the claim (which moves ``next_run_at`` on, so another worker never runs the
same occurrence; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), the start of the run, the report itself
(read-only), and the outcome (with a ``reports/report_run/completed`` webhook event when webhooks
are configured with that event type).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.exports import service
from expensehub.exports.sandbox import SandboxConfig
from expensehub.kit.clock import format_ts, utcnow
from expensehub.models.exports import ReportDefinition, ReportRun

REPORT_RUN_EVENT = "reports/report_run/completed"


@dataclass(frozen=True)
class ReportOutcome:
    """What one run did."""

    run_id: int
    report_id: int
    company_id: int
    name: str
    ok: bool
    rows: int | None
    path: str | None
    error: str | None


def run_due_reports(
    factory: sessionmaker[Session],
    *,
    reports_dir: Path,
    query_timeout_s: float = service.DEFAULT_QUERY_TIMEOUT_S,
    sandbox: SandboxConfig | None = None,
    now: datetime | None = None,
    limit: int = 10,
) -> list[ReportOutcome]:
    """Run every scheduled report due at ``now`` (default: the current time), at most ``limit``."""
    moment = now or utcnow()
    with transaction(factory) as session:
        claimed = service.claim_due_reports(session, now=moment, limit=limit)
    return [
        run_report(
            factory,
            report_id,
            trigger="schedule",
            reports_dir=reports_dir,
            query_timeout_s=query_timeout_s,
            sandbox=sandbox,
        )
        for report_id in claimed
    ]


def run_report(
    factory: sessionmaker[Session],
    report_id: int,
    *,
    trigger: str,
    reports_dir: Path | None = None,
    out: Path | None = None,
    query_timeout_s: float = service.DEFAULT_QUERY_TIMEOUT_S,
    sandbox: SandboxConfig | None = None,
) -> ReportOutcome:
    """Run one report now: its file at ``out``, else under ``reports_dir``; the run is recorded.

    The callers (``expensehub worker``, ``expensehub reports run``) pass the ``reports_dir`` and
    ``query_timeout_s`` of the settings, or of their command-line options, and the report sandbox of
    the settings (``EXPENSEHUB_REPORT_DATABASE_URL``, ``EXPENSEHUB_REPORT_MEMORY_LIMIT_MB``).
    """
    started = utcnow()
    with transaction(factory) as session:
        report = _report(session, report_id)
        run_id = service.start_run(session, report, trigger=trigger, now=started).id
        company_id, name = report.company_id, report.name
        if out is not None:
            path = out
        elif reports_dir is not None:
            path = service.report_path(reports_dir, report, started)
        else:  # nothing is recorded: the transaction rolls back
            raise ValueError("run_report needs out or reports_dir")
    rows: int | None = None
    error: str | None = None
    try:
        with transaction(factory) as session:
            summary = service.produce_report(
                session,
                _report(session, report_id),
                out=path,
                query_timeout_s=query_timeout_s,
                config=sandbox,
            )
            rows = summary.rows
            session.rollback()
    except Exception as exc:  # a failed run is recorded, not raised: the worker carries on
        error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        # Not logged here: the caller reports each outcome once (the worker's "report run" log line,
        # the CLI's one-line summary).
    ok = error is None
    with transaction(factory) as session:
        run = service.finish_run(
            session, run_id, ok=ok, rows=rows, path=str(path) if ok else None, error=error
        )
        _emit(session, run, name)
    return ReportOutcome(
        run_id=run_id,
        report_id=report_id,
        company_id=company_id,
        name=name,
        ok=ok,
        rows=rows,
        path=str(path) if ok else None,
        error=error,
    )


def _report(session: Session, report_id: int) -> ReportDefinition:
    return service.report_by_id(session, report_id)


def run_payload(run: ReportRun, name: str) -> dict[str, Any]:
    """The report run as an event payload (integer ids; the version registry renders them)."""
    return {
        "id": run.id,
        "company_id": run.company_id,
        "report_id": run.report_id,
        "report_name": name,
        "trigger": run.trigger,
        "status": run.status,
        "rows": run.rows,
        "file_name": Path(run.path).name if run.path else None,
        "error": run.error,
        "started_at": format_ts(run.started_at),
        "finished_at": format_ts(run.finished_at),
    }


def _emit(session: Session, run: ReportRun, name: str) -> None:
    """Queue the webhook event when the webhooks domain knows the event type."""
    try:
        from expensehub.webhooks import rules as webhook_rules
        from expensehub.webhooks import service as webhooks
    except ImportError:  # no webhooks in this build
        return
    if REPORT_RUN_EVENT not in webhook_rules.EVENT_TYPES:
        return
    webhooks.emit(
        session,
        company_id=run.company_id,
        event_type=REPORT_RUN_EVENT,
        payload=run_payload(run, name),
        author=webhooks.Author.company(run.company_id),  # the worker or the CLI runs it for the company
    )
