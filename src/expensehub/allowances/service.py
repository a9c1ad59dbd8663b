"""Use cases of the allowances extension: simulations (pure, nothing stored), pricing the per diems and
mileages the expenses domain stores (with the per diem rate configurations they used), receipt checks
and the payroll adjustments report (read-only, scoped by company)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy.orm import Session

from expensehub.allowances import repository, rules, schemas
from expensehub.allowances.mileage import (
    MileageClaim,
    MileageResult,
    Point,
    check_straight_line,
    compute_mileage,
    convert,
    straight_line,
    tax_year,
)
from expensehub.allowances.perdiem import FixedRate, PerDiemResult, Policy, Trip, compute_per_diem
from expensehub.allowances.tables import find_table
from expensehub.errors import ValidationFailed, check_date_range
from expensehub.kit.clock import format_date
from expensehub.kit.money import to_decimal

MAX_CHECK_DAYS = 366

# --------------------------------------------------------------------------------------------------
# Simulations
# --------------------------------------------------------------------------------------------------


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


def simulate_per_diem(body: schemas.PerDiemSimulationBody) -> schemas.PerDiemSimulationOut:
    """Price a trip with the statutory rules and the company policy; nothing is stored."""
    start, end, tz_name = rules.trip_times(body.start, body.end, body.timezone)
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


def simulate_mileage(body: schemas.MileageSimulationBody) -> schemas.MileageSimulationOut:
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
# Pricing stored claims (called by the expenses domain when a per diem or mileage is written)
# --------------------------------------------------------------------------------------------------

# Engine refusals that mean "these rules cannot price this claim" rather than "this input is wrong".
_CANNOT_PRICE = frozenset({"unsupported_country", "no_rates_for_date", "unsupported_destination"})
NO_COUNTRY = "no legal entity on the claim or its employee: the employer's country is unknown"


def _renamed(exc: ValidationFailed, names: dict[str, str]) -> ValidationFailed:
    """The same error with its fields named as the caller's body names them."""
    fields = {names.get(k, k): v for k, v in exc.fields.items()}
    return ValidationFailed(exc.message, fields=fields, code=exc.code)


def employer_country(
    session: Session, *, company_id: int, legal_entity_id: int | None, employee_id: int | None
) -> str | None:
    """Whose rules apply to a claim: the country of its legal entity, else of its employee's."""
    country = repository.employer_country(
        session, company_id=company_id, legal_entity_id=legal_entity_id, employee_id=employee_id
    )
    return country.strip().lower() if country else None


def trip_inputs(stored: str | None) -> rules.TripInputs:
    """The trip inputs stored on a per diem (JSON text; NULL: none)."""
    return rules.TripInputs.from_json(json.loads(stored) if stored else None)


@dataclass(frozen=True)
class PerDiemPricing:
    """A per diem priced by the statutory rules, or why it could not be (``result`` None, ``reason``)."""

    result: PerDiemResult | None
    reason: str | None = None
    uses: tuple[rules.RateUse, ...] = ()


def price_per_diem(
    *,
    country: str | None,
    currency: str | None,
    start_date: date,
    end_date: date | None,
    destination: str | None,
    inputs: rules.TripInputs,
) -> PerDiemPricing:
    """The statutory breakdown of a stored per diem's trip: its inputs, and assumptions for what it lacks.

    Bad trip inputs raise 422 with the simulation's codes (``invalid_trip``, ``unknown_timezone``,
    ``unknown_country``...), naming the per diem's fields (``start_at``, ``end_at``). When the rules cannot
    price the claim (no rules for the country, a destination or date they do not cover, a claim in another
    currency than theirs) the result is ``None`` with the reason.
    """
    if country is None:
        return PerDiemPricing(None, NO_COUNTRY)
    names = {"start": "start_at", "end": "end_at"}
    try:
        trip = rules.resolve_trip(
            country=country, start_date=start_date, end_date=end_date, destination=destination, inputs=inputs
        )
        result = compute_per_diem(trip)
    except ValidationFailed as exc:
        if exc.code in _CANNOT_PRICE or (exc.code == "unknown_country" and "country" in exc.fields):
            return PerDiemPricing(None, exc.message)
        raise _renamed(exc, names) from exc
    if currency is not None and result.currency != currency:
        return PerDiemPricing(
            None, f"the claim is in {currency}, the statutory rates of {country} in {result.currency}"
        )
    return PerDiemPricing(result, None, tuple(rules.rate_uses(result)))


