"""SQL of the expenses domain. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from expensehub.db.locking import for_update
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import grouped
from expensehub.models import (
    Account,
    ApprovalFlow,
    ApprovalFlowApprover,
    Category,
    CostCenter,
    Employee,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    LegalEntity,
    Mileage,
    PerDiem,
    Project,
)
from expensehub.models.allowances import PerDiemRate
from expensehub.models.banking import Card, CardPayment
from expensehub.models.documents import ExpenseFile

# --------------------------------------------------------------------------------------------------
# Reference data the claims point at
# --------------------------------------------------------------------------------------------------

_REFERENCED: dict[str, Any] = {
    "employee": Employee,
    "category": Category,
    "project": Project,
    "ledger_account": Account,
    "legal_entity": LegalEntity,
    "cost_center": CostCenter,
    "card_payment": CardPayment,
    "card": Card,
}


def existing_ids(session: Session, *, company_id: int, kind: str, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` name a row of ``kind`` (employee, category, ...) visible in the company."""
    wanted = set(ids)
    if not wanted:
        return set()
    model = _REFERENCED[kind]
    stmt = select(model.id).where(model.company_id == company_id, model.id.in_(wanted))
    if model is CostCenter or model is Project:  # soft-deleted ones take no new claims
        stmt = stmt.where(model.deleted_at.is_(None))
    return set(session.scalars(stmt))


def get_employee(session: Session, *, company_id: int, employee_id: int) -> Employee | None:
    return session.scalars(
        select(Employee).where(Employee.company_id == company_id, Employee.id == employee_id)
    ).first()


def employees_by_id(session: Session, *, company_id: int, ids: Iterable[int]) -> dict[int, Employee]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Employee).where(Employee.company_id == company_id, Employee.id.in_(wanted)))
    return {e.id: e for e in rows}


def legal_entity_currency(session: Session, *, company_id: int, legal_entity_id: int) -> str | None:
    return session.scalar(
        select(LegalEntity.currency).where(
            LegalEntity.company_id == company_id, LegalEntity.id == legal_entity_id
        )
    )


# --------------------------------------------------------------------------------------------------
# Child rows of a page of claims (the views of ``resources.py``)
# --------------------------------------------------------------------------------------------------


def cost_centers_of(session: Session, expensable_ids: Iterable[int]) -> dict[int, list[int]]:
    """Cost-centre ids of each expensable, in their stored order (one query for a whole page)."""
    wanted = set(expensable_ids)
    if not wanted:
        return {}
    stmt = (
        select(ExpensableCostCenter.expensable_id, ExpensableCostCenter.cost_center_id)
        .where(ExpensableCostCenter.expensable_id.in_(wanted))
        .order_by(
            ExpensableCostCenter.expensable_id,
            ExpensableCostCenter.position,
            ExpensableCostCenter.cost_center_id,
        )
    )
    return grouped(session, stmt)


def taxes_of(session: Session, expense_ids: Iterable[int]) -> dict[int, list[ExpenseTax]]:
    """Tax lines of each expense (one query for a whole page)."""
    wanted = set(expense_ids)
    if not wanted:
        return {}
    stmt = (
        select(ExpenseTax.expense_id, ExpenseTax)
        .where(ExpenseTax.expense_id.in_(wanted))
        .order_by(ExpenseTax.id)
    )
    return grouped(session, stmt)


def per_diem_rates_of(
    session: Session, *, company_id: int, per_diem_ids: Iterable[int]
) -> dict[int, list[PerDiemRate]]:
    """The ``rates`` of each per diem, in link order (one query for a whole page)."""
    wanted = set(per_diem_ids)
    if not wanted:
        return {}
    stmt = (
        select(PerDiemRate.per_diem_id, PerDiemRate)
        .where(PerDiemRate.company_id == company_id, PerDiemRate.per_diem_id.in_(wanted))
        .order_by(PerDiemRate.per_diem_id, PerDiemRate.id)
    )
    return grouped(session, stmt)


def categories_by_id(session: Session, *, company_id: int, ids: Iterable[int]) -> dict[int, Category]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    stmt = select(Category).where(Category.company_id == company_id, Category.id.in_(wanted))
    return {c.id: c for c in session.scalars(stmt)}


# --------------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------------


