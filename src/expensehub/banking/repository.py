"""SQL of the banking domain. Every query is scoped by company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from expensehub.db.locking import for_update
from expensehub.db.pagination import paginate
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import add_or_raise as add_or_raise
from expensehub.kit.pagination import Page, PageRequest
from expensehub.models import Account, Employee, LegalEntity
from expensehub.models.banking import (
    BankAccount,
    BankAccountMembership,
    BankTransaction,
    Card,
    CardPayment,
    FeedImport,
)

CHUNK = 500


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _after(day: date) -> datetime | None:
    """Midnight after ``day`` (an exclusive upper bound), or ``None`` past the last representable day."""
    return None if day >= date.max else _midnight(day + timedelta(days=1))


# --------------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------------


def legal_entity(session: Session, *, company_id: int, legal_entity_id: int) -> LegalEntity | None:
    return session.scalars(
        select(LegalEntity).where(LegalEntity.company_id == company_id, LegalEntity.id == legal_entity_id)
    ).first()


def ledger_account_exists(session: Session, *, company_id: int, account_id: int) -> bool:
    stmt = select(Account.id).where(Account.company_id == company_id, Account.id == account_id)
    return session.scalar(stmt) is not None


def existing_employee_ids(session: Session, *, company_id: int, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    stmt = select(Employee.id).where(Employee.company_id == company_id, Employee.id.in_(wanted))
    return set(session.scalars(stmt))


# --------------------------------------------------------------------------------------------------
# Bank accounts
# --------------------------------------------------------------------------------------------------


def get_bank_account(
    session: Session, *, company_id: int, bank_account_id: int, lock: bool = False
) -> BankAccount | None:
    """The company's account; ``lock``: read current and locked until the transaction ends, which
    serialises the writers of the account's cards, card payments and transactions (``db/locking.py``)."""
    stmt = select(BankAccount).where(BankAccount.company_id == company_id, BankAccount.id == bank_account_id)
    return session.scalars(for_update(session, stmt) if lock else stmt).first()


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


def bank_accounts_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    currency: str | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    updated_from: date | None = None,
) -> Select[Any]:
    stmt = select(BankAccount).where(BankAccount.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(BankAccount.id.in_(ids))
    if currency is not None:
        stmt = stmt.where(BankAccount.currency == currency.upper())
    if legal_entity_ids is not None:
        stmt = stmt.where(BankAccount.legal_entity_id.in_(legal_entity_ids))
    if updated_from is not None:
        stmt = stmt.where(BankAccount.updated_at >= _midnight(updated_from))
    return stmt


def page_bank_accounts(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, BankAccount.id, req, lambda row: row[0].id)


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


def get_card(session: Session, *, company_id: int, card_id: int, lock: bool = False) -> Card | None:
    stmt = select(Card).where(Card.company_id == company_id, Card.id == card_id)
    return session.scalars(for_update(session, stmt) if lock else stmt).first()


def cards_of_account(session: Session, *, company_id: int, bank_account_id: int) -> list[Card]:
    stmt = (
        select(Card)
        .where(Card.company_id == company_id, Card.bank_account_id == bank_account_id)
        .order_by(Card.id)
    )
    return list(session.scalars(stmt))


def cards_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    bank_account_ids: Sequence[int] | None = None,
    employee_ids: Sequence[int] | None = None,
    last4: str | None = None,
) -> Select[Any]:
    stmt = select(Card).where(Card.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(Card.id.in_(ids))
    if bank_account_ids is not None:
        stmt = stmt.where(Card.bank_account_id.in_(bank_account_ids))
    if employee_ids is not None:
        stmt = stmt.where(Card.employee_id.in_(employee_ids))
    if last4 is not None:
        stmt = stmt.where(Card.last4 == last4)
    return stmt


def page_cards(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, Card.id, req, lambda row: row[0].id)


# --------------------------------------------------------------------------------------------------
# Card payments and transactions
# --------------------------------------------------------------------------------------------------


def get_card_payment(session: Session, *, company_id: int, card_payment_id: int) -> CardPayment | None:
    return session.scalars(
        select(CardPayment).where(CardPayment.company_id == company_id, CardPayment.id == card_payment_id)
    ).first()


def card_payments_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    account_ids: Sequence[int] | None = None,
    status: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> Select[Any]:
    stmt = select(CardPayment).where(CardPayment.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(CardPayment.id.in_(ids))
    if account_ids is not None:
        stmt = stmt.where(CardPayment.bank_account_id.in_(account_ids))
    if status is not None:
        stmt = stmt.where(CardPayment.status == status)
    if created_from is not None:
        stmt = stmt.where(CardPayment.created_at >= _midnight(created_from))
    if created_to is not None and (bound := _after(created_to)) is not None:
        stmt = stmt.where(CardPayment.created_at < bound)
    return stmt


def page_card_payments(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, CardPayment.id, req, lambda row: row[0].id)


def get_transaction(session: Session, *, company_id: int, transaction_id: int) -> BankTransaction | None:
    return session.scalars(
        select(BankTransaction).where(
            BankTransaction.company_id == company_id, BankTransaction.id == transaction_id
        )
    ).first()


def transactions_query(
    *,
    company_id: int,
    ids: Sequence[int] | None = None,
    bank_account_ids: Sequence[int] | None = None,
    card_payment_ids: Sequence[int] | None = None,
    booked_from: date | None = None,
    booked_to: date | None = None,
    updated_from: date | None = None,
) -> Select[Any]:
    stmt = select(BankTransaction).where(BankTransaction.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(BankTransaction.id.in_(ids))
    if bank_account_ids is not None:
        stmt = stmt.where(BankTransaction.bank_account_id.in_(bank_account_ids))
    if card_payment_ids is not None:
        stmt = stmt.where(BankTransaction.card_payment_id.in_(card_payment_ids))
    if booked_from is not None:
        stmt = stmt.where(BankTransaction.booking_date >= _midnight(booked_from))
    if booked_to is not None and (bound := _after(booked_to)) is not None:
        stmt = stmt.where(BankTransaction.booking_date < bound)
    if updated_from is not None:
        stmt = stmt.where(BankTransaction.updated_at >= _midnight(updated_from))
    return stmt


def page_transactions(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, BankTransaction.id, req, lambda row: row[0].id)


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


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert plain rows (no ORM objects) in one executemany."""
    if rows:
        session.execute(insert(model), rows)


def get_feed_import(session: Session, *, company_id: int, feed_import_id: int) -> FeedImport | None:
    return session.scalars(
        select(FeedImport).where(FeedImport.company_id == company_id, FeedImport.id == feed_import_id)
    ).first()


def feed_imports_query(
    *, company_id: int, ids: Sequence[int] | None = None, bank_account_ids: Sequence[int] | None = None
) -> Select[Any]:
    stmt = select(FeedImport).where(FeedImport.company_id == company_id)
    if ids is not None:
        stmt = stmt.where(FeedImport.id.in_(ids))
    if bank_account_ids is not None:
        stmt = stmt.where(FeedImport.bank_account_id.in_(bank_account_ids))
    return stmt


def page_feed_imports(session: Session, stmt: Select[Any], req: PageRequest) -> Page:
    return paginate(session, stmt, FeedImport.id, req, lambda row: row[0].id)


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


def rows_of_import(session: Session, model: Any, *, company_id: int, feed_import_id: int) -> list[Any]:
    """Rows of ``model`` (card payments or transactions) created by one feed import, in id order."""
    return list(
        session.scalars(
            select(model)
            .where(model.company_id == company_id, model.feed_import_id == feed_import_id)
            .order_by(model.id)
        )
    )
