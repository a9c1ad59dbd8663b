"""SQL of the banking domain. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import add_or_raise as add_or_raise
from expensehub.models import Account
from expensehub.models.banking import (
    BankAccount,
    BankAccountMembership,
    BankTransaction,
    Card,
    CardPayment,
    FeedImport,
)

CHUNK = 500
ImportedRow = TypeVar("ImportedRow", bound=CardPayment | BankTransaction)


# --------------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------------


def ledger_account_exists(session: Session, *, company_id: int, account_id: int) -> bool:
    stmt = select(Account.id).where(Account.company_id == company_id, Account.id == account_id)
    return session.scalar(stmt) is not None


# --------------------------------------------------------------------------------------------------
# Bank accounts
# --------------------------------------------------------------------------------------------------


def company_of_bank_account(session: Session, *, bank_account_id: int) -> int | None:
    """Owner of an account, for operator tools (the CLI) that act for every company; never for the API."""
    found = session.scalar(select(BankAccount.company_id).where(BankAccount.id == bank_account_id))
    return int(found) if found is not None else None


def bank_account_by_external_id(session: Session, *, company_id: int, external_id: str) -> BankAccount | None:
    return session.scalars(
        select(BankAccount).where(
            BankAccount.company_id == company_id, BankAccount.external_id == external_id
        )
    ).first()


def pending_balances(session: Session, *, company_id: int, account_ids: Iterable[int]) -> dict[int, int]:
    """Sum of pending card payments per account (negative: money about to leave)."""
    wanted = set(account_ids)
    if not wanted:
        return {}
    stmt = (
        select(CardPayment.bank_account_id, func.sum(CardPayment.amount_cents))
        .where(
            CardPayment.company_id == company_id,
            CardPayment.bank_account_id.in_(wanted),
            CardPayment.status == "pending",
        )
        .group_by(CardPayment.bank_account_id)
    )
    return {int(a): int(total or 0) for a, total in session.execute(stmt)}


def add_memberships(session: Session, *, bank_account_id: int, employee_ids: Iterable[int]) -> None:
    for employee_id in sorted(set(employee_ids)):
        session.add(BankAccountMembership(bank_account_id=bank_account_id, employee_id=employee_id))
    session.flush()


# --------------------------------------------------------------------------------------------------
# Cards
# --------------------------------------------------------------------------------------------------


def cards_of_account(session: Session, *, company_id: int, bank_account_id: int) -> list[Card]:
    stmt = (
        select(Card)
        .where(Card.company_id == company_id, Card.bank_account_id == bank_account_id)
        .order_by(Card.id)
    )
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------------------------------
# Card payments and transactions
# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# Import support
# --------------------------------------------------------------------------------------------------


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def card_payments_by_external_id(
    session: Session, *, company_id: int, bank_account_id: int, external_ids: Sequence[str]
) -> dict[str, CardPayment]:
    found: dict[str, CardPayment] = {}
    for part in _chunks(sorted(set(external_ids))):
        stmt = select(CardPayment).where(
            CardPayment.company_id == company_id,
            CardPayment.bank_account_id == bank_account_id,
            CardPayment.external_id.in_(part),
        )
        found.update({p.external_id: p for p in session.scalars(stmt)})
    return found


def transaction_external_ids(
    session: Session, *, company_id: int, bank_account_id: int, external_ids: Sequence[str]
) -> set[str]:
    found: set[str] = set()
    for part in _chunks(sorted(set(external_ids))):
        stmt = select(BankTransaction.external_id).where(
            BankTransaction.company_id == company_id,
            BankTransaction.bank_account_id == bank_account_id,
            BankTransaction.external_id.in_(part),
        )
        found.update(session.scalars(stmt))
    return found


def card_payments_between(
    session: Session, *, company_id: int, bank_account_id: int, start: datetime, end: datetime
) -> list[tuple[CardPayment, str, str | None]]:
    """Card payments of the account in [start, end), with their card's last4 and source format."""
    stmt = (
        select(CardPayment, Card.last4, FeedImport.format)
        .join(Card, Card.id == CardPayment.card_id)
        .outerjoin(FeedImport, FeedImport.id == CardPayment.feed_import_id)
        .where(
            CardPayment.company_id == company_id,
            CardPayment.bank_account_id == bank_account_id,
            CardPayment.external_created_at >= start,
            CardPayment.external_created_at < end,
        )
        .order_by(CardPayment.external_created_at, CardPayment.id)
    )
    return [(p, last4, fmt) for p, last4, fmt in session.execute(stmt)]


def linked_card_payment_ids(
    session: Session, *, company_id: int, card_payment_ids: Iterable[int]
) -> set[int]:
    """Which of these card payments already have a bank transaction."""
    wanted = sorted(set(card_payment_ids))
    found: set[int] = set()
    for i in range(0, len(wanted), CHUNK):
        stmt = select(BankTransaction.card_payment_id).where(
            BankTransaction.company_id == company_id,
            BankTransaction.card_payment_id.in_(wanted[i : i + CHUNK]),
        )
        found.update(x for x in session.scalars(stmt) if x is not None)
    return found


def insert_rows(session: Session, model: type[BankTransaction], rows: Sequence[Mapping[str, object]]) -> None:
    """Bulk insert plain rows (no ORM objects) in one executemany."""
    if rows:
        session.execute(insert(model), rows)


def import_window(
    session: Session, *, company_id: int, feed_import_id: int
) -> tuple[set[int], set[int], datetime | None, datetime | None]:
    """Ids of the transactions and card payments an import created, and the dates they span."""
    tx = session.execute(
        select(BankTransaction.id, BankTransaction.booking_date).where(
            BankTransaction.company_id == company_id, BankTransaction.feed_import_id == feed_import_id
        )
    ).all()
    pay = session.execute(
        select(CardPayment.id, CardPayment.external_created_at).where(
            CardPayment.company_id == company_id, CardPayment.feed_import_id == feed_import_id
        )
    ).all()
    dates = [d for _, d in tx] + [d for _, d in pay]
    if not dates:
        return set(), set(), None, None
    return {i for i, _ in tx}, {i for i, _ in pay}, min(dates), max(dates)


def unlinked_card_transactions(
    session: Session,
    *,
    company_id: int,
    bank_account_id: int,
    start: datetime,
    end: datetime,
    types: Sequence[str],
) -> list[BankTransaction]:
    stmt = (
        select(BankTransaction)
        .where(
            BankTransaction.company_id == company_id,
            BankTransaction.bank_account_id == bank_account_id,
            BankTransaction.card_payment_id.is_(None),
            BankTransaction.type.in_(types),
            BankTransaction.booking_date >= start,
            BankTransaction.booking_date < end,
        )
        .order_by(BankTransaction.booking_date, BankTransaction.id)
    )
    return list(session.scalars(stmt))


def rows_of_import(
    session: Session, model: type[ImportedRow], *, company_id: int, feed_import_id: int
) -> list[ImportedRow]:
    """Rows of ``model`` (card payments or transactions) created by one feed import, in id order."""
    return list(
        session.scalars(
            select(model)
            .where(model.company_id == company_id, model.feed_import_id == feed_import_id)
            .order_by(model.id)
        )
    )
