"""Wire shapes of bank accounts, cards, card payments, transactions and feed imports; bodies.

Each response shape is one ``TypedDict`` (``*Out``, see ``kit/shapes.py``): the typed view the ``*_out``
functions build (plain dicts with integer ids; the version registry renders them) and the OpenAPI
component documenting it. Every scalar key is always present (``null`` when it has no value). The list
filters are in ``resources.py``.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from expensehub.banking.importers import TransactionType
from expensehub.kit.banknumbers import AccountNumberType
from expensehub.kit.bodies import no_nul
from expensehub.kit.clock import format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.money import is_currency
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models.banking import BankAccount, BankTransaction, Card, CardPayment, FeedImport

CardPaymentStatus = Literal["pending", "closed", "reversed", "rejected"]
CardPaymentType = Literal["payment", "refund"]
RejectedReason = Literal[
    "account_disabled",
    "card_active",
    "card_canceled",
    "card_expired",
    "card_inactive",
    "cardholder_blocked",
    "cardholder_inactive",
    "cardholder_verification_required",
    "insecure_authorization_method",
    "insufficient_funds",
    "not_allowed",
    "pin_blocked",
    "spending_controls",
    "suspected_fraud",
    "verification_failed",
    "webhook_approved",
    "webhook_declined",
    "webhook_error",
    "webhook_timeout",
    "authentication_failed",
    "incorrect_cvc",
    "incorrect_expiry",
    "account_compliance_disabled",
    "account_inactive",
    "authorization_controls",
]


Last4 = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
"""Last four digits of a card number."""
FeedFormat = Literal["csv", "camt053", "ofx"]


# --------------------------------------------------------------------------------------------------
# banking/bank_accounts
# --------------------------------------------------------------------------------------------------


class BankAccountOut(TypedDict):
    """A company bank account (``banking/bank_accounts``)."""

    id: Annotated[IdOut, Field(description="Bank account id")]
    external_id: Annotated[str, Field(description="Identifier of the account in the bank or the feed")]
    currency: Annotated[str, Field(description="Currency of the account (ISO 4217)")]
    country: Annotated[str, Field(description="Lowercase country of the account, e.g. `es`")]
    account_number: Annotated[str, Field(description="Account number as given (an IBAN for `iban` accounts)")]
    account_number_type: Annotated[AccountNumberType, Field(description="Kind of `account_number`")]
    account_balance_cents: Annotated[
        int, Field(description="Booked balance in minor units (from the latest statement)")
    ]
    available_balance_cents: Annotated[int, Field(description="Available balance in minor units")]
    pending_balance_cents: Annotated[
        int, Field(description="Sum of pending card payments in minor units (negative)")
    ]
    updated_at: Annotated[str, Field(description="Last change, ISO 8601 UTC with milliseconds")]
    sort_code: Annotated[str | None, Field(description="UK sort code")]
    bic: Annotated[str | None, Field(description="BIC/SWIFT code of the bank")]
    iban: Annotated[str | None, Field(description="IBAN, without spaces")]
    routing_number: Annotated[str | None, Field(description="US routing number")]
    beneficiary_name: Annotated[str | None, Field(description="Account holder name")]
    bank_name: Annotated[str | None, Field(description="Name of the bank")]
    account_alias: Annotated[str | None, Field(description="Alias given to the account")]
    legal_entity_id: Annotated[IdOut | None, Field(description="Legal entity that owns the account")]


def bank_account_out(a: BankAccount, pending: int = 0) -> BankAccountOut:
    return {
        "id": a.id,
        "external_id": a.external_id,
        "currency": a.currency,
        "country": a.country,
        "account_number": a.account_number,
        "account_number_type": cast(AccountNumberType, a.account_number_type),
        "account_balance_cents": a.account_balance_cents,
        "available_balance_cents": a.available_balance_cents,
        "pending_balance_cents": pending,
        "updated_at": format_ts(a.updated_at),
        "sort_code": a.sort_code,
        "bic": a.bic,
        "iban": a.iban,
        "routing_number": a.routing_number,
        "beneficiary_name": a.beneficiary_name,
        "bank_name": a.bank_name,
        "account_alias": a.account_alias,
        "legal_entity_id": a.legal_entity_id,
    }


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR")
    return code


Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
Text = Annotated[str, AfterValidator(no_nul)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BankAccountCreate(_Body):
    """Body of ``POST banking/bank_accounts/create_manual``."""

    legal_entity_id: IdIn = Field(description="Legal entity that owns the account")
    currency: Currency = Field(description="Currency of the account (ISO 4217)")
    account_number: Text = Field(
        min_length=1, max_length=64, description="Account number (an IBAN for `iban`)"
    )
    account_number_type: AccountNumberType = Field(description="Kind of `account_number`")
    account_alias: Text | None = Field(None, max_length=200, description="Alias for the account")
    ledger_account_id: IdIn | None = Field(None, description="Ledger account it posts to (finance/accounts)")
    bank_account_membership_employee_ids: list[IdIn] | None = Field(
        None, max_length=500, description="Employees who may use the account"
    )
    external_id: Text | None = Field(
        None,
        min_length=1,
        max_length=120,
        description="Your id for the account (default: the account number)",
    )
    bic: Text | None = Field(None, max_length=11, description="BIC/SWIFT (expensehub extension)")
    bank_name: Text | None = Field(None, max_length=200, description="Bank name (expensehub extension)")
    beneficiary_name: Text | None = Field(None, max_length=200, description="Holder (expensehub extension)")


# --------------------------------------------------------------------------------------------------
# banking/cards (extension)
# --------------------------------------------------------------------------------------------------


class CardOut(TypedDict):
    """A company card (``banking/cards``, expensehub extension)."""

    id: Annotated[
        IdOut,
        Field(
            description="Card id; card payments point to it with `card_id`, expenses with `expenses_card_id`"
        ),
    ]
    bank_account_id: Annotated[IdOut, Field(description="Bank account the card settles on")]
    employee_id: Annotated[IdOut | None, Field(description="Cardholder, when assigned")]
    card_type: Annotated[str, Field(description="Card kind, e.g. `company`, `virtual`, `physical`")]
    last4: Annotated[str, Field(description="Last four digits of the card number")]
    created_at: Annotated[str, Field(description="Creation time, ISO 8601 UTC with milliseconds")]


def card_out(c: Card) -> CardOut:
    return {
        "id": c.id,
        "bank_account_id": c.bank_account_id,
        "employee_id": c.employee_id,
        "card_type": c.card_type,
        "last4": c.last4,
        "created_at": format_ts(c.created_at),
    }


class CardCreate(_Body):
    """Body of ``POST banking/cards`` (expensehub extension)."""

    bank_account_id: IdIn = Field(description="Bank account the card settles on")
    last4: Last4 = Field(description="Last four digits of the card number")
    card_type: Text = Field(
        "company", min_length=1, max_length=24, description="Card kind (default `company`)"
    )
    employee_id: IdIn | None = Field(None, description="Cardholder")


class CardUpdate(_Body):
    """Body of ``PUT banking/cards/{id}`` (expensehub extension): only the keys sent change."""

    id: IdIn | None = Field(None, description="Repeats the path id; must match it")
    card_type: Text | None = Field(None, min_length=1, max_length=24, description="Card kind")
    employee_id: IdIn | None = Field(None, description="Cardholder (null to unassign)")


# --------------------------------------------------------------------------------------------------
# banking/card_payments
# --------------------------------------------------------------------------------------------------


class CardPaymentOut(TypedDict):
    """A card payment (``banking/card_payments``): negative amounts for spend."""

    id: Annotated[IdOut, Field(description="Card payment id")]
    card_id: Annotated[IdOut, Field(description="Card it was paid with (banking/cards)")]
    amount_cents: Annotated[
        int, Field(description="Amount in the card's currency, minor units; negative for a payment")
    ]
    currency: Annotated[str, Field(description="Currency of `amount_cents` (the account's)")]
    merchant_name: Annotated[str, Field(description="Merchant as the card network names it")]
    merchant_amount_cents: Annotated[
        int,
        Field(
            description="Amount in the merchant's currency, minor units "
            "(the card amount when the feed had none)"
        ),
    ]
    merchant_currency: Annotated[str, Field(description="Merchant's currency")]
    approved: Annotated[bool, Field(description="Whether the payment was approved (false when rejected)")]
    external_created_at: Annotated[
        str, Field(description="Time at the card processor (purchase or posting time)")
    ]
    status: Annotated[CardPaymentStatus, Field(description="`pending`, `closed`, `reversed` or `rejected`")]
    type: Annotated[CardPaymentType, Field(description="`payment` (money out) or `refund` (money in)")]
    exchange_rate: Annotated[
        float, Field(description="Card currency units per merchant currency unit (1 when the same)")
    ]
    created_at: Annotated[str, Field(description="Time it was imported into expensehub")]
    rejected_reason: Annotated[RejectedReason | None, Field(description="Why it was rejected, when known")]


def card_payment_out(p: CardPayment) -> CardPaymentOut:
    return {
        "id": p.id,
        "card_id": p.card_id,
        "amount_cents": p.amount_cents,
        "currency": p.currency,
        "merchant_name": p.merchant_name,
        "merchant_amount_cents": p.merchant_amount_cents,
        "merchant_currency": p.merchant_currency,
        "approved": p.approved,
        "external_created_at": format_ts(p.external_created_at),
        "status": cast(CardPaymentStatus, p.status),
        "type": cast(CardPaymentType, p.type),
        "exchange_rate": float(p.exchange_rate),
        "created_at": format_ts(p.created_at),
        "rejected_reason": cast(RejectedReason | None, p.rejected_reason),
    }


# --------------------------------------------------------------------------------------------------
# banking/transactions
# --------------------------------------------------------------------------------------------------


class TransactionOut(TypedDict):
    """A booked bank movement (``banking/transactions``)."""

    id: Annotated[IdOut, Field(description="Transaction id")]
    bank_account_id: Annotated[IdOut, Field(description="Bank account it was booked on")]
    amount_cents: Annotated[int, Field(description="Signed amount in minor units: negative for money out")]
    currency: Annotated[str, Field(description="Currency of the amount")]
    type: Annotated[TransactionType, Field(description="Kind of movement")]
    booking_date: Annotated[str, Field(description="Booking date (midnight UTC unless the feed gave a time)")]
    value_date: Annotated[str, Field(description="Value date (the booking date when the feed gave none)")]
    card_payment_id: Annotated[
        IdOut | None,
        Field(description="The card payment this movement settles (null for other movements)"),
    ]
    updated_at: Annotated[str, Field(description="Last change, ISO 8601 UTC with milliseconds")]
    balance_after_cents: Annotated[
        int | None, Field(description="Balance after the movement, when the feed gave it")
    ]
    description: Annotated[str | None, Field(description="Text of the movement")]


def transaction_out(t: BankTransaction) -> TransactionOut:
    return {
        "id": t.id,
        "bank_account_id": t.bank_account_id,
        "amount_cents": t.amount_cents,
        "currency": t.currency,
        "type": cast(TransactionType, t.type),
        "booking_date": format_ts(t.booking_date),
        "value_date": format_ts(t.value_date),
        "card_payment_id": t.card_payment_id,
        "updated_at": format_ts(t.updated_at),
        "balance_after_cents": t.balance_after_cents,
        "description": t.description,
    }


# --------------------------------------------------------------------------------------------------
# banking/feed_imports (extension)
# --------------------------------------------------------------------------------------------------


class RejectedRowOut(TypedDict):
    """A row of the file that was well formed but not imported."""

    line: Annotated[int, Field(description="Line of the file (the element's starting line for XML)")]
    reason: Annotated[str, Field(description="Why it was not imported")]


class FeedImportOut(TypedDict):
    """One imported statement or card feed (``banking/feed_imports``, expensehub extension)."""

    id: Annotated[IdOut, Field(description="Import id")]
    bank_account_id: Annotated[IdOut, Field(description="Bank account the file was imported into")]
    format: Annotated[FeedFormat, Field(description="Format the file was read as")]
    mapping: Annotated[str | None, Field(description="Name of the CSV mapping used")]
    filename: Annotated[str | None, Field(description="Name of the uploaded file")]
    sha256: Annotated[str, Field(description="SHA-256 of the file's bytes")]
    entries: Annotated[int, Field(description="Movements read from the file")]
    new_card_payments: Annotated[int, Field(description="Card payments created")]
    new_transactions: Annotated[int, Field(description="Bank transactions created")]
    updated: Annotated[
        int, Field(description="Known movements whose status moved on (a pending card payment booked)")
    ]
    duplicates: Annotated[
        int, Field(description="Movements already imported before (same id or same content)")
    ]
    rejected: Annotated[int, Field(description="Rows not imported (see `rejections`)")]
    rejections: Annotated[
        list[RejectedRowOut], Field(description="Line and reason of every row not imported")
    ]
    created_at: Annotated[str, Field(description="Time of the import")]


def feed_import_out(f: FeedImport) -> FeedImportOut:
    rows: list[RejectedRowOut] = json.loads(f.rejections) if f.rejections else []
    return {
        "id": f.id,
        "bank_account_id": f.bank_account_id,
        "format": cast(FeedFormat, f.format),
        "mapping": f.mapping,
        "filename": f.filename,
        "sha256": f.sha256,
        "entries": f.entries,
        "new_card_payments": f.new_card_payments,
        "new_transactions": f.new_transactions,
        "updated": f.updated,
        "duplicates": f.duplicates,
        "rejected": f.rejected,
        "rejections": rows,
        "created_at": format_ts(f.created_at),
    }
