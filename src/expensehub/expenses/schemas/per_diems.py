"""The wire shapes of a per diem claim (``expenses/per_diems``): the response, its statutory rates,
totals and trip inputs, and the write bodies.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast

from pydantic import Field

from expensehub.allowances.schemas import CountryCode, MealsProvidedIn
from expensehub.expenses.rules import PerDiemPricing, Status, per_diem_pricing
from expensehub.expenses.schemas.bodies import ClaimFields, PositiveMoney
from expensehub.expenses.schemas.shared import (
    _AS_GIVEN,
    CategoryRefOut,
    FileOut,
    Payment,
    Related,
    category_ref,
    decimal_str,
)
from expensehub.kit.clock import format_date, format_date_as_ts, format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, NotRequired, TypedDict
from expensehub.models import Expensable, PerDiem
from expensehub.models.allowances import PerDiemRate


class PerDiemRateOut(TypedDict):
    """A rate configuration the per diem's statutory breakdown used: one line of a statutory rate table
    (table, destination, kind of day, daily amount), as the company's configurations record it."""

    expenses_per_diem_id: Annotated[IdOut, Field(description="Per diem id")]
    rate_configuration_id: Annotated[
        IdOut,
        Field(
            description="Rate configuration id: the same id wherever the company's per diems use the same "
            "line of the same table for the same kind of day (the configurations themselves are not exposed, "
            "as on Factorial)"
        ),
    ]
    id: Annotated[
        IdOut | None, Field(description="Id of the link; kept while an update still uses the configuration")
    ]
    total_days: Annotated[int | None, Field(description="Days of the trip priced with this configuration")]
    total_amount_cents: Annotated[
        int | None,
        Field(
            description="Statutory amount of those days after meal deductions, minor units of the per diem's "
            "currency (the rates sum to `statutory_amount`)"
        ),
    ]


_TOTALS_NOTE = (
    ", in minor units of `currency`; null when the statutory rules could not price the per diem (no rules "
    "for the country, destination or date, or a per diem in another currency than the rules')"
)
# expensehub extension fields of a per diem: the totals of its statutory breakdown (docs/allowances.md).
PER_DIEM_TOTAL_DESCRIPTIONS = {
    "gross_amount": "expensehub extension. Statutory allowance of the trip before meal deductions"
    + _TOTALS_NOTE,
    "deductions_amount": "expensehub extension. Statutory deductions for meals provided" + _TOTALS_NOTE,
    "statutory_amount": "expensehub extension. Statutory tax-free ceiling of the trip (gross minus "
    "deductions)" + _TOTALS_NOTE,
    "tax_free_amount": "expensehub extension. Tax-free part of `amount`: min(amount, statutory_amount)"
    + _TOTALS_NOTE,
    "taxable_amount": "expensehub extension. Taxable part of `amount` (what payroll adds to taxable pay): "
    "amount - tax_free_amount" + _TOTALS_NOTE,
}
# expensehub extension fields of a per diem: the trip inputs stored with it (``per_diems.trip_inputs``),
# named as the write bodies name them.
PER_DIEM_INPUT_DESCRIPTIONS = {
    "start_at": _AS_GIVEN + "when the employee left, ISO 8601 with the offset sent, or naive (a local time "
    "of `timezone`); null when not given (the rules assume 08:00 on `start_date`, local time)",
    "end_at": _AS_GIVEN + "when the employee was back, ISO 8601 with the offset sent, or naive (a local "
    "time of `timezone`); null when not given (the rules assume 18:00 on `end_date`, local time)",
    "timezone": _AS_GIVEN + "IANA timezone of the trip's calendar days; null when not given (the offset "
    "of `start_at`, else the employer country's timezone)",
    "destination_country": _AS_GIVEN + "destination country (ISO 3166, lowercase); null when not given "
    "(parsed from `to`)",
    "destination_city": _AS_GIVEN + "destination city, where the rules have city rates; null when not "
    "given (parsed from `to`)",
    "meals_provided": _AS_GIVEN + "meals the employer provided, one entry per day with a meal provided, in "
    "date order; empty when none were given (no meals provided)",
    "overnight_stays": _AS_GIVEN + "nights spent away, each named by the day it begins, in date order; "
    "null when not given (every night of the trip is spent away), `[]` when the caller said none was",
    "locality_mie": _AS_GIVEN + "US only: the GSA M&IE tier of a non-standard area, a decimal string "
    "(e.g. `92`); null when not given (the standard rate)",
}
PER_DIEM_PRICING_DESCRIPTION = (
    "expensehub extension: what set `amount`. `statutory`: the statutory allowance of the trip, which the "
    "amount follows on every update; `amount`: given by the caller (the company's policy amount), kept "
    "until changed (`amount: null` hands it back to the rules) while the statutory figures still say "
    "which part is taxable. Per diems stored before expensehub recorded it count as `amount` when they "
    "have an amount"
)


