"""SQL for companies, legal entities and employees. Every query is scoped by company.

The lists and gets of legal entities and employees are ``resources.py`` descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.models import Access, Company, Employee


def get_company(session: Session, company_id: int) -> Company | None:
    return session.get(Company, company_id)


def list_companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.id)))


def existing_employee_ids(session: Session, *, company_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are employees of the company."""
    if not ids:
        return set()
    rows = session.scalars(
        select(Employee.id).where(Employee.company_id == company_id, Employee.id.in_(set(ids)))
    )
    return set(rows)


def new_access(session: Session, *, company_id: int, email: str | None) -> Access:
    return add(session, Access(company_id=company_id, email=email))
