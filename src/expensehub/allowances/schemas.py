"""Wire shapes of the allowances extension: simulation bodies and results, receipt checks, payroll report.

Each response shape is one ``TypedDict`` (``kit/shapes.py``), at once the typed view the builders return
(ids as integers; the version registry renders them) and the OpenAPI component. Money is in integer
minor units; rates, hours and distances are JSON numbers (decimals inside).
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from expensehub.allowances.mileage import MileageResult
from expensehub.allowances.perdiem import PerDiemResult
from expensehub.allowances.tables import RateTable
from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import TextId
from expensehub.kit.money import MAX_MINOR_UNITS
from expensehub.kit.shapes import IdOut, TypedDict

Money = Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR_UNITS)]
CountryCode = Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
Vehicle = Literal["car", "van", "motorcycle", "moped", "bicycle", "other_motor"]
Unit = Literal["km", "mi"]
Meal = Literal["breakfast", "lunch", "dinner"]
DayKind = Literal["full", "partial", "none"]
FlagType = Literal["double_claim", "mileage_with_fuel_or_rental"]
ClaimType = Literal["perdiem", "mileage"]


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _decimal_str(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --------------------------------------------------------------------------------------------------
# Shared: rate tables
# --------------------------------------------------------------------------------------------------


class SourceOut(TypedDict):
    """A legal or official source."""

    title: Annotated[str, Field(description="Title of the law, regulation or official publication")]
    url: Annotated[str, Field(description="Where to read it")]


class RateTableOut(TypedDict):
    """A rate table used for the computation."""

    id: Annotated[
        TextId, Field(description="Table identifier: `<country>/<kind>/<valid_from>` (its data file's path)")
    ]
    country: Annotated[str, Field(description="Country whose rules the table holds")]
    kind: Annotated[Literal["per_diem", "mileage"], Field(description="Allowance the table prices")]
    currency: Annotated[str, Field(description="Currency of the table's amounts")]
    valid_from: Annotated[str, Field(description="First day the table is in force (`YYYY-MM-DD`)")]
    valid_to: Annotated[str | None, Field(description="Last day in force; null while no newer table exists")]
    source: Annotated[SourceOut, Field(description="Legal or official source of the figures")]
    related_sources: Annotated[
        list[SourceOut], Field(description="Further sources (the statute behind a circular...)")
    ]
    notes: Annotated[list[str], Field(description="Scope, assumptions and caveats of the table")]


def rate_table_out(t: RateTable) -> RateTableOut:
    return {
        "id": t.id,
        "country": t.country,
        "kind": cast(Literal["per_diem", "mileage"], t.kind),
        "currency": t.currency,
        "valid_from": format_date(t.valid_from),
        "valid_to": format_date(t.valid_to),
        "source": {"title": t.source.title, "url": t.source.url},
        "related_sources": [{"title": s.title, "url": s.url} for s in t.related_sources],
        "notes": list(t.notes),
    }


# --------------------------------------------------------------------------------------------------
# Per diem simulation
# --------------------------------------------------------------------------------------------------


class MealsProvidedIn(_Body):
    """Meals the employer provided (or paid directly) on one day of the trip."""

    date: dt.date = Field(description="Day of the trip (`YYYY-MM-DD`, in the trip's timezone)")
    breakfast: bool = Field(False, description="Breakfast was provided")
    lunch: bool = Field(False, description="Lunch was provided")
    dinner: bool = Field(False, description="Dinner was provided")


class FixedRateIn(_Body):
    """The company's own daily rates for a destination country."""

    country: str = Field(
        min_length=1, max_length=2, description="Destination country code, or `*` for every other destination"
    )
    full_day: Money = Field(description="Amount for a full day, minor units of the rules' currency")
    partial_day: Money = Field(description="Amount for a partial day (arrival, departure, short trip)")


class PolicyIn(_Body):
    """What the company pays. Without a policy it pays exactly the statutory amount."""

    multiplier: Annotated[Decimal, Field(ge=0, le=10, max_digits=16, decimal_places=6)] | None = Field(
        None, description="Pay this multiple of the statutory amount (e.g. 1.2); 0 to 10"
    )
    fixed_rates: list[FixedRateIn] | None = Field(
        None,
        max_length=300,
        description="Pay fixed daily rates per destination country instead (a destination without an entry, "
        "and no `*` entry, is paid the statutory amount)",
    )
    deduct_meals: bool = Field(
        True, description="Cut the company amount for provided meals too (by the statutory deductions)"
    )