class MealsProvidedOut(TypedDict):
    """Meals the employer provided on one day of a per diem's trip."""

    date: Annotated[str, Field(description="Day of the trip (`YYYY-MM-DD`, in the trip's timezone)")]
    breakfast: Annotated[bool, Field(description="Breakfast was provided")]
    lunch: Annotated[bool, Field(description="Lunch was provided")]
    dinner: Annotated[bool, Field(description="Dinner was provided")]


PerDiemOut = TypedDict(
    "PerDiemOut",
    {
        "id": Annotated[IdOut, Field(description="Per diem id")],
        "company_id": Annotated[IdOut, Field(description="Company id")],
        "currency": Annotated[str, Field(description="ISO 4217 currency of `amount`")],
        "payment": Annotated[Payment, Field(description="Whether the employee is owed the money")],
        "files": Annotated[
            list[FileOut], Field(description="Attachments; empty until documents are attached")
        ],
        "status": Annotated[Status, Field(description="Status of the claim (its expensable's)")],
        "cost_center_ids": Annotated[list[IdOut], Field(description="Cost centres the claim is charged to")],
        "rates": Annotated[
            list[PerDiemRateOut],
            Field(
                description="Rate configurations the statutory breakdown used, one per distinct line of a "
                "rate table and kind of day (empty when the statutory rules could not price the per diem)"
            ),
        ],
        "employee_id": Annotated[IdOut | None, Field(description="Employee who travelled")],
        "expenses_expensable_id": Annotated[IdOut | None, Field(description="Id of the expensable header")],
        "start_date": Annotated[str | None, Field(description="First day of the trip (`YYYY-MM-DD`)")],
        "end_date": Annotated[str | None, Field(description="Last day of the trip (`YYYY-MM-DD`)")],
        "from": Annotated[str | None, Field(description="Where the trip starts")],
        "to": Annotated[str | None, Field(description="Destination")],
        "trip_name": Annotated[str | None, Field(description="Name of the trip")],
        "ledger_account_id": Annotated[IdOut | None, Field(description="Ledger account")],
        "amount": Annotated[int | None, Field(description="Total allowance in minor units")],
        "reimbursable_amount": Annotated[
            int | None, Field(description="Amount owed to the employee, minor units")
        ],
        "reimbursable_currency": Annotated[
            str | None, Field(description="Currency of `reimbursable_amount`")
        ],
        "paid_at": Annotated[str | None, Field(description="When it was marked paid")],
        "review_request_at": Annotated[str | None, Field(description="When it was submitted")],
        "effective_on": Annotated[
            str | None, Field(description="Date of the claim, as a timestamp at midnight UTC")
        ],
        "description": Annotated[str | None, Field(description="Free-text description")],
        "category": NotRequired[
            Annotated[CategoryRefOut, Field(description="Category; omitted when there is none")]
        ],
        "subcategory": Annotated[str | None, Field(description="Subcategory")],
        "budget_id": Annotated[IdOut | None, Field(description="Budget")],
        "project_id": Annotated[IdOut | None, Field(description="Project")],
        "gross_amount": Annotated[int | None, Field(description=PER_DIEM_TOTAL_DESCRIPTIONS["gross_amount"])],
        "deductions_amount": Annotated[
            int | None, Field(description=PER_DIEM_TOTAL_DESCRIPTIONS["deductions_amount"])
        ],
        "statutory_amount": Annotated[
            int | None, Field(description=PER_DIEM_TOTAL_DESCRIPTIONS["statutory_amount"])
        ],
        "tax_free_amount": Annotated[
            int | None, Field(description=PER_DIEM_TOTAL_DESCRIPTIONS["tax_free_amount"])
        ],
        "taxable_amount": Annotated[
            int | None, Field(description=PER_DIEM_TOTAL_DESCRIPTIONS["taxable_amount"])
        ],
        "start_at": Annotated[str | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["start_at"])],
        "end_at": Annotated[str | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["end_at"])],
        "timezone": Annotated[str | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["timezone"])],
        "destination_country": Annotated[
            str | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["destination_country"])
        ],
        "destination_city": Annotated[
            str | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["destination_city"])
        ],
        "meals_provided": Annotated[
            list[MealsProvidedOut], Field(description=PER_DIEM_INPUT_DESCRIPTIONS["meals_provided"])
        ],
        "overnight_stays": Annotated[
            list[str] | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["overnight_stays"])
        ],
        "locality_mie": Annotated[str | None, Field(description=PER_DIEM_INPUT_DESCRIPTIONS["locality_mie"])],
        "pricing": Annotated[PerDiemPricing, Field(description=PER_DIEM_PRICING_DESCRIPTION)],
    },
)
PerDiemOut.__doc__ = """A per diem claim (``expenses/per_diems``)."""