def lock_expensables(session: Session, *, company_id: int, ids: Iterable[int]) -> dict[int, Expensable]:
    """The company's expensables among ``ids``, fresh from the database and locked (``db/locking.py``)."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = (
        select(Expensable)
        .where(Expensable.company_id == company_id, Expensable.id.in_(wanted))
        .order_by(Expensable.id)
    )
    return {x.id: x for x in session.scalars(for_update(session, stmt))}


def replace_cost_centers(session: Session, *, expensable_id: int, shares: Sequence[tuple[int, Any]]) -> None:
    session.execute(delete(ExpensableCostCenter).where(ExpensableCostCenter.expensable_id == expensable_id))
    for position, (cost_center_id, percentage) in enumerate(shares):
        session.add(
            ExpensableCostCenter(
                expensable_id=expensable_id,
                cost_center_id=cost_center_id,
                percentage=percentage,
                position=position,
            )
        )
    session.flush()


def replace_taxes(session: Session, *, expense_id: int, taxes: Sequence[ExpenseTax]) -> None:
    session.execute(delete(ExpenseTax).where(ExpenseTax.expense_id == expense_id))
    session.add_all(taxes)
    session.flush()


def duplicate_candidates(
    session: Session,
    *,
    company_id: int,
    employee_id: int,
    effective_on: date,
    amount: int,
    currency: str,
) -> list[tuple[int, str | None, str | None]]:
    """``(expensable id, user_merchant, merchant_name)`` of earlier non-rejected expenses that match."""
    stmt = (
        select(Expensable.id, Expense.user_merchant, Expense.merchant_name)
        .join(Expense, Expense.expensable_id == Expensable.id)
        .where(
            Expensable.company_id == company_id,
            Expensable.employee_id == employee_id,
            Expensable.effective_on == effective_on,
            Expensable.amount == amount,
            Expensable.currency == currency,
            Expensable.type == "expense",
            Expensable.status != "rejected",
        )
        .order_by(Expensable.id)
    )
    return [(r[0], r[1], r[2]) for r in session.execute(stmt)]


def delete_expensable(session: Session, *, company_id: int, expensable_id: int) -> None:
    """Delete a claim and its detail rows; claims flagged as its duplicates lose the flag."""
    session.execute(
        update(Expensable)
        .where(Expensable.company_id == company_id, Expensable.duplicate_of_id == expensable_id)
        .values(duplicate_of_id=None)
        .execution_options(synchronize_session="fetch")
    )
    expense_ids = select(Expense.id).where(Expense.expensable_id == expensable_id).scalar_subquery()
    session.execute(delete(ExpenseTax).where(ExpenseTax.expense_id.in_(expense_ids)))
    # Its receipts stop being receipts; the documents themselves stay.
    session.execute(
        delete(ExpenseFile).where(
            ExpenseFile.company_id == company_id, ExpenseFile.expense_id.in_(expense_ids)
        )
    )
    per_diem_ids = select(PerDiem.id).where(PerDiem.expensable_id == expensable_id).scalar_subquery()
    session.execute(
        delete(PerDiemRate).where(
            PerDiemRate.company_id == company_id, PerDiemRate.per_diem_id.in_(per_diem_ids)
        )
    )
    for model in (Expense, Mileage, PerDiem):
        session.execute(
            delete(model).where(model.company_id == company_id, model.expensable_id == expensable_id)
        )
    session.execute(delete(ExpensableCostCenter).where(ExpensableCostCenter.expensable_id == expensable_id))
    session.execute(
        delete(ApprovalFlowApprover).where(
            ApprovalFlowApprover.flow_id.in_(
                select(ApprovalFlow.id).where(
                    ApprovalFlow.company_id == company_id, ApprovalFlow.resource_id == expensable_id
                )
            )
        )
    )
    session.execute(
        delete(ApprovalFlow).where(
            ApprovalFlow.company_id == company_id, ApprovalFlow.resource_id == expensable_id
        )
    )
    session.execute(
        delete(Expensable)
        .where(Expensable.company_id == company_id, Expensable.id == expensable_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()


# --------------------------------------------------------------------------------------------------
# Approval flows
# --------------------------------------------------------------------------------------------------


def latest_flow(
    session: Session, *, company_id: int, resource_type: str, resource_id: int
) -> ApprovalFlow | None:
    """The most recent flow of a resource (a new one is created on each submission)."""
    return session.scalars(
        select(ApprovalFlow)
        .where(
            ApprovalFlow.company_id == company_id,
            ApprovalFlow.resource_type == resource_type,
            ApprovalFlow.resource_id == resource_id,
        )
        .order_by(ApprovalFlow.id.desc())
        .limit(1)
    ).first()


def approvers_of(session: Session, flow_id: int) -> list[ApprovalFlowApprover]:
    return list(
        session.scalars(
            select(ApprovalFlowApprover)
            .where(ApprovalFlowApprover.flow_id == flow_id)
            .order_by(ApprovalFlowApprover.id)
        )
    )