class PerDiemSimulationBody(_Body):
    """A trip to price, and optionally the company's policy. Nothing is stored."""

    country: CountryCode = Field(
        description="Country whose tax rules apply: the paying legal entity's (`de`, `es`, `gb`, `us`)"
    )
    start: datetime = Field(
        description="When the employee leaves home or work (ISO 8601, with offset or `timezone`)"
    )
    end: datetime = Field(description="When the employee is back (after `start`)")
    timezone: str | None = Field(
        None,
        max_length=64,
        description="IANA timezone of the trip's calendar days (e.g. `Europe/Berlin`); required when `start` "
        "and `end` carry no offset; default: the offset of `start`",
    )
    destination_country: CountryCode = Field(description="Country of the destination (ISO 3166 code)")
    destination_city: str | None = Field(
        None, max_length=120, description="City, where the rules have city rates (e.g. `Paris`, `London`)"
    )
    meals_provided: list[MealsProvidedIn] = Field(
        default_factory=list, max_length=400, description="Meals provided by the employer, per day"
    )
    overnight_stays: list[dt.date] | None = Field(
        None,
        max_length=400,
        description="Nights spent away, each named by the day it begins; default: every night of the trip",
    )
    locality_mie: Annotated[Decimal, Field(gt=0, le=1000, decimal_places=2)] | None = Field(
        None, description="US only: the GSA M&IE rate of a non-standard area (one of the tiers, e.g. 92)"
    )
    policy: PolicyIn | None = Field(None, description="Company policy; default: pay the statutory amount")


class DeductionOut(TypedDict):
    """A provided meal and what it cut from the day's statutory amount."""

    meal: Annotated[Meal, Field(description="The meal")]
    amount: Annotated[int, Field(description="Amount deducted, minor units")]


class PerDiemDayOut(TypedDict):
    """One calendar day of the trip."""

    date: Annotated[str, Field(description="The day (`YYYY-MM-DD`)")]
    hours_absent: Annotated[float, Field(description="Hours away on this day (two decimals)")]
    rule: Annotated[
        str, Field(description="Stable code of the rule applied, e.g. `de_full_day`, `gb_10_hours_late`")
    ]
    description: Annotated[str, Field(description="The rule in words")]
    day_kind: Annotated[DayKind, Field(description="Full day, partial day, or no allowance")]
    rate_table_id: Annotated[str | None, Field(description="Table the day was priced with")]
    rate_basis: Annotated[str | None, Field(description="Which line of the table (country, city, tier)")]
    gross_amount: Annotated[int, Field(description="Statutory allowance before meal deductions, minor units")]
    deductions: Annotated[list[DeductionOut], Field(description="Provided meals and their deductions")]
    statutory_amount: Annotated[
        int, Field(description="Statutory tax-free ceiling: gross minus deductions (>= 0)")
    ]
    policy_amount: Annotated[int, Field(description="What the company pays for the day under its policy")]
    tax_free_amount: Annotated[
        int, Field(description="Part of the policy amount that is tax-free: min(policy, statutory)")
    ]
    taxable_amount: Annotated[int, Field(description="Taxable excess: policy amount minus tax-free amount")]


class PerDiemSimulationOut(TypedDict):
    """A priced trip. Totals are the sums of the days; `amount` is what the company pays."""

    country: Annotated[str, Field(description="Country whose rules were applied")]
    currency: Annotated[str, Field(description="Currency of every amount")]
    destination_country: Annotated[str, Field(description="Destination country")]
    destination_city: Annotated[str | None, Field(description="Destination city, as given")]
    start: Annotated[str, Field(description="Trip start, UTC")]
    end: Annotated[str, Field(description="Trip end, UTC")]
    timezone: Annotated[str, Field(description="Timezone whose calendar days the breakdown uses")]
    amount: Annotated[
        int, Field(description="Total the company pays (as a per diem's `amount`), minor units")
    ]
    gross_amount: Annotated[int, Field(description="Sum of statutory allowances before meal deductions")]
    deductions_amount: Annotated[int, Field(description="Sum of meal deductions")]
    statutory_amount: Annotated[int, Field(description="Sum of statutory tax-free ceilings")]
    tax_free_amount: Annotated[int, Field(description="Tax-free part of `amount`")]
    taxable_amount: Annotated[int, Field(description="Taxable part of `amount` (for payroll)")]
    days: Annotated[list[PerDiemDayOut], Field(description="Day-by-day breakdown")]
    rate_tables: Annotated[list[RateTableOut], Field(description="Tables used, with their legal sources")]
    notes: Annotated[list[str], Field(description="Assumptions and fallbacks applied")]


