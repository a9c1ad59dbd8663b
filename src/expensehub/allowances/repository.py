"""SQL of the allowances checks and reports, and of per diem rate configurations. Every query is scoped by
company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from expensehub.db.sql import grouped
from expensehub.models import Category, Employee, Expensable, Expense, LegalEntity, Mileage, PerDiem
from expensehub.models.allowances import PerDiemRate, PerDiemRateConfiguration


def categorised_expenses(
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


def _paid_by(stmt: Any, entity: Any, company_id: int) -> Any:
    """``stmt`` (over ``Expensable``) joined to the claim's employee and, outer, to ``entity`` (a
    ``LegalEntity`` alias): the paying legal entity, the claim's, else the employee's (as the payroll
    report)."""
    return stmt.join(
        Employee, and_(Employee.id == Expensable.employee_id, Employee.company_id == company_id)
    ).outerjoin(
        entity,
        and_(
            entity.id == func.coalesce(Expensable.legal_entity_id, Employee.legal_entity_id),
            entity.company_id == company_id,
        ),
    )


def _claims_base(company_id: int, kind: str, statuses: Sequence[str]) -> Any:
    entity = aliased(LegalEntity)
    claims = select(
        Expensable.id.label("expensable_id"),
        Expensable.employee_id,
        Employee.first_name,
        Employee.last_name,
        Expensable.effective_on,
        Expensable.amount,
        Expensable.currency,
        entity.country.label("country"),
    )
    return _paid_by(claims, entity, company_id).where(
        Expensable.company_id == company_id,
        Expensable.type == kind,
        Expensable.status.in_(statuses),
    )


def _payable(
    session: Session,
    kind: str,
    detail: type[PerDiem] | type[Mileage],
    columns: Sequence[Any],
    company_id: int,
    date_from: date,
    date_to: date,
    statuses: Sequence[str],
) -> Sequence[Any]:
    """Claims of ``kind`` in ``statuses`` whose ``effective_on`` is in the window, with the employer's
    country and ``columns`` of their ``detail`` row, by employee, date and id."""
    stmt = (
        _claims_base(company_id, kind, statuses)
        .add_columns(*columns)
        .join(detail, and_(detail.expensable_id == Expensable.id, detail.company_id == company_id))
        .where(Expensable.effective_on >= date_from, Expensable.effective_on <= date_to)
        .order_by(Expensable.employee_id, Expensable.effective_on, Expensable.id)
    )
    return session.execute(stmt).all()


def payable_per_diems(
    session: Session, *, company_id: int, date_from: date, date_to: date, statuses: Sequence[str]
) -> Sequence[Any]:
    """Per diems in ``statuses`` whose ``effective_on`` is in the window, with the employer's country."""
    columns = (
        PerDiem.id.label("per_diem_id"),
        PerDiem.start_date,
        PerDiem.end_date,
        PerDiem.destination,
        PerDiem.trip_inputs,
        PerDiem.statutory_amount,
    )
    return _payable(session, "perdiem", PerDiem, columns, company_id, date_from, date_to, statuses)


def payable_mileages(
    session: Session, *, company_id: int, date_from: date, date_to: date, statuses: Sequence[str]
) -> Sequence[Any]:
    """Mileages in ``statuses`` dated in the window (the caller passes the tax year's start as
    ``date_from`` to know each employee's year-to-date distance), with the employer's country."""
    columns = (
        Mileage.distance,
        Mileage.units,
        Mileage.round_trip,
        Mileage.vehicle,
        Mileage.passengers,
        Mileage.fiscal_horsepower,
        Mileage.electric,
    )
    return _payable(session, "mileage", Mileage, columns, company_id, date_from, date_to, statuses)


# --------------------------------------------------------------------------------------------------
# Pricing claims through the expenses API
# --------------------------------------------------------------------------------------------------


def employer_country(
    session: Session, *, company_id: int, legal_entity_id: int | None, employee_id: int | None
) -> str | None:
    """Country of the paying legal entity: the claim's, else the employee's (as the payroll report)."""
    if legal_entity_id is None and employee_id is not None:
        legal_entity_id = session.scalar(
            select(Employee.legal_entity_id).where(
                Employee.company_id == company_id, Employee.id == employee_id
            )
        )
    if legal_entity_id is None:
        return None
    return session.scalar(
        select(LegalEntity.country).where(
            LegalEntity.company_id == company_id, LegalEntity.id == legal_entity_id
        )
    )


