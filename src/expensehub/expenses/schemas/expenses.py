"""The wire shapes of an expense (``expenses/expenses``): the response and the write bodies.

Nested objects with no value (``category``, ``card``) are omitted, never ``null``: the official SDK
cannot parse a null object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal, NotRequired, TypedDict

from pydantic import BaseModel, Field

from expensehub.expenses.rules import Status
from expensehub.expenses.schemas.bodies import CardIn, ClaimFields, Currency, PositiveMoney, Rate, TaxIn
from expensehub.expenses.schemas.shared import (
    DUPLICATE_OF_DESCRIPTION,
    IS_DUPLICATE_DESCRIPTION,
    CardOut,
    CategoryRefOut,
    CategoryRefView,
    CreationType,
    FileOut,
    Payment,
    Related,
    TaxOut,
    as_float,
    category_ref,
)
from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import IdIn
from expensehub.models import Expensable, Expense, ExpenseTax


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
        "percentage": as_float(t.percentage),
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
        "exchange_rate": as_float(e.exchange_rate),
        "reimbursable_amount": x.reimbursable_amount,
        "reimbursable_currency": x.reimbursable_currency,
        "ledger_account_id": x.ledger_account_id,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "duplicate_of_id": x.duplicate_of_id,
        "is_possible_duplicate": x.duplicate_of_id is not None,
    }
    category = category_ref(related, x.category_id)
    if category is not None:
        obj["category"] = category
    if e.card_type:
        obj["card"] = {"card_type": e.card_type, "last4": e.card_last4}
    return obj


class _ExpenseFields(ClaimFields):
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