def per_diem_out(r: PerDiemResult, timezone: str) -> PerDiemSimulationOut:
    return {
        "country": r.country,
        "currency": r.currency,
        "destination_country": r.destination_country,
        "destination_city": r.destination_city,
        "start": format_ts(r.start),
        "end": format_ts(r.end),
        "timezone": timezone,
        "amount": r.totals.policy,
        "gross_amount": r.totals.gross,
        "deductions_amount": r.totals.deductions,
        "statutory_amount": r.totals.statutory,
        "tax_free_amount": r.totals.tax_free,
        "taxable_amount": r.totals.taxable,
        "days": [
            {
                "date": format_date(d.date),
                "hours_absent": float(d.hours_absent),
                "rule": d.rule,
                "description": d.description,
                "day_kind": cast(DayKind, d.day_kind),
                "rate_table_id": d.table_id,
                "rate_basis": d.rate_basis,
                "gross_amount": d.gross,
                "deductions": [{"meal": cast(Meal, x.meal), "amount": x.amount} for x in d.deductions],
                "statutory_amount": d.statutory,
                "policy_amount": d.policy,
                "tax_free_amount": d.tax_free,
                "taxable_amount": d.taxable,
            }
            for d in r.days
        ],
        "rate_tables": [rate_table_out(t) for t in r.tables],
        "notes": list(r.notes),
    }


# --------------------------------------------------------------------------------------------------
# Mileage simulation
# --------------------------------------------------------------------------------------------------


class PointIn(_Body):
    """A position in decimal degrees (WGS84)."""

    latitude: Annotated[Decimal, Field(ge=-90, le=90, decimal_places=8)] = Field(description="Latitude")
    longitude: Annotated[Decimal, Field(ge=-180, le=180, decimal_places=8)] = Field(description="Longitude")


class MileageSimulationBody(_Body):
    """A business trip in the employee's own vehicle. Nothing is stored."""

    country: CountryCode = Field(
        description="Country whose tax rules apply: the paying legal entity's (`de`, `es`, `fr`, `gb`, `us`)"
    )
    date: dt.date = Field(description="Travel date (`YYYY-MM-DD`): picks the rate table and the tax year")
    distance: Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=3)] | None = Field(
        None, description="Distance one way, in `unit`; default: the straight line from origin to destination"
    )
    unit: Unit = Field(
        "km", description="Unit of `distance` and `ytd_distance`: `km` or `mi` (1 mi = 1.609344 km)"
    )
    vehicle: Vehicle = Field("car", description="Vehicle kind")
    electric: bool = Field(False, description="Fully electric vehicle (France: +20 %)")
    fiscal_horsepower: int | None = Field(
        None, strict=True, ge=1, le=100, description="France: fiscal horsepower (CV) of a car or motorcycle"
    )
    passengers: int = Field(
        0, strict=True, ge=0, le=20, description="Business passengers carried (UK: 5p/mile)"
    )
    round_trip: bool = Field(False, description="There and back: the distance counts twice")
    ytd_distance: Annotated[Decimal, Field(ge=0, le=100_000_000, decimal_places=3)] = Field(
        Decimal(0),
        description="Business distance already driven in this tax year before this trip, in `unit` (the UK "
        "tax year starts on 6 April)",
    )
    origin: PointIn | None = Field(None, description="Where the trip starts (for the straight-line check)")
    destination: PointIn | None = Field(None, description="Where it goes (for the straight-line check)")


class MileageBandOut(TypedDict):
    """The part of the trip priced in one band of the rules."""

    label: Annotated[
        str, Field(description="The band in words, e.g. `up to 10,000 mi in the tax year: 0.45 per mi`")
    ]
    from_distance: Annotated[
        float, Field(description="Year-to-date distance where this part starts, in `rate_measurement_unit`")
    ]
    to_distance: Annotated[float, Field(description="Year-to-date distance where it ends")]
    distance: Annotated[float, Field(description="Distance priced in this band")]
    rate: Annotated[
        float, Field(description="The band's rate per `rate_measurement_unit` (marginal rate for formulas)")
    ]
    amount: Annotated[int, Field(description="Amount for this part, minor units")]


class TaxYearOut(TypedDict):
    """The tax year the trip falls in."""

    label: Annotated[str, Field(description="e.g. `2025` or, in the UK, `2025-26`")]
    start: Annotated[str, Field(description="First day")]
    end: Annotated[str, Field(description="Last day")]


