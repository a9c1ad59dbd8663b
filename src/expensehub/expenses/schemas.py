"""Wire shapes of expensables, expenses, mileages, per diems and approval flows; filters; write bodies.

The ``*Out`` models document responses in OpenAPI; responses themselves are built by the ``*_out``
functions as plain dicts (ids as integers; the version registry renders them). Nested objects with no
value (``category``, ``card``) are omitted, never ``null``: the official SDK cannot parse a null object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
)

from expensehub.allowances.schemas import CountryCode, MealsProvidedIn, Vehicle
from expensehub.expenses.rules import (
    MileagePricing,
    PerDiemPricing,
    Status,
    mileage_pricing,
    per_diem_pricing,
)
from expensehub.kit.bodies import no_nul
from expensehub.kit.clock import format_date, format_date_as_ts, format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.money import MAX_MINOR_UNITS, is_currency
from expensehub.models import (
    ApprovalFlow,
    ApprovalFlowApprover,
    Category,
    Expensable,
    Expense,
    ExpenseTax,
    Mileage,
    PerDiem,
)
from expensehub.models.allowances import PerDiemRate

Payment = Literal["reimbursable", "not_reimbursable"]
CreationType = Literal["manual", "automatic"]
DistanceUnit = Literal["km", "mi"]

# --------------------------------------------------------------------------------------------------
# Related rows loaded once per page (never per item)
# --------------------------------------------------------------------------------------------------


@dataclass
class Related:
    """What a page of claims needs besides its header/detail rows, loaded with one IN query each."""

    cost_centers: dict[int, list[int]] = field(default_factory=dict)
    taxes: dict[int, list[ExpenseTax]] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    # expense id -> its ``files`` (receipts, built by the documents domain)
    files: Mapping[int, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    # per diem id -> its ``rates`` (rate configurations its statutory breakdown used)
    per_diem_rates: dict[int, list[PerDiemRate]] = field(default_factory=dict)


def _decimal_str(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class CategoryRefView(TypedDict):
    """The category of a claim (``CategoryRefOut``)."""

    id: int
    name: str


def _category(related: Related, category_id: int | None) -> CategoryRefView | None:
    if category_id is None:
        return None
    cat = related.categories.get(category_id)
    if cat is None:
        return None
    return {"id": cat.id, "name": cat.label or cat.default_label}


# --------------------------------------------------------------------------------------------------
# Response shapes
# --------------------------------------------------------------------------------------------------


class FileOut(BaseModel):
    """A receipt attached to an expense (a document of documents/documents)."""

    id: str = Field(description="Document id of the receipt (documents/documents)")
    filename: str = Field(description="File name as the user gave it")
    byte_size: int = Field(description="Size in bytes")
    url: str | None = Field(
        None, description="Signed, temporary URL showing the file in the browser (no API key needed)"
    )
    download_url: str | None = Field(
        None, description="Signed, temporary URL downloading the file (no API key needed)"
    )
    content_type: str | None = Field(None, description="MIME type detected from the file's bytes")


class TaxOut(BaseModel):
    """A tax line of an expense."""

    type: Literal["vat"] = Field(description="Tax kind; only `vat`")
    amount: int | None = Field(None, description="Tax amount in minor units of the expense currency")
    percentage: float | None = Field(None, description="Tax rate as a fraction, e.g. 0.21")
    base_amount: int | None = Field(None, description="Taxable base in minor units")


class CategoryRefOut(BaseModel):
    """The category of a claim."""

    id: str = Field(description="Category id (finance/categories)")
    name: str = Field(description="Category label (its custom label, else its default label)")


class CardOut(BaseModel):
    """The company card an expense was paid with."""

    card_type: str = Field(description="Card kind, e.g. `virtual` or `physical`")
    last4: str | None = Field(None, description="Last four digits of the card number")


class PerDiemRateOut(BaseModel):
    """A rate configuration the per diem's statutory breakdown used: one line of a statutory rate table
    (table, destination, kind of day, daily amount), as the company's configurations record it."""

    expenses_per_diem_id: str = Field(description="Per diem id")
    rate_configuration_id: str = Field(
        description="Rate configuration id: the same id wherever the company's per diems use the same line "
        "of the same table for the same kind of day (the configurations themselves are not exposed, as on "
        "Factorial)"
    )
    id: str | None = Field(
        None, description="Id of the link; kept while an update still uses the configuration"
    )
    total_days: int | None = Field(None, description="Days of the trip priced with this configuration")
    total_amount_cents: int | None = Field(
        None,
        description="Statutory amount of those days after meal deductions, minor units of the per diem's "
        "currency (the rates sum to `statutory_amount`)",
    )


DUPLICATE_OF_DESCRIPTION = (
    "expensehub extension. Id of an earlier expensable of the same company that looks like the same spend "
    "(same employee, effective_on, amount, currency and merchant: `user_merchant`, else `merchant_name`, "
    "compared case-insensitively after trimming; a rejected earlier claim does not count). Set when the "
    "expense is created; null otherwise"
)
IS_DUPLICATE_DESCRIPTION = "expensehub extension. True when `duplicate_of_id` is set"


