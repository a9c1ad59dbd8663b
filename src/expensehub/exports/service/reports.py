"""Saved reports and their schedules: create, find, delete, run (template or SQL), claim due runs.

Also the commands' company lookup (``default_company``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from expensehub.errors import Conflict, NotFound, ValidationFailed
from expensehub.exports import repository
from expensehub.exports.cron import CronError, parse_cron
from expensehub.exports.sandbox import SandboxConfig
from expensehub.exports.service.files import write_file_atomically
from expensehub.exports.service.pipeline import ExportSummary, ReceiptUrl, stream_export
from expensehub.exports.service.plan import plan_export
from expensehub.exports.service.sql import DEFAULT_QUERY_TIMEOUT_S, check_sql, stream_sql_report
from expensehub.exports.templates import Template, parse_template
from expensehub.exports.writers import EXTENSIONS, FORMATS
from expensehub.kit.clock import utcnow
from expensehub.models.exports import ReportDefinition, ReportRun

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