def set_per_diem_rates(
    session: Session, *, company_id: int, per_diem_id: int, uses: Sequence[rules.RateUse], now: datetime
) -> None:
    """Link the per diem to the rate configurations its breakdown used (created on demand). Links to a
    configuration still used keep their id; the others are replaced."""
    ids = rate_configuration_ids(session, company_id=company_id, keys=[u.key for u in uses], now=now)
    existing = {
        r.rate_configuration_id: r
        for r in repository.per_diem_rates(session, company_id=company_id, per_diem_id=per_diem_id)
    }
    wanted = {ids[_key(u.key)]: u for u in uses}
    stale = [r.id for cfg, r in existing.items() if cfg not in wanted]
    repository.delete_per_diem_rates(session, company_id=company_id, ids=stale)
    for cfg, use in wanted.items():
        link = existing.get(cfg)
        if link is not None:
            link.total_days, link.total_amount = use.days, use.amount
    repository.add_per_diem_rates(
        session,
        [
            {
                "company_id": company_id,
                "per_diem_id": per_diem_id,
                "rate_configuration_id": cfg,
                "total_days": use.days,
                "total_amount": use.amount,
            }
            for cfg, use in wanted.items()
            if cfg not in existing
        ],
    )
    session.flush()


def _key(k: rules.RateKey) -> tuple[str, str, str, int]:
    return (k.table_id, k.destination_key, k.day_kind, k.amount)


def rate_configuration_ids(
    session: Session, *, company_id: int, keys: Sequence[rules.RateKey], now: datetime
) -> dict[tuple[str, str, str, int], int]:
    """Ids of the company's rate configurations for ``keys``, created on demand; keyed by (table id,
    destination key, day kind, amount)."""
    rows = [
        {
            "country": k.country,
            "table_id": k.table_id,
            "valid_from": k.valid_from,
            "destination_key": k.destination_key,
            "day_kind": k.day_kind,
            "amount": k.amount,
            "currency": k.currency,
            "created_at": now,
        }
        for k in dict.fromkeys(keys)
    ]
    return repository.rate_configurations(session, company_id=company_id, rows=rows)


def mileage_point(latitude: str | None, longitude: str | None) -> Point | None:
    """A stored position (decimal strings), or ``None`` when either half is missing or unreadable (a row
    imported from elsewhere)."""
    if latitude is None or longitude is None:
        return None
    try:
        return Point(latitude=Decimal(latitude), longitude=Decimal(longitude))
    except InvalidOperation:
        return None


def straight_line_mileage(unit: str, origin: Point, destination: Point) -> tuple[int, int]:
    """A mileage claimed by its coordinates only: (one-way distance in whole ``unit``s, rounded half-even;
    the same distance in hundredths, as ``calculated_mileage`` carries it). 422 when the points coincide."""
    straight = straight_line(origin, destination, unit)
    whole = int(straight.to_integral_value(rounding=ROUND_HALF_EVEN))
    if whole < 1:
        raise ValidationFailed(
            "origin and destination are less than one unit apart",
            fields={"mileage": [f"required: the straight line is only {straight} {unit}"]},
            code="invalid_mileage",
        )
    return whole, int((straight * 100).to_integral_value(rounding=ROUND_HALF_EVEN))


def check_mileage_distance(distance: int, unit: str, origin: Point, destination: Point) -> None:
    """422 ``distance_below_straight_line`` when the claimed one-way distance is shorter than the straight
    line between the claim's coordinates (whatever prices the claim)."""
    check_straight_line(Decimal(distance), unit, origin, destination, field="mileage")


