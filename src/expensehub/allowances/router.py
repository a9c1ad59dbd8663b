"""HTTP endpoints of the allowances extension: simulations, receipt checks, payroll adjustments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from expensehub.allowances import schemas, service
from expensehub.api.deps import Ctx
from expensehub.api.openapi import doc_one, doc_write
from expensehub.api.responses import object_response

router = APIRouter()

TAG = "allowances (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "
PER_DIEM_SIMULATIONS = "allowances/per_diem_simulations"
MILEAGE_SIMULATIONS = "allowances/mileage_simulations"
RECEIPT_CHECKS = "allowances/receipt_checks"
PAYROLL = "allowances/payroll_adjustments"


@router.post(
    f"/{PER_DIEM_SIMULATIONS}",
    tags=[TAG],
    summary="Simulate a per diem",
    description=EXTENSION
    + "Prices a trip with the statutory rules of `country` (de, es, gb, us) in force on each "
    "day, and the company's `policy`: a day-by-day breakdown with the rule applied, meal deductions, the "
    "statutory tax-free amount, the policy amount and the taxable excess. Stores nothing. 422 with a stable "
    "code on bad input: `unknown_country`, `unsupported_country` (no per diem rules for it), "
    "`unsupported_destination`, `no_rates_for_date`, `invalid_trip` (end not after start, overnight stays or "
    "meals outside the trip, no offset), `unknown_timezone`, `invalid_policy`, `unknown_mie_tier`.",
    responses=doc_write(schemas.PerDiemSimulationOut, description="The priced trip"),
)
def simulate_per_diem(ctx: Ctx, body: schemas.PerDiemSimulationBody) -> Response:
    return object_response(ctx.version, PER_DIEM_SIMULATIONS, service.simulate_per_diem(body))


@router.post(
    f"/{MILEAGE_SIMULATIONS}",
    tags=[TAG],
    summary="Simulate a mileage",
    description=EXTENSION
    + "Prices a business trip in the employee's own vehicle with the statutory rules of "
    "`country` (de, es, fr, gb, us) in force on `date`, given the distance already driven in the tax "
    "year: the amount, the bands applied (a band limit such as the UK's 10,000 miles can split one trip), "
    "the effective rate, and flags. With `origin` and `destination`, a distance shorter than the straight "
    "line is refused (422 `distance_below_straight_line`) and one over three times it is flagged. "
    "Stores nothing. Other 422 codes: `unknown_country`, `unsupported_country`, `no_rates_for_date`, "
    "`unsupported_vehicle`, "
    "`missing_fiscal_horsepower`, `invalid_mileage`.",
    responses=doc_write(schemas.MileageSimulationOut, description="The priced trip"),
)
def simulate_mileage(ctx: Ctx, body: schemas.MileageSimulationBody) -> Response:
    return object_response(ctx.version, MILEAGE_SIMULATIONS, service.simulate_mileage(body))


@router.get(
    f"/{RECEIPT_CHECKS}",
    tags=[TAG],
    summary="Check receipts against per diems and mileages",
    description=EXTENSION
    + "Flags, for spend dated `from`..`to` (inclusive, at most 366 days): meal expenses "
    "(category or parent category identifier in `meal_category_identifiers`) on a day covered by a per "
    "diem of the same employee (`double_claim`), and fuel or car-rental expenses on the day of a mileage "
    "of the same employee (`mileage_with_fuel_or_rental`). Rejected and reversed claims are ignored. 422 "
    "`invalid_date_range` (reversed) or `invalid_range` (too long).",
    responses=doc_one(schemas.ReceiptChecksOut, description="The flags"),
)
def receipt_checks(ctx: Ctx, q: Annotated[schemas.ReceiptCheckFilters, Query()]) -> Response:
    report = service.receipt_checks(ctx.session, company_id=ctx.company_id, date_from=q.from_, date_to=q.to)
    return object_response(ctx.version, RECEIPT_CHECKS, report)


@router.get(
    f"/{PAYROLL}",
    tags=[TAG],
    summary="Payroll adjustments for a month",
    description=EXTENSION
    + "Per employee and currency, the month's per diems and mileages in a payable status "
    "(`approved`, `in_payroll`, `sent_to_pay`, `paid`; month of `effective_on`) with the statutory tax-free "
    "amount of each and the taxable excess (claimed minus tax-free, never negative): what payroll adds to "
    "taxable pay. Stored per diems carry dates only; the assumptions (08:00-18:00 local, every night away, "
    "destination parsed from the text, else the employer's country) are in docs/allowances.md. Claims that "
    "cannot be computed are listed with a `reason` and left out of the sums. 422 `invalid_month`.",
    responses=doc_one(schemas.PayrollAdjustmentsOut, description="The report"),
)
def payroll_adjustments(ctx: Ctx, q: Annotated[schemas.PayrollFilters, Query()]) -> Response:
    report = service.payroll_adjustments(ctx.session, company_id=ctx.company_id, month=q.month)
    return object_response(ctx.version, PAYROLL, report)
