"""Checkpoints of incremental exports: where a named export stopped, moved on after each run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from expensehub.errors import ValidationFailed
from expensehub.exports import repository
from expensehub.exports.service.pipeline import ExportSummary, parse_ts_text
from expensehub.kit.clock import utcnow
from expensehub.models.exports import ExportCheckpoint


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
