"""Read-only SQL of the allowances checks and reports. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from expensehub.models import Category, Employee, Expensable, Expense, LegalEntity, Mileage, PerDiem


def _categorised_expenses(
    session: Session,
    *,
    company_id: int,
    date_from: date,
    date_to: date,
    identifiers: frozenset[str],
    ignored_statuses: Sequence[str],
) -> Sequence[Any]:
    """Receipt-backed expenses in the window whose category (or its parent) has one of ``identifiers``."""
    cat = aliased(Category)
    parent = aliased(Category)
    names = sorted(identifiers)
    stmt = (
        select(
            Expensable.id.label("expensable_id"),
            Expense.id.label("expense_id"),
            Expensable.employee_id,
            Expensable.effective_on,
            Expensable.amount,
            Expensable.currency,
            cat.id.label("category_id"),
            cat.identifier.label("category_identifier"),
        )
        .join(Expense, and_(Expense.expensable_id == Expensable.id, Expense.company_id == company_id))
        .join(cat, and_(cat.id == Expensable.category_id, cat.company_id == company_id))
        .outerjoin(parent, and_(parent.id == cat.parent_category_id, parent.company_id == company_id))
        .where(
            Expensable.company_id == company_id,
            Expensable.type == "expense",
            Expensable.status.not_in(ignored_statuses),
            Expensable.effective_on >= date_from,
            Expensable.effective_on <= date_to,
            or_(func.lower(cat.identifier).in_(names), func.lower(parent.identifier).in_(names)),
        )
        .order_by(Expensable.effective_on, Expensable.employee_id, Expensable.id)
    )
    return session.execute(stmt).all()


def meal_expenses(
    session: Session,
    *,
    company_id: int,
    date_from: date,
    date_to: date,
    identifiers: frozenset[str],
    ignored_statuses: Sequence[str],
) -> Sequence[Any]:
    """Meal expenses in the window (see ``rules.MEAL_CATEGORY_IDENTIFIERS``)."""
    return _categorised_expenses(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        identifiers=identifiers,
        ignored_statuses=ignored_statuses,
    )


def fuel_or_rental_expenses(
    session: Session,
    *,
    company_id: int,
    date_from: date,
    date_to: date,
    identifiers: frozenset[str],
    ignored_statuses: Sequence[str],
) -> Sequence[Any]:
    """Fuel and car-rental expenses in the window (see ``rules.FUEL_OR_RENTAL_CATEGORY_IDENTIFIERS``)."""
    return _categorised_expenses(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        identifiers=identifiers,
        ignored_statuses=ignored_statuses,
    )


def per_diems_overlapping(
    session: Session, *, company_id: int, date_from: date, date_to: date, ignored_statuses: Sequence[str]
) -> Sequence[Any]:
    """Per diems whose days (start_date..end_date, else effective_on) touch the window."""
    start = func.coalesce(PerDiem.start_date, Expensable.effective_on)
    end = func.coalesce(PerDiem.end_date, PerDiem.start_date, Expensable.effective_on)
    stmt = (
        select(
            Expensable.id.label("expensable_id"),
            PerDiem.id.label("per_diem_id"),
            Expensable.employee_id,
            start.label("start_date"),
            end.label("end_date"),
        )
        .join(PerDiem, and_(PerDiem.expensable_id == Expensable.id, PerDiem.company_id == company_id))
        .where(
            Expensable.company_id == company_id,
            Expensable.type == "perdiem",
            Expensable.status.not_in(ignored_statuses),
            start <= date_to,
            end >= date_from,
        )
        .order_by(Expensable.id)
    )
    return session.execute(stmt).all()


def mileages_between(
    session: Session, *, company_id: int, date_from: date, date_to: date, ignored_statuses: Sequence[str]
) -> Sequence[Any]:
    """Mileage claims dated in the window."""
    stmt = (
        select(
            Expensable.id.label("expensable_id"),
            Mileage.id.label("mileage_id"),
            Expensable.employee_id,
            Expensable.effective_on,
        )
        .join(Mileage, and_(Mileage.expensable_id == Expensable.id, Mileage.company_id == company_id))
        .where(
            Expensable.company_id == company_id,
            Expensable.type == "mileage",
            Expensable.status.not_in(ignored_statuses),
            Expensable.effective_on >= date_from,
            Expensable.effective_on <= date_to,
        )
        .order_by(Expensable.effective_on, Expensable.id)
    )
    return session.execute(stmt).all()


def _claims_base(company_id: int, kind: str, statuses: Sequence[str]) -> Any:
    entity = aliased(LegalEntity)
    return (
        select(
            Expensable.id.label("expensable_id"),
            Expensable.employee_id,
            Employee.first_name,
            Employee.last_name,
            Expensable.effective_on,
            Expensable.amount,
            Expensable.currency,
            entity.country.label("country"),
        )
        .join(Employee, and_(Employee.id == Expensable.employee_id, Employee.company_id == company_id))
        .outerjoin(
            entity,
            and_(
                entity.id == func.coalesce(Expensable.legal_entity_id, Employee.legal_entity_id),
                entity.company_id == company_id,
            ),
        )
        .where(
            Expensable.company_id == company_id,
            Expensable.type == kind,
            Expensable.status.in_(statuses),
        )
    )


def payable_per_diems(
    session: Session, *, company_id: int, date_from: date, date_to: date, statuses: Sequence[str]
) -> Sequence[Any]:
    """Per diems in ``statuses`` whose ``effective_on`` is in the window, with the employer's country."""
    stmt = (
        _claims_base(company_id, "perdiem", statuses)
        .add_columns(PerDiem.start_date, PerDiem.end_date, PerDiem.destination)
        .join(PerDiem, and_(PerDiem.expensable_id == Expensable.id, PerDiem.company_id == company_id))
        .where(Expensable.effective_on >= date_from, Expensable.effective_on <= date_to)
        .order_by(Expensable.employee_id, Expensable.effective_on, Expensable.id)
    )
    return session.execute(stmt).all()


def payable_mileages(
    session: Session, *, company_id: int, date_from: date, date_to: date, statuses: Sequence[str]
) -> Sequence[Any]:
    """Mileages in ``statuses`` dated in the window (the caller passes the tax year's start as
    ``date_from`` to know each employee's year-to-date distance), with the employer's country."""
    stmt = (
        _claims_base(company_id, "mileage", statuses)
        .add_columns(Mileage.distance, Mileage.units, Mileage.round_trip)
        .join(Mileage, and_(Mileage.expensable_id == Expensable.id, Mileage.company_id == company_id))
        .where(Expensable.effective_on >= date_from, Expensable.effective_on <= date_to)
        .order_by(Expensable.employee_id, Expensable.effective_on, Expensable.id)
    )
    return session.execute(stmt).all()
