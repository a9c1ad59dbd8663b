"""Reports, runs, schedules and checkpoints; the company lookups the CLI defaults to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    delete,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from expensehub.exports.repository.datasets import dialect_of
from expensehub.models import (
    Company,
)
from expensehub.models.exports import ExportCheckpoint, ReportDefinition, ReportRun

# --------------------------------------------------------------------------------------------------
# Companies (CLI defaults)
# --------------------------------------------------------------------------------------------------


def company_ids(session: Session, limit: int = 2) -> list[int]:
    return list(session.scalars(select(Company.id).order_by(Company.id).limit(limit)))


def company_exists(session: Session, company_id: int) -> bool:
    return session.get(Company, company_id) is not None


# --------------------------------------------------------------------------------------------------
# Reports, runs, schedules, checkpoints
# --------------------------------------------------------------------------------------------------


def get_report(session: Session, *, company_id: int, report_id: int) -> ReportDefinition | None:
    return session.scalars(
        select(ReportDefinition).where(
            ReportDefinition.company_id == company_id, ReportDefinition.id == report_id
        )
    ).first()


def get_report_by_name(session: Session, *, company_id: int, name: str) -> ReportDefinition | None:
    return session.scalars(
        select(ReportDefinition).where(
            ReportDefinition.company_id == company_id, ReportDefinition.name == name
        )
    ).first()


def list_reports(session: Session, *, company_id: int) -> list[ReportDefinition]:
    return list(
        session.scalars(
            select(ReportDefinition)
            .where(ReportDefinition.company_id == company_id)
            .order_by(ReportDefinition.id)
        )
    )


def delete_report(session: Session, report: ReportDefinition) -> None:
    session.execute(delete(ReportRun).where(ReportRun.report_id == report.id))
    session.delete(report)
    session.flush()


def due_report_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Ids of enabled, scheduled reports whose next run is due, oldest first.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``: two workers never pick the same one.
    """
    stmt = (
        select(ReportDefinition.id)
        .where(
            ReportDefinition.enabled.is_(True),
            ReportDefinition.schedule.is_not(None),
            ReportDefinition.next_run_at.is_not(None),
            ReportDefinition.next_run_at <= now,
        )
        .order_by(ReportDefinition.next_run_at, ReportDefinition.id)
        .limit(limit)
    )
    if dialect_of(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def claim_report(session: Session, *, report_id: int, due_at: datetime, next_run_at: datetime | None) -> bool:
    """Move a due report's ``next_run_at`` on, only if nobody did it first (compare-and-set)."""
    result = session.execute(
        update(ReportDefinition)
        .where(ReportDefinition.id == report_id, ReportDefinition.next_run_at == due_at)
        .values(next_run_at=next_run_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def get_report_unscoped(session: Session, report_id: int) -> ReportDefinition | None:
    """A report by id, whatever its company (the worker acts for every company)."""
    return session.get(ReportDefinition, report_id)


def get_run(session: Session, run_id: int) -> ReportRun | None:
    return session.get(ReportRun, run_id)


def list_runs(session: Session, *, company_id: int, report_id: int, limit: int = 20) -> list[ReportRun]:
    return list(
        session.scalars(
            select(ReportRun)
            .where(ReportRun.company_id == company_id, ReportRun.report_id == report_id)
            .order_by(ReportRun.id.desc())
            .limit(limit)
        )
    )


def get_checkpoint(session: Session, *, company_id: int, dataset: str, name: str) -> ExportCheckpoint | None:
    return session.scalars(
        select(ExportCheckpoint).where(
            ExportCheckpoint.company_id == company_id,
            ExportCheckpoint.dataset == dataset,
            ExportCheckpoint.name == name,
        )
    ).first()


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
