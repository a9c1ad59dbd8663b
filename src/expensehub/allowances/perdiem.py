"""Per diem: the day-by-day statutory tax-free allowance of a trip, the company's amount, the taxable excess.

A trip is cut into calendar days in the trip's timezone (the timezone of its start). Each day is priced
by the rate table in force on that day, with the rules of the employer's country (``Trip.country``):

* ``de`` (§ 9 Abs. 4a EStG): more than 8 hours away on a one-day trip, and the first and last day of a
  trip with an overnight stay, earn the partial rate (14 EUR at home); each day in between the full rate
  (28 EUR). A trip over midnight without an overnight stay earns one partial rate, on the day with the
  most hours, when the whole absence exceeds 8 hours. Provided meals cut 20 % (breakfast) and 40 % (lunch,
  dinner) of the full-day rate, never below zero. Abroad, the BMF rates of the destination (and city);
  after three months at the same place nothing.
* ``es`` (art. 9 RIRPF): per day 53.34 / 26.67 EUR with / without an overnight stay, 91.35 / 48.08 abroad;
  after nine months in the same municipality nothing.
* ``gb`` (HMRC benchmark scale rates): 5 hours £5, 10 hours £10, 15 hours and ongoing at 8 p.m. £25, plus
  £10 when a £5 or £10 day lasts beyond 8 p.m.; UK destinations only.
* ``us`` (GSA M&IE, IRS substantiation): first and last day 75 %, days between 100 %, provided meals
  deducted at the tier's breakdown; nothing tax-free without an overnight stay; CONUS only.

Money is computed exactly with ``Decimal`` and rounded half-even once, at the end, into minor units.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from expensehub.allowances.tables import RateTable, dec, find_table
from expensehub.errors import ValidationFailed
from expensehub.kit.countries import COUNTRY_CODES
from expensehub.kit.money import MAX_MINOR_UNITS, from_decimal, split_largest_remainder, to_decimal

MEALS: tuple[str, ...] = ("breakfast", "lunch", "dinner")
DAY_KINDS: tuple[str, ...] = ("full", "partial", "none")
MAX_TRIP_DAYS = 400
# Trips are priced between these dates (far outside any rate table; keeps date arithmetic in range).
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
MAX_MULTIPLIER = Decimal(10)
_HOUR = 3600
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Trip:
    """A business trip to price.

    ``start`` and ``end`` are timezone-aware; calendar days are those of ``start``'s timezone.
    ``overnight_stays`` lists the nights spent away, each named by the date it begins; ``None`` means every
    night of the trip. ``meals_provided`` maps a day to the meals the employer provided on it.
    ``locality_mie`` is the GSA M&IE rate of a US non-standard area (major units, one of the tiers).
    """

    country: str
    start: datetime
    end: datetime
    destination_country: str
    destination_city: str | None = None
    meals_provided: Mapping[date, frozenset[str]] = field(default_factory=dict)
    overnight_stays: frozenset[date] | None = None
    locality_mie: Decimal | None = None


@dataclass(frozen=True)
class FixedRate:
    """A company's own daily rates, in minor units of the table's currency."""

    full_day: int
    partial_day: int


@dataclass(frozen=True)
class Policy:
    """What the company pays: the statutory amount (default), a multiple of it, or fixed daily rates.

    ``fixed_rates`` maps a destination country code, or ``"*"`` for any other, to daily rates; a day
    whose destination has no entry is paid the statutory amount. ``deduct_meals``: the company also cuts
    its amount for provided meals (by the statutory deduction, or by the multiple of it).
    """

    multiplier: Decimal | None = None
    fixed_rates: Mapping[str, FixedRate] | None = None
    deduct_meals: bool = True


@dataclass(frozen=True)
class Deduction:
    """A provided meal and what it cut from the day's statutory amount (minor units)."""

    meal: str
    amount: int


@dataclass(frozen=True)
class PerDiemDay:
    """One calendar day of the breakdown. Amounts in minor units.

    ``statutory`` = ``gross`` - deductions (the tax-free ceiling); ``tax_free`` = min(``policy``,
    ``statutory``); ``taxable`` = ``policy`` - ``tax_free``.
    """

    date: date
    seconds_absent: int
    rule: str
    description: str
    day_kind: str
    table_id: str | None
    rate_basis: str | None
    gross: int
    deductions: tuple[Deduction, ...]
    statutory: int
    policy: int
    tax_free: int
    taxable: int

    @property
    def hours_absent(self) -> Decimal:
        """Hours away on this day, to two decimals."""
        return (Decimal(self.seconds_absent) / _HOUR).quantize(Decimal("0.01"))

    @property
    def deducted(self) -> int:
        return sum(d.amount for d in self.deductions)


