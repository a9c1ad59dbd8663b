"""Mileages and per diems, priced by the statutory allowances engine as the expenses API prices them.

Per diems are priced on the assumed trip times; a trip the rules do not cover (UK rates abroad) keeps the
company's own daily rates. Managers are paid 125 % of the statutory allowance (``MANAGER_PER_DIEM``):
the excess is taxable, and the payroll adjustments report shows it. Mileages are priced alone while
planning (approval thresholds need an amount), then again after the employee's earlier mileages of the
tax year once the claims are in order.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from expensehub.allowances import rules as allowance_rules
from expensehub.allowances import service as allowance_service
from expensehub.allowances.engine import MileageClaim, compute_mileage, find_table, tax_year
from expensehub.demo import data
from expensehub.demo.data import ANCHOR
from expensehub.demo.seed.reference import project_for
from expensehub.demo.seed.state import Claim, Demo
from expensehub.kit.money import from_decimal

# Managers travel under the company's senior travel policy: 125 % of the statutory per diem (as the
# expenses API stores a per diem whose `amount` is given: priced "amount", the excess taxable).
MANAGER_PER_DIEM = Decimal("1.25")

# Country of each city a demo trip abroad goes to: the per diem's `to` says it ("Amsterdam, NL"), so the
# statutory rules know the destination.
TRIP_COUNTRIES = {
    "Lisboa": "PT",
    "Paris": "FR",
    "London": "GB",
    "Berlin": "DE",
    "Milano": "IT",
    "Amsterdam": "NL",
    "Dublin": "IE",
    "Madrid": "ES",
    "Frankfurt": "DE",
    "New York": "US",
}


def fill_mileage(demo: Demo, claim: Claim) -> str:
    """Fill the claim's row and mileage detail (a drive between two places); returns its category."""
    rng = demo.rng
    emp = claim.emp
    key = emp.spec.key
    places = data.MILEAGE_PLACES[key]
    origin = places[0] if rng.random() < 0.8 else rng.choice(places[1:])
    dest = rng.choice([p for p in places if p is not origin])
    km = _haversine_km(origin.lat, origin.lon, dest.lat, dest.lon) * 1.25
    _, unit = data.MILEAGE_RATE[key]
    one_way = km if unit == "km" else km / 1.609344
    round_trip = rng.random() < 0.65
    distance = max(1, round(one_way))  # one way, as the API stores it; a round trip counts twice
    client = rng.choice(data.CLIENTS)
    claim.row.update(
        description=f"{origin.name} – {dest.name}{' and back' if round_trip else ''}: visit to {client}",
        project_id=project_for(demo, claim, 0.35),
    )
    claim.detail = {
        "company_id": demo.company_id,
        "distance": distance,
        "units": unit,
        "rate": None,
        "rate_measurement_unit": unit,
        "origin": origin.name,
        "destination": dest.name,
        "round_trip": round_trip,
        "origin_latitude": f"{origin.lat:.4f}",
        "origin_longitude": f"{origin.lon:.4f}",
        "destination_latitude": f"{dest.lat:.4f}",
        "destination_longitude": f"{dest.lon:.4f}",
        "calculated_mileage": distance * (2 if round_trip else 1) * 100,
        "pricing": "statutory",
        "vehicle": None,
        "passengers": None,
        "fiscal_horsepower": None,
        "electric": None,
    }
    # Priced alone for now (approval thresholds need an amount); ``price_mileages`` prices it again
    # after the employee's earlier mileages of the tax year once the claims are in id order.
    _price_mileage(claim, Decimal(0))
    return "mileage"


def _price_mileage(claim: Claim, ytd: Decimal) -> None:
    d = claim.detail
    result = compute_mileage(
        MileageClaim(
            country=claim.emp.spec.country,
            date=claim.effective_on,
            distance=Decimal(d["distance"]),
            unit=d["units"],
            round_trip=d["round_trip"],
            ytd_distance=ytd,
        )
    )
    d.update(rate=result.rate, rate_measurement_unit=result.rate_unit)
    row = claim.row
    row["amount"] = result.amount
    if row["payment"] == "reimbursable":
        row["reimbursable_amount"] = result.amount
    claim.le_amount = result.amount


