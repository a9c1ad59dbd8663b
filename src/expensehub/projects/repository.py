"""SQL for projects. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expensehub.db.pagination import paginate
from expensehub.db.sql import contains_pattern
from expensehub.errors import Conflict
from expensehub.kit.pagination import Page, PageRequest
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


def get_project(session: Session, *, company_id: int, project_id: int) -> Project | None:
    return session.scalars(
        select(Project).where(Project.company_id == company_id, Project.id == project_id)
    ).first()


def project_code_taken(session: Session, *, company_id: int, code: str) -> bool:
    stmt = select(Project.id).where(Project.company_id == company_id, Project.code == code).limit(1)
    return session.execute(stmt).first() is not None


def first_legal_entity_id(session: Session, *, company_id: int) -> int | None:
    return session.scalar(
        select(LegalEntity.id).where(LegalEntity.company_id == company_id).order_by(LegalEntity.id).limit(1)
    )


def projects_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    name: str | None = None,
    name_or_code: str | None = None,
    updated_after: date | None = None,
    legal_entity_id: int | None = None,
    client_ids: Sequence[int] | None = None,
    no_clients: bool | None = None,
    total_currency: str | None = None,
) -> Select[Any]:
    stmt = select(Project).where(Project.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(Project.id.in_(ids))
    if name:
        stmt = stmt.where(Project.name.ilike(contains_pattern(name), escape="\\"))
    if name_or_code:
        pattern = contains_pattern(name_or_code)
        stmt = stmt.where(
            or_(Project.name.ilike(pattern, escape="\\"), Project.code.ilike(pattern, escape="\\"))
        )
    if updated_after is not None:
        stmt = stmt.where(Project.updated_at >= datetime.combine(updated_after, time(0), tzinfo=UTC))
    if legal_entity_id is not None:
        stmt = stmt.where(Project.legal_entity_id == legal_entity_id)
    if client_ids is not None:
        stmt = stmt.where(Project.client_id.in_(client_ids))
    if no_clients:
        stmt = stmt.where(Project.client_id.is_(None))
    if total_currency is not None:
        entities = select(LegalEntity.id).where(
            LegalEntity.company_id == company_id, LegalEntity.currency == total_currency
        )
        stmt = stmt.where(Project.legal_entity_id.in_(entities))
    return stmt


def page_projects(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, Project.id, req, lambda row: row[0].id)


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