class ExpensableOut(BaseModel):
    """The common header of every claim (``expenses/expensables``)."""

    id: str = Field(description="Expensable id")
    type: Literal["expense", "mileage", "perdiem"] = Field(description="Kind of claim")
    company_id: str = Field(description="Company id")
    employee_id: str = Field(description="Employee who spent the money (the owner)")
    created_at: str = Field(description="Creation time, ISO 8601 UTC with milliseconds")
    currency: str = Field(description="ISO 4217 currency of `amount`")
    status: Status = Field(description="Status of the claim")
    status_updated_at: str = Field(description="Time of the last status change")
    updated_at: str = Field(description="Time of the last change")
    cost_center_ids: list[str] = Field(description="Cost centres the claim is charged to")
    group_id: str | None = Field(None, description="Expense report the claim was submitted in")
    legal_entity_id: str | None = Field(None, description="Legal entity that pays the claim")
    amount: int | None = Field(None, description="Amount in minor units of `currency`")
    description: str | None = Field(None, description="Free-text description")
    reporter_id: str | None = Field(None, description="Employee who reported it on the owner's behalf")
    effective_on: str | None = Field(
        None, description="Date of the spend, as a timestamp at midnight UTC (`2024-06-06T00:00:00.000Z`)"
    )
    review_request_at: str | None = Field(None, description="When it was submitted; null while a draft")
    paid_at: str | None = Field(None, description="When it was marked paid")
    reimbursable_amount: int | None = Field(None, description="Amount owed to the employee, minor units")
    reimbursable_currency: str | None = Field(None, description="Currency of `reimbursable_amount`")
    reimbursement_method: Literal["unknown", "sepa_transfer", "payroll"] | None = Field(
        None, description="How the employee is reimbursed"
    )
    internal_reference: str | None = Field(None, description="Company-internal reference")
    expense_id: str | None = Field(None, description="Expense detail id (type `expense` only)")
    mileage_id: str | None = Field(None, description="Mileage detail id (type `mileage` only)")
    per_diem_id: str | None = Field(None, description="Per diem detail id (type `perdiem` only)")
    budget_id: str | None = Field(None, description="Budget the claim is booked to")
    project_id: str | None = Field(None, description="Project the claim is booked to")
    duplicate_of_id: str | None = Field(None, description=DUPLICATE_OF_DESCRIPTION)
    is_possible_duplicate: bool = Field(description=IS_DUPLICATE_DESCRIPTION)


class ExpensableView(TypedDict):
    """An expensable as the routers render it (``ExpensableOut``)."""

    id: int
    type: str
    company_id: int
    employee_id: int
    created_at: str | None
    currency: str | None
    status: str
    status_updated_at: str | None
    updated_at: str | None
    cost_center_ids: list[int]
    group_id: int | None
    legal_entity_id: int | None
    amount: int | None
    description: str | None
    reporter_id: int | None
    effective_on: str | None
    review_request_at: str | None
    paid_at: str | None
    reimbursable_amount: int | None
    reimbursable_currency: str | None
    reimbursement_method: str | None
    internal_reference: str | None
    expense_id: int | None
    mileage_id: int | None
    per_diem_id: int | None
    budget_id: int | None
    project_id: int | None
    duplicate_of_id: int | None
    is_possible_duplicate: bool


def expensable_out(
    x: Expensable,
    detail_ids: tuple[int | None, int | None, int | None],
    related: Related,
) -> ExpensableView:
    expense_id, mileage_id, per_diem_id = detail_ids
    return {
        "id": x.id,
        "type": x.type,
        "company_id": x.company_id,
        "employee_id": x.employee_id,
        "created_at": format_ts(x.created_at),
        "currency": x.currency,
        "status": x.status,
        "status_updated_at": format_ts(x.status_updated_at),
        "updated_at": format_ts(x.updated_at),
        "cost_center_ids": related.cost_centers.get(x.id, []),
        "group_id": x.group_id,
        "legal_entity_id": x.legal_entity_id,
        "amount": x.amount,
        "description": x.description,
        "reporter_id": x.reporter_id,
        "effective_on": format_date_as_ts(x.effective_on),
        "review_request_at": format_ts(x.review_request_at),
        "paid_at": format_ts(x.paid_at),
        "reimbursable_amount": x.reimbursable_amount,
        "reimbursable_currency": x.reimbursable_currency,
        "reimbursement_method": x.reimbursement_method,
        "internal_reference": x.internal_reference,
        "expense_id": expense_id,
        "mileage_id": mileage_id,
        "per_diem_id": per_diem_id,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "duplicate_of_id": x.duplicate_of_id,
        "is_possible_duplicate": x.duplicate_of_id is not None,
    }


