"""SQL for companies, legal entities and employees. Every query is scoped by company.

The lists and gets of legal entities and employees are ``resources.py`` descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from expensehub.db.locking import for_update
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.models import (
    Access,
    Account,
    Company,
    CostCenter,
    Employee,
    LedgerAccountResource,
    LegalEntity,
    Project,
)
from expensehub.models.banking import BankAccount


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


def employee_with(
    session: Session, *, company_id: int, email: str | None, identifier: str | None, exclude_id: int | None
) -> Employee | None:
    """An employee of the company (other than ``exclude_id``) holding this e-mail (any case) or identifier."""
    conditions = []
    if email is not None:
        conditions.append(func.lower(Employee.email) == email.lower())
    if identifier is not None:
        conditions.append(Employee.company_identifier == identifier)
    if not conditions:
        return None
    query = select(Employee).where(Employee.company_id == company_id, or_(*conditions))
    if exclude_id is not None:
        query = query.where(Employee.id != exclude_id)
    return session.scalars(query.order_by(Employee.id).limit(1)).first()


def employees_by_identifier(
    session: Session, *, company_id: int, identifiers: Sequence[str]
) -> list[Employee]:
    """The company's employees with these identifiers (for imports)."""
    if not identifiers:
        return []
    query = select(Employee).where(
        Employee.company_id == company_id, Employee.company_identifier.in_(set(identifiers))
    )
    return list(session.scalars(query))


def manager_of(session: Session, *, employee_id: int) -> int | None:
    return session.scalar(select(Employee.manager_id).where(Employee.id == employee_id))


def direct_reports(session: Session, *, company_id: int, manager_id: int) -> list[Employee]:
    """Employees whose direct or time-off manager is ``manager_id``, in id order, locked for update."""
    query = (
        select(Employee)
        .where(
            Employee.company_id == company_id,
            or_(Employee.manager_id == manager_id, Employee.timeoff_manager_id == manager_id),
        )
        .order_by(Employee.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def legal_entity_in_use(session: Session, *, legal_entity_id: int) -> bool:
    """Whether anything whose amounts or books depend on the entity's currency refers to it."""
    users = (
        Employee.legal_entity_id,
        Project.legal_entity_id,
        BankAccount.legal_entity_id,
        Account.legal_entity_id,
        LedgerAccountResource.legal_entity_id,
        CostCenter.legal_entity_id,
    )
    return bool(session.scalar(select(or_(*(exists().where(column == legal_entity_id) for column in users)))))


def legal_entities_of(session: Session, *, company_id: int) -> list[LegalEntity]:
    return list(
        session.scalars(
            select(LegalEntity).where(LegalEntity.company_id == company_id).order_by(LegalEntity.id)
        )
    )


def lock_company(session: Session, *, company_id: int) -> None:
    """Hold the company's row until the transaction ends: work that must not run twice at once for one
    company (a roster import) takes turns on it."""
    session.execute(for_update(session, select(Company.id).where(Company.id == company_id)))
