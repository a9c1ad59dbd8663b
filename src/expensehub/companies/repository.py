"""SQL for companies, legal entities and employees. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from expensehub.db.pagination import paginate
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import contains_pattern, prefix_pattern
from expensehub.kit.pagination import Page, PageRequest
from expensehub.models import Access, Company, Employee, LegalEntity


def get_company(session: Session, company_id: int) -> Company | None:
    return session.get(Company, company_id)


def list_companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.id)))


def get_legal_entity(session: Session, *, company_id: int, legal_entity_id: int) -> LegalEntity | None:
    return session.scalars(
        select(LegalEntity).where(LegalEntity.company_id == company_id, LegalEntity.id == legal_entity_id)
    ).first()


def legal_entities_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    employee_ids: Sequence[int] | None = None,
    country_codes: Sequence[str] | None = None,
) -> Select[Any]:
    stmt = select(LegalEntity).where(LegalEntity.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(LegalEntity.id.in_(ids))
    if country_codes is not None:
        stmt = stmt.where(LegalEntity.country.in_([c.lower() for c in country_codes]))
    if employee_ids is not None:
        stmt = stmt.where(
            exists().where(
                Employee.legal_entity_id == LegalEntity.id,
                Employee.company_id == company_id,
                Employee.id.in_(employee_ids),
            )
        )
    return stmt


def page_legal_entities(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, LegalEntity.id, req, lambda row: row[0].id)


def get_employee(session: Session, *, company_id: int, employee_id: int) -> Employee | None:
    return session.scalars(
        select(Employee).where(Employee.company_id == company_id, Employee.id == employee_id)
    ).first()


def existing_employee_ids(session: Session, *, company_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are employees of the company."""
    if not ids:
        return set()
    rows = session.scalars(
        select(Employee.id).where(Employee.company_id == company_id, Employee.id.in_(set(ids)))
    )
    return set(rows)


def employees_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    access_ids: Sequence[int] | None = None,
    emails: Sequence[str] | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    full_text_name: str | None = None,
    name_starts_with: str | None = None,
    company_identifier: str | None = None,
    only_active: bool | None = None,
    only_managers: bool | None = None,
    updated_at_gteq: date | None = None,
    location_ids: Sequence[int] | None = None,
) -> Select[Any]:
    stmt = select(Employee).where(Employee.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(Employee.id.in_(ids))
    if access_ids is not None:
        stmt = stmt.where(Employee.access_id.in_(access_ids))
    if emails is not None:
        stmt = stmt.where(Employee.email.in_(emails))
    if legal_entity_ids is not None:
        stmt = stmt.where(Employee.legal_entity_id.in_(legal_entity_ids))
    if location_ids is not None:
        stmt = stmt.where(Employee.location_id.in_(location_ids))
    if full_text_name:
        pattern = contains_pattern(full_text_name)
        full = Employee.first_name + " " + Employee.last_name
        stmt = stmt.where(full.ilike(pattern, escape="\\"))
    if name_starts_with:
        pattern = prefix_pattern(name_starts_with)
        stmt = stmt.where(
            Employee.first_name.ilike(pattern, escape="\\") | Employee.last_name.ilike(pattern, escape="\\")
        )
    if company_identifier is not None:
        stmt = stmt.where(Employee.company_identifier == company_identifier)
    if only_active:
        stmt = stmt.where(Employee.terminated_on.is_(None))
    if only_managers:
        stmt = stmt.where(Employee.is_manager.is_(True))
    if updated_at_gteq is not None:
        # A date (the time part is ignored, as Factorial documents): from midnight UTC on.
        since = datetime.combine(updated_at_gteq, time(0), tzinfo=UTC)
        stmt = stmt.where(Employee.updated_at >= since)
    return stmt


def page_employees(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, Employee.id, req, lambda row: row[0].id)


def new_access(session: Session, *, company_id: int, email: str | None) -> Access:
    return add(session, Access(company_id=company_id, email=email))