class ExpenseOut(BaseModel):
    """A receipt-backed expense (``expenses/expenses``); status and payment come from its expensable."""

    id: str = Field(description="Expense id")
    company_id: str = Field(description="Company id")
    creation_type: Literal["manual", "automatic", "travelperk"] = Field(
        description="`manual` (entered by hand), `automatic` (raised from a card payment) or `travelperk`"
    )
    currency: str = Field(description="ISO 4217 currency of `amount`")
    status: Status = Field(description="Status of the claim (its expensable's)")
    effective_on: str = Field(description="Date of the spend (`YYYY-MM-DD`)")
    status_updated_at: str = Field(description="Time of the last status change")
    files: list[FileOut] = Field(
        description="Receipts (documents in the trash bin are left out), with signed download URLs"
    )
    taxes: list[TaxOut] = Field(description="Tax lines")
    cost_center_ids: list[str] = Field(description="Cost centres the expense is charged to")
    employee_id: str | None = Field(None, description="Employee who spent the money")
    card_payment_id: str | None = Field(None, description="Card payment it was raised from")
    dispute_id: str | None = Field(None, description="Payment dispute")
    expenses_expensable_id: str | None = Field(None, description="Id of the expensable header")
    merchant_name: str | None = Field(None, description="Merchant read from the receipt")
    user_merchant: str | None = Field(None, description="Merchant typed by the employee (takes precedence)")
    merchant_tin: str | None = Field(None, description="Merchant's tax identification number")
    category: CategoryRefOut | None = Field(None, description="Category; omitted when there is none")
    subcategory: str | None = Field(None, description="Subcategory")
    category_id: str | None = Field(None, description="Category id (finance/categories)")
    reference: str | None = Field(None, description="Receipt or invoice reference")
    amount: int | None = Field(None, description="Total in minor units of `currency`")
    description: str | None = Field(None, description="Free-text description")
    review_request_at: str | None = Field(None, description="When it was submitted; null while a draft")
    external_authorization_id: str | None = Field(None, description="External card authorisation id")
    expenses_card_id: str | None = Field(None, description="Company card it was paid with")
    card: CardOut | None = Field(None, description="Card details; omitted when there is no card")
    document_id: str | None = Field(
        None, description="Document id of the (first) receipt (documents/documents)"
    )
    access_token: str | None = Field(None, description="Access token of the receipt upload; always null")
    paid_at: str | None = Field(None, description="When it was marked paid")
    document_number: str | None = Field(None, description="Number of the associated financial document")
    document_type: str | None = Field(None, description="Kind of the associated document, e.g. `invoice`")
    payment: Payment | None = Field(None, description="Whether the employee is owed the money")
    payment_method: str | None = Field(None, description="How it was paid, e.g. `cash`")
    exchange_rate: float | None = Field(
        None, description="Legal-entity currency units per unit of `currency` (1 when they are the same)"
    )
    reimbursable_amount: int | None = Field(None, description="Amount owed to the employee, minor units")
    reimbursable_currency: str | None = Field(None, description="Currency of `reimbursable_amount`")
    ledger_account_id: str | None = Field(None, description="Ledger account (finance/accounts)")
    budget_id: str | None = Field(None, description="Budget it is booked to")
    project_id: str | None = Field(None, description="Project it is booked to")
    duplicate_of_id: str | None = Field(None, description=DUPLICATE_OF_DESCRIPTION)
    is_possible_duplicate: bool = Field(description=IS_DUPLICATE_DESCRIPTION)


class TaxView(TypedDict):
    """A tax line of an expense (``TaxOut``)."""

    type: str
    amount: int | None
    percentage: float | None
    base_amount: int | None


class CardView(TypedDict):
    """The card an expense was paid with (``CardOut``)."""

    card_type: str
    last4: str | None


class ExpenseView(TypedDict):
    """An expense as the routers render it (``ExpenseOut``); ``category`` and ``card`` only when set."""

    id: int
    company_id: int
    creation_type: str
    currency: str | None
    status: str
    effective_on: str | None
    status_updated_at: str | None
    files: Sequence[Mapping[str, Any]]
    taxes: list[TaxView]
    cost_center_ids: list[int]
    employee_id: int
    card_payment_id: int | None
    dispute_id: int | None
    expenses_expensable_id: int
    merchant_name: str | None
    user_merchant: str | None
    merchant_tin: str | None
    subcategory: str | None
    category_id: int | None
    reference: str | None
    amount: int | None
    description: str | None
    review_request_at: str | None
    external_authorization_id: int | None
    expenses_card_id: int | None
    document_id: int | None
    access_token: None
    paid_at: str | None
    document_number: str | None
    document_type: str | None
    payment: str | None
    payment_method: str | None
    exchange_rate: float | None
    reimbursable_amount: int | None
    reimbursable_currency: str | None
    ledger_account_id: int | None
    budget_id: int | None
    project_id: int | None
    duplicate_of_id: int | None
    is_possible_duplicate: bool
    category: NotRequired[CategoryRefView]
    card: NotRequired[CardView]


def tax_out(t: ExpenseTax) -> TaxView:
    return {
        "type": t.type,
        "amount": t.amount,
        "percentage": _num(t.percentage),
        "base_amount": t.base_amount,
    }


def expense_out(e: Expense, x: Expensable, related: Related) -> ExpenseView:
    files = related.files.get(e.id, [])
    obj: ExpenseView = {
        "id": e.id,
        "company_id": e.company_id,
        "creation_type": e.creation_type,
        "currency": x.currency,
        "status": x.status,
        "effective_on": format_date(x.effective_on),
        "status_updated_at": format_ts(x.status_updated_at),
        "files": files,
        "taxes": [tax_out(t) for t in related.taxes.get(e.id, [])],
        "cost_center_ids": related.cost_centers.get(x.id, []),
        "employee_id": x.employee_id,
        "card_payment_id": e.card_payment_id,
        "dispute_id": e.dispute_id,
        "expenses_expensable_id": x.id,
        "merchant_name": e.merchant_name,
        "user_merchant": e.user_merchant,
        "merchant_tin": e.merchant_tin,
        "subcategory": x.subcategory,
        "category_id": x.category_id,
        "reference": e.reference,
        "amount": x.amount,
        "description": x.description,
        "review_request_at": format_ts(x.review_request_at),
        "external_authorization_id": e.external_authorization_id,
        "expenses_card_id": e.expenses_card_id,
        "document_id": files[0]["id"] if files else e.document_id,
        "access_token": None,
        "paid_at": format_ts(x.paid_at),
        "document_number": e.document_number,
        "document_type": e.document_type,
        "payment": x.payment,
        "payment_method": e.payment_method,
        "exchange_rate": _num(e.exchange_rate),
        "reimbursable_amount": x.reimbursable_amount,
        "reimbursable_currency": x.reimbursable_currency,
        "ledger_account_id": x.ledger_account_id,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "duplicate_of_id": x.duplicate_of_id,
        "is_possible_duplicate": x.duplicate_of_id is not None,
    }
    category = _category(related, x.category_id)
    if category is not None:
        obj["category"] = category
    if e.card_type:
        obj["card"] = {"card_type": e.card_type, "last4": e.card_last4}
    return obj


