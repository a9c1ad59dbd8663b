"""The wire shapes of a mileage claim (``expenses/mileages``): the response and the write bodies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from pydantic import Field

from expensehub.allowances.schemas import Vehicle
from expensehub.expenses.rules import MileagePricing, mileage_pricing
from expensehub.expenses.schemas.bodies import ClaimFields, Coordinate, PositiveMoney, Rate
from expensehub.expenses.schemas.shared import (
    _AS_GIVEN,
    CategoryRefOut,
    DistanceUnit,
    FileOut,
    Payment,
    Related,
    category_ref,
    decimal_str,
)
from expensehub.kit.clock import format_date_as_ts, format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, NotRequired, TypedDict
from expensehub.models import Expensable, Mileage

# expensehub extension fields of a mileage: the inputs of the statutory rules (docs/allowances.md).
MILEAGE_INPUT_DESCRIPTIONS = {
    "vehicle": _AS_GIVEN + "the vehicle kind (`car`, `van`, `motorcycle`, `moped`, `bicycle`, "
    "`other_motor`); null when not given (the rules count the claim as a car)",
    "passengers": _AS_GIVEN + "business passengers carried; null when not given (none)",
    "fiscal_horsepower": _AS_GIVEN + "fiscal horsepower (CV) of a car or motorcycle, which France's "
    "rules need; null when not given",
    "electric": _AS_GIVEN + "a fully electric vehicle (France: +20 %); null when not given (not electric)",
}
MILEAGE_PRICING_DESCRIPTION = (
    "expensehub extension: what set `amount`. `statutory`: the statutory rules of the employer's country "
    "(`rate` is then the effective rate); `rate`: the distance x the company's own `rate`; `amount`: given "
    "by the caller. A PUT without `amount` prices the claim again when an input of its pricing changes: "
    "with the company's rate when it has one, else by the rules. Mileages stored before expensehub "
    "recorded it count as `rate` when they have a rate, else `amount`"
)


MileageOut = TypedDict(
    "MileageOut",
    {
        "id": Annotated[IdOut, Field(description="Mileage id")],
        "company_id": Annotated[IdOut, Field(description="Company id")],
        "currency": Annotated[str, Field(description="ISO 4217 currency of `amount` and `rate`")],
        "status": Annotated[
            str, Field(description="Status of the claim (its expensable's; the nine expensable statuses)")
        ],
        "files": Annotated[
            list[FileOut], Field(description="Attachments; empty until documents are attached")
        ],
        "payment": Annotated[Payment, Field(description="Whether the employee is owed the money")],
        "cost_center_ids": Annotated[list[IdOut], Field(description="Cost centres the claim is charged to")],
        "employee_id": Annotated[IdOut | None, Field(description="Employee who travelled")],
        "expenses_expensable_id": Annotated[IdOut | None, Field(description="Id of the expensable header")],
        "category": NotRequired[
            Annotated[CategoryRefOut, Field(description="Category; omitted when there is none")]
        ],
        "subcategory": Annotated[str | None, Field(description="Subcategory")],
        "category_id": Annotated[IdOut | None, Field(description="Category id")],
        "amount": Annotated[int | None, Field(description="Amount in minor units")],
        "reimbursable_amount": Annotated[
            int | None, Field(description="Amount owed to the employee, minor units")
        ],
        "reimbursable_currency": Annotated[
            str | None, Field(description="Currency of `reimbursable_amount`")
        ],
        "mileage": Annotated[int | None, Field(description="Distance travelled, in `units`")],
        "units": Annotated[str | None, Field(description="Unit of `mileage`: `km` or `mi`")],
        "rate": Annotated[
            str | None,
            Field(
                description="Rate per `rate_measurement_unit` in `currency`, e.g. `0.5`: the company's own "
                "rate, or, for a mileage priced by the statutory rules, the effective rate (amount / "
                "distance)"
            ),
        ],
        "rate_measurement_unit": Annotated[
            str | None,
            Field(
                description="Unit the rate is priced in (the rate table's unit when the statutory rules "
                "priced it); the distance is converted to it before the rate applies"
            ),
        ],
        "from": Annotated[str | None, Field(description="Origin")],
        "to": Annotated[str | None, Field(description="Destination")],
        "description": Annotated[str | None, Field(description="Free-text description")],
        "effective_on": Annotated[
            str | None, Field(description="Travel date, as a timestamp at midnight UTC")
        ],
        "review_request_at": Annotated[str | None, Field(description="When it was submitted")],
        "paid_at": Annotated[str | None, Field(description="When it was marked paid")],
        "ledger_account_id": Annotated[IdOut | None, Field(description="Ledger account")],
        "round_trip": Annotated[
            bool | None, Field(description="Whether the trip was there and back (distance x 2)")
        ],
        "origin_longitude": Annotated[str | None, Field(description="Origin longitude (decimal degrees)")],
        "origin_latitude": Annotated[str | None, Field(description="Origin latitude (decimal degrees)")],
        "destination_longitude": Annotated[
            str | None, Field(description="Destination longitude (decimal degrees)")
        ],
        "destination_latitude": Annotated[
            str | None, Field(description="Destination latitude (decimal degrees)")
        ],
        "calculated_mileage": Annotated[
            int | None,
            Field(
                description="Route distance in decametres or 10-milers: as given, else the distance "
                "priced (doubled for a round trip) x 100 in `units`"
            ),
        ],
        "budget_id": Annotated[IdOut | None, Field(description="Budget")],
        "project_id": Annotated[IdOut | None, Field(description="Project")],
        "vehicle": Annotated[Vehicle | None, Field(description=MILEAGE_INPUT_DESCRIPTIONS["vehicle"])],
        "passengers": Annotated[int | None, Field(description=MILEAGE_INPUT_DESCRIPTIONS["passengers"])],
        "fiscal_horsepower": Annotated[
            int | None, Field(description=MILEAGE_INPUT_DESCRIPTIONS["fiscal_horsepower"])
        ],
        "electric": Annotated[bool | None, Field(description=MILEAGE_INPUT_DESCRIPTIONS["electric"])],
        "pricing": Annotated[MileagePricing, Field(description=MILEAGE_PRICING_DESCRIPTION)],
    },
)
MileageOut.__doc__ = """A mileage claim (``expenses/mileages``)."""


def mileage_out(m: Mileage, x: Expensable, related: Related) -> MileageOut:
    obj: MileageOut = {
        "id": m.id,
        "company_id": m.company_id,
        "currency": x.currency,
        "status": x.status,
        "files": [],
        "payment": cast(Payment, x.payment),
        "cost_center_ids": related.cost_centers.get(x.id, []),
        "employee_id": x.employee_id,
        "expenses_expensable_id": x.id,
        "subcategory": x.subcategory,
        "category_id": x.category_id,
        "amount": x.amount,
        "reimbursable_amount": x.reimbursable_amount,
        "reimbursable_currency": x.reimbursable_currency,
        "mileage": m.distance,
        "units": m.units,
        "rate": decimal_str(m.rate),
        "rate_measurement_unit": m.rate_measurement_unit,
        "from": m.origin,
        "to": m.destination,
        "description": x.description,
        "effective_on": format_date_as_ts(x.effective_on),
        "review_request_at": format_ts(x.review_request_at),
        "paid_at": format_ts(x.paid_at),
        "ledger_account_id": x.ledger_account_id,
        "round_trip": m.round_trip,
        "origin_longitude": m.origin_longitude,
        "origin_latitude": m.origin_latitude,
        "destination_longitude": m.destination_longitude,
        "destination_latitude": m.destination_latitude,
        "calculated_mileage": m.calculated_mileage,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "vehicle": cast(Vehicle | None, m.vehicle),
        "passengers": m.passengers,
        "fiscal_horsepower": m.fiscal_horsepower,
        "electric": m.electric,
        "pricing": mileage_pricing(m.pricing, m.rate),
    }
    category = category_ref(related, x.category_id)
    if category is not None:
        obj["category"] = category
    return obj


class _MileageFields(ClaimFields):
    amount: PositiveMoney | None = Field(
        None, description="Amount in minor units; computed from mileage x rate when absent"
    )
    mileage: int | None = Field(
        None,
        strict=True,
        gt=0,
        le=10**9,
        description="One-way distance travelled in `units`. Absent with both origin and destination "
        "coordinates: the straight line between them, rounded to the whole unit. Never below the straight "
        "line when the coordinates are given (422 `distance_below_straight_line`)",
    )
    units: DistanceUnit | None = Field(None, description="Unit of `mileage`: `km` (default) or `mi`")
    rate: Rate | None = Field(None, description="Rate per `rate_measurement_unit`, as a string or number")
    rate_measurement_unit: DistanceUnit | None = Field(
        None, description="Unit the rate is priced in (default: `units`); 1 mi = 1.609344 km"
    )
    from_: str | None = Field(None, alias="from", max_length=200, description="Origin")
    to: str | None = Field(None, max_length=200, description="Destination")
    round_trip: bool | None = Field(None, description="There and back: the distance counts twice")
    origin_latitude: Coordinate = Field(None, description="Origin latitude (decimal degrees)")
    origin_longitude: Coordinate = Field(None, description="Origin longitude (decimal degrees)")
    destination_latitude: Coordinate = Field(None, description="Destination latitude (decimal degrees)")
    destination_longitude: Coordinate = Field(None, description="Destination longitude (decimal degrees)")
    calculated_mileage: int | None = Field(
        None,
        strict=True,
        ge=0,
        le=10**12,
        description="Route distance in decametres or 10-milers; default: the distance priced (doubled for a "
        "round trip) x 100 in `units`",
    )
    vehicle: Vehicle | None = Field(
        None,
        description="expensehub extension, for the statutory rules: the vehicle kind (default `car`). "
        "Stored: an update that changes the distance re-prices with it",
    )
    passengers: int | None = Field(
        None,
        strict=True,
        ge=0,
        le=20,
        description="expensehub extension, for the statutory rules: business passengers carried (default 0; "
        "UK: 5p per passenger-mile)",
    )
    fiscal_horsepower: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=100,
        description="expensehub extension, for the statutory rules: fiscal horsepower (CV) of a car or "
        "motorcycle (France, required there)",
    )
    electric: bool | None = Field(
        None,
        description="expensehub extension, for the statutory rules: a fully electric vehicle (France: +20 %)",
    )


MILEAGE_PRICING = (
    "Pricing: with `amount`, that amount. Else with `rate` (the company's own), round_half_even(mileage "
    "converted to `rate_measurement_unit` x rate x 2 if round trip), 1 mi = 1.609344 km. Else the statutory "
    "rules of the paying legal entity's country (de, es, fr, gb, us) price it, after the employee's earlier "
    "mileages of the tax year (`vehicle`, `passengers`, `fiscal_horsepower`, `electric`), and set `rate` to "
    "the effective rate and `rate_measurement_unit` to the table's unit; the currency must be the rules' "
    "(422 `rate_or_amount_required` otherwise, or for a country without rates). With both coordinates, a "
    "`mileage` shorter than the straight line is refused (422 `distance_below_straight_line`)."
)


class MileageCreate(_MileageFields):
    """Body of ``POST expenses/mileages`` (expensehub extension): a draft mileage claim.

    Without ``amount``: priced with ``rate`` when given, else by the statutory rules (docs/allowances.md).
    ``currency`` defaults to the legal entity's.
    """

    employee_id: IdIn = Field(description="Owner of the claim (who travelled)")
    effective_on: date = Field(description="Travel date (`YYYY-MM-DD`)")


class MileageUpdate(_MileageFields):
    """Body of ``PUT expenses/mileages/{id}`` (expensehub extension): only the keys sent change.

    When what prices the claim changes and ``amount`` is not sent, it is priced again: with its rate when
    the company gave one, else by the statutory rules. ``amount: null`` re-prices it; ``rate: null`` hands
    it to the statutory rules.
    """