def per_diem_rate_out(r: PerDiemRate) -> PerDiemRateOut:
    return {
        "id": r.id,
        "expenses_per_diem_id": r.per_diem_id,
        "rate_configuration_id": r.rate_configuration_id,
        "total_days": r.total_days,
        "total_amount_cents": r.total_amount,
    }


class PerDiemTotalsView(TypedDict):
    """The totals of a per diem's statutory breakdown (all null when it was not priced)."""

    gross_amount: int | None
    deductions_amount: int | None
    statutory_amount: int | None
    tax_free_amount: int | None
    taxable_amount: int | None


class PerDiemInputsView(TypedDict):
    """The trip inputs stored with a per diem, named like the write bodies name them."""

    start_at: str | None
    end_at: str | None
    timezone: str | None
    destination_country: str | None
    destination_city: str | None
    meals_provided: list[MealsProvidedOut]
    overnight_stays: list[str] | None
    locality_mie: str | None


def per_diem_out(p: PerDiem, x: Expensable, related: Related) -> PerDiemOut:
    totals = per_diem_totals(p, x.amount)
    inputs = per_diem_inputs(p.trip_inputs)
    obj: PerDiemOut = {
        "id": p.id,
        "company_id": p.company_id,
        "currency": x.currency,
        "payment": cast(Payment, x.payment),
        "files": [],
        "status": cast(Status, x.status),
        "cost_center_ids": related.cost_centers.get(x.id, []),
        "rates": [per_diem_rate_out(r) for r in related.per_diem_rates.get(p.id, [])],
        "employee_id": x.employee_id,
        "expenses_expensable_id": x.id,
        "start_date": format_date(p.start_date),
        "end_date": format_date(p.end_date),
        "from": p.origin,
        "to": p.destination,
        "trip_name": p.trip_name,
        "ledger_account_id": x.ledger_account_id,
        "amount": x.amount,
        "reimbursable_amount": x.reimbursable_amount,
        "reimbursable_currency": x.reimbursable_currency,
        "paid_at": format_ts(x.paid_at),
        "review_request_at": format_ts(x.review_request_at),
        "effective_on": format_date_as_ts(x.effective_on),
        "description": x.description,
        "subcategory": x.subcategory,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "gross_amount": totals["gross_amount"],
        "deductions_amount": totals["deductions_amount"],
        "statutory_amount": totals["statutory_amount"],
        "tax_free_amount": totals["tax_free_amount"],
        "taxable_amount": totals["taxable_amount"],
        "start_at": inputs["start_at"],
        "end_at": inputs["end_at"],
        "timezone": inputs["timezone"],
        "destination_country": inputs["destination_country"],
        "destination_city": inputs["destination_city"],
        "meals_provided": inputs["meals_provided"],
        "overnight_stays": inputs["overnight_stays"],
        "locality_mie": inputs["locality_mie"],
        "pricing": per_diem_pricing(p.pricing, x.amount),
    }
    category = category_ref(related, x.category_id)
    if category is not None:
        obj["category"] = category
    return obj


def per_diem_inputs(stored: str | None) -> PerDiemInputsView:
    """The trip inputs stored with a per diem (JSON written by ``allowances.rules.TripInputs.to_json``),
    as extension fields named like the body's: null when not given, ``meals_provided`` always a list."""
    raw: dict[str, Any] = json.loads(stored) if stored else {}
    mie = raw.get("locality_mie")
    return {
        "start_at": raw.get("start_at"),
        "end_at": raw.get("end_at"),
        "timezone": raw.get("timezone"),
        "destination_country": raw.get("destination_country"),
        "destination_city": raw.get("destination_city"),
        "meals_provided": [
            {
                "date": m["date"],
                "breakfast": bool(m.get("breakfast")),
                "lunch": bool(m.get("lunch")),
                "dinner": bool(m.get("dinner")),
            }
            for m in raw.get("meals_provided") or []
        ],
        "overnight_stays": raw.get("overnight_stays"),
        "locality_mie": None if mie is None else decimal_str(Decimal(mie)),
    }


