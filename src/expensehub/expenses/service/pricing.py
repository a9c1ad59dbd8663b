"""Pricing mileages and per diems while planning a write (docs/allowances.md): distances, the
company's rate or the statutory rules, trip inputs and the statutory figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from expensehub.allowances import rules as allowance_rules
from expensehub.allowances import service as allowances
from expensehub.errors import ValidationFailed
from expensehub.expenses import rules
from expensehub.expenses.service.claims import Kind
from expensehub.kit.money import MAX_MINOR_UNITS

# What prices a mileage: with the company's rate, and (all of these) with the statutory rules.
_MILEAGE_INPUTS = ("mileage", "units", "rate", "rate_measurement_unit", "round_trip")
_COORDINATES = ("origin_latitude", "origin_longitude", "destination_latitude", "destination_longitude")
_MILEAGE_STATUTORY_INPUTS = (
    *_MILEAGE_INPUTS,
    *_COORDINATES,
    "vehicle",
    "passengers",
    "fiscal_horsepower",
    "electric",
    "effective_on",
    "employee_id",
    "legal_entity_id",
    "currency",
)


def _stored_mileage_pricing(current: dict[str, Any]) -> str | None:
    """How a stored mileage was priced (rows written before ``pricing`` existed: by their rate, if any)."""
    if not current:
        return None
    return rules.mileage_pricing(current.get("pricing"), current.get("rate"))


def _changed(changes: dict[str, Any], current: dict[str, Any], keys: Iterable[str]) -> bool:
    """Whether the body changes one of ``keys``: a key sent again with its stored value is no change, so
    a client may send back the inputs it read without re-pricing the claim."""
    return any(key in changes and changes[key] != current.get(key) for key in keys)


def echoes_a_computed_amount(kind: Kind, changes: dict[str, Any], current: dict[str, Any]) -> bool:
    """The body repeats the stored amount of a claim whose amount the rules or the company rate set."""
    sent = changes.get("amount")
    if sent is None or sent != current.get("amount"):
        return False
    if kind == "mileage":
        return _stored_mileage_pricing(current) != "amount"
    return rules.per_diem_pricing(current.get("pricing"), current.get("amount")) != "amount"


def plan_mileage(
    session: Session,
    company_id: int,
    merged: dict[str, Any],
    changes: dict[str, Any],
    current: dict[str, Any],
    creating: bool,
    currency: str | None,
    errors: dict[str, list[str]],
    expensable_id: int | None,
) -> None:
    """Amount, rate and calculated mileage of a mileage (docs/allowances.md).

    ``amount`` given: that. Else the company's ``rate`` (given now, or stored by an earlier write that
    gave one): mileage x rate. Else the statutory rules of the employer's country. A claim is priced again
    on update only when what prices it changed (or ``amount: null`` was sent).
    """
    if merged.get("units") is None:
        merged["units"] = "km"
    if merged.get("rate_measurement_unit") is None:
        merged["rate_measurement_unit"] = merged["units"]
    if merged.get("round_trip") is None:
        merged["round_trip"] = False
    distance: int | None = merged.get("mileage")
    distance_changed = creating or _changed(changes, current, ("mileage", "units", "round_trip"))
    from_points: int | None = None  # calculated_mileage of a distance taken from the coordinates
    if distance is None and (creating or _changed(changes, current, _COORDINATES)):
        origin = allowances.mileage_point(merged.get("origin_latitude"), merged.get("origin_longitude"))
        dest = allowances.mileage_point(
            merged.get("destination_latitude"), merged.get("destination_longitude")
        )
        if origin is not None and dest is not None:
            # Coordinates without a distance: the straight line, to the whole unit.
            distance, from_points = allowances.straight_line_mileage(merged["units"], origin, dest)
            merged["mileage"] = distance
            distance_changed = True
    if distance is not None and (distance_changed or _changed(changes, current, _COORDINATES)):
        origin = allowances.mileage_point(merged.get("origin_latitude"), merged.get("origin_longitude"))
        dest = allowances.mileage_point(
            merged.get("destination_latitude"), merged.get("destination_longitude")
        )
        if origin is not None and dest is not None:
            allowances.check_mileage_distance(distance, merged["units"], origin, dest)
    if distance_changed and "calculated_mileage" not in changes:
        legs = 2 if merged["round_trip"] else 1
        one_way = from_points if from_points is not None else None if distance is None else distance * 100
        merged["calculated_mileage"] = None if one_way is None else one_way * legs

    stored = _stored_mileage_pricing(current)
    if changes.get("amount") is not None:
        merged["pricing"] = "amount"
        return
    if "rate" in changes:
        company_rate = changes["rate"]
    elif stored == "statutory":
        company_rate = None
    else:
        company_rate = merged.get("rate")
    pricing = "rate" if company_rate is not None else "statutory"
    watched = _MILEAGE_INPUTS if pricing == "rate" else _MILEAGE_STATUTORY_INPUTS
    if not (creating or "amount" in changes or _changed(changes, current, watched)):
        return
    if distance is None:
        errors["mileage"] = ["required unless amount is given"]
        return
    if errors or currency is None:
        return
    if company_rate is not None:
        amount = rules.mileage_amount(
            distance=distance,
            units=merged["units"],
            rate=company_rate,
            rate_unit=merged["rate_measurement_unit"],
            round_trip=bool(merged["round_trip"]),
            currency=currency,
        )
    else:
        result = allowances.price_mileage(
            session,
            company_id=company_id,
            country=allowances.employer_country(
                session,
                company_id=company_id,
                legal_entity_id=merged.get("legal_entity_id"),
                employee_id=merged.get("employee_id"),
            ),
            currency=currency,
            employee_id=merged["employee_id"],
            expensable_id=expensable_id,
            on=merged["effective_on"],
            distance=distance,
            unit=merged["units"],
            round_trip=bool(merged["round_trip"]),
            vehicle=merged.get("vehicle"),
            passengers=merged.get("passengers"),
            fiscal_horsepower=merged.get("fiscal_horsepower"),
            electric=merged.get("electric"),
            origin=allowances.mileage_point(merged.get("origin_latitude"), merged.get("origin_longitude")),
            destination=allowances.mileage_point(
                merged.get("destination_latitude"), merged.get("destination_longitude")
            ),
        )
        amount = result.amount
        merged["rate"] = result.rate
        merged["rate_measurement_unit"] = result.rate_unit
        if "calculated_mileage" not in changes:
            merged["calculated_mileage"] = int((result.distance * 100).to_integral_value())
    if amount <= 0 or amount > MAX_MINOR_UNITS:
        errors["amount"] = [f"the computed amount ({amount}) must be between 1 and {MAX_MINOR_UNITS}"]
        return
    merged["amount"] = amount
    merged["pricing"] = pricing


def plan_per_diem(
    session: Session,
    company_id: int,
    merged: dict[str, Any],
    changes: dict[str, Any],
    current: dict[str, Any],
    creating: bool,
    currency: str | None,
    errors: dict[str, list[str]],
) -> Sequence[allowance_rules.RateUse] | None:
    """Dates, trip inputs, amount and statutory figures of a per diem (docs/allowances.md).

    The trip is priced on every write. Without ``amount`` (and on update while the amount is the rules'),
    the amount is the statutory allowance; with it, the statutory figures say which part is taxable.
    Returns the rate configurations the breakdown used (``None`` when nothing is to change).
    """
    raw = json.loads(current["trip_inputs"]) if current.get("trip_inputs") else {}
    for key in allowance_rules.TRIP_INPUT_KEYS:
        if key in changes:
            if changes[key] is None:
                raw.pop(key, None)
            else:
                raw[key] = changes[key]
    inputs = allowance_rules.TripInputs.from_json(raw)
    stored_inputs = inputs.to_json()
    merged["trip_inputs"] = json.dumps(stored_inputs, sort_keys=True) if stored_inputs else None
    if changes.get("start_at") is not None and "start_date" not in changes and inputs.start_at is not None:
        merged["start_date"] = allowance_rules.trip_day(inputs.start_at, inputs.timezone)
    if changes.get("end_at") is not None and "end_date" not in changes and inputs.end_at is not None:
        merged["end_date"] = allowance_rules.trip_day(inputs.end_at, inputs.timezone, end=True)

    start: date | None = merged.get("start_date")
    end: date | None = merged.get("end_date")
    if start is not None and end is not None and end < start:
        if inputs.start_at is not None and inputs.end_at is not None:  # the days come from the times
            raise ValidationFailed(
                "the trip ends before it starts",
                fields={"end_at": ["must be after start_at"]},
                code="invalid_trip",
            )
        errors["end_date"] = ["must be on or after start_date"]
    if merged.get("effective_on") is None:
        if creating and start is not None:
            merged["effective_on"] = start
        else:
            errors["effective_on"] = ["required (or give start_date)"]
    if errors:
        return None

    if changes.get("amount") is not None:
        pricing = "amount"
    elif creating or "amount" in changes:
        pricing = "statutory"
    else:
        pricing = rules.per_diem_pricing(current.get("pricing"), current.get("amount"))
    priced = allowances.price_per_diem(
        country=allowances.employer_country(
            session,
            company_id=company_id,
            legal_entity_id=merged.get("legal_entity_id"),
            employee_id=merged.get("employee_id"),
        ),
        currency=currency,
        start_date=start or merged["effective_on"],
        end_date=end,
        destination=merged.get("to"),
        inputs=inputs,
    )
    merged["pricing"] = pricing
    if priced.result is None:
        if pricing == "statutory":
            raise ValidationFailed(
                f"{priced.reason}: give the `amount`",
                fields={"amount": [f"required: {priced.reason}"]},
                code="amount_required",
            )
        merged.update(gross_amount=None, deductions_amount=None, statutory_amount=None, taxable_amount=None)
        return ()
    totals = priced.result.totals
    if pricing == "statutory":
        if totals.statutory <= 0:
            reason = "the statutory allowance of this trip is 0"
            raise ValidationFailed(
                f"{reason}: give the `amount` to pay one anyway",
                fields={"amount": [f"required: {reason}"]},
                code="amount_required",
            )
        merged["amount"] = totals.statutory
    amount: int = merged["amount"]
    merged.update(
        gross_amount=totals.gross,
        deductions_amount=totals.deductions,
        statutory_amount=totals.statutory,
        taxable_amount=amount - min(amount, totals.statutory),
    )
    return priced.uses