def mileage_legs(
    session: Session,
    *,
    company_id: int,
    employee_id: int,
    date_from: date,
    date_to: date,
    ignored_statuses: Sequence[str],
) -> Sequence[Any]:
    """The employee's mileages dated in the window and not in ``ignored_statuses``, with the employer's
    country of each, ordered by date then id."""
    entity = aliased(LegalEntity)
    legs = select(
        Expensable.id.label("expensable_id"),
        Expensable.effective_on,
        Mileage.distance,
        Mileage.units,
        Mileage.round_trip,
        Mileage.vehicle,
        entity.country.label("country"),
    ).join(Mileage, and_(Mileage.expensable_id == Expensable.id, Mileage.company_id == company_id))
    stmt = (
        _paid_by(legs, entity, company_id)
        .where(
            Expensable.company_id == company_id,
            Expensable.type == "mileage",
            Expensable.employee_id == employee_id,
            Expensable.status.not_in(ignored_statuses),
            Expensable.effective_on >= date_from,
            Expensable.effective_on <= date_to,
        )
        .order_by(Expensable.effective_on, Expensable.id)
    )
    return session.execute(stmt).all()


_CONFIG_KEY = ("company_id", "table_id", "destination_key", "day_kind", "amount")


def rate_configurations(
    session: Session, *, company_id: int, rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, str, str, int], int]:
    """Ids of the company's configurations for ``rows`` (dicts of the configuration's columns), creating
    the missing ones; keyed by (table_id, destination_key, day_kind, amount). Safe under concurrency: an
    insert that loses a race does nothing and the winner's row is read back."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    wanted = {(r["table_id"], r["destination_key"], r["day_kind"], r["amount"]): r for r in rows}
    found = _configuration_ids(session, company_id, wanted)
    missing = [dict(r, company_id=company_id) for k, r in wanted.items() if k not in found]
    if missing:
        stmt = insert_fn(PerDiemRateConfiguration).values(missing)
        session.execute(stmt.on_conflict_do_nothing(index_elements=list(_CONFIG_KEY)))
        found = _configuration_ids(session, company_id, wanted)
    return found


def _configuration_ids(
    session: Session, company_id: int, keys: Iterable[tuple[str, str, str, int]]
) -> dict[tuple[str, str, str, int], int]:
    wanted = set(keys)
    c = PerDiemRateConfiguration
    stmt = select(c.id, c.table_id, c.destination_key, c.day_kind, c.amount).where(
        c.company_id == company_id, c.table_id.in_({k[0] for k in wanted})
    )
    out: dict[tuple[str, str, str, int], int] = {}
    for row in session.execute(stmt):
        key = (row.table_id, row.destination_key, row.day_kind, row.amount)
        if key in wanted:
            out[key] = row.id
    return out


def per_diem_rates(session: Session, *, company_id: int, per_diem_id: int) -> list[PerDiemRate]:
    return list(
        session.scalars(
            select(PerDiemRate)
            .where(PerDiemRate.company_id == company_id, PerDiemRate.per_diem_id == per_diem_id)
            .order_by(PerDiemRate.id)
        )
    )


def delete_per_diem_rates(session: Session, *, company_id: int, ids: Iterable[int]) -> None:
    wanted = set(ids)
    if wanted:
        session.execute(
            delete(PerDiemRate).where(PerDiemRate.company_id == company_id, PerDiemRate.id.in_(wanted))
        )


def add_per_diem_rates(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PerDiemRate), list(rows))


def rate_table_ids(session: Session, *, company_id: int, per_diem_ids: Iterable[int]) -> dict[int, list[str]]:
    """The rate tables each per diem's stored rates come from, in the order the rates were linked."""
    wanted = set(per_diem_ids)
    if not wanted:
        return {}
    stmt = (
        select(PerDiemRate.per_diem_id, PerDiemRateConfiguration.table_id)
        .join(
            PerDiemRateConfiguration,
            and_(
                PerDiemRateConfiguration.id == PerDiemRate.rate_configuration_id,
                PerDiemRateConfiguration.company_id == company_id,
            ),
        )
        .where(PerDiemRate.company_id == company_id, PerDiemRate.per_diem_id.in_(wanted))
        .order_by(PerDiemRate.per_diem_id, PerDiemRate.id)
    )
    return {
        per_diem_id: list(dict.fromkeys(tables)) for per_diem_id, tables in grouped(session, stmt).items()
    }