_AS_GIVEN = (
    "expensehub extension: an input of the statutory rules, as the last POST or PUT that sent it gave it "
    "(sending it back unchanged prices the claim the same); "
)
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


class MileageOut(BaseModel):
    """A mileage claim (``expenses/mileages``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="Mileage id")
    company_id: str = Field(description="Company id")
    currency: str = Field(description="ISO 4217 currency of `amount` and `rate`")
    status: str = Field(description="Status of the claim (its expensable's; the nine expensable statuses)")
    files: list[FileOut] = Field(description="Attachments; empty until documents are attached")
    payment: Payment = Field(description="Whether the employee is owed the money")
    cost_center_ids: list[str] = Field(description="Cost centres the claim is charged to")
    employee_id: str | None = Field(None, description="Employee who travelled")
    expenses_expensable_id: str | None = Field(None, description="Id of the expensable header")
    category: CategoryRefOut | None = Field(None, description="Category; omitted when there is none")
    subcategory: str | None = Field(None, description="Subcategory")
    category_id: str | None = Field(None, description="Category id")
    amount: int | None = Field(None, description="Amount in minor units")
    reimbursable_amount: int | None = Field(None, description="Amount owed to the employee, minor units")
    reimbursable_currency: str | None = Field(None, description="Currency of `reimbursable_amount`")
    mileage: int | None = Field(None, description="Distance travelled, in `units`")
    units: str | None = Field(None, description="Unit of `mileage`: `km` or `mi`")
    rate: str | None = Field(
        None,
        description="Rate per `rate_measurement_unit` in `currency`, e.g. `0.5`: the company's own rate, or, "
        "for a mileage priced by the statutory rules, the effective rate (amount / distance)",
    )
    rate_measurement_unit: str | None = Field(
        None,
        description="Unit the rate is priced in (the rate table's unit when the statutory rules priced it); "
        "the distance is converted to it before the rate applies",
    )
    from_: str | None = Field(None, alias="from", description="Origin")
    to: str | None = Field(None, description="Destination")
    description: str | None = Field(None, description="Free-text description")
    effective_on: str | None = Field(None, description="Travel date, as a timestamp at midnight UTC")
    review_request_at: str | None = Field(None, description="When it was submitted")
    paid_at: str | None = Field(None, description="When it was marked paid")
    ledger_account_id: str | None = Field(None, description="Ledger account")
    round_trip: bool | None = Field(None, description="Whether the trip was there and back (distance x 2)")
    origin_longitude: str | None = Field(None, description="Origin longitude (decimal degrees)")
    origin_latitude: str | None = Field(None, description="Origin latitude (decimal degrees)")
    destination_longitude: str | None = Field(None, description="Destination longitude (decimal degrees)")
    destination_latitude: str | None = Field(None, description="Destination latitude (decimal degrees)")
    calculated_mileage: int | None = Field(
        None,
        description="Route distance in decametres or 10-milers: as given, else the distance priced (doubled "
        "for a round trip) x 100 in `units`",
    )
    budget_id: str | None = Field(None, description="Budget")
    project_id: str | None = Field(None, description="Project")
    vehicle: Vehicle | None = Field(None, description=MILEAGE_INPUT_DESCRIPTIONS["vehicle"])
    passengers: int | None = Field(None, description=MILEAGE_INPUT_DESCRIPTIONS["passengers"])
    fiscal_horsepower: int | None = Field(None, description=MILEAGE_INPUT_DESCRIPTIONS["fiscal_horsepower"])
    electric: bool | None = Field(None, description=MILEAGE_INPUT_DESCRIPTIONS["electric"])
    pricing: MileagePricing = Field(description=MILEAGE_PRICING_DESCRIPTION)


MileageView = TypedDict(
    "MileageView",
    {
        "id": int,
        "company_id": int,
        "currency": str | None,
        "status": str,
        "files": list[Mapping[str, Any]],
        "payment": str | None,
        "cost_center_ids": list[int],
        "employee_id": int,
        "expenses_expensable_id": int,
        "subcategory": str | None,
        "category_id": int | None,
        "amount": int | None,
        "reimbursable_amount": int | None,
        "reimbursable_currency": str | None,
        "mileage": int | None,
        "units": str | None,
        "rate": str | None,
        "rate_measurement_unit": str | None,
        "from": str | None,
        "to": str | None,
        "description": str | None,
        "effective_on": str | None,
        "review_request_at": str | None,
        "paid_at": str | None,
        "ledger_account_id": int | None,
        "round_trip": bool | None,
        "origin_longitude": str | None,
        "origin_latitude": str | None,
        "destination_longitude": str | None,
        "destination_latitude": str | None,
        "calculated_mileage": int | None,
        "budget_id": int | None,
        "project_id": int | None,
        "vehicle": str | None,
        "passengers": int | None,
        "fiscal_horsepower": int | None,
        "electric": bool | None,
        "pricing": str,
        "category": NotRequired[CategoryRefView],
    },
)
"""A mileage as the routers render it (``MileageOut``); ``category`` only when set."""


def mileage_out(m: Mileage, x: Expensable, related: Related) -> MileageView:
    obj: MileageView = {
        "id": m.id,
        "company_id": m.company_id,
        "currency": x.currency,
        "status": x.status,
        "files": [],
        "payment": x.payment,
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
        "rate": _decimal_str(m.rate),
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
        "vehicle": m.vehicle,
        "passengers": m.passengers,
        "fiscal_horsepower": m.fiscal_horsepower,
        "electric": m.electric,
        "pricing": mileage_pricing(m.pricing, m.rate),
    }
    category = _category(related, x.category_id)
    if category is not None:
        obj["category"] = category
    return obj


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


class MealsProvidedOut(BaseModel):
    """Meals the employer provided on one day of a per diem's trip."""

    date: str = Field(description="Day of the trip (`YYYY-MM-DD`, in the trip's timezone)")
    breakfast: bool = Field(description="Breakfast was provided")
    lunch: bool = Field(description="Lunch was provided")
    dinner: bool = Field(description="Dinner was provided")


