"""The wire shapes of an expense (``expenses/expenses``): the response and the write bodies.

Nested objects with no value (``category``, ``card``) are omitted, never ``null``: the official SDK
cannot parse a null object.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, cast

from pydantic import Field

from expensehub.expenses.rules import Status
from expensehub.expenses.schemas.bodies import CardIn, ClaimFields, Currency, PositiveMoney, Rate, TaxIn
from expensehub.expenses.schemas.shared import (
    DUPLICATE_OF_DESCRIPTION,
    IS_DUPLICATE_DESCRIPTION,
    CardOut,
    CategoryRefOut,
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
from expensehub.kit.shapes import IdOut, NotRequired, TypedDict
from expensehub.models import Expensable, Expense, ExpenseTax

ExpenseCreationType = Literal["manual", "automatic", "travelperk"]


class ExpenseOut(TypedDict):
    """A receipt-backed expense (``expenses/expenses``); status and payment come from its expensable."""

    id: Annotated[IdOut, Field(description="Expense id")]
    company_id: Annotated[IdOut, Field(description="Company id")]
    creation_type: Annotated[
        ExpenseCreationType,
        Field(
            description="`manual` (entered by hand), `automatic` (raised from a card payment) or `travelperk`"
        ),
    ]
    currency: Annotated[str, Field(description="ISO 4217 currency of `amount`")]
    status: Annotated[Status, Field(description="Status of the claim (its expensable's)")]
    # The column is nullable (reconciliation skips expensables without a date): documented as nullable.
    effective_on: Annotated[str | None, Field(description="Date of the spend (`YYYY-MM-DD`)")]
    status_updated_at: Annotated[str, Field(description="Time of the last status change")]
    files: Annotated[
        list[FileOut],
        Field(description="Receipts (documents in the trash bin are left out), with signed download URLs"),
    ]
    taxes: Annotated[list[TaxOut], Field(description="Tax lines")]
    cost_center_ids: Annotated[list[IdOut], Field(description="Cost centres the expense is charged to")]
    employee_id: Annotated[IdOut | None, Field(description="Employee who spent the money")]
    card_payment_id: Annotated[IdOut | None, Field(description="Card payment it was raised from")]
    dispute_id: Annotated[IdOut | None, Field(description="Payment dispute")]
    expenses_expensable_id: Annotated[IdOut | None, Field(description="Id of the expensable header")]
    merchant_name: Annotated[str | None, Field(description="Merchant read from the receipt")]
    user_merchant: Annotated[
        str | None, Field(description="Merchant typed by the employee (takes precedence)")
    ]
    merchant_tin: Annotated[str | None, Field(description="Merchant's tax identification number")]
    category: NotRequired[
        Annotated[CategoryRefOut, Field(description="Category; omitted when there is none")]
    ]
    subcategory: Annotated[str | None, Field(description="Subcategory")]
    category_id: Annotated[IdOut | None, Field(description="Category id (finance/categories)")]
    reference: Annotated[str | None, Field(description="Receipt or invoice reference")]
    amount: Annotated[int | None, Field(description="Total in minor units of `currency`")]
    description: Annotated[str | None, Field(description="Free-text description")]
    review_request_at: Annotated[str | None, Field(description="When it was submitted; null while a draft")]
    external_authorization_id: Annotated[IdOut | None, Field(description="External card authorisation id")]
    expenses_card_id: Annotated[IdOut | None, Field(description="Company card it was paid with")]
    card: NotRequired[Annotated[CardOut, Field(description="Card details; omitted when there is no card")]]
    document_id: Annotated[
        IdOut | None, Field(description="Document id of the (first) receipt (documents/documents)")
    ]
    access_token: Annotated[str | None, Field(description="Access token of the receipt upload; always null")]
    paid_at: Annotated[str | None, Field(description="When it was marked paid")]
    document_number: Annotated[str | None, Field(description="Number of the associated financial document")]
    document_type: Annotated[str | None, Field(description="Kind of the associated document, e.g. `invoice`")]
    payment: Annotated[Payment | None, Field(description="Whether the employee is owed the money")]
    payment_method: Annotated[str | None, Field(description="How it was paid, e.g. `cash`")]
    exchange_rate: Annotated[
        float | None,
        Field(description="Legal-entity currency units per unit of `currency` (1 when they are the same)"),
    ]
    reimbursable_amount: Annotated[int | None, Field(description="Amount owed to the employee, minor units")]
    reimbursable_currency: Annotated[str | None, Field(description="Currency of `reimbursable_amount`")]
    ledger_account_id: Annotated[IdOut | None, Field(description="Ledger account (finance/accounts)")]
    budget_id: Annotated[IdOut | None, Field(description="Budget it is booked to")]
    project_id: Annotated[IdOut | None, Field(description="Project it is booked to")]
    duplicate_of_id: Annotated[IdOut | None, Field(description=DUPLICATE_OF_DESCRIPTION)]
    is_possible_duplicate: Annotated[bool, Field(description=IS_DUPLICATE_DESCRIPTION)]


def tax_out(t: ExpenseTax) -> TaxOut:
    return {
        "type": cast(Literal["vat"], t.type),
        "amount": t.amount,
        "percentage": as_float(t.percentage),
        "base_amount": t.base_amount,
    }


def expense_out(e: Expense, x: Expensable, related: Related) -> ExpenseOut:
    files = related.files.get(e.id, [])
    obj: ExpenseOut = {
        "id": e.id,
        "company_id": e.company_id,
        "creation_type": cast(ExpenseCreationType, e.creation_type),
        "currency": x.currency,
        "status": cast(Status, x.status),
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
        "payment": cast(Payment, x.payment),
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