class MileageSimulationOut(TypedDict):
    """A priced trip, with the fields a Factorial mileage carries (`amount`, `mileage`, `rate`, ...)."""

    country: Annotated[str, Field(description="Country whose rules were applied")]
    currency: Annotated[str, Field(description="Currency of the amounts")]
    amount: Annotated[int, Field(description="Statutory tax-free amount for the trip, minor units")]
    mileage: Annotated[
        int, Field(description="Distance one way in `units`, rounded to a whole unit (Factorial's field)")
    ]
    units: Annotated[Unit, Field(description="Unit of `mileage` and `distance`")]
    distance: Annotated[float, Field(description="Distance priced, in `units` (doubled for a round trip)")]
    round_trip: Annotated[bool, Field(description="Whether the distance was doubled")]
    rate: Annotated[
        str, Field(description="Effective rate per `rate_measurement_unit`: amount / distance (a string)")
    ]
    rate_measurement_unit: Annotated[Unit, Field(description="Unit the rules price in")]
    calculated_mileage: Annotated[
        int, Field(description="Distance priced x 100 in `units` (decametres or 1/100 miles)")
    ]
    vehicle: Annotated[Vehicle, Field(description="Vehicle kind")]
    electric: Annotated[bool, Field(description="Electric vehicle")]
    bands: Annotated[
        list[MileageBandOut], Field(description="Parts of the trip per band (a band limit can split a trip)")
    ]
    uplift_amount: Annotated[int, Field(description="Electric-vehicle uplift included in `amount`")]
    passengers: Annotated[int, Field(description="Business passengers")]
    passenger_amount: Annotated[int, Field(description="Passenger payments included in `amount`")]
    tax_year: Annotated[TaxYearOut, Field(description="Tax year of the trip")]
    ytd_distance_before: Annotated[
        float, Field(description="Year-to-date distance before the trip, `rate_measurement_unit`")
    ]
    ytd_distance_after: Annotated[float, Field(description="Year-to-date distance after the trip")]
    straight_line_distance: Annotated[
        float | None, Field(description="Great-circle distance origin-destination, `units`")
    ]
    flags: Annotated[
        list[str],
        Field(
            description="Points for review: `distance_over_3x_straight_line`, `distance_from_straight_line`, "
            "`band_limit_crossed`"
        ),
    ]
    notes: Annotated[list[str], Field(description="Assumptions applied")]
    rate_table: Annotated[RateTableOut, Field(description="Table used, with its legal source")]


def mileage_out(r: MileageResult, one_way: Decimal) -> MileageSimulationOut:
    return {
        "country": r.country,
        "currency": r.currency,
        "amount": r.amount,
        "mileage": int(one_way.to_integral_value()),
        "units": cast(Unit, r.unit),
        "distance": float(r.distance),
        "round_trip": r.distance != one_way,
        "rate": _decimal_str(r.rate),
        "rate_measurement_unit": cast(Unit, r.rate_unit),
        "calculated_mileage": int((r.distance * 100).to_integral_value()),
        "vehicle": cast(Vehicle, r.vehicle),
        "electric": r.electric,
        "bands": [
            {
                "label": b.label,
                "from_distance": float(b.from_distance),
                "to_distance": float(b.to_distance),
                "distance": float(b.distance),
                "rate": float(b.rate),
                "amount": b.amount,
            }
            for b in r.bands
        ],
        "uplift_amount": r.uplift_amount,
        "passengers": r.passengers,
        "passenger_amount": r.passenger_amount,
        "tax_year": {
            "label": r.tax_year.label,
            "start": format_date(r.tax_year.start),
            "end": format_date(r.tax_year.end),
        },
        "ytd_distance_before": float(r.ytd_before),
        "ytd_distance_after": float(r.ytd_after),
        "straight_line_distance": _num(r.straight_line_distance),
        "flags": list(r.flags),
        "notes": list(r.notes),
        "rate_table": rate_table_out(r.table),
    }


# --------------------------------------------------------------------------------------------------
# Receipt checks and payroll adjustments
# --------------------------------------------------------------------------------------------------


class ReceiptCheckFilters(BaseModel):
    """Query of ``GET allowances/receipt_checks``."""

    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from", description="First day of spend to check (`YYYY-MM-DD`, inclusive)")
    to: dt.date = Field(
        description="Last day of spend to check (`YYYY-MM-DD`, inclusive); at most 366 days after"
    )


