"""Pure rules for checking stored claims: which categories are meals or fuel, which statuses count, and the
assumptions that turn a stored per diem (dates and free-text places only) into a trip the engine can price.

Documented in docs/allowances.md ("Receipt checks" and "Payroll adjustments").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from expensehub.allowances.countries import normalize_country
from expensehub.allowances.perdiem import Trip
from expensehub.errors import ValidationFailed

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
    tz = ZoneInfo(DEFAULT_TIMEZONES.get(country, "UTC"))
    dest_country, city = parse_destination(destination, country)
    return Trip(
        country=country,
        start=datetime.combine(start_date, ASSUMED_START, tzinfo=tz),
        end=datetime.combine(max(end_date, start_date), ASSUMED_END, tzinfo=tz),
        destination_country=dest_country,
        destination_city=city,
    )


def covered_days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive (at most 400)."""
    days = min(max((end - start).days, 0), 400)
    return [start + timedelta(days=i) for i in range(days + 1)]
