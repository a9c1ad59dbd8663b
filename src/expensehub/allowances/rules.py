"""Pure rules for stored claims: which categories are meals or fuel, which statuses count, how a stored per
diem (dates, free-text places and the trip inputs its caller gave) becomes a trip the engine can price, the
rate configurations a priced trip used, and the year-to-date distance of a mileage.

Documented in docs/allowances.md ("Per diems and mileages through the expenses API", "Receipt checks" and
"Payroll adjustments").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from expensehub.allowances.mileage import convert
from expensehub.allowances.perdiem import MEALS, PerDiemResult, Trip
from expensehub.errors import ValidationFailed
from expensehub.kit.countries import normalize_country

# Category identifiers (of the category or of its parent) that mean "a meal the employee paid".
MEAL_CATEGORY_IDENTIFIERS: frozenset[str] = frozenset(
    {"restaurants", "restaurant", "meals", "meal", "food", "subsistence", "dietas", "per_diem_meals"}
)
# Category identifiers (of the category or of its parent) that mean fuel or a rented car.
FUEL_OR_RENTAL_CATEGORY_IDENTIFIERS: frozenset[str] = frozenset(
    {"fuel", "gas", "petrol", "car_rental", "rental_car", "travel_car_rental", "travel_fuel"}
)
# Claims in these statuses are ignored by the receipt checks (they will not be paid).
IGNORED_STATUSES: tuple[str, ...] = ("rejected", "reversed")
# Claims in these statuses are what payroll pays, so they are what the payroll report covers.
PAYABLE_STATUSES: tuple[str, ...] = ("approved", "in_payroll", "sent_to_pay", "paid")

# The local time a stored per diem is assumed to start and end (stored per diems carry dates only).
ASSUMED_START = time(8, 0)
ASSUMED_END = time(18, 0)
# Timezone of the working day in each country with per diem rules (UTC elsewhere).
DEFAULT_TIMEZONES: dict[str, str] = {
    "de": "Europe/Berlin",
    "es": "Europe/Madrid",
    "fr": "Europe/Paris",
    "gb": "Europe/London",
    "us": "America/New_York",
}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TRAILING_CODE = re.compile(r"^(?P<city>.*?)[\s,(/-]+(?P<code>[A-Za-z]{2})\)?$")


def month_bounds(text: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; 422 ``invalid_month`` otherwise."""
    m = _MONTH.match(text.strip())
    if m is not None:
        year, month = int(m.group(1)), int(m.group(2))
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            first = date(year, month, 1)
            nxt = date(year + (month == 12), month % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
    raise ValidationFailed(
        "month must be YYYY-MM", fields={"month": ["must be a month as YYYY-MM"]}, code="invalid_month"
    )


def is_category(identifier: str | None, parent_identifier: str | None, identifiers: frozenset[str]) -> bool:
    """Whether a category (or its parent) has one of ``identifiers`` (case-insensitive)."""
    return any(i is not None and i.strip().lower() in identifiers for i in (identifier, parent_identifier))


def parse_destination(text: str | None, default_country: str) -> tuple[str, str | None]:
    """(country code, city) from a stored per diem's free-text destination.

    ``"fr"`` -> (fr, None); ``"Paris, FR"`` / ``"Paris (fr)"`` -> (fr, Paris); anything else -> the default
    country with the whole text as the city (which gives a city rate when the text names a listed city).
    """
    if text is None or not text.strip():
        return default_country, None
    value = text.strip()
    code = normalize_country(value)
    if code is not None and len(value) == 2:
        return code, None
    m = _TRAILING_CODE.match(value)
    if m is not None:
        code = normalize_country(m.group("code"))
        if code is not None and m.group("city").strip():
            return code, m.group("city").strip()
    return default_country, value


def assumed_trip(
    *,
    country: str,
    start_date: date,
    end_date: date,
    destination: str | None,
) -> Trip:
    """The trip a stored per diem stands for: 08:00 on the first day to 18:00 on the last, local time of
    the employer's country, every night away, no meals provided, destination parsed from the text."""
    return resolve_trip(
        country=country,
        start_date=start_date,
        end_date=end_date,
        destination=destination,
        inputs=TripInputs(),
    )


# --------------------------------------------------------------------------------------------------
# Trip inputs of a per diem
# --------------------------------------------------------------------------------------------------

# Oldest and newest years a trip time may have (the engine prices 1900..2999; keeps arithmetic in range).
MIN_YEAR, MAX_YEAR = 1901, 2998
TRIP_INPUT_KEYS: tuple[str, ...] = (
    "start_at",
    "end_at",
    "timezone",
    "destination_country",
    "destination_city",
    "meals_provided",
    "overnight_stays",
    "locality_mie",
)


def zone(name: str, field_name: str = "timezone") -> ZoneInfo:
    """The IANA timezone ``name``; 422 ``unknown_timezone`` otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationFailed(
            f"unknown timezone {name!r}",
            fields={field_name: ["must be an IANA timezone name, e.g. Europe/Berlin"]},
            code="unknown_timezone",
        ) from exc


def trip_times(
    start: datetime,
    end: datetime,
    timezone: str | None,
    names: tuple[str, str] = ("start", "end"),
) -> tuple[datetime, datetime, str]:
    """Aware start and end of a trip and the name of the timezone whose calendar days it uses.

    With ``timezone``, naive times are local times there and aware ones are converted to it; without it,
    both need an offset and the days are those of ``start``'s offset. 422 ``invalid_trip`` (a year out of
    range, a naive time without timezone) or ``unknown_timezone``; ``names`` are the fields to blame.
    """
    outside = [n for n, v in zip(names, (start, end), strict=True) if not MIN_YEAR <= v.year <= MAX_YEAR]
    if outside:
        raise ValidationFailed(
            "dates out of range",
            fields={n: [f"the year must be between {MIN_YEAR} and {MAX_YEAR}"] for n in outside},
            code="invalid_trip",
        )
    if timezone is not None:
        tz = zone(timezone)
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
        end = end.replace(tzinfo=tz) if end.tzinfo is None else end.astimezone(tz)
        return start, end, timezone
    naive = [n for n, v in zip(names, (start, end), strict=True) if v.tzinfo is None]
    if naive:
        raise ValidationFailed(
            f"{' and '.join(names)} need a UTC offset, or a timezone",
            fields={n: ["needs a UTC offset (e.g. +01:00) or the `timezone` field"] for n in naive},
            code="invalid_trip",
        )
    return start, end, start.tzname() or "UTC"


@dataclass(frozen=True)
class TripInputs:
    """What the caller said about a per diem's trip beyond its dates; every field optional.

    Missing fields are assumed when the trip is priced (``resolve_trip``): 08:00 on ``start_date`` to 18:00
    on ``end_date``, local time of ``timezone`` (default: the employer country's, ``DEFAULT_TIMEZONES``),
    the destination parsed from the per diem's ``to``, every night away, no meals provided.
    ``start_at``/``end_at`` may be naive (local times of ``timezone``).
    """

    start_at: datetime | None = None
    end_at: datetime | None = None
    timezone: str | None = None
    destination_country: str | None = None
    destination_city: str | None = None
    meals_provided: Mapping[date, frozenset[str]] = field(default_factory=dict)
    overnight_stays: frozenset[date] | None = None
    locality_mie: Decimal | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> TripInputs:
        """From the JSON object stored on a per diem (``to_json``) or the keys of a request body (dates and
        times as ISO strings or as ``date``/``datetime``; meals as ``{date, breakfast, lunch, dinner}``)."""
        if not raw:
            return cls()
        meals: dict[date, set[str]] = {}
        for m in raw.get("meals_provided") or []:
            day = _as_date(m["date"])
            meals.setdefault(day, set()).update(name for name in MEALS if m.get(name))
        nights = raw.get("overnight_stays")
        mie = raw.get("locality_mie")
        country = raw.get("destination_country")
        return cls(
            start_at=_as_datetime(raw.get("start_at")),
            end_at=_as_datetime(raw.get("end_at")),
            timezone=raw.get("timezone"),
            destination_country=country.strip().lower() if country else None,
            destination_city=raw.get("destination_city"),
            meals_provided={d: frozenset(v) for d, v in sorted(meals.items()) if v},
            overnight_stays=None if nights is None else frozenset(_as_date(d) for d in nights),
            locality_mie=None if mie is None else _as_decimal(mie),
        )

    def to_json(self) -> dict[str, Any]:
        """The fields that are set, JSON-ready (ISO dates and times, decimals as strings)."""
        out: dict[str, Any] = {}
        if self.start_at is not None:
            out["start_at"] = self.start_at.isoformat()
        if self.end_at is not None:
            out["end_at"] = self.end_at.isoformat()
        if self.timezone is not None:
            out["timezone"] = self.timezone
        if self.destination_country is not None:
            out["destination_country"] = self.destination_country
        if self.destination_city is not None:
            out["destination_city"] = self.destination_city
        if self.meals_provided:
            out["meals_provided"] = [
                {"date": d.isoformat(), **{m: m in meals for m in MEALS}}
                for d, meals in sorted(self.meals_provided.items())
            ]
        if self.overnight_stays is not None:
            out["overnight_stays"] = [d.isoformat() for d in sorted(self.overnight_stays)]
        if self.locality_mie is not None:
            out["locality_mie"] = str(self.locality_mie)
        return out


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(value)


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _as_decimal(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - only written from validated bodies
        raise ValueError(f"not a decimal: {value!r}") from None


def trip_day(moment: datetime, timezone: str | None, *, end: bool = False) -> date:
    """The calendar day of a trip time in the trip's timezone (an end at midnight belongs to the day
    before, as in the engine's breakdown). Naive times are local already. 422 ``invalid_trip`` for a year
    out of range."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        name = "end_at" if end else "start_at"
        raise ValidationFailed(
            "dates out of range",
            fields={name: [f"the year must be between {MIN_YEAR} and {MAX_YEAR}"]},
            code="invalid_trip",
        )
    local = moment
    if timezone is not None and moment.tzinfo is not None:
        local = moment.astimezone(zone(timezone))
    if end and local.time() == time(0):
        return local.date() - timedelta(days=1)
    return local.date()


def resolve_trip(
    *,
    country: str,
    start_date: date,
    end_date: date | None,
    destination: str | None,
    inputs: TripInputs,
) -> Trip:
    """The trip a per diem stands for: its trip inputs, and the assumptions for those it lacks.

    ``start_date``/``end_date`` are the per diem's dates (the caller passes ``effective_on`` when it has no
    ``start_date``). 422 ``invalid_trip``/``unknown_timezone`` on bad inputs, blaming ``start_at`` and
    ``end_at``; the engine checks the rest when it prices the trip.
    """
    last = max(end_date or start_date, start_date)
    tz_name = inputs.timezone
    default_zone = zone(tz_name) if tz_name is not None else ZoneInfo(DEFAULT_TIMEZONES.get(country, "UTC"))
    start, end = inputs.start_at, inputs.end_at
    if start is not None and end is not None:
        start, end, _ = trip_times(start, end, tz_name, ("start_at", "end_at"))
    elif start is not None:
        start, _, _ = trip_times(start, start, tz_name, ("start_at", "start_at"))
        end = datetime.combine(last, ASSUMED_END, tzinfo=default_zone if tz_name else start.tzinfo)
    elif end is not None:
        _, end, _ = trip_times(end, end, tz_name, ("end_at", "end_at"))
        start = datetime.combine(start_date, ASSUMED_START, tzinfo=default_zone if tz_name else end.tzinfo)
    else:
        start = datetime.combine(start_date, ASSUMED_START, tzinfo=default_zone)
        end = datetime.combine(last, ASSUMED_END, tzinfo=default_zone)
    if end <= start:
        raise ValidationFailed(
            "the trip ends before it starts",
            fields={"end_at": ["must be after start_at"]},
            code="invalid_trip",
        )
    mismatch: dict[str, list[str]] = {}
    if inputs.start_at is not None and trip_day(start, None) != start_date:
        mismatch["start_date"] = [f"must be the day of start_at ({trip_day(start, None).isoformat()})"]
    if inputs.end_at is not None and end_date is not None and trip_day(end, None, end=True) != end_date:
        day = trip_day(end, None, end=True).isoformat()
        mismatch["end_date"] = [f"must be the day of end_at ({day})"]
    if mismatch:
        raise ValidationFailed("the trip's dates and times disagree", fields=mismatch, code="invalid_trip")
    dest_country, city = parse_destination(destination, country)
    return Trip(
        country=country,
        start=start,
        end=end,
        destination_country=inputs.destination_country or dest_country,
        destination_city=inputs.destination_city if inputs.destination_city is not None else city,
        meals_provided=dict(inputs.meals_provided),
        overnight_stays=inputs.overnight_stays,
        locality_mie=inputs.locality_mie,
    )


# --------------------------------------------------------------------------------------------------
# Rate configurations a priced trip used
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateKey:
    """One line of a rate table for one kind of day: what a per diem rate configuration stands for."""

    country: str
    table_id: str
    valid_from: date
    destination_key: str
    day_kind: str
    amount: int
    currency: str


@dataclass(frozen=True)
class RateUse:
    """A configuration used by a trip: how many days it priced and their statutory amount."""

    key: RateKey
    days: int
    amount: int


def rate_uses(result: PerDiemResult) -> list[RateUse]:
    """One entry per distinct (table, line, day kind, gross daily amount) among the days that earned an
    allowance, in the order the trip first used them."""
    tables = {t.id: t for t in result.tables}
    found: dict[RateKey, list[int]] = {}
    for day in result.days:
        if day.day_kind == "none" or day.table_id is None or day.gross <= 0:
            continue
        table = tables[day.table_id]
        key = RateKey(
            country=result.country,
            table_id=table.id,
            valid_from=table.valid_from,
            destination_key=day.rate_basis or result.destination_country.upper(),
            day_kind=day.day_kind,
            amount=day.gross,
            currency=result.currency,
        )
        totals = found.setdefault(key, [0, 0])
        totals[0] += 1
        totals[1] += day.statutory
    return [RateUse(key=k, days=v[0], amount=v[1]) for k, v in found.items()]


# --------------------------------------------------------------------------------------------------
# Mileage: year-to-date distance
# --------------------------------------------------------------------------------------------------

DEFAULT_VEHICLE = "car"


def vehicle_group(vehicle: str | None) -> str:
    """Vehicles whose distances add up towards the same annual bands: cars and vans together (the UK's
    10,000 miles count both), every other kind alone. A stored mileage without vehicle is a car."""
    kind = vehicle or DEFAULT_VEHICLE
    return "car" if kind in ("car", "van") else kind


@dataclass(frozen=True)
class DrivenLeg:
    """An earlier mileage as the year-to-date sum needs it."""

    expensable_id: int
    effective_on: date
    distance: int | None
    units: str | None
    round_trip: bool | None
    vehicle: str | None
    country: str | None


def ytd_distance(
    legs: Iterable[DrivenLeg],
    *,
    country: str,
    vehicle: str | None,
    on: date,
    expensable_id: int | None,
    unit: str,
) -> Decimal:
    """Distance (in ``unit``) of the claims before this one, in the order date then id (a new claim,
    ``expensable_id`` None, comes after every claim of its day), of the same employer country and
    vehicle group. The caller selects the employee, the tax year and the statuses."""
    group = vehicle_group(vehicle)
    total = Decimal(0)
    for leg in legs:
        if leg.expensable_id == expensable_id or not leg.distance or leg.distance <= 0:
            continue
        if expensable_id is not None and (leg.effective_on, leg.expensable_id) >= (on, expensable_id):
            continue
        if expensable_id is None and leg.effective_on > on:
            continue
        if leg.country != country or vehicle_group(leg.vehicle) != group:
            continue
        leg_unit = leg.units if leg.units in ("km", "mi") else "km"
        total += convert(Decimal(leg.distance) * (2 if leg.round_trip else 1), leg_unit, unit)
    return total


def covered_days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive (at most 400)."""
    days = min(max((end - start).days, 0), 400)
    return [start + timedelta(days=i) for i in range(days + 1)]