@dataclass(frozen=True)
class PerDiemTotals:
    """Sums of the days' amounts (minor units)."""

    gross: int
    deductions: int
    statutory: int
    policy: int
    tax_free: int
    taxable: int


@dataclass(frozen=True)
class PerDiemResult:
    """The priced trip: days, totals, the tables used (with their sources) and notes on assumptions."""

    country: str
    currency: str
    destination_country: str
    destination_city: str | None
    start: datetime
    end: datetime
    days: tuple[PerDiemDay, ...]
    totals: PerDiemTotals
    tables: tuple[RateTable, ...]
    notes: tuple[str, ...]


# --------------------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError("unreachable")  # pragma: no cover


def _seconds(a: datetime, b: datetime) -> int:
    """Elapsed whole seconds from ``a`` to ``b`` (through UTC, so DST changes count correctly)."""
    return int((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds())


@dataclass(frozen=True)
class _Slice:
    day: date
    start: datetime
    end: datetime
    seconds: int


def _slices(start: datetime, end: datetime) -> list[_Slice]:
    """The trip cut at local midnights; a trip ending exactly at midnight has no slice on its end date."""
    tz = start.tzinfo
    local_end = end.astimezone(tz)
    last = local_end.date()
    if local_end.time() == time(0) and local_end > start:
        last -= timedelta(days=1)
    out: list[_Slice] = []
    day = start.date()
    while day <= last:
        day_start = datetime.combine(day, time(0), tzinfo=tz)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        seg_start = max(start, day_start, key=lambda d: d.astimezone(UTC))
        seg_end = min(local_end, day_end, key=lambda d: d.astimezone(UTC))
        out.append(_Slice(day, seg_start, seg_end, max(0, _seconds(seg_start, seg_end))))
        day += timedelta(days=1)
    return out


def _ongoing_at(s: _Slice, at: time) -> bool:
    """Whether the absence covers the wall-clock time ``at`` on the slice's day."""
    moment = datetime.combine(s.day, at, tzinfo=s.start.tzinfo).astimezone(UTC)
    return s.start.astimezone(UTC) <= moment < s.end.astimezone(UTC)


def normalize_name(text: str) -> str:
    """A place name for matching: accents removed, case folded, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in stripped.casefold() if c.isalnum())


# --------------------------------------------------------------------------------------------------
# Exact (Decimal) day amounts, before rounding
# --------------------------------------------------------------------------------------------------


@dataclass
class _Day:
    slice: _Slice
    rule: str
    description: str
    day_kind: str = "none"
    table: RateTable | None = None
    rate_basis: str | None = None
    gross: Decimal = _ZERO
    deductions: list[tuple[str, Decimal]] = field(default_factory=list)

    def deduct(self, meals: frozenset[str], amounts: Mapping[str, Decimal]) -> None:
        """Cut the provided meals' amounts in the fixed order breakfast, lunch, dinner; never below zero."""
        left = self.gross
        for meal in MEALS:
            if meal in meals and left > 0:
                cut = min(amounts[meal], left)
                self.deductions.append((meal, cut))
                left -= cut


class _Notes:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


@dataclass(frozen=True)
class _Ctx:
    trip: Trip
    slices: list[_Slice]
    nights: frozenset[date]
    notes: _Notes
    tables: tuple[RateTable, ...] | None

    def table(self, day: date) -> RateTable:
        return find_table(self.trip.country, "per_diem", day, self.tables)

    def meals(self, day: date) -> frozenset[str]:
        return self.trip.meals_provided.get(day, frozenset())


def _city_rates(
    entry: Mapping[str, Any], city: str | None, notes: _Notes, label: str
) -> tuple[Mapping[str, Any], str]:
    """The city's line of a country entry when the city is listed, else the country's line."""
    if city:
        wanted = normalize_name(city)
        for c in entry.get("cities", []):
            if any(normalize_name(alias) == wanted for alias in [c["name"], *c.get("aliases", [])]):
                return c, f"{label} – {c['name']}"
        if entry.get("cities"):
            notes.add(f"{city!r} has no specific rate in {label}; the country rate applies")
    return entry, label


# ---- Germany ---------------------------------------------------------------------------------------


def _de_rates(ctx: _Ctx, table: RateTable, day: date) -> tuple[Decimal, Decimal, str]:
    """(full-day rate, partial rate, basis) for the trip's destination under ``table``."""
    dest = ctx.trip.destination_country
    if dest == "de":
        domestic = table.data["domestic"]
        return dec(domestic["full_day"]), dec(domestic["partial_day"]), "Inland"
    foreign = table.data.get("foreign")
    if foreign is None:
        raise ValidationFailed(
            f"no German foreign per diem rates on {day.isoformat()} ({table.id} has domestic rates only)",
            fields={"start": [f"no foreign rates for {day.isoformat()}"]},
            code="no_rates_for_date",
        )
    countries = foreign["countries"]
    entry = countries.get(dest)
    label = dest.upper()
    if entry is None:
        if not foreign.get("complete"):
            raise ValidationFailed(
                f"{table.id} has no line for {dest.upper()} (the bundled foreign table is a selection; "
                "add the country from the BMF table)",
                fields={"destination_country": [f"no German per diem rates for {dest!r} in {table.id}"]},
                code="unsupported_destination",
            )
        fallback = foreign["fallback"]
        entry = countries[fallback]
        ctx.notes.add(
            f"{dest.upper()} is not in {table.id}; priced with the rates of {fallback.upper()} "
            "(the BMF rule for countries the table does not list)"
        )
        label = f"{dest.upper()} (as {fallback.upper()})"
        rates, basis = entry, label
    else:
        rates, basis = _city_rates(entry, ctx.trip.destination_city, ctx.notes, f"{label} {entry['name']}")
    return dec(rates["full_day"]), dec(rates["partial_day"]), basis


def _germany(ctx: _Ctx) -> list[_Day]:
    slices = ctx.slices
    days = [_Day(s, "", "") for s in slices]
    n = len(days)
    threshold = 8 * _HOUR
    has_overnight = bool(ctx.nights)
    total_seconds = sum(s.seconds for s in slices)
    first_day = slices[0].day
    kinds: list[tuple[str, str, str]] = []  # (day_kind, rule, description)
    if n == 1:
        if slices[0].seconds > threshold:
            kinds.append(("partial", "de_single_day_over_8h", "one-day absence of more than 8 hours"))
        else:
            kinds.append(("none", "de_single_day_8h_or_less", "one-day absence of 8 hours or less"))
    elif has_overnight:
        for i in range(n):
            if i == 0:
                kinds.append(
                    ("partial", "de_arrival_day", "first day (Anreisetag) of a trip with overnight stay")
                )
            elif i == n - 1:
                kinds.append(
                    ("partial", "de_departure_day", "last day (Abreisetag) of a trip with overnight stay")
                )
            else:
                kinds.append(("full", "de_full_day", "full day: 24 hours away"))
    elif n == 2:
        main = 0 if slices[0].seconds >= slices[1].seconds else 1
        for i in range(2):
            if total_seconds <= threshold:
                kinds.append(("none", "de_over_midnight_8h_or_less", "over midnight, 8 hours or less in all"))
            elif i == main:
                kinds.append(
                    (
                        "partial",
                        "de_over_midnight",
                        "over midnight without overnight stay: more than 8 hours in all, counted on the day "
                        "with the most hours",
                    )
                )
            else:
                kinds.append(
                    ("none", "de_over_midnight_other_day", "over midnight: counted on the other day")
                )
    else:
        for i, s in enumerate(slices):
            if 0 < i < n - 1:
                kinds.append(("full", "de_full_day", "full day: 24 hours away"))
            elif s.seconds > threshold:
                kinds.append(("partial", "de_day_over_8h", "more than 8 hours away (no overnight stay)"))
            else:
                kinds.append(("none", "de_day_8h_or_less", "8 hours or less away (no overnight stay)"))
    months_limit: int | None = None
    for d, (kind, rule, text) in zip(days, kinds, strict=True):
        table = ctx.table(d.slice.day)
        months_limit = int(table.data.get("max_months_same_place", 3))
        d.table = table
        if d.slice.day >= add_months(first_day, months_limit):
            d.rule, d.description = "de_three_month_limit", "after three months at the same place"
            continue
        d.day_kind, d.rule, d.description = kind, rule, text
        if kind == "none":
            continue
        full, partial, basis = _de_rates(ctx, table, d.slice.day)
        d.rate_basis = basis
        d.gross = full if kind == "full" else partial
        pct = {m: dec(p) for m, p in table.data["meal_deductions"].items()}
        d.deduct(ctx.meals(d.slice.day), {m: full * pct[m] for m in MEALS})
    return days


# ---- Spain -----------------------------------------------------------------------------------------


def _spain(ctx: _Ctx) -> list[_Day]:
    abroad = ctx.trip.destination_country != "es"
    first_day = ctx.slices[0].day
    if any(ctx.trip.meals_provided.values()):
        ctx.notes.add("Spain: provided meals do not change the exempt dietas (art. 9 RIRPF)")
    days: list[_Day] = []
    for s in ctx.slices:
        table = ctx.table(s.day)
        rates = table.data["abroad" if abroad else "domestic"]
        where = "abroad" if abroad else "in Spain"
        limit = int(table.data.get("max_months_same_place", 9))
        if s.day >= add_months(first_day, limit):
            days.append(
                _Day(s, "es_nine_month_limit", "after nine months in the same municipality", table=table)
            )
            continue
        if s.day in ctx.nights:
            day = _Day(s, "es_with_overnight", f"manutención with overnight stay {where}", "full", table)
            day.gross = dec(rates["with_overnight"])
        else:
            day = _Day(
                s, "es_without_overnight", f"manutención without overnight stay {where}", "partial", table
            )
            day.gross = dec(rates["without_overnight"])
        day.rate_basis = "extranjero" if abroad else "España"
        days.append(day)
    return days


# ---- United Kingdom --------------------------------------------------------------------------------


def _at(text: str) -> time:
    return time.fromisoformat(text)


def _united_kingdom(ctx: _Ctx) -> list[_Day]:
    if ctx.trip.destination_country != "gb":
        raise ValidationFailed(
            "UK benchmark scale rates cover travel within the UK only (worldwide rates are not included)",
            fields={"destination_country": ["must be gb for country gb"]},
            code="unsupported_destination",
        )
    days: list[_Day] = []
    for s in ctx.slices:
        table = ctx.table(s.day)
        if ctx.meals(s.day) >= frozenset(MEALS):
            days.append(
                _Day(s, "gb_all_meals_provided", "every meal was provided: no meal bought", table=table)
            )
            continue
        day = _Day(s, "gb_under_5_hours", "less than 5 hours of qualifying travel", table=table)
        for tier in table.data["tiers"]:
            min_seconds = int(dec(tier["min_hours"]) * _HOUR)
            if s.seconds < min_seconds:
                continue
            if "ongoing_at" in tier and not _ongoing_at(s, _at(tier["ongoing_at"])):
                continue
            hours = tier["min_hours"]
            day.gross = dec(tier["amount"])
            day.day_kind = tier["day_kind"]
            day.rule = f"gb_{hours}_hours"
            day.description = f"at least {hours} hours" + (
                f" and ongoing at {tier['ongoing_at']}" if "ongoing_at" in tier else ""
            )
            late = table.data.get("late_supplement")
            if tier.get("late_supplement") and late and _ongoing_at(s, _at(late["ongoing_at"])):
                day.gross += dec(late["amount"])
                day.rule += "_late"
                day.description += f", plus the supplement for travel beyond {late['ongoing_at']}"
            break
        day.rate_basis = "benchmark scale rate"
        days.append(day)
    return days


# ---- United States ---------------------------------------------------------------------------------


def _united_states(ctx: _Ctx) -> list[_Day]:
    trip = ctx.trip
    if trip.destination_country != "us":
        raise ValidationFailed(
            "GSA M&IE rates cover the continental US only (OCONUS and foreign rates are not included)",
            fields={"destination_country": ["must be us for country us"]},
            code="unsupported_destination",
        )
    n = len(ctx.slices)
    days: list[_Day] = []
    for i, s in enumerate(ctx.slices):
        table = ctx.table(s.day)
        tiers = table.data["tiers"]
        mie = trip.locality_mie if trip.locality_mie is not None else dec(table.data["standard_mie"])
        key = next((k for k in tiers if dec(k) == mie), None)
        if key is None:
            raise ValidationFailed(
                f"locality_mie {mie} is not a GSA M&IE tier ({', '.join(tiers)})",
                fields={"locality_mie": [f"must be one of {', '.join(tiers)}"]},
                code="unknown_mie_tier",
            )
        breakdown = {m: dec(tiers[key][m]) for m in MEALS}
        basis = f"M&IE ${key}" + ("" if trip.locality_mie is not None else " (standard CONUS)")
        if not ctx.nights:
            days.append(
                _Day(s, "us_no_overnight", "no overnight stay: not travel away from home", table=table)
            )
            continue
        fraction = dec(table.data["first_last_day_fraction"])
        if i == 0:
            day = _Day(s, "us_first_day", "first day of travel: 75 %", "partial", table)
            day.gross = mie * fraction
        elif i == n - 1:
            day = _Day(s, "us_last_day", "last day of travel: 75 %", "partial", table)
            day.gross = mie * fraction
        else:
            day = _Day(s, "us_full_day", "full day of travel", "full", table)
            day.gross = mie
        day.rate_basis = basis
        day.deduct(ctx.meals(s.day), breakdown)
        days.append(day)
    return days


_RULES: dict[str, Callable[[_Ctx], list[_Day]]] = {
    "de_vma": _germany,
    "es_dietas": _spain,
    "gb_benchmark": _united_kingdom,
    "us_gsa": _united_states,
}


# --------------------------------------------------------------------------------------------------
# Validation, policy, rounding
# --------------------------------------------------------------------------------------------------


def _validate(trip: Trip) -> None:
    fields: dict[str, list[str]] = {}
    if trip.country not in COUNTRY_CODES:
        fields["country"] = [f"unknown country code {trip.country!r}"]
    if trip.destination_country not in COUNTRY_CODES:
        fields["destination_country"] = [f"unknown country code {trip.destination_country!r}"]
    if trip.start.tzinfo is None or trip.end.tzinfo is None:
        fields["start"] = ["start and end need a timezone (an offset, or the `timezone` field)"]
    elif not (trip.start.date() > MIN_DATE and trip.end.date() < MAX_DATE):
        fields["start"] = [f"the trip must lie between {MIN_DATE} and {MAX_DATE}"]
    elif trip.end <= trip.start:
        fields["end"] = ["must be after start"]
    elif (trip.end - trip.start) > timedelta(days=MAX_TRIP_DAYS):
        fields["end"] = [f"a trip may last at most {MAX_TRIP_DAYS} days"]
    if trip.locality_mie is not None and trip.country != "us":
        fields["locality_mie"] = ["only used with country us"]
    for day, meals in trip.meals_provided.items():
        unknown = set(meals) - set(MEALS)
        if unknown:
            fields.setdefault("meals_provided", []).append(f"{day}: unknown meals {sorted(unknown)}")
    if fields:
        code = "unknown_country" if {"country", "destination_country"} & fields.keys() else "invalid_trip"
        raise ValidationFailed("invalid trip", fields=fields, code=code)


def _nights(trip: Trip, slices: Sequence[_Slice]) -> frozenset[date]:
    possible = frozenset(s.day for s in slices[:-1])
    if trip.overnight_stays is None:
        return possible
    outside = sorted(trip.overnight_stays - possible)
    if outside:
        raise ValidationFailed(
            "overnight stays outside the trip",
            fields={"overnight_stays": [f"{d.isoformat()} is not a night of the trip" for d in outside]},
            code="invalid_trip",
        )
    return frozenset(trip.overnight_stays)


def _check_meal_days(trip: Trip, slices: Sequence[_Slice]) -> None:
    trip_days = {s.day for s in slices}
    outside = sorted(d for d, meals in trip.meals_provided.items() if meals and d not in trip_days)
    if outside:
        raise ValidationFailed(
            "meals provided outside the trip",
            fields={"meals_provided": [f"{d.isoformat()} is not a day of the trip" for d in outside]},
            code="invalid_trip",
        )


def _validate_policy(policy: Policy) -> None:
    fields: dict[str, list[str]] = {}
    if policy.multiplier is not None and policy.fixed_rates is not None:
        fields["policy"] = ["give either multiplier or fixed_rates, not both"]
    if policy.multiplier is not None and not (_ZERO <= policy.multiplier <= MAX_MULTIPLIER):
        fields["policy.multiplier"] = [f"must be between 0 and {MAX_MULTIPLIER}"]
    for key, rate in (policy.fixed_rates or {}).items():
        if key != "*" and key not in COUNTRY_CODES:
            fields.setdefault("policy.fixed_rates", []).append(f"unknown country code {key!r}")
        for value in (rate.full_day, rate.partial_day):
            if not 0 <= value <= MAX_MINOR_UNITS:
                fields.setdefault("policy.fixed_rates", []).append(f"rates must be 0..{MAX_MINOR_UNITS}")
    if fields:
        raise ValidationFailed("invalid policy", fields=fields, code="invalid_policy")


def _policy_exact(policy: Policy, day: _Day, statutory: Decimal, currency: str, dest: str) -> Decimal:
    deducted = sum((a for _, a in day.deductions), _ZERO)
    if policy.multiplier is not None:
        base = statutory if policy.deduct_meals else day.gross
        return base * policy.multiplier
    if policy.fixed_rates is not None:
        rate = policy.fixed_rates.get(dest) or policy.fixed_rates.get("*")
        if rate is not None:
            if day.day_kind == "none":
                return _ZERO
            minor = rate.full_day if day.day_kind == "full" else rate.partial_day
            amount = to_decimal(minor, currency)
            return max(_ZERO, amount - deducted) if policy.deduct_meals else amount
    return statutory


def _round_days(exact: Sequence[Decimal], currency: str) -> list[int]:
    """Minor units per day that sum exactly to the total rounded half-even once (largest remainder)."""
    total = from_decimal(sum(exact, _ZERO), currency)
    if total == 0 or not any(exact):
        return [0] * len(exact)
    return split_largest_remainder(total, list(exact))


def compute_per_diem(
    trip: Trip, policy: Policy | None = None, *, tables: tuple[RateTable, ...] | None = None
) -> PerDiemResult:
    """Price ``trip`` day by day under the rules of ``trip.country``; 422 ``ValidationFailed`` if bad."""
    policy = policy or Policy()
    _validate(trip)
    _validate_policy(policy)
    slices = _slices(trip.start, trip.end)
    _check_meal_days(trip, slices)
    ctx = _Ctx(trip, slices, _nights(trip, slices), _Notes(), tables)
    first_table = ctx.table(slices[0].day)
    rules = _RULES.get(first_table.rules)
    if rules is None:  # pragma: no cover - a table naming rules the engine does not know is a packaging bug
        raise ValidationFailed(f"no engine for rules {first_table.rules!r}", code="unsupported_country")
    days = rules(ctx)
    currency = first_table.currency

    gross_minor = [from_decimal(d.gross, currency) for d in days]
    cut_minor: list[list[int]] = []
    for d, gross in zip(days, gross_minor, strict=True):
        left, cuts = gross, []
        for _, amount in d.deductions:
            cut = min(from_decimal(amount, currency), left)
            cuts.append(cut)
            left -= cut
        cut_minor.append(cuts)
    statutory_minor = [g - sum(c) for g, c in zip(gross_minor, cut_minor, strict=True)]
    policy_exact = [
        _policy_exact(policy, d, to_decimal(s, currency), currency, trip.destination_country)
        for d, s in zip(days, statutory_minor, strict=True)
    ]
    policy_minor = _round_days(policy_exact, currency)

    out: list[PerDiemDay] = []
    for d, gross, cuts, stat, pol in zip(
        days, gross_minor, cut_minor, statutory_minor, policy_minor, strict=True
    ):
        tax_free = min(pol, stat)
        out.append(
            PerDiemDay(
                date=d.slice.day,
                seconds_absent=d.slice.seconds,
                rule=d.rule,
                description=d.description,
                day_kind=d.day_kind,
                table_id=d.table.id if d.table else None,
                rate_basis=d.rate_basis,
                gross=gross,
                deductions=tuple(Deduction(m, c) for (m, _), c in zip(d.deductions, cuts, strict=True)),
                statutory=stat,
                policy=pol,
                tax_free=tax_free,
                taxable=pol - tax_free,
            )
        )
    totals = PerDiemTotals(
        gross=sum(d.gross for d in out),
        deductions=sum(d.deducted for d in out),
        statutory=sum(d.statutory for d in out),
        policy=sum(d.policy for d in out),
        tax_free=sum(d.tax_free for d in out),
        taxable=sum(d.taxable for d in out),
    )
    used: dict[str, RateTable] = {}
    for d in days:
        if d.table is not None:
            used.setdefault(d.table.id, d.table)
    return PerDiemResult(
        country=trip.country,
        currency=currency,
        destination_country=trip.destination_country,
        destination_city=trip.destination_city,
        start=trip.start,
        end=trip.end.astimezone(trip.start.tzinfo),
        days=tuple(out),
        totals=totals,
        tables=tuple(used.values()),
        notes=tuple(ctx.notes.items),
    )