def price_mileage(
    session: Session,
    *,
    company_id: int,
    country: str | None,
    currency: str | None,
    employee_id: int,
    expensable_id: int | None,
    on: date,
    distance: int,
    unit: str,
    round_trip: bool,
    vehicle: str | None,
    passengers: int | None,
    fiscal_horsepower: int | None,
    electric: bool | None,
    origin: Point | None,
    destination: Point | None,
) -> MileageResult:
    """The statutory amount of a stored mileage, after the employee's earlier mileages of the tax year.

    The year-to-date distance sums the employee's mileages of the same tax year, employer country and
    vehicle group (``rules.vehicle_group``) that are not rejected or reversed and come before this one
    (date, then id). 422 ``rate_or_amount_required`` when the rules cannot price it (no rates for the
    country or the date, a claim in another currency than the rules'); the engine's own codes otherwise.
    """

    def cannot(reason: str) -> ValidationFailed:
        return ValidationFailed(
            f"{reason}: give the company's `rate` or the `amount`",
            fields={"rate": [f"required: {reason}"]},
            code="rate_or_amount_required",
        )

    if country is None:
        raise cannot(NO_COUNTRY)
    try:
        table = find_table(country, "mileage", on)
    except ValidationFailed as exc:
        raise cannot(exc.message) from exc
    if currency is not None and currency != table.currency:
        raise cannot(f"the claim is in {currency}, the statutory rates of {country} in {table.currency}")
    year = tax_year(table, on)
    legs = [
        rules.DrivenLeg(
            expensable_id=r.expensable_id,
            effective_on=r.effective_on,
            distance=r.distance,
            units=r.units,
            round_trip=r.round_trip,
            vehicle=r.vehicle,
            country=r.country.lower() if r.country else None,
        )
        for r in repository.mileage_legs(
            session,
            company_id=company_id,
            employee_id=employee_id,
            date_from=year.start,
            date_to=on,
            ignored_statuses=rules.IGNORED_STATUSES,
        )
    ]
    if origin is None or destination is None:  # the straight-line check needs both ends
        origin = destination = None
    ytd = rules.ytd_distance(
        legs, country=country, vehicle=vehicle, on=on, expensable_id=expensable_id, unit=unit
    )
    claim = MileageClaim(
        country=country,
        date=on,
        distance=Decimal(distance),
        unit=unit,
        vehicle=vehicle or rules.DEFAULT_VEHICLE,
        electric=bool(electric),
        fiscal_horsepower=fiscal_horsepower,
        passengers=passengers or 0,
        round_trip=round_trip,
        ytd_distance=ytd,
        origin=origin,
        destination=destination,
    )
    try:
        return compute_mileage(claim)
    except ValidationFailed as exc:
        raise _renamed(exc, {"distance": "mileage", "unit": "units", "date": "effective_on"}) from exc


# --------------------------------------------------------------------------------------------------
# Receipt checks
# --------------------------------------------------------------------------------------------------


def _check_range(date_from: date, date_to: date) -> None:
    check_date_range(date_from, date_to)
    if (date_to - date_from).days >= MAX_CHECK_DAYS:
        raise ValidationFailed(
            "range too long",
            fields={"to": [f"at most {MAX_CHECK_DAYS} days after from"]},
            code="invalid_range",
        )


def _flags(
    session: Session,
    *,
    company_id: int,
    date_from: date,
    date_to: date,
    identifiers: frozenset[str],
    claims_on_day: Mapping[tuple[int, date], list[int]],
    kind: schemas.FlagType,
    related_type: schemas.ClaimType,
    message: str,
) -> list[schemas.ReceiptFlagOut]:
    """A flag per expense of a category among ``identifiers`` and per claim of ``claims_on_day`` (by
    employee and day) on the expense's employee and day."""
    expenses = repository.categorised_expenses(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        identifiers=identifiers,
        ignored_statuses=rules.IGNORED_STATUSES,
    )
    return [
        {
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
        for expense in expenses
        for related_id in claims_on_day.get((expense.employee_id, expense.effective_on), [])
    ]


def receipt_checks(
    session: Session, *, company_id: int, date_from: date, date_to: date
) -> schemas.ReceiptChecksOut:
    """Meal expenses on days a per diem of the same employee covers (double claims), and mileages on a day
    with a fuel or car-rental expense of the same employee (to review)."""
    _check_range(date_from, date_to)

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
    mileages: dict[tuple[int, date], list[int]] = defaultdict(list)
    for mi in repository.mileages_between(
        session,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        ignored_statuses=rules.IGNORED_STATUSES,
    ):
        mileages[(mi.employee_id, mi.effective_on)].append(mi.expensable_id)

    checks: tuple[
        tuple[frozenset[str], Mapping[tuple[int, date], list[int]], schemas.FlagType, schemas.ClaimType, str],
        ...,
    ] = (
        (
            rules.MEAL_CATEGORY_IDENTIFIERS,
            covered,
            "double_claim",
            "perdiem",
            "meal expense on a day covered by a per diem of the same employee: the per diem already "
            "pays for meals",
        ),
        (
            rules.FUEL_OR_RENTAL_CATEGORY_IDENTIFIERS,
            mileages,
            "mileage_with_fuel_or_rental",
            "mileage",
            "mileage claimed on a day with a fuel or car-rental expense: the mileage rate already "
            "covers fuel, and a rented car is not the employee's own",
        ),
    )
    flags = [
        flag
        for identifiers, claims_on_day, kind, related_type, message in checks
        for flag in _flags(
            session,
            company_id=company_id,
            date_from=date_from,
            date_to=date_to,
            identifiers=identifiers,
            claims_on_day=claims_on_day,
            kind=kind,
            related_type=related_type,
            message=message,
        )
    ]
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
    items: list[schemas.PayrollItemOut] = field(default_factory=list)


def _item(row: Any, kind: Literal["perdiem", "mileage"]) -> schemas.PayrollItemOut:
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
    item: schemas.PayrollItemOut, statutory: int, currency: str, claim_currency: str, tables: list[str]
) -> None:
    item["rate_table_ids"] = tables
    if currency != claim_currency:
        item["reason"] = f"the claim is in {claim_currency}, the statutory rates in {currency}"
        return
    claimed = item["claimed_amount"]
    tax_free = min(claimed, statutory)
    item["statutory_amount"] = statutory
    item["tax_free_amount"] = tax_free
    item["taxable_amount"] = claimed - tax_free
    item["computed"] = True