class ReceiptFlagOut(TypedDict):
    """A claim that needs a second look."""

    type: Annotated[
        FlagType,
        Field(
            description="`double_claim`: a meal expense on a day a per diem covers; "
            "`mileage_with_fuel_or_rental`: a mileage on a day with a fuel or car-rental expense"
        ),
    ]
    employee_id: Annotated[IdOut, Field(description="Employee of both claims")]
    date: Annotated[str, Field(description="The day (`YYYY-MM-DD`)")]
    expensable_id: Annotated[IdOut, Field(description="The receipt-backed expense (expensable id)")]
    expense_id: Annotated[IdOut, Field(description="Its expense detail id")]
    amount: Annotated[int | None, Field(description="Amount of the expense, minor units")]
    currency: Annotated[str, Field(description="Currency of `amount`")]
    category_id: Annotated[IdOut | None, Field(description="Category of the expense")]
    category_identifier: Annotated[str | None, Field(description="Identifier of that category")]
    related_expensable_id: Annotated[
        IdOut, Field(description="The per diem or mileage claim (expensable id)")
    ]
    related_type: Annotated[ClaimType, Field(description="Kind of the related claim")]
    message: Annotated[str, Field(description="What to check")]


ReceiptChecksOut = TypedDict(
    "ReceiptChecksOut",
    {
        "from": Annotated[str, Field(description="First day checked")],
        "to": Annotated[str, Field(description="Last day checked")],
        "meal_category_identifiers": Annotated[
            list[str], Field(description="Category identifiers treated as meals")
        ],
        "fuel_or_rental_category_identifiers": Annotated[
            list[str], Field(description="Identifiers treated as fuel or car rental")
        ],
        "flags": Annotated[list[ReceiptFlagOut], Field(description="The flags")],
    },
)
ReceiptChecksOut.__doc__ = "Flags over a date range, ordered by date, employee and expense."
# (The functional form because ``from`` is a keyword; ``__doc__`` is the component's description.)


class PayrollFilters(BaseModel):
    """Query of ``GET allowances/payroll_adjustments``."""

    month: str = Field(description="Month (`YYYY-MM`) of the claims' `effective_on`")


class PayrollItemOut(TypedDict):
    """One claim in the report."""

    expensable_id: Annotated[IdOut, Field(description="The claim (expensable id)")]
    type: Annotated[ClaimType, Field(description="Kind of claim")]
    effective_on: Annotated[str | None, Field(description="Date of the claim")]
    currency: Annotated[str, Field(description="Currency of the amounts")]
    claimed_amount: Annotated[
        int, Field(description="What the company pays (the claim's amount), minor units")
    ]
    statutory_amount: Annotated[
        int | None, Field(description="Statutory tax-free amount for the claim; null if unknown")
    ]
    tax_free_amount: Annotated[int | None, Field(description="min(claimed, statutory); null if not computed")]
    taxable_amount: Annotated[int | None, Field(description="claimed - tax_free; null if not computed")]
    computed: Annotated[
        bool, Field(description="False when the statutory amount could not be computed (see `reason`)")
    ]
    reason: Annotated[str | None, Field(description="Why it was not computed")]
    rate_table_ids: Annotated[list[str], Field(description="Tables used")]


class PayrollEmployeeOut(TypedDict):
    """An employee's taxable allowances of the month in one currency."""

    employee_id: Annotated[IdOut, Field(description="Employee")]
    employee_name: Annotated[str, Field(description="First and last name")]
    currency: Annotated[str, Field(description="Currency of the amounts")]
    per_diem_claimed_amount: Annotated[
        int, Field(description="Per diems paid, minor units (computed claims only)")
    ]
    per_diem_tax_free_amount: Annotated[int, Field(description="Tax-free part of them")]
    per_diem_taxable_amount: Annotated[int, Field(description="Taxable excess of them")]
    mileage_claimed_amount: Annotated[int, Field(description="Mileages paid (computed claims only)")]
    mileage_tax_free_amount: Annotated[int, Field(description="Tax-free part of them")]
    mileage_taxable_amount: Annotated[int, Field(description="Taxable excess of them")]
    taxable_amount: Annotated[
        int, Field(description="Total taxable excess: what payroll adds to taxable pay")
    ]
    not_computed_count: Annotated[
        int, Field(description="Claims left out because they could not be computed")
    ]
    items: Annotated[list[PayrollItemOut], Field(description="The claims")]


PayrollAdjustmentsOut = TypedDict(
    "PayrollAdjustmentsOut",
    {
        "month": Annotated[str, Field(description="The month (`YYYY-MM`)")],
        "from": Annotated[str, Field(description="First day of the month")],
        "to": Annotated[str, Field(description="Last day of the month")],
        "statuses": Annotated[list[str], Field(description="Claim statuses included (those payroll pays)")],
        "employees": Annotated[
            list[PayrollEmployeeOut], Field(description="Per employee and currency, by employee id")
        ],
    },
)
PayrollAdjustmentsOut.__doc__ = "Taxable allowance excess per employee for a month, ready for payroll."
# (The functional form because ``from`` is a keyword; the router and the CLI render it.)
