"""The banking resources served by the generic list/get (``db/resources.py``), one description each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy.orm import InstrumentedAttribute

from expensehub.banking import repository, schemas
from expensehub.banking.schemas import CardPaymentStatus, Last4
from expensehub.db.resources import (
    Clause,
    Doc,
    Filter,
    Resource,
    Scope,
    any_of,
    company_select,
    equals,
    per_object,
)
from expensehub.models.banking import BankAccount, BankTransaction, Card, CardPayment, FeedImport

TAG = "banking"
EXT = "banking (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "


Stamp = InstrumentedAttribute[datetime]
"""A timestamp column filtered by a date."""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _on_or_after(name: str, column: Stamp, description: str) -> Filter:
    """A date: the timestamp ``column`` is on or after it (UTC)."""
    return Filter(name, date, description, where=lambda day, _s: column >= _midnight(day))


def _on_or_before(name: str, column: Stamp, description: str) -> Filter:
    """A date: the timestamp ``column`` is on or before it (UTC); ``date.max`` bounds nothing."""

    def where(day: date, _scope: Scope) -> Clause | None:
        return None if day >= date.max else column < _midnight(day + timedelta(days=1))

    return Filter(name, date, description, where=where)


# --- bank accounts ------------------------------------------------------------------------------


def _bank_account_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.BankAccountOut]:
    accounts: list[BankAccount] = [row[0] for row in rows]
    pending = repository.pending_balances(
        scope.session, company_id=scope.company_id, account_ids=[a.id for a in accounts]
    )
    return [schemas.bank_account_out(a, pending.get(a.id, 0)) for a in accounts]


BANK_ACCOUNTS: Resource[schemas.BankAccountOut] = Resource(
    key="banking/bank_accounts",
    noun="bank account",
    tag=TAG,
    select=company_select(BankAccount),
    id_column=BankAccount.id,
    view=_bank_account_views,
    out=schemas.BankAccountOut,
    list_doc=Doc(
        "List bank accounts",
        "The company's bank accounts, in ascending id order. `updated_from` is a date (the account "
        "changed on or after it). Balances come from the latest imported statement; "
        "`pending_balance_cents` is the sum of pending card payments.",
    ),
    get_doc=Doc("Get a bank account", "One bank account of the company."),
    filters=(
        any_of("ids", BankAccount.id, "Only these bank account ids"),
        Filter(
            "currency",
            Annotated[str, StringConstraints(max_length=3)],
            "Only accounts in this currency",
            where=lambda code, _s: BankAccount.currency == code.upper(),
        ),
        any_of("legal_entity_ids", BankAccount.legal_entity_id, "Only accounts of these legal entities"),
        _on_or_after("updated_from", BankAccount.updated_at, "Only accounts changed on or after this date"),
    ),
)


# --- cards (extension) --------------------------------------------------------------------------

CARDS: Resource[schemas.CardOut] = Resource(
    key="banking/cards",
    noun="card",
    tag=EXT,
    select=company_select(Card),
    id_column=Card.id,
    view=per_object(schemas.card_out),
    out=schemas.CardOut,
    list_doc=Doc(
        "List company cards",
        EXTENSION + "Cards the company's card payments were made with (created by hand or by a feed "
        "import, one per account and last four digits), in ascending id order.",
    ),
    get_doc=Doc("Get a company card", EXTENSION + "One card of the company."),
    filters=(
        any_of("ids", Card.id, "Only these card ids"),
        any_of("bank_account_ids", Card.bank_account_id, "Only cards of these bank accounts"),
        any_of("employee_ids", Card.employee_id, "Only these cardholders"),
        equals("last4", Card.last4, "Only cards ending in these digits", Last4),
    ),
)


# --- card payments ------------------------------------------------------------------------------

CARD_PAYMENTS: Resource[schemas.CardPaymentOut] = Resource(
    key="banking/card_payments",
    noun="card payment",
    tag=TAG,
    select=company_select(CardPayment),
    id_column=CardPayment.id,
    view=per_object(schemas.card_payment_out),
    out=schemas.CardPaymentOut,
    list_doc=Doc(
        "List card payments",
        "Card payments in ascending id order; amounts are negative for spend. `status` takes one value. "
        "`from`/`to` are dates and filter the creation date in expensehub (the import), both inclusive, "
        "each usable alone, as Factorial documents for its creation date.",
    ),
    get_doc=Doc("Get a card payment", "One card payment of the company."),
    filters=(
        any_of("ids", CardPayment.id, "Only these card payment ids"),
        any_of("account_ids", CardPayment.bank_account_id, "Only payments on these bank accounts"),
        equals("status", CardPayment.status, "Only this status (a single value)", CardPaymentStatus),
        _on_or_after("from", CardPayment.created_at, "Created (imported) on or after this date"),
        _on_or_before("to", CardPayment.created_at, "Created (imported) on or before this date"),
    ),
)


# --- transactions -------------------------------------------------------------------------------

TRANSACTIONS: Resource[schemas.TransactionOut] = Resource(
    key="banking/transactions",
    noun="transaction",
    tag=TAG,
    select=company_select(BankTransaction),
    id_column=BankTransaction.id,
    view=per_object(schemas.transaction_out),
    out=schemas.TransactionOut,
    list_doc=Doc(
        "List bank transactions",
        "Booked movements in ascending id order. `from`/`to` are dates on `booking_date` (both "
        "inclusive, each usable alone); `updated_from` is a date. Version 2026-04-01 names the account "
        "filter `account_ids[]`; from 2026-07-01 it is `bank_account_ids[]`.",
    ),
    get_doc=Doc("Get a bank transaction", "One bank transaction of the company."),
    # ``bank_account_ids[]`` is ``account_ids[]`` in 2026-04-01: the version registry's query alias
    # (versions.py) renames the key before the filters see it.
    filters=(
        any_of("ids", BankTransaction.id, "Only these transaction ids"),
        any_of(
            "bank_account_ids",
            BankTransaction.bank_account_id,
            "Only movements of these bank accounts (`account_ids[]` in 2026-04-01)",
        ),
        any_of(
            "card_payment_ids", BankTransaction.card_payment_id, "Only movements settling these card payments"
        ),
        _on_or_after("from", BankTransaction.booking_date, "Booked on or after this date"),
        _on_or_before("to", BankTransaction.booking_date, "Booked on or before this date"),
        _on_or_after("updated_from", BankTransaction.updated_at, "Changed on or after this date"),
    ),
)


# --- feed imports (extension) -------------------------------------------------------------------

FEED_IMPORTS: Resource[schemas.FeedImportOut] = Resource(
    key="banking/feed_imports",
    noun="feed import",
    tag=EXT,
    select=company_select(FeedImport),
    id_column=FeedImport.id,
    view=per_object(schemas.feed_import_out),
    out=schemas.FeedImportOut,
    list_doc=Doc(
        "List feed imports", EXTENSION + "Every imported file with what it added, in ascending id order."
    ),
    get_doc=Doc(
        "Get a feed import", EXTENSION + "One import: counts of new, updated, duplicate and rejected rows."
    ),
    filters=(
        any_of("ids", FeedImport.id, "Only these import ids"),
        any_of("bank_account_ids", FeedImport.bank_account_id, "Only imports into these bank accounts"),
    ),
)

RESOURCES: tuple[Resource[Any], ...] = (BANK_ACCOUNTS, CARDS, CARD_PAYMENTS, TRANSACTIONS, FEED_IMPORTS)