def per_diem_totals(p: PerDiem, amount: int | None) -> PerDiemTotalsView:
    """The extension fields of a per diem: totals of its statutory breakdown (all null if not priced)."""
    if p.statutory_amount is None:
        return {
            "gross_amount": None,
            "deductions_amount": None,
            "statutory_amount": None,
            "tax_free_amount": None,
            "taxable_amount": None,
        }
    taxable = p.taxable_amount or 0
    return {
        "gross_amount": p.gross_amount,
        "deductions_amount": p.deductions_amount,
        "statutory_amount": p.statutory_amount,
        "tax_free_amount": None if amount is None else amount - taxable,
        "taxable_amount": taxable,
    }


class _PerDiemFields(ClaimFields):
    amount: PositiveMoney | None = Field(
        None,
        description="Total allowance in minor units (> 0): the company's amount. Default: the statutory "
        "allowance of the trip (`statutory_amount`)",
    )
    start_date: date | None = Field(
        None, description="First day of the trip; default: the day of `start_at` when it is given"
    )
    end_date: date | None = Field(
        None,
        description="Last day of the trip (on or after `start_date`); default: the day of `end_at`, if given",
    )
    from_: str | None = Field(None, alias="from", max_length=200, description="Where the trip starts")
    to: str | None = Field(
        None,
        max_length=200,
        description="Destination. For the statutory rules, a trailing country code names the country "
        "(`Paris, FR`, `Lisboa (PT)`, `fr`); any other text is a city in the employer's country",
    )
    trip_name: str | None = Field(None, max_length=200, description="Name of the trip")
    start_at: datetime | None = Field(
        None,
        description="expensehub extension, for the statutory rules: when the employee left (ISO 8601 with "
        "offset, or naive with `timezone`); default: 08:00 on `start_date`, local time",
    )
    end_at: datetime | None = Field(
        None,
        description="expensehub extension, for the statutory rules: when the employee was back (after "
        "`start_at`); default: 18:00 on `end_date`, local time",
    )
    timezone: str | None = Field(
        None,
        max_length=64,
        description="expensehub extension: IANA timezone of the trip's calendar days (e.g. `Europe/Berlin`); "
        "default: the offset of `start_at`, else the employer country's timezone",
    )
    destination_country: CountryCode | None = Field(
        None, description="expensehub extension: destination country (ISO 3166); default: parsed from `to`"
    )
    destination_city: str | None = Field(
        None,
        max_length=120,
        description="expensehub extension: destination city, where the rules have city rates; default: "
        "parsed from `to`",
    )
    meals_provided: list[MealsProvidedIn] | None = Field(
        None, max_length=400, description="expensehub extension: meals the employer provided, per day"
    )
    overnight_stays: list[date] | None = Field(
        None,
        max_length=400,
        description="expensehub extension: nights spent away, each named by the day it begins; default: "
        "every night of the trip",
    )
    locality_mie: Annotated[Decimal, Field(gt=0, le=1000, decimal_places=2)] | None = Field(
        None, description="expensehub extension, US only: the GSA M&IE tier of a non-standard area (e.g. 92)"
    )


PER_DIEM_PRICING = (
    "The statutory rules of the paying legal entity's country (de, es, gb, us) price the trip: `start_at`/"
    "`end_at` (default 08:00 on `start_date` to 18:00 on `end_date`, local time), `destination_country`/"
    "`destination_city` (default: parsed from `to`), `meals_provided`, `overnight_stays` (default: every "
    "night). Without `amount`, the amount is the statutory allowance (422 `amount_required` when the rules "
    "cannot price the trip or it earns nothing); with it, the statutory figures still show which part is "
    "taxable. Bad trip inputs are 422 with the per diem simulation's codes (`invalid_trip`, "
    "`unknown_timezone`, ...). The per diem shows the totals (`statutory_amount`, `taxable_amount`, ...) and "
    "`rates`, one per rate configuration used."
)


class PerDiemCreate(_PerDiemFields):
    """Body of ``POST expenses/per_diems`` (expensehub extension): a draft per diem.

    ``effective_on`` defaults to ``start_date``; ``currency`` to the legal entity's; ``amount`` to the
    statutory allowance of the trip.
    """

    employee_id: IdIn = Field(description="Owner of the claim (who travelled)")


class PerDiemUpdate(_PerDiemFields):
    """Body of ``PUT expenses/per_diems/{id}`` (expensehub extension): only the keys sent change.

    The trip is priced again on every update. An amount computed by the rules follows the trip; an amount
    the caller gave stays until changed (``amount: null`` hands it back to the rules).
    """
