"""Mileage: the statutory tax-free amount of a business trip in the employee's own vehicle.

Every country's table gives, per vehicle, bands over the distance driven in the tax year:

* ``marginal`` bands price each unit at the rate of the band it falls in (UK: 45p for the first 10,000
  miles of the tax year, 25p after; a flat rate is one band);
* ``annual_formula`` bands (France's barème) give the cost of the year's whole distance ``d`` as
  ``d x rate + fixed`` for the band ``d`` falls in.

Both reduce to a function ``f(year-to-date distance)``; a claim is ``f(ytd + distance) - f(ytd)``, split at
the band limits it crosses, so a year's claims always add up to the statutory amount of the year's total.
Distances convert exactly (1 mi = 1.609344 km); money rounds half-even once, at the end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from itertools import pairwise
from typing import Any

from expensehub.allowances.tables import RateTable, dec, find_table
from expensehub.errors import ValidationFailed
from expensehub.kit.countries import COUNTRY_CODES
from expensehub.kit.money import from_decimal, split_largest_remainder

KM_PER_MILE = Decimal("1.609344")
UNITS: tuple[str, ...] = ("km", "mi")
VEHICLES: tuple[str, ...] = ("car", "van", "motorcycle", "moped", "bicycle", "other_motor")
MAX_DISTANCE = Decimal(1_000_000)
MAX_YTD = Decimal(100_000_000)
MAX_PASSENGERS = 20
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Point:
    """A WGS84 position in decimal degrees."""

    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class MileageClaim:
    """A trip to price.

    ``distance`` is one way, in ``unit`` (``None``: use the straight line between ``origin`` and
    ``destination``). ``ytd_distance`` is the employee's business distance in the same tax year before this
    claim, in ``unit``, with vehicles of the same kind (it only matters where rates change with distance).
    """

    country: str
    date: date
    distance: Decimal | None
    unit: str = "km"
    vehicle: str = "car"
    electric: bool = False
    fiscal_horsepower: int | None = None
    passengers: int = 0
    round_trip: bool = False
    ytd_distance: Decimal = _ZERO
    origin: Point | None = None
    destination: Point | None = None


@dataclass(frozen=True)
class MileageBand:
    """The part of the claim priced in one band. Distances in ``rate_unit``; ``amount`` in minor units."""

    label: str
    from_distance: Decimal
    to_distance: Decimal
    distance: Decimal
    rate: Decimal
    amount: int


@dataclass(frozen=True)
class TaxYear:
    """The tax year a claim falls in (the UK's starts on 6 April)."""

    label: str
    start: date
    end: date


@dataclass(frozen=True)
class MileageResult:
    """The priced claim. ``amount`` = sum of band amounts + ``uplift_amount`` + ``passenger_amount``."""

    country: str
    currency: str
    amount: int
    distance: Decimal
    unit: str
    rate_unit: str
    distance_in_rate_unit: Decimal
    rate: Decimal
    bands: tuple[MileageBand, ...]
    uplift_amount: int
    passengers: int
    passenger_rate: Decimal
    passenger_amount: int
    vehicle: str
    electric: bool
    tax_year: TaxYear
    ytd_before: Decimal
    ytd_after: Decimal
    straight_line_distance: Decimal | None
    flags: tuple[str, ...]
    notes: tuple[str, ...]
    table: RateTable


def convert(distance: Decimal, unit: str, to: str) -> Decimal:
    """Exact unit conversion (1 mi = 1.609344 km); km to mi divides with 28 significant digits."""
    if unit == to:
        return distance
    if unit == "mi":
        return distance * KM_PER_MILE
    with localcontext() as ctx:
        ctx.prec = 28
        return distance / KM_PER_MILE


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in km (a distance check, never money, so floats are fine here)."""
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (a.latitude, a.longitude, b.latitude, b.longitude)))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def straight_line(origin: Point, destination: Point, unit: str) -> Decimal:
    """Great-circle distance in ``unit``, to a thousandth."""
    km = Decimal(repr(haversine_km(origin, destination)))
    return convert(km, "km", unit).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)


def check_straight_line(
    distance: Decimal, unit: str, origin: Point, destination: Point, field: str = "distance"
) -> tuple[Decimal, tuple[str, ...]]:
    """The straight-line distance and the flags of a claimed one-way ``distance``.

    A distance below the great-circle distance (rounded down to a whole unit) cannot have been driven:
    422 ``distance_below_straight_line`` (blaming ``field``). Above three times it is flagged.
    """
    straight = straight_line(origin, destination, unit)
    if distance < straight.to_integral_value(rounding=ROUND_FLOOR):
        raise ValidationFailed(
            f"claimed distance {distance} {unit} is shorter than the straight line between "
            f"origin and destination ({straight} {unit})",
            fields={field: [f"shorter than the straight-line distance ({straight} {unit})"]},
            code="distance_below_straight_line",
        )
    if straight > 0 and distance > 3 * straight:
        return straight, ("distance_over_3x_straight_line",)
    return straight, ()


def tax_year(table: RateTable, on: date) -> TaxYear:
    """The tax year containing ``on``, from the table's ``tax_year_start`` (``MM-DD``)."""
    month, day = (int(p) for p in str(table.data.get("tax_year_start", "01-01")).split("-"))
    start = date(on.year, month, day)
    if on < start:
        start = date(on.year - 1, month, day)
    end = date(start.year + 1, month, day) - timedelta(days=1)
    label = str(start.year) if (month, day) == (1, 1) else f"{start.year}-{str(start.year + 1)[2:]}"
    return TaxYear(label=label, start=start, end=end)


@dataclass(frozen=True)
class _Band:
    up_to: Decimal | None
    rate: Decimal
    fixed: Decimal
    label: str


def _bands(table: RateTable, claim: MileageClaim) -> tuple[list[_Band], str]:
    vehicles: Mapping[str, Any] = table.data["vehicles"]
    spec = vehicles.get(claim.vehicle)
    if spec is None:
        raise ValidationFailed(
            f"no {claim.vehicle} rate in {table.id}; supported: {', '.join(vehicles)}",
            fields={"vehicle": [f"not supported for {table.country} (supported: {', '.join(vehicles)})"]},
            code="unsupported_vehicle",
        )
    prefix = ""
    if "fiscal_horsepower" in spec:
        if claim.fiscal_horsepower is None:
            raise ValidationFailed(
                f"{table.country} prices a {claim.vehicle} by fiscal horsepower",
                fields={"fiscal_horsepower": [f"required for a {claim.vehicle} in {table.country}"]},
                code="missing_fiscal_horsepower",
            )
        group = next(
            g
            for g in spec["fiscal_horsepower"]
            if g["max"] is None or claim.fiscal_horsepower <= int(g["max"])
        )
        prefix, raw = f"{group['label']}: ", group["bands"]
    else:
        raw = spec["bands"]
    unit = table.data["unit"]
    style = table.data["style"]
    out: list[_Band] = []
    lower = _ZERO
    for b in raw:
        up_to = dec(b["up_to"]) if b.get("up_to") is not None else None
        rate = dec(b["rate"])
        fixed = dec(b.get("fixed", "0"))
        span = f"{lower:,} to {up_to:,} {unit}" if up_to is not None else f"over {lower:,} {unit}"
        if lower == 0 and up_to is not None:
            span = f"up to {up_to:,} {unit}"
        if style == "annual_formula":
            formula = f"d x {rate}" + (f" + {fixed}" if fixed else "")
            text = f"{prefix}{span} in the year: {formula}"
        elif up_to is None and lower == 0:
            text = f"{prefix}{rate} per {unit}"
        else:
            text = f"{prefix}{span} in the tax year: {rate} per {unit}"
        out.append(_Band(up_to, rate, fixed, text))
        lower = up_to if up_to is not None else lower
    return out, style


def _band_index(bands: Sequence[_Band], x: Decimal) -> int:
    """The band ``x`` (a year-to-date distance) falls in: the first whose limit is >= x."""
    for i, b in enumerate(bands):
        if b.up_to is None or x <= b.up_to:
            return i
    return len(bands) - 1


def _annual(bands: Sequence[_Band], style: str, x: Decimal) -> Decimal:
    """The statutory amount for a year-to-date distance ``x`` (exact)."""
    if x <= 0:
        return _ZERO
    if style == "annual_formula":
        b = bands[_band_index(bands, x)]
        return x * b.rate + b.fixed
    total, lower = _ZERO, _ZERO
    for b in bands:
        upper = x if b.up_to is None else min(x, b.up_to)
        if upper > lower:
            total += (upper - lower) * b.rate
        if b.up_to is None or x <= b.up_to:
            break
        lower = b.up_to
    return total


def _validate(claim: MileageClaim) -> None:
    fields: dict[str, list[str]] = {}
    if claim.country not in COUNTRY_CODES:
        raise ValidationFailed(
            "unknown country",
            fields={"country": [f"unknown country code {claim.country!r}"]},
            code="unknown_country",
        )
    if not MIN_DATE <= claim.date <= MAX_DATE:
        fields["date"] = [f"must be between {MIN_DATE} and {MAX_DATE}"]
    if claim.unit not in UNITS:
        fields["unit"] = ["must be km or mi"]
    if claim.vehicle not in VEHICLES:
        fields["vehicle"] = [f"must be one of {', '.join(VEHICLES)}"]
    if claim.distance is not None and not (_ZERO < claim.distance <= MAX_DISTANCE):
        fields["distance"] = [f"must be more than 0 and at most {MAX_DISTANCE}"]
    if not (_ZERO <= claim.ytd_distance <= MAX_YTD):
        fields["ytd_distance"] = [f"must be between 0 and {MAX_YTD}"]
    if not 0 <= claim.passengers <= MAX_PASSENGERS:
        fields["passengers"] = [f"must be between 0 and {MAX_PASSENGERS}"]
    if claim.fiscal_horsepower is not None and not 1 <= claim.fiscal_horsepower <= 100:
        fields["fiscal_horsepower"] = ["must be between 1 and 100"]
    for name, p in (("origin", claim.origin), ("destination", claim.destination)):
        if p is not None and not (abs(p.latitude) <= 90 and abs(p.longitude) <= 180):
            fields[name] = ["latitude must be within ±90 and longitude within ±180"]
    if (claim.origin is None) != (claim.destination is None):
        fields["destination" if claim.destination is None else "origin"] = [
            "give both origin and destination"
        ]
    if claim.distance is None and claim.origin is None:
        fields["distance"] = ["required unless origin and destination are given"]
    if fields:
        raise ValidationFailed("invalid mileage claim", fields=fields, code="invalid_mileage")


def compute_mileage(claim: MileageClaim, *, tables: tuple[RateTable, ...] | None = None) -> MileageResult:
    """Price ``claim`` with the table in force on its date; 422 ``ValidationFailed`` on bad input."""
    _validate(claim)
    table = find_table(claim.country, "mileage", claim.date, tables)
    bands, style = _bands(table, claim)
    rate_unit = str(table.data["unit"])
    currency = table.currency
    flags: list[str] = []
    notes: list[str] = []

    straight: Decimal | None = None
    distance = claim.distance
    if claim.origin is not None and claim.destination is not None:
        if distance is None:
            straight = straight_line(claim.origin, claim.destination, claim.unit)
            distance = straight.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
            flags.append("distance_from_straight_line")
            if distance <= 0:
                raise ValidationFailed(
                    "origin and destination are the same place",
                    fields={"distance": ["required: origin and destination coincide"]},
                    code="invalid_mileage",
                )
        else:
            straight, checked = check_straight_line(distance, claim.unit, claim.origin, claim.destination)
            flags.extend(checked)
    assert distance is not None  # _validate guarantees a distance or coordinates

    # Conversions carry 28 significant digits; the band arithmetic runs at 60 so that sums and differences
    # of distances are exact and the parts add up to the whole.
    with localcontext() as wide:
        wide.prec = 60
        legs = 2 if claim.round_trip else 1
        total = distance * legs
        d = convert(total, claim.unit, rate_unit)
        ytd = convert(claim.ytd_distance, claim.unit, rate_unit)
        end = ytd + d

        points = [ytd, *sorted(b.up_to for b in bands if b.up_to is not None and ytd < b.up_to < end), end]
        segments: list[tuple[_Band, Decimal, Decimal, Decimal]] = []
        for a, b in pairwise(points):
            band = bands[_band_index(bands, b)]
            segments.append((band, a, b, _annual(bands, style, b) - _annual(bands, style, a)))
        if len(segments) > 1:
            flags.append("band_limit_crossed")

        base = sum((s[3] for s in segments), _ZERO)
        uplift = _ZERO
        if claim.electric:
            if "electric_uplift" in table.data:
                uplift = base * dec(table.data["electric_uplift"])
            else:
                notes.append(f"no electric-vehicle rate in {table.country}: the ordinary rate applies")
        passenger_rate = dec(table.data.get("passenger_rate", "0"))
        if claim.vehicle not in ("car", "van"):
            passenger_rate = _ZERO
        passenger_exact = passenger_rate * d * claim.passengers
        if claim.passengers and passenger_rate == 0:
            notes.append(f"{table.country}: no tax-free passenger allowance for a {claim.vehicle}")

        exact = [s[3] for s in segments] + [uplift, passenger_exact]
        amount = from_decimal(sum(exact, _ZERO), currency)
        parts = split_largest_remainder(amount, exact) if amount > 0 and any(exact) else [0] * len(exact)
        out_bands = tuple(
            MileageBand(
                label=s[0].label,
                from_distance=s[1],
                to_distance=s[2],
                distance=s[2] - s[1],
                rate=s[0].rate,
                amount=part,
            )
            for s, part in zip(segments, parts, strict=False)
        )
        exact_total = sum(exact, _ZERO)
        rate = (exact_total / d).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN) if d else _ZERO
    return MileageResult(
        country=claim.country,
        currency=currency,
        amount=amount,
        distance=total,
        unit=claim.unit,
        rate_unit=rate_unit,
        distance_in_rate_unit=d,
        rate=rate,
        bands=out_bands,
        uplift_amount=parts[-2],
        passengers=claim.passengers,
        passenger_rate=passenger_rate,
        passenger_amount=parts[-1],
        vehicle=claim.vehicle,
        electric=claim.electric,
        tax_year=tax_year(table, claim.date),
        ytd_before=ytd,
        ytd_after=end,
        straight_line_distance=straight,
        flags=tuple(flags),
        notes=tuple(notes),
        table=table,
    )