def price_mileages(plans: list[Claim]) -> None:
    """Price every mileage after the employee's earlier ones (date, then id) of the same tax year that
    are not rejected or reversed, as the expenses API does."""
    driven: dict[tuple[int, date], Decimal] = {}
    mileages = [(c.effective_on, i, c) for i, c in enumerate(plans) if c.type == "mileage"]
    for _, _, claim in sorted(mileages, key=lambda t: (t[0], t[1])):
        d = claim.detail
        table = find_table(claim.emp.spec.country, "mileage", claim.effective_on)
        key = (claim.emp.id, tax_year(table, claim.effective_on).start)
        ytd = driven.get(key, Decimal(0))
        if ytd:
            _price_mileage(claim, ytd)
        if claim.status not in allowance_rules.IGNORED_STATUSES:
            legs = 2 if d["round_trip"] else 1
            driven[key] = ytd + Decimal(d["distance"] * legs)


def fill_per_diem(demo: Demo, claim: Claim) -> str:
    """Fill the claim's row and per diem detail (a trip of a few days); returns its category."""
    rng = demo.rng
    emp = claim.emp
    key = emp.spec.key
    international = rng.random() < 0.3
    days = rng.choices([1, 2, 3, 4, 5], weights=[30, 30, 20, 12, 8])[0]
    last_day = min(ANCHOR.date() - timedelta(days=1), emp.terminated_on or ANCHOR.date())
    start = claim.effective_on
    if start + timedelta(days=days - 1) > last_day:
        start = max(emp.hired_on, last_day - timedelta(days=days - 1))
        days = (last_day - start).days + 1
        claim.effective_on = start
    end = start + timedelta(days=days - 1)
    city = rng.choice(data.PER_DIEM_TRIPS[(key, international)])
    destination = f"{city}, {TRIP_COUNTRIES[city]}" if international else city
    trip = rng.choice(data.TRIP_NAMES).format(city=city, client=rng.choice(data.CLIENTS))
    priced = allowance_service.price_per_diem(
        country=emp.spec.country,
        currency=emp.spec.currency,
        start_date=start,
        end_date=end,
        destination=destination,
        inputs=allowance_rules.TripInputs(),
    )
    detail: dict[str, Any] = {
        "company_id": demo.company_id,
        "start_date": start,
        "end_date": end,
        "origin": data.HOME_CITY[key],
        "destination": destination,
        "trip_name": trip,
        "trip_inputs": None,
        "gross_amount": None,
        "deductions_amount": None,
        "statutory_amount": None,
        "taxable_amount": None,
    }
    if priced.result is not None:  # the statutory allowance
        totals = priced.result.totals
        amount = totals.statutory
        if emp.is_manager:  # the senior travel policy pays more: payroll taxes the excess
            amount = int((amount * MANAGER_PER_DIEM).to_integral_value(ROUND_HALF_EVEN))
        detail.update(
            pricing="statutory" if amount == totals.statutory else "amount",
            gross_amount=totals.gross,
            deductions_amount=totals.deductions,
            statutory_amount=totals.statutory,
            taxable_amount=amount - totals.statutory,
        )
        claim.rate_uses = priced.uses
    else:  # the rules do not cover the trip (UK rates abroad): the company's own daily rates
        day_rate, night_rate = data.PER_DIEM_RATES[(key, international)]
        amount = from_decimal(day_rate + night_rate * (days - 1), emp.spec.currency)
        detail["pricing"] = "amount"
    claim.row.update(
        effective_on=start,
        amount=amount,
        description=f"Per diem: {trip} ({days} day{'s' if days > 1 else ''})",
        project_id=project_for(demo, claim, 0.3),
    )
    claim.detail = detail
    return "per_diem_international" if international else "per_diem_national"


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
