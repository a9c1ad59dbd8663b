"""SQL for categories, cost centres, memberships, ledger accounts and their mappings.

Every query is scoped by company. Deleted cost centres (``deleted_at`` set) are invisible here,
and so are the memberships that point at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, and_, case, distinct, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expensehub.db.locking import for_update
from expensehub.db.pagination import paginate
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import contains_pattern
from expensehub.errors import Conflict
from expensehub.kit.pagination import Page, PageRequest
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


def get_category(session: Session, *, company_id: int, category_id: int) -> Category | None:
    return session.scalars(
        select(Category).where(Category.company_id == company_id, Category.id == category_id)
    ).first()


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


def categories_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    company_ids: Sequence[int] | None = None,
    parent_category_ids: Sequence[int] | None = None,
    level: str = "all",
    type: str = "all",
    statuses: Sequence[str] = ("enabled", "disabled"),
    search: str | None = None,
) -> Select[Any]:
    stmt = select(Category).where(Category.company_id == company_id, Category.status.in_(list(statuses)))
    if company_ids is not None and company_id not in company_ids:
        stmt = stmt.where(false())
    if ids is not None:
        stmt = stmt.where(Category.id.in_(ids))
    if parent_category_ids is not None:
        stmt = stmt.where(Category.parent_category_id.in_(parent_category_ids))
    if level == "category":
        stmt = stmt.where(Category.parent_category_id.is_(None))
    elif level == "subcategory":
        stmt = stmt.where(Category.parent_category_id.is_not(None))
    if type != "all":
        stmt = stmt.where(Category.type == type)
    if search:
        stmt = stmt.where(_ilike_any(search, Category.label, Category.default_label, Category.identifier))
    return stmt


def page_categories(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, Category.id, req, lambda row: row[0].id)


# --- cost centres -------------------------------------------------------------------------------


def get_cost_center(
    session: Session, *, company_id: int, cost_center_id: int, lock: bool = False
) -> CostCenter | None:
    """The company's cost centre, unless deleted; ``lock``: read current and locked (``db/locking.py``)."""
    stmt = select(CostCenter).where(
        CostCenter.company_id == company_id,
        CostCenter.id == cost_center_id,
        CostCenter.deleted_at.is_(None),
    )
    return session.scalars(for_update(session, stmt) if lock else stmt).first()


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


def cost_centers_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    company_filter: int | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    active_on: date | None = None,
    search: str | None = None,
) -> Select[Any]:
    stmt = select(CostCenter).where(CostCenter.company_id == company_id, CostCenter.deleted_at.is_(None))
    if company_filter is not None and company_filter != company_id:
        stmt = stmt.where(false())
    if ids is not None:
        stmt = stmt.where(CostCenter.id.in_(ids))
    if legal_entity_ids is not None:
        stmt = stmt.where(CostCenter.legal_entity_id.in_(legal_entity_ids))
    if active_on is not None:
        stmt = stmt.where(
            or_(CostCenter.deactivation_date.is_(None), CostCenter.deactivation_date > active_on)
        )
    if search:
        stmt = stmt.where(_ilike_any(search, CostCenter.name, CostCenter.code))
    return stmt


def page_cost_centers(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, CostCenter.id, req, lambda row: row[0].id)


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


def memberships_query(
    *,
    company_id: int,
    company_filter: int | None = None,
    cost_center_ids: Sequence[int] | None = None,
    employee_id: int | None = None,
    not_ended_on: date | None = None,
    covering: Sequence[date] = (),
) -> Select[Any]:
    m = CostCenterMembership
    stmt = (
        select(m)
        .join(CostCenter, CostCenter.id == m.cost_center_id)
        .where(
            m.company_id == company_id, CostCenter.company_id == company_id, CostCenter.deleted_at.is_(None)
        )
    )
    if company_filter is not None and company_filter != company_id:
        stmt = stmt.where(false())
    if cost_center_ids is not None:
        stmt = stmt.where(m.cost_center_id.in_(cost_center_ids))
    if employee_id is not None:
        stmt = stmt.where(m.employee_id == employee_id)
    if not_ended_on is not None:
        stmt = stmt.where(or_(m.end_date.is_(None), m.end_date >= not_ended_on))
    for day in covering:
        stmt = stmt.where(m.start_date <= day, or_(m.end_date.is_(None), m.end_date >= day))
    return stmt


def page_memberships(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, CostCenterMembership.id, req, lambda row: row[0].id)


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


def get_account(session: Session, *, company_id: int, account_id: int, lock: bool = False) -> Account | None:
    stmt = select(Account).where(Account.company_id == company_id, Account.id == account_id)
    return session.scalars(for_update(session, stmt) if lock else stmt).first()


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


def accounts_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    types: Sequence[str] | None = None,
    number: str | None = None,
    updated_from: date | None = None,
) -> Select[Any]:
    stmt = select(Account).where(Account.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(Account.id.in_(ids))
    if legal_entity_ids is not None:
        stmt = stmt.where(Account.legal_entity_id.in_(legal_entity_ids))
    if types is not None:
        stmt = stmt.where(Account.type.in_(types))
    if number is not None:
        stmt = stmt.where(Account.number == number)
    if updated_from is not None:
        stmt = stmt.where(Account.updated_at >= _day_start(updated_from))
    return stmt


def page_accounts(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, Account.id, req, lambda row: row[0].id)


# --- ledger account resources -------------------------------------------------------------------


def get_ledger_account_resource(
    session: Session, *, company_id: int, resource_id: int
) -> LedgerAccountResource | None:
    return session.scalars(
        select(LedgerAccountResource).where(
            LedgerAccountResource.company_id == company_id, LedgerAccountResource.id == resource_id
        )
    ).first()


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


def ledger_account_resources_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    resource_ids: Sequence[int] | None = None,
    resource_type: str | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    updated_from: date | None = None,
    account_ids: Sequence[int] | None = None,
) -> Select[Any]:
    r = LedgerAccountResource
    stmt = select(r).where(r.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(r.id.in_(ids))
    if resource_ids is not None:
        stmt = stmt.where(r.resource_id.in_(resource_ids))
    if resource_type is not None:
        stmt = stmt.where(r.resource_type == resource_type)
    if legal_entity_ids is not None:
        stmt = stmt.where(r.legal_entity_id.in_(legal_entity_ids))
    if updated_from is not None:
        stmt = stmt.where(r.updated_at >= _day_start(updated_from))
    if account_ids is not None:
        stmt = stmt.where(r.account_id.in_(account_ids))
    return stmt


def page_ledger_account_resources(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, LedgerAccountResource.id, req, lambda row: row[0].id)
