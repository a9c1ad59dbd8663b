"""SQL for categories, cost centres, memberships, ledger accounts and their mappings.

Every query is scoped by company. Deleted cost centres (``deleted_at`` set) are invisible here,
and so are the memberships that point at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expensehub.db.locking import for_update
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import contains_pattern
from expensehub.errors import Conflict
from expensehub.models import (
    Account,
    Category,
    CostCenter,
    CostCenterMembership,
    Employee,
    LedgerAccountResource,
)


def flush_or_conflict(session: Session, message: str, code: str) -> None:
    """Flush; a unique key broken by a concurrent writer becomes a 409 instead of a crash."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code=code) from exc


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _ilike_any(text: str, *cols: Any) -> Any:
    pattern = contains_pattern(text)
    return or_(*(col.ilike(pattern, escape="\\") for col in cols))


# --- categories ---------------------------------------------------------------------------------


def category_by_identifier(session: Session, *, company_id: int, identifier: str) -> Category | None:
    """The category (not deleted) with this identifier, if any."""
    return session.scalars(
        select(Category)
        .where(
            Category.company_id == company_id,
            Category.identifier == identifier,
            Category.status != "deleted",
        )
        .order_by(Category.id)
    ).first()


# --- cost centres -------------------------------------------------------------------------------


def cost_centers_by_id(session: Session, *, company_id: int, ids: Sequence[int]) -> dict[int, CostCenter]:
    """The company's cost centres (not deleted) among ``ids``."""
    if not ids:
        return {}
    rows = session.scalars(
        select(CostCenter).where(
            CostCenter.company_id == company_id,
            CostCenter.id.in_(set(ids)),
            CostCenter.deleted_at.is_(None),
        )
    )
    return {cc.id: cc for cc in rows}


def cost_center_code_taken(
    session: Session, *, company_id: int, code: str, exclude_id: int | None = None
) -> bool:
    stmt = select(CostCenter.id).where(
        CostCenter.company_id == company_id, CostCenter.code == code, CostCenter.deleted_at.is_(None)
    )
    if exclude_id is not None:
        stmt = stmt.where(CostCenter.id != exclude_id)
    return session.execute(stmt.limit(1)).first() is not None


def employee_counts(
    session: Session, *, company_id: int, cost_center_ids: Sequence[int], today: date
) -> dict[int, tuple[int, int]]:
    """(active today, ever) distinct employees per cost centre, for a whole page in one query."""
    if not cost_center_ids:
        return {}
    m = CostCenterMembership
    active = and_(m.start_date <= today, or_(m.end_date.is_(None), m.end_date >= today))
    rows = session.execute(
        select(
            m.cost_center_id,
            func.count(distinct(case((active, m.employee_id), else_=None))),
            func.count(distinct(m.employee_id)),
        )
        .where(m.company_id == company_id, m.cost_center_id.in_(set(cost_center_ids)))
        .group_by(m.cost_center_id)
    )
    return {cc_id: (int(act), int(ever)) for cc_id, act, ever in rows}


# --- memberships --------------------------------------------------------------------------------


def memberships_covering(
    session: Session, *, company_id: int, employee_id: int, day: date
) -> list[CostCenterMembership]:
    """The employee's memberships covering ``day`` (of cost centres not deleted), oldest first."""
    m = CostCenterMembership
    stmt = (
        select(m)
        .join(CostCenter, CostCenter.id == m.cost_center_id)
        .where(
            m.company_id == company_id,
            CostCenter.company_id == company_id,
            CostCenter.deleted_at.is_(None),
            m.employee_id == employee_id,
            m.start_date <= day,
            or_(m.end_date.is_(None), m.end_date >= day),
        )
        .order_by(m.id)
    )
    return list(session.scalars(stmt))


def lock_employee(session: Session, *, company_id: int, employee_id: int) -> bool:
    """Lock the employee's row (``db/locking.py``): one change of their cost-centre split at a time.

    False when the company has no such employee."""
    stmt = select(Employee.id).where(Employee.company_id == company_id, Employee.id == employee_id)
    return session.execute(for_update(session, stmt)).first() is not None


def employee_memberships(
    session: Session, *, company_id: int, employee_id: int
) -> list[CostCenterMembership]:
    """Every membership of the employee (history included), oldest first."""
    return list(
        session.scalars(
            select(CostCenterMembership)
            .where(
                CostCenterMembership.company_id == company_id, CostCenterMembership.employee_id == employee_id
            )
            .order_by(CostCenterMembership.id)
        )
    )


def remove(session: Session, objs: Sequence[Any]) -> None:
    for obj in objs:
        session.delete(obj)
    session.flush()


# --- accounts -----------------------------------------------------------------------------------


def account_by_external_id(session: Session, *, company_id: int, external_id: str) -> Account | None:
    return session.scalars(
        select(Account).where(Account.company_id == company_id, Account.external_id == external_id)
    ).first()


def account_by_number(
    session: Session, *, company_id: int, legal_entity_id: int, number: str
) -> Account | None:
    """The oldest account with this number in the legal entity."""
    return session.scalars(
        select(Account)
        .where(
            Account.company_id == company_id,
            Account.legal_entity_id == legal_entity_id,
            Account.number == number,
        )
        .order_by(Account.id)
    ).first()


# --- ledger account resources -------------------------------------------------------------------


def ledger_account_resource_by_key(
    session: Session, *, company_id: int, legal_entity_id: int, resource_type: str, resource_id: int
) -> LedgerAccountResource | None:
    r = LedgerAccountResource
    return session.scalars(
        select(r).where(
            r.company_id == company_id,
            r.legal_entity_id == legal_entity_id,
            r.resource_type == resource_type,
            r.resource_id == resource_id,
        )
    ).first()
