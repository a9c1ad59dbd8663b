"""Use cases of the allowances extension: simulations (pure, nothing stored), receipt checks and the
payroll adjustments report (read-only, scoped by company)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from expensehub.allowances import repository, rules, schemas
from expensehub.allowances.mileage import MileageClaim, Point, compute_mileage, convert, tax_year
from expensehub.allowances.perdiem import FixedRate, Policy, Trip, compute_per_diem
from expensehub.allowances.tables import find_table
from expensehub.errors import ValidationFailed
from expensehub.kit.clock import format_date
from expensehub.kit.money import to_decimal

MAX_CHECK_DAYS = 366
MIN_YEAR, MAX_YEAR = 1901, 2998

# --------------------------------------------------------------------------------------------------
# Simulations
# --------------------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationFailed(
            f"unknown timezone {name!r}",
            fields={"timezone": ["must be an IANA timezone name, e.g. Europe/Berlin"]},
            code="unknown_timezone",
        ) from exc


def _trip_times(body: schemas.PerDiemSimulationBody) -> tuple[datetime, datetime, str]:
    start, end = body.start, body.end
    outside = [n for n, v in (("start", start), ("end", end)) if not MIN_YEAR <= v.year <= MAX_YEAR]
    if outside:
        raise ValidationFailed(
            "dates out of range",
            fields={n: [f"the year must be between {MIN_YEAR} and {MAX_YEAR}"] for n in outside},
            code="invalid_trip",
        )
    if body.timezone is not None:
        tz = _zone(body.timezone)
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
        end = end.replace(tzinfo=tz) if end.tzinfo is None else end.astimezone(tz)
        return start, end, body.timezone
    naive = [name for name, value in (("start", start), ("end", end)) if value.tzinfo is None]
    if naive:
        raise ValidationFailed(
            "start and end need a UTC offset, or a timezone",
            fields={name: ["needs a UTC offset (e.g. +01:00) or the `timezone` field"] for name in naive},
            code="invalid_trip",
        )
    return start, end, start.tzname() or "UTC"


def _policy(body: schemas.PolicyIn | None) -> Policy | None:
    if body is None:
        return None
    fixed: dict[str, FixedRate] | None = None
    if body.fixed_rates is not None:
        fixed = {}
        for r in body.fixed_rates:
            key = r.country.lower()
            if key in fixed:
                raise ValidationFailed(
                    "duplicate fixed rate",
                    fields={"policy.fixed_rates": [f"{key!r} is listed twice"]},
                    code="invalid_policy",
                )
            fixed[key] = FixedRate(full_day=r.full_day, partial_day=r.partial_day)
    return Policy(multiplier=body.multiplier, fixed_rates=fixed, deduct_meals=body.deduct_meals)


def simulate_per_diem(body: schemas.PerDiemSimulationBody) -> dict[str, Any]:
    """Price a trip with the statutory rules and the company policy; nothing is stored."""
    start, end, tz_name = _trip_times(body)
    meals: dict[date, set[str]] = defaultdict(set)
    for m in body.meals_provided:
        meals[m.date].update(
            name for name, on in (("breakfast", m.breakfast), ("lunch", m.lunch), ("dinner", m.dinner)) if on
        )
    trip = Trip(
        country=body.country.lower(),
        start=start,
        end=end,
        destination_country=body.destination_country.lower(),
        destination_city=body.destination_city,
        meals_provided={d: frozenset(v) for d, v in meals.items() if v},
        overnight_stays=None if body.overnight_stays is None else frozenset(body.overnight_stays),
        locality_mie=body.locality_mie,
    )
    result = compute_per_diem(trip, _policy(body.policy))
    return schemas.per_diem_out(result, tz_name)


def _point(p: schemas.PointIn | None) -> Point | None:
    return None if p is None else Point(latitude=p.latitude, longitude=p.longitude)


def simulate_mileage(body: schemas.MileageSimulationBody) -> dict[str, Any]:
    """Price a mileage with the statutory rules; nothing is stored."""
    claim = MileageClaim(
        country=body.country.lower(),
        date=body.date,
        distance=body.distance,
        unit=body.unit,
        vehicle=body.vehicle,
        electric=body.electric,
        fiscal_horsepower=body.fiscal_horsepower,
        passengers=body.passengers,
        round_trip=body.round_trip,
        ytd_distance=body.ytd_distance,
        origin=_point(body.origin),
        destination=_point(body.destination),
    )
    result = compute_mileage(claim)
    one_way = result.distance / (2 if body.round_trip else 1)
    return schemas.mileage_out(result, one_way)


# --------------------------------------------------------------------------------------------------
# Receipt checks
# --------------------------------------------------------------------------------------------------


def _check_range(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise ValidationFailed(
            "to is before from", fields={"to": ["must be on or after from"]}, code="invalid_range"
        )
    if (date_to - date_from).days >= MAX_CHECK_DAYS:
        raise ValidationFailed(
            "range too long",
            fields={"to": [f"at most {MAX_CHECK_DAYS} days after from"]},
            code="invalid_range",
        )


def _flag(kind: str, expense: Any, related_id: int, related_type: str, message: str) -> dict[str, Any]:
    return {
        "type": kind,
        "employee_id": expense.employee_id,
        "date": format_date(expense.effective_on),
        "expensable_id": expense.expensable_id,
        "expense_id": expense.expense_id,
        "amount": expense.amount,
        "currency": expense.currency,
        "category_id": expense.category_id,
        "category_identifier": expense.category_identifier,
        "related_expensable_id": related_id,
        "related_type": related_type,
        "message": message,
    }


def receipt_checks(session: Session, *, company_id: int, date_from: date, date_to: date) -> dict[str, Any]:
    """Meal expenses on days a per diem of the same employee covers (double claims), and mileages on a day
    with a fuel or car-rental expense of the same employee (to review)."""
    _check_range(date_from, date_to)
    flags: list[dict[str, Any]] = []

    covered: dict[tuple[int, date], list[int]] = defaultdict(list)
    for pd in repository.per_diems_overlapping(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        ignored_statuses=rules.IGNORED_STATUSES,
    ):
        first = max(pd.start_date, date_from)
        last = min(max(pd.end_date, pd.start_date), date_to)
        for day in rules.covered_days(first, last):
            covered[(pd.employee_id, day)].append(pd.expensable_id)
    for meal in repository.meal_expenses(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        identifiers=rules.MEAL_CATEGORY_IDENTIFIERS,
        ignored_statuses=rules.IGNORED_STATUSES,
    ):
        for per_diem_id in covered.get((meal.employee_id, meal.effective_on), []):
            flags.append(
                _flag(
                    "double_claim",
                    meal,
                    per_diem_id,
                    "perdiem",
                    "meal expense on a day covered by a per diem of the same employee: the per diem already "
                    "pays for meals",
                )
            )

    mileages: dict[tuple[int, date], list[int]] = defaultdict(list)
    for mi in repository.mileages_between(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        ignored_statuses=rules.IGNORED_STATUSES,
    ):
        mileages[(mi.employee_id, mi.effective_on)].append(mi.expensable_id)
    for fuel in repository.fuel_or_rental_expenses(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        identifiers=rules.FUEL_OR_RENTAL_CATEGORY_IDENTIFIERS,
        ignored_statuses=rules.IGNORED_STATUSES,
    ):
        for mileage_id in mileages.get((fuel.employee_id, fuel.effective_on), []):
            flags.append(
                _flag(
                    "mileage_with_fuel_or_rental",
                    fuel,
                    mileage_id,
                    "mileage",
                    "mileage claimed on a day with a fuel or car-rental expense: the mileage rate already "
                    "covers fuel, and a rented car is not the employee's own",
                )
            )
    flags.sort(key=lambda f: (f["date"], f["employee_id"], f["expensable_id"], f["related_expensable_id"]))
    return {
        "from": format_date(date_from),
        "to": format_date(date_to),
        "meal_category_identifiers": sorted(rules.MEAL_CATEGORY_IDENTIFIERS),
        "fuel_or_rental_category_identifiers": sorted(rules.FUEL_OR_RENTAL_CATEGORY_IDENTIFIERS),
        "flags": flags,
    }


# --------------------------------------------------------------------------------------------------
# Payroll adjustments
# --------------------------------------------------------------------------------------------------


@dataclass
class _Group:
    employee_id: int
    employee_name: str
    currency: str
    sums: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    not_computed: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def _item(row: Any, kind: str) -> dict[str, Any]:
    return {
        "expensable_id": row.expensable_id,
        "type": kind,
        "effective_on": format_date(row.effective_on),
        "currency": row.currency,
        "claimed_amount": row.amount or 0,
        "statutory_amount": None,
        "tax_free_amount": None,
        "taxable_amount": None,
        "computed": False,
        "reason": None,
        "rate_table_ids": [],
    }


def _settle(
    item: dict[str, Any], statutory: int, currency: str, claim_currency: str, tables: list[str]
) -> None:
    item["rate_table_ids"] = tables
    if currency != claim_currency:
        item["reason"] = f"the claim is in {claim_currency}, the statutory rates in {currency}"
        return
    claimed = item["claimed_amount"]
    tax_free = min(claimed, statutory)
    item.update(
        statutory_amount=statutory, tax_free_amount=tax_free, taxable_amount=claimed - tax_free, computed=True
    )


def _per_diem_item(row: Any) -> dict[str, Any]:
    item = _item(row, "perdiem")
    if row.country is None:
        item["reason"] = "no legal entity on the claim or its employee: the employer's country is unknown"
        return item
    start = row.start_date or row.effective_on
    end = row.end_date or start
    try:
        trip = rules.assumed_trip(
            country=row.country, start_date=start, end_date=end, destination=row.destination
        )
        result = compute_per_diem(trip)
    except ValidationFailed as exc:
        item["reason"] = exc.message
        return item
    _settle(item, result.totals.statutory, result.currency, row.currency, [t.id for t in result.tables])
    return item


def _mileage_items(rows: Sequence[Any], date_from: date) -> list[dict[str, Any]]:
    """Items for the rows dated from ``date_from``; earlier rows only add to the year-to-date distance."""
    running_km: dict[tuple[int, str, date], Decimal] = defaultdict(Decimal)
    items: list[dict[str, Any]] = []
    for row in rows:
        unit = row.units if row.units in ("km", "mi") else "km"
        legs = 2 if row.round_trip else 1
        driven = Decimal(row.distance or 0) * legs
        key: tuple[int, str, date] | None = None
        reason: str | None = None
        if row.country is None:
            reason = "no legal entity on the claim or its employee: the employer's country is unknown"
        else:
            try:
                table = find_table(row.country, "mileage", row.effective_on)
                key = (row.employee_id, row.country, tax_year(table, row.effective_on).start)
            except ValidationFailed as exc:
                reason = exc.message
        ytd_km = running_km[key] if key is not None else Decimal(0)
        if key is not None:
            running_km[key] += convert(driven, unit, "km")
        if row.effective_on < date_from:
            continue
        item = _item(row, "mileage")
        items.append(item)
        if reason is not None:
            item["reason"] = reason
            continue
        if not row.distance or row.distance <= 0:
            item["reason"] = "the claim has no distance"
            continue
        claim = MileageClaim(
            country=row.country,
            date=row.effective_on,
            distance=Decimal(row.distance),
            unit=unit,
            round_trip=bool(row.round_trip),
            ytd_distance=convert(ytd_km, "km", unit),
        )
        try:
            result = compute_mileage(claim)
        except ValidationFailed as exc:
            item["reason"] = exc.message
            continue
        _settle(item, result.amount, result.currency, row.currency, [result.table.id])
    return items


def payroll_adjustments(session: Session, *, company_id: int, month: str) -> dict[str, Any]:
    """Per employee (and currency), the month's per diems and mileages in a payable status with the part of
    each that exceeds the statutory tax-free amount: what payroll must add to taxable pay."""
    first, last = rules.month_bounds(month)
    per_diems = repository.payable_per_diems(
        session, company_id=company_id, date_from=first, date_to=last, statuses=rules.PAYABLE_STATUSES
    )
    # The earliest tax year a claim of this month can belong to starts on 6 April of the previous year (UK).
    ytd_from = date(first.year - 1, 4, 6)
    mileages = repository.payable_mileages(
        session, company_id=company_id, date_from=ytd_from, date_to=last, statuses=rules.PAYABLE_STATUSES
    )
    names = {r.employee_id: f"{r.first_name} {r.last_name}" for r in [*per_diems, *mileages]}
    groups: dict[tuple[int, str], _Group] = {}
    for item, employee_id in [(_per_diem_item(r), r.employee_id) for r in per_diems] + [
        (i, r.employee_id)
        for r, i in zip(
            [r for r in mileages if r.effective_on >= first], _mileage_items(mileages, first), strict=True
        )
    ]:
        key = (employee_id, item["currency"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(employee_id, names[employee_id], item["currency"])
        group.items.append(item)
        if not item["computed"]:
            group.not_computed += 1
            continue
        prefix = "per_diem" if item["type"] == "perdiem" else "mileage"
        group.sums[f"{prefix}_claimed_amount"] += item["claimed_amount"]
        group.sums[f"{prefix}_tax_free_amount"] += item["tax_free_amount"]
        group.sums[f"{prefix}_taxable_amount"] += item["taxable_amount"]
    employees = []
    for (employee_id, currency), g in sorted(groups.items()):
        g.items.sort(key=lambda i: (i["effective_on"] or "", i["expensable_id"]))
        employees.append(
            {
                "employee_id": employee_id,
                "employee_name": g.employee_name,
                "currency": currency,
                "per_diem_claimed_amount": g.sums["per_diem_claimed_amount"],
                "per_diem_tax_free_amount": g.sums["per_diem_tax_free_amount"],
                "per_diem_taxable_amount": g.sums["per_diem_taxable_amount"],
                "mileage_claimed_amount": g.sums["mileage_claimed_amount"],
                "mileage_tax_free_amount": g.sums["mileage_tax_free_amount"],
                "mileage_taxable_amount": g.sums["mileage_taxable_amount"],
                "taxable_amount": g.sums["per_diem_taxable_amount"] + g.sums["mileage_taxable_amount"],
                "not_computed_count": g.not_computed,
                "items": g.items,
            }
        )
    return {
        "month": f"{first.year:04d}-{first.month:02d}",
        "from": format_date(first),
        "to": format_date(last),
        "statuses": list(rules.PAYABLE_STATUSES),
        "employees": employees,
    }


CSV_COLUMNS: tuple[str, ...] = (
    "month",
    "employee_id",
    "employee_name",
    "currency",
    "per_diem_claimed",
    "per_diem_tax_free",
    "per_diem_taxable",
    "mileage_claimed",
    "mileage_tax_free",
    "mileage_taxable",
    "taxable_total",
    "not_computed_claims",
)


def payroll_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    """One row per employee and currency, amounts in major units (``12.34``), ready for a payroll import."""

    def major(minor: int, currency: str) -> str:
        return str(to_decimal(minor, currency))

    rows = []
    for e in report["employees"]:
        cur = e["currency"]
        rows.append(
            [
                report["month"],
                str(e["employee_id"]),
                e["employee_name"],
                cur,
                major(e["per_diem_claimed_amount"], cur),
                major(e["per_diem_tax_free_amount"], cur),
                major(e["per_diem_taxable_amount"], cur),
                major(e["mileage_claimed_amount"], cur),
                major(e["mileage_tax_free_amount"], cur),
                major(e["mileage_taxable_amount"], cur),
                major(e["taxable_amount"], cur),
                str(e["not_computed_count"]),
            ]
        )
    return rows