class PerDiemOut(BaseModel):
    """A per diem claim (``expenses/per_diems``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="Per diem id")
    company_id: str = Field(description="Company id")
    currency: str = Field(description="ISO 4217 currency of `amount`")
    payment: Payment = Field(description="Whether the employee is owed the money")
    files: list[FileOut] = Field(description="Attachments; empty until documents are attached")
    status: Status = Field(description="Status of the claim (its expensable's)")
    cost_center_ids: list[str] = Field(description="Cost centres the claim is charged to")
    rates: list[PerDiemRateOut] = Field(
        description="Rate configurations the statutory breakdown used, one per distinct line of a rate table "
        "and kind of day (empty when the statutory rules could not price the per diem)"
    )
    employee_id: str | None = Field(None, description="Employee who travelled")
    expenses_expensable_id: str | None = Field(None, description="Id of the expensable header")
    start_date: str | None = Field(None, description="First day of the trip (`YYYY-MM-DD`)")
    end_date: str | None = Field(None, description="Last day of the trip (`YYYY-MM-DD`)")
    from_: str | None = Field(None, alias="from", description="Where the trip starts")
    to: str | None = Field(None, description="Destination")
    trip_name: str | None = Field(None, description="Name of the trip")
    ledger_account_id: str | None = Field(None, description="Ledger account")
    amount: int | None = Field(None, description="Total allowance in minor units")
    reimbursable_amount: int | None = Field(None, description="Amount owed to the employee, minor units")
    reimbursable_currency: str | None = Field(None, description="Currency of `reimbursable_amount`")
    paid_at: str | None = Field(None, description="When it was marked paid")
    review_request_at: str | None = Field(None, description="When it was submitted")
    effective_on: str | None = Field(None, description="Date of the claim, as a timestamp at midnight UTC")
    description: str | None = Field(None, description="Free-text description")
    category: CategoryRefOut | None = Field(None, description="Category; omitted when there is none")
    subcategory: str | None = Field(None, description="Subcategory")
    budget_id: str | None = Field(None, description="Budget")
    project_id: str | None = Field(None, description="Project")
    gross_amount: int | None = Field(None, description=PER_DIEM_TOTAL_DESCRIPTIONS["gross_amount"])
    deductions_amount: int | None = Field(None, description=PER_DIEM_TOTAL_DESCRIPTIONS["deductions_amount"])
    statutory_amount: int | None = Field(None, description=PER_DIEM_TOTAL_DESCRIPTIONS["statutory_amount"])
    tax_free_amount: int | None = Field(None, description=PER_DIEM_TOTAL_DESCRIPTIONS["tax_free_amount"])
    taxable_amount: int | None = Field(None, description=PER_DIEM_TOTAL_DESCRIPTIONS["taxable_amount"])
    start_at: str | None = Field(None, description=PER_DIEM_INPUT_DESCRIPTIONS["start_at"])
    end_at: str | None = Field(None, description=PER_DIEM_INPUT_DESCRIPTIONS["end_at"])
    timezone: str | None = Field(None, description=PER_DIEM_INPUT_DESCRIPTIONS["timezone"])
    destination_country: str | None = Field(
        None, description=PER_DIEM_INPUT_DESCRIPTIONS["destination_country"]
    )
    destination_city: str | None = Field(None, description=PER_DIEM_INPUT_DESCRIPTIONS["destination_city"])
    meals_provided: list[MealsProvidedOut] = Field(description=PER_DIEM_INPUT_DESCRIPTIONS["meals_provided"])
    overnight_stays: list[str] | None = Field(
        None, description=PER_DIEM_INPUT_DESCRIPTIONS["overnight_stays"]
    )
    locality_mie: str | None = Field(None, description=PER_DIEM_INPUT_DESCRIPTIONS["locality_mie"])
    pricing: PerDiemPricing = Field(description=PER_DIEM_PRICING_DESCRIPTION)


class PerDiemRateView(TypedDict):
    """A rate configuration a per diem's statutory breakdown used (``PerDiemRateOut``)."""

    id: int
    expenses_per_diem_id: int
    rate_configuration_id: int
    total_days: int | None
    total_amount_cents: int | None


