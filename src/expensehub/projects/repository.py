"""SQL for projects. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expensehub.errors import Conflict
from expensehub.models import Expensable, LegalEntity, Project

# Expense statuses that count as spent: approved and everything after approval.
SPENT_STATUSES = ("approved", "in_payroll", "sent_to_pay", "paid")


def add_or_conflict(session: Session, project: Project) -> Project:
    session.add(project)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("a project with this code exists", code="duplicate_code") from exc
    return project


def project_code_taken(
    session: Session, *, company_id: int, code: str, exclude_id: int | None = None
) -> bool:
    """Whether a project of the company that is not deleted (other than ``exclude_id``) has ``code``."""
    stmt = select(Project.id).where(
        Project.company_id == company_id, Project.code == code, Project.deleted_at.is_(None)
    )
    if exclude_id is not None:
        stmt = stmt.where(Project.id != exclude_id)
    return session.execute(stmt.limit(1)).first() is not None


def flush_or_conflict(session: Session) -> None:
    """Flush; a unique code written concurrently by another request is the same 409 as the check's."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("a project with this code exists", code="duplicate_code") from exc


def first_legal_entity_id(session: Session, *, company_id: int) -> int | None:
    return session.scalar(
        select(LegalEntity.id).where(LegalEntity.company_id == company_id).order_by(LegalEntity.id).limit(1)
    )


def spending_by_project(session: Session, *, company_id: int, project_ids: Sequence[int]) -> dict[int, int]:
    """Approved-or-later expense amounts per project, in the project's legal entity currency.

    One grouped query for a whole page. An expense counts with its amount when that is in the
    entity currency, else with its reimbursable amount when that is; otherwise it is left out
    (no exchange rate is applied here).
    """
    if not project_ids:
        return {}
    e = Expensable
    amount = case(
        (e.currency == LegalEntity.currency, func.coalesce(e.amount, 0)),
        (e.reimbursable_currency == LegalEntity.currency, func.coalesce(e.reimbursable_amount, 0)),
        else_=0,
    )
    rows = session.execute(
        select(e.project_id, func.sum(amount))
        .join(Project, Project.id == e.project_id)
        .join(LegalEntity, LegalEntity.id == Project.legal_entity_id)
        .where(
            e.company_id == company_id,
            Project.company_id == company_id,
            e.project_id.in_(set(project_ids)),
            e.status.in_(SPENT_STATUSES),
        )
        .group_by(e.project_id)
    )
    return {int(pid): int(total or 0) for pid, total in rows}