def _per_diem_item(row: Any, stored_tables: dict[int, list[str]]) -> schemas.PayrollItemOut:
    """A per diem of the report: its stored statutory figures when it has them (priced when it was last
    written, with its trip inputs), else priced now from its stored trip inputs and the assumptions."""
    item = _item(row, "perdiem")
    if row.statutory_amount is not None:
        _settle(
            item, row.statutory_amount, row.currency, row.currency, stored_tables.get(row.per_diem_id, [])
        )
        return item
    if row.country is None:
        item["reason"] = NO_COUNTRY
        return item
    start = row.start_date or row.effective_on
    try:
        trip = rules.resolve_trip(
            country=row.country.lower(),
            start_date=start,
            end_date=row.end_date or start,
            destination=row.destination,
            inputs=trip_inputs(row.trip_inputs),
        )
        result = compute_per_diem(trip)
    except (ValidationFailed, ValueError) as exc:
        item["reason"] = exc.message if isinstance(exc, ValidationFailed) else str(exc)
        return item
    _settle(item, result.totals.statutory, result.currency, row.currency, [t.id for t in result.tables])
    return item


def _mileage_items(rows: Sequence[Any], date_from: date) -> list[schemas.PayrollItemOut]:
    """Items for the rows dated from ``date_from``; earlier rows only add to the year-to-date distance
    (per employee, employer country, tax year and vehicle group; ordered by date, then id)."""
    running_km: dict[tuple[int, str, date, str], Decimal] = defaultdict(Decimal)
    items: list[schemas.PayrollItemOut] = []
    for row in rows:
        unit = row.units if row.units in ("km", "mi") else "km"
        legs = 2 if row.round_trip else 1
        driven = Decimal(row.distance or 0) * legs
        country = row.country.lower() if row.country else None
        key: tuple[int, str, date, str] | None = None
        reason: str | None = None
        if country is None:
            reason = NO_COUNTRY
        else:
            try:
                table = find_table(country, "mileage", row.effective_on)
                key = (
                    row.employee_id,
                    country,
                    tax_year(table, row.effective_on).start,
                    rules.vehicle_group(row.vehicle),
                )
            except ValidationFailed as exc:
                reason = exc.message
        ytd_km = running_km[key] if key is not None else Decimal(0)
        if key is not None:
            running_km[key] += convert(driven, unit, "km")
        if row.effective_on < date_from:
            continue
        item = _item(row, "mileage")
        items.append(item)
        if reason is not None or country is None:
            item["reason"] = reason
            continue
        if not row.distance or row.distance <= 0:
            item["reason"] = "the claim has no distance"
            continue
        claim = MileageClaim(
            country=country,
            date=row.effective_on,
            distance=Decimal(row.distance),
            unit=unit,
            vehicle=row.vehicle or rules.DEFAULT_VEHICLE,
            electric=bool(row.electric),
            fiscal_horsepower=row.fiscal_horsepower,
            passengers=row.passengers or 0,
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


def payroll_adjustments(session: Session, *, company_id: int, month: str) -> schemas.PayrollAdjustmentsOut:
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
    stored_tables = repository.rate_table_ids(
        session,
        company_id=company_id,
        per_diem_ids=[r.per_diem_id for r in per_diems if r.statutory_amount is not None],
    )
    groups: dict[tuple[int, str], _Group] = {}
    for item, employee_id in [(_per_diem_item(r, stored_tables), r.employee_id) for r in per_diems] + [
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
        group.sums[f"{prefix}_tax_free_amount"] += item["tax_free_amount"] or 0
        group.sums[f"{prefix}_taxable_amount"] += item["taxable_amount"] or 0
    employees: list[schemas.PayrollEmployeeOut] = []
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


def payroll_csv_rows(report: schemas.PayrollAdjustmentsOut) -> list[list[str]]:
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