def per_diem_rate_out(r: PerDiemRate) -> PerDiemRateView:
    return {
        "id": r.id,
        "expenses_per_diem_id": r.per_diem_id,
        "rate_configuration_id": r.rate_configuration_id,
        "total_days": r.total_days,
        "total_amount_cents": r.total_amount,
    }


class MealsProvidedView(TypedDict):
    """Meals provided on one day of a trip (``MealsProvidedOut``)."""

    date: str
    breakfast: bool
    lunch: bool
    dinner: bool


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
    meals_provided: list[MealsProvidedView]
    overnight_stays: list[str] | None
    locality_mie: str | None


PerDiemView = TypedDict(
    "PerDiemView",
    {
        "id": int,
        "company_id": int,
        "currency": str | None,
        "payment": str | None,
        "files": list[Mapping[str, Any]],
        "status": str,
        "cost_center_ids": list[int],
        "rates": list[PerDiemRateView],
        "employee_id": int,
        "expenses_expensable_id": int,
        "start_date": str | None,
        "end_date": str | None,
        "from": str | None,
        "to": str | None,
        "trip_name": str | None,
        "ledger_account_id": int | None,
        "amount": int | None,
        "reimbursable_amount": int | None,
        "reimbursable_currency": str | None,
        "paid_at": str | None,
        "review_request_at": str | None,
        "effective_on": str | None,
        "description": str | None,
        "subcategory": str | None,
        "budget_id": int | None,
        "project_id": int | None,
        "gross_amount": int | None,
        "deductions_amount": int | None,
        "statutory_amount": int | None,
        "tax_free_amount": int | None,
        "taxable_amount": int | None,
        "start_at": str | None,
        "end_at": str | None,
        "timezone": str | None,
        "destination_country": str | None,
        "destination_city": str | None,
        "meals_provided": list[MealsProvidedView],
        "overnight_stays": list[str] | None,
        "locality_mie": str | None,
        "pricing": str,
        "category": NotRequired[CategoryRefView],
    },
)
"""A per diem as the routers render it (``PerDiemOut``); ``category`` only when set."""


