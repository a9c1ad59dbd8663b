"""The column catalogue of every export dataset: name, type and meaning (pure; no SQL here).

Types (``kind``):

* ``id`` / ``int``: integers. ``text``: strings. ``bool``: true/false.
* ``date``: a calendar date, ``YYYY-MM-DD`` in text formats. ``timestamp``: UTC, ``YYYY-MM-DDTHH:MM:SS.sssZ``.
* ``money``: an exact amount. Held as integer minor units with the currency named by ``currency``;
  written as a decimal in major units (``"12.34"``) in CSV/JSON Lines, as a number with a currency
  format in XLSX, and as int64 minor units in Parquet.
* ``rate``: an exact decimal (exchange rates, tax rates, shares): a decimal string in CSV/JSON Lines,
  decimal128 in Parquet, a number in XLSX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from expensehub.banking.importers import TRANSACTION_TYPES
from expensehub.expenses.rules import STATUSES as EXPENSE_STATUSES

Kind = Literal["id", "int", "text", "bool", "date", "timestamp", "money", "rate"]
KINDS: tuple[str, ...] = ("id", "int", "text", "bool", "date", "timestamp", "money", "rate")


@dataclass(frozen=True)
class Column:
    """One column a dataset can export."""

    name: str
    kind: Kind
    description: str
    default: bool = True
    # For money columns: the column holding the ISO 4217 code of the amount.
    currency: str | None = None


def _c(
    name: str, kind: Kind, description: str, *, default: bool = True, currency: str | None = None
) -> Column:
    return Column(name=name, kind=kind, description=description, default=default, currency=currency)


EXPENSE_COLUMNS: tuple[Column, ...] = (
    _c("expensable_id", "id", "Id of the expensable (expenses/expensables), the claim's header"),
    _c(
        "detail_id",
        "id",
        "Id of the claim's detail: the expense, mileage or per diem (expenses/expenses, mileages, per_diems)",
    ),
    _c("type", "text", "Kind of claim: `expense`, `mileage` or `perdiem`"),
    _c("effective_on", "date", "Date of the spend (the travel date for mileages)"),
    _c("employee_id", "id", "Employee who spent the money"),
    _c("employee_name", "text", "Employee's first and last name"),
    _c("employee_identifier", "text", "Company-assigned employee identifier (payroll number)"),
    _c("legal_entity_id", "id", "Legal entity the claim belongs to"),
    _c("legal_entity_name", "text", "Registered name of that legal entity"),
    _c("merchant", "text", "Merchant: as typed by the employee, else as read from the receipt"),
    _c("description", "text", "Free-text description of the claim"),
    _c("category_id", "id", "Expense category (finance/categories)"),
    _c("category", "text", "Category name (the company's label, else the default label)"),
    _c("document_amount", "money", "Total of the receipt, in `currency`", currency="currency"),
    _c(
        "reimbursable_amount",
        "money",
        "Amount owed back to the employee, in `reimbursable_currency`",
        currency="reimbursable_currency",
    ),
    _c("currency", "text", "ISO 4217 currency of the receipt (`document_amount`)"),
    _c(
        "exchange_rate",
        "rate",
        "Legal-entity currency units per unit of `currency` (1 when they are the same; empty when unknown)",
    ),
    _c(
        "base_amount",
        "money",
        "`document_amount` converted into the legal entity's currency with `exchange_rate`, rounded "
        "half-even to that currency's minor unit",
        currency="base_currency",
    ),
    _c("base_currency", "text", "The legal entity's currency (`base_amount`)"),
    _c("tax_amount", "money", "Sum of the expense's tax lines (VAT), in `currency`", currency="currency"),
    _c(
        "tax_base_amount",
        "money",
        "Sum of the taxable bases of the tax lines, in `currency`",
        currency="currency",
    ),
    _c("tax_rate", "rate", "The tax rate (a fraction, 0.21 = 21 %) when all tax lines share one; else empty"),
    _c("receipt_url", "text", "Download URL of the first receipt document, when documents are stored"),
    _c(
        "approval_status",
        "text",
        "Status: draft, pending, changes_requested, approved, rejected, reversed, "
        "in_payroll, sent_to_pay, paid",
    ),
    _c(
        "accounting_account_code",
        "text",
        "Ledger account number: the claim's own ledger account, else the account its category is mapped to "
        "for the legal entity (finance/ledger_account_resources, `customcategory`), else the parent "
        "category's mapping",
    ),
    _c("project_code", "text", "Code of the project the claim is booked to"),
    _c(
        "cost_center",
        "text",
        "Cost centre code (its name when it has no code). Split claims: one row per centre, or the codes "
        "joined with `|`, by option",
    ),
    _c("card_last4", "text", "Last four digits of the company card that paid, for card expenses"),
    _c("approved_at", "timestamp", "When the claim was approved"),
    _c("paid_at", "timestamp", "When the claim was marked paid"),
    _c("created_at", "timestamp", "When the claim was created"),
    _c("updated_at", "timestamp", "When the claim last changed (incremental exports follow it)"),
    # Not exported unless chosen (templates, `columns`).
    _c(
        "cost_center_share",
        "rate",
        "Share of the row's cost centre (a fraction). With split rows, the row's share; joined, the share "
        "when there is one centre, else empty",
        default=False,
    ),
    _c("reimbursable_currency", "text", "Currency of `reimbursable_amount`", default=False),
    _c("payment", "text", "`reimbursable` or `not_reimbursable`", default=False),
    _c("reimbursement_method", "text", "How it is paid back: unknown, sepa_transfer, payroll", default=False),
    _c("internal_reference", "text", "Company-internal reference", default=False),
    _c("merchant_tin", "text", "Merchant's tax id", default=False),
    _c("reference", "text", "Receipt or invoice reference", default=False),
    _c("document_number", "text", "Number of the associated financial document", default=False),
    _c("document_id", "id", "Document id of the receipt (documents/documents)", default=False),
    _c("creation_type", "text", "`manual`, `automatic` (from a card payment) or `travelperk`", default=False),
    _c("subcategory", "text", "Subcategory name", default=False),
    _c("project_id", "id", "Project the claim is booked to", default=False),
    _c("project_name", "text", "Name of that project", default=False),
    _c("employee_email", "text", "Employee's e-mail", default=False),
    _c("reporter_id", "id", "Employee who submitted on the spender's behalf", default=False),
    _c("group_id", "id", "Expense report (group) the claim was submitted in", default=False),
    _c("budget_id", "id", "Budget the claim is booked to", default=False),
    _c("duplicate_of_id", "id", "Earlier claim this one looks like a duplicate of", default=False),
    _c(
        "card_payment_id",
        "id",
        "Card payment the expense was raised from (banking/card_payments)",
        default=False,
    ),
    _c("status_updated_at", "timestamp", "When the status last changed", default=False),
    _c("review_request_at", "timestamp", "When the claim was submitted for approval", default=False),
    _c("mileage_distance", "int", "Mileages: distance travelled, in `mileage_units`", default=False),
    _c("mileage_units", "text", "Mileages: unit of the distance (`km` or `mi`)", default=False),
    _c("mileage_rate", "rate", "Mileages: rate per unit, in `currency`", default=False),
    _c("origin", "text", "Mileages and per diems: where the trip started", default=False),
    _c("destination", "text", "Mileages and per diems: where it went", default=False),
    _c("per_diem_start_date", "date", "Per diems: first day of the trip", default=False),
    _c("per_diem_end_date", "date", "Per diems: last day of the trip", default=False),
    _c("trip_name", "text", "Per diems: name of the trip", default=False),
)

CARD_PAYMENT_COLUMNS: tuple[Column, ...] = (
    _c("card_payment_id", "id", "Id of the card payment (banking/card_payments)"),
    _c(
        "external_created_at",
        "timestamp",
        "When the card processor recorded the payment (dates filter on it)",
    ),
    _c("bank_account_id", "id", "Bank account the card draws on (banking/bank_accounts)"),
    _c("legal_entity_id", "id", "Legal entity of that bank account"),
    _c("card_id", "id", "Card that paid"),
    _c("card_last4", "text", "Last four digits of the card"),
    _c("employee_id", "id", "Cardholder"),
    _c("employee_name", "text", "Cardholder's first and last name"),
    _c("merchant_name", "text", "Merchant as the card processor names it"),
    _c("amount", "money", "Amount in the account's currency; negative for spend", currency="currency"),
    _c("currency", "text", "ISO 4217 currency of `amount`"),
    _c(
        "merchant_amount",
        "money",
        "Amount in the merchant's currency",
        currency="merchant_currency",
    ),
    _c("merchant_currency", "text", "ISO 4217 currency the merchant charged in"),
    _c("exchange_rate", "rate", "Account-currency units per merchant-currency unit"),
    _c("status", "text", "pending, closed, reversed or rejected"),
    _c("type", "text", "payment or refund"),
    _c("approved", "bool", "Whether the authorisation was approved"),
    _c("rejected_reason", "text", "Why it was rejected, when it was"),
    _c("expense_id", "id", "Expense raised from this payment (the first, when several)"),
    _c("expensable_id", "id", "Expensable of that expense"),
    _c("transaction_id", "id", "Bank transaction that settled the payment (banking/transactions)"),
    _c("created_at", "timestamp", "When expensehub recorded the payment"),
    _c("updated_at", "timestamp", "When it last changed (incremental exports follow it)"),
    _c("card_type", "text", "Kind of card", default=False),
    _c("external_id", "text", "The feed's own id of the payment", default=False),
)

TRANSACTION_COLUMNS: tuple[Column, ...] = (
    _c("transaction_id", "id", "Id of the transaction (banking/transactions)"),
    _c("booking_date", "timestamp", "When the bank booked it (dates filter on it)"),
    _c("value_date", "timestamp", "Value date"),
    _c("bank_account_id", "id", "Bank account it moved"),
    _c("legal_entity_id", "id", "Legal entity of that bank account"),
    _c("bank_account_name", "text", "Alias of the bank account, else the bank's name"),
    _c("amount", "money", "Signed amount in the account's currency", currency="currency"),
    _c("currency", "text", "ISO 4217 currency of `amount`"),
    _c("type", "text", "Kind of movement: card_payment, card_refund, fees, incoming_transfer, ..."),
    _c("description", "text", "The bank's description"),
    _c("balance_after", "money", "Account balance after the movement", currency="currency"),
    _c("card_payment_id", "id", "Card payment it settles, for card movements"),
    _c("created_at", "timestamp", "When expensehub recorded it"),
    _c("updated_at", "timestamp", "When it last changed (incremental exports follow it)"),
    _c("iban", "text", "IBAN of the bank account", default=False),
    _c("external_id", "text", "The feed's own id of the movement", default=False),
)

DATASETS: dict[str, tuple[Column, ...]] = {
    "expenses": EXPENSE_COLUMNS,
    "card_payments": CARD_PAYMENT_COLUMNS,
    "transactions": TRANSACTION_COLUMNS,
}

# Money columns a cost-centre split divides by the shares (largest remainder, so the parts sum exactly).
SPLIT_MONEY_COLUMNS: tuple[str, ...] = (
    "document_amount",
    "reimbursable_amount",
    "base_amount",
    "tax_amount",
    "tax_base_amount",
)


def catalogue(dataset: str) -> dict[str, Column]:
    """The columns of ``dataset`` by name, in catalogue order (``KeyError`` for an unknown dataset)."""
    return {c.name: c for c in DATASETS[dataset]}


def default_columns(dataset: str) -> list[str]:
    """Names of the columns exported when no template or column list chooses them."""
    return [c.name for c in DATASETS[dataset] if c.default]


@dataclass(frozen=True)
class DatasetFilters:
    """Which filters a dataset understands, and the values its enums take."""

    date_field: str
    statuses: tuple[str, ...] | None
    types: tuple[str, ...]
    employee: bool
    id_column: str
    amount_column: str
    currency_column: str


DATASET_FILTERS: dict[str, DatasetFilters] = {
    "expenses": DatasetFilters(
        date_field="effective_on",
        statuses=EXPENSE_STATUSES,
        types=("expense", "mileage", "perdiem"),
        employee=True,
        id_column="expensable_id",
        amount_column="document_amount",
        currency_column="currency",
    ),
    "card_payments": DatasetFilters(
        date_field="external_created_at",
        statuses=("pending", "closed", "reversed", "rejected"),
        types=("payment", "refund"),
        employee=True,
        id_column="card_payment_id",
        amount_column="amount",
        currency_column="currency",
    ),
    "transactions": DatasetFilters(
        date_field="booking_date",
        statuses=None,
        types=TRANSACTION_TYPES,
        employee=False,
        id_column="transaction_id",
        amount_column="amount",
        currency_column="currency",
    ),
}