def per_diem_out(p: PerDiem, x: Expensable, related: Related) -> PerDiemView:
    totals = per_diem_totals(p, x.amount)
    inputs = per_diem_inputs(p.trip_inputs)
    obj: PerDiemView = {
        "id": p.id,
        "company_id": p.company_id,
        "currency": x.currency,
        "payment": x.payment,
        "files": [],
        "status": x.status,
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
    category = _category(related, x.category_id)
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
        "locality_mie": None if mie is None else _decimal_str(Decimal(mie)),
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


class ApproverOut(BaseModel):
    """An approver of the flow's step."""

    id: str = Field(description="Approver id")
    materialized_approval_step_id: str = Field(
        description="Step id. Flows have a single step, whose id is the flow's id"
    )
    approval_step_approver_id: str = Field(description="Id of the approver rule; the approver's id")
    status: Literal[
        "approved",
        "changes_requested",
        "ignored",
        "pending",
        "rejected",
        "requestedinformation",
        "stopped",
        "waiting_changes",
    ] = Field(description="What this approver decided")
    updated_at: str = Field(description="Time of the approver's last change")
    access_id: str | None = Field(None, description="Access of the approver; null when the company approves")
    employee_id: str | None = Field(None, description="Employee approver; null when the company approves")
    selection_criteria: str | None = Field(
        None, description="Why this approver: `manager` (the owner's manager) or `company` (no manager)"
    )


class ApprovalFlowOut(BaseModel):
    """An approval flow materialised for a claim (Factorial's ApprovalsMaterializedApprovalsFlow)."""

    id: str = Field(description="Flow id")
    author_id: str = Field(description="Access id of who submitted the claim")
    owner_id: str = Field(description="Access id of the claim's owner (the spender)")
    resource_type: str = Field(description="`Expenses::Expensable`")
    resource_id: str = Field(description="Expensable id")
    resource_url: str = Field(description="API path of the expensable")
    status: Literal[
        "approved", "changes_requested", "rejected", "requestedinformation", "running", "stopped"
    ] = Field(description="State of the flow")
    expires_at: str = Field(description="When the flow lapses (30 days after submission)")
    approval_flow_id: str = Field(
        description="Template flow id; flows are not templated here, so the flow's id"
    )
    approvers: list[ApproverOut] = Field(description="Approvers of the step")
    email_detail_blocks: list[str] = Field(description="E-mail detail blocks; always empty")
    author_employee_id: str | None = Field(None, description="Employee id of the author")
    owner_employee_id: str | None = Field(None, description="Employee id of the owner")
    final_decision_at: str | None = Field(None, description="When the flow was decided")
    override_approver_id: str | None = Field(None, description="Overriding approver's access id; always null")
    override_approver_employee_id: str | None = Field(None, description="Overriding approver's employee id")
    rules_decision: str | None = Field(None, description="Automatic rules decision; always null")
    auto_approval_description: str | None = Field(None, description="Auto-approval explanation; always null")
    action_type: str | None = Field(None, description="Last action: `approve`, `reject` or `request_changes`")
    reason: str | None = Field(None, description="Reason given with the last action")


class ApproverView(TypedDict):
    """An approver of a flow's step (``ApproverOut``)."""

    id: int
    materialized_approval_step_id: int
    approval_step_approver_id: int
    status: str
    updated_at: str | None
    access_id: int | None
    employee_id: int | None
    selection_criteria: str | None


class ApprovalFlowView(TypedDict):
    """An approval flow as the routers render it (``ApprovalFlowOut``)."""

    id: int
    author_id: int | None
    owner_id: int | None
    resource_type: str
    resource_id: int
    resource_url: str
    status: str
    expires_at: str | None
    approval_flow_id: int
    approvers: list[ApproverView]
    email_detail_blocks: list[str]
    author_employee_id: int | None
    owner_employee_id: int | None
    final_decision_at: str | None
    override_approver_id: None
    override_approver_employee_id: None
    rules_decision: None
    auto_approval_description: None
    action_type: str | None
    reason: str | None


def approval_flow_out(
    flow: ApprovalFlow, approvers: list[ApprovalFlowApprover], resource_url: str
) -> ApprovalFlowView:
    return {
        "id": flow.id,
        "author_id": flow.author_access_id,
        "owner_id": flow.owner_access_id,
        "resource_type": flow.resource_type,
        "resource_id": flow.resource_id,
        "resource_url": resource_url,
        "status": flow.status,
        "expires_at": format_ts(flow.expires_at),
        "approval_flow_id": flow.id,
        "approvers": [
            {
                "id": a.id,
                "materialized_approval_step_id": flow.id,
                "approval_step_approver_id": a.id,
                "status": a.status,
                "updated_at": format_ts(a.updated_at),
                "access_id": a.access_id,
                "employee_id": a.employee_id,
                "selection_criteria": a.selection_criteria,
            }
            for a in approvers
        ],
        "email_detail_blocks": [],
        "author_employee_id": flow.author_employee_id,
        "owner_employee_id": flow.owner_employee_id,
        "final_decision_at": format_ts(flow.final_decision_at),
        "override_approver_id": None,
        "override_approver_employee_id": None,
        "rules_decision": None,
        "auto_approval_description": None,
        "action_type": flow.action_type,
        "reason": flow.reason,
    }


# --------------------------------------------------------------------------------------------------
# List filter types
# --------------------------------------------------------------------------------------------------


def _parse_bound(value: Any) -> date | datetime:
    """A date (`2024-01-01`) or a timestamp (`2024-01-01T00:00:00Z`; naive means UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


DateOrTs = Annotated[
    date | datetime,
    PlainValidator(_parse_bound),
    WithJsonSchema({"type": "string", "description": "A date (YYYY-MM-DD) or an ISO 8601 timestamp"}),
]


# --------------------------------------------------------------------------------------------------
# Write bodies
# --------------------------------------------------------------------------------------------------


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR")
    return code


def _coordinate(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a decimal number of degrees")
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a decimal number of degrees") from None
    if not number.is_finite() or abs(number) > 180 or len(text) > 24:
        raise ValueError("must be a decimal number of degrees between -180 and 180")
    return text


Money = Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR_UNITS)]
PositiveMoney = Annotated[int, Field(strict=True, gt=0, le=MAX_MINOR_UNITS)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
Rate = Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=12)]
Fraction = Annotated[Decimal, Field(ge=0, le=1, decimal_places=12)]
Coordinate = Annotated[str | None, BeforeValidator(_coordinate)]
Text = Annotated[str, Field(max_length=5000)]


class _Body(BaseModel):
    """Base of every write body: unknown keys are ignored, text may not contain NUL."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return no_nul(value)


class TaxIn(_Body):
    """A tax line."""

    type: Literal["vat"] = Field("vat", description="Tax kind; only `vat`")
    percentage: Fraction | None = Field(None, description="Rate as a fraction 0..1, e.g. 0.21")
    amount: Money | None = Field(None, description="Tax amount in minor units")
    base_amount: Money | None = Field(None, description="Taxable base in minor units")


class CostCenterShareIn(_Body):
    """A cost centre and its share of the claim."""

    cost_center_id: IdIn = Field(description="Cost centre id (finance/cost_centers)")
    percentage: Annotated[Decimal, Field(gt=0, le=1, decimal_places=12)] = Field(
        description="Share as a fraction (0 < share <= 1); the shares must sum to 1"
    )


class CardIn(_Body):
    """The card an expense was paid with."""

    card_type: str = Field(min_length=1, max_length=24, description="Card kind, e.g. `virtual`")
    last4: str | None = Field(None, pattern=r"^\d{4}$", description="Last four digits")


class _ClaimFields(_Body):
    """Fields every kind of claim shares; all optional (PUT is a partial update)."""

    id: IdIn | None = Field(
        None, description="Repeats the path id on PUT (Factorial style); must match it. Refused on create"
    )
    employee_id: IdIn | None = Field(None, description="Owner of the claim (the spender)")
    reporter_id: IdIn | None = Field(None, description="Employee reporting on the owner's behalf")
    legal_entity_id: IdIn | None = Field(None, description="Paying legal entity; default: the owner's")
    currency: Currency | None = Field(None, description="ISO 4217 code of `amount`")
    effective_on: date | None = Field(None, description="Date of the spend (`YYYY-MM-DD`)")
    description: Text | None = Field(None, description="Free-text description")
    internal_reference: str | None = Field(None, max_length=120, description="Company-internal reference")
    category_id: IdIn | None = Field(None, description="Category (finance/categories)")
    subcategory: str | None = Field(None, max_length=120, description="Subcategory")
    project_id: IdIn | None = Field(None, description="Project (project_management/projects)")
    ledger_account_id: IdIn | None = Field(None, description="Ledger account (finance/accounts)")
    payment: Payment | None = Field(None, description="`reimbursable` (default) or `not_reimbursable`")
    reimbursable_amount: Money | None = Field(
        None,
        description="Amount owed to the employee, 0..amount; default: the amount when reimbursable, else 0 "
        "(recomputed that way when amount or payment change and this is not given)",
    )
    cost_center_ids: list[IdIn] | None = Field(
        None, max_length=50, description="Cost centres, split equally (use `cost_centers` for other shares)"
    )
    cost_centers: list[CostCenterShareIn] | None = Field(
        None, max_length=50, description="Cost centres with their shares (summing to 1)"
    )


class _ExpenseFields(_ClaimFields):
    amount: PositiveMoney | None = Field(None, description="Total in minor units (> 0)")
    merchant_name: str | None = Field(None, max_length=200, description="Merchant as read from the receipt")
    user_merchant: str | None = Field(None, max_length=200, description="Merchant as typed by the employee")
    merchant_tin: str | None = Field(None, max_length=64, description="Merchant's tax id")
    reference: str | None = Field(None, max_length=120, description="Receipt or invoice reference")
    exchange_rate: Rate | None = Field(
        None,
        description="Legal-entity currency units per unit of `currency` (> 0). Required when the currency "
        "differs from the legal entity's; otherwise 1",
    )
    taxes: list[TaxIn] | None = Field(None, max_length=20, description="Tax lines (replace all on PUT)")
    creation_type: CreationType | None = Field(
        None, description="`manual` (default) or `automatic` (raised from a card payment)"
    )
    card: CardIn | None = Field(None, description="Card it was paid with")
    card_payment_id: IdIn | None = Field(
        None,
        description="Card payment it was raised from (banking/card_payments; 404 when not the company's)",
    )
    expenses_card_id: IdIn | None = Field(
        None, description="Company card it was paid with (banking/cards; 404 when not the company's)"
    )
    external_authorization_id: IdIn | None = Field(
        None, description="External card authorisation: the card issuer's id, stored as given"
    )
    dispute_id: IdIn | None = Field(
        None, description="Payment dispute: an id in the card issuer's or Factorial's system, stored as given"
    )
    document_number: str | None = Field(None, max_length=120, description="Financial document number")
    document_type: str | None = Field(None, max_length=24, description="Document kind, e.g. `invoice`")
    payment_method: str | None = Field(None, max_length=40, description="How it was paid, e.g. `cash`")
    document_id: IdIn | None = Field(
        None,
        description="A document (documents/documents) to attach as the receipt; null on PUT removes every "
        "receipt",
    )
    document_ids: list[IdIn] | None = Field(
        None,
        max_length=20,
        description="expensehub extension: the receipts, in order (replaces them all on PUT; `[]` removes "
        "them). `document_id`, when also given, must be the first",
    )


class ExpenseCreate(_ExpenseFields):
    """Body of ``POST expenses/expenses`` (expensehub extension): a draft expense."""

    employee_id: IdIn = Field(description="Owner of the claim (the spender)")
    amount: PositiveMoney = Field(description="Total in minor units (> 0)")
    currency: Currency = Field(description="ISO 4217 code of `amount`")
    effective_on: date = Field(description="Date of the spend (`YYYY-MM-DD`)")


class ExpenseUpdate(_ExpenseFields):
    """Body of ``PUT expenses/expenses/{id}`` (expensehub extension): only the keys sent change."""


class _MileageFields(_ClaimFields):
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


class _PerDiemFields(_ClaimFields):
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


class IdsBody(_Body):
    """``{ids: [...]}``: 1 to 100 expensable ids."""

    ids: list[IdIn] = Field(min_length=1, max_length=100, description="Expensable ids (1 to 100)")


class ReimbursableAmountBody(_Body):
    """Body of ``POST expenses/expensables/update_reimbursable_amount``."""

    id: IdIn = Field(description="Expensable id (type `expense`, payment `reimbursable`)")
    reimbursable_amount: Money = Field(description="New amount owed to the employee: 0..amount, minor units")


class RequestChangesBody(_Body):
    """Body of ``POST expenses/expensables/request_changes`` (expensehub extension)."""

    id: IdIn = Field(description="Expensable id (must be pending)")
    reason: str | None = Field(None, max_length=2000, description="What the employee should change")


class ApprovalActionBody(_Body):
    """Body of ``approve_resource`` / ``reject_resource``."""

    resource_type: str = Field(
        max_length=64,
        description="`Expenses::Expensable` (Factorial's name); `expenses/expensable` and `expensable` "
        "also work",
    )
    resource_id: IdIn = Field(description="Expensable id")
    reason: str | None = Field(None, max_length=2000, description="Reason for the decision")
