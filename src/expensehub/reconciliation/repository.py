"""SQL of card reconciliation. Every query is scoped by company.

Reads card payments and card expenses as plain rows (no ORM objects: a run may read a million), and
writes the links a confirmed proposal makes: ``expenses.card_payment_id`` / ``expenses_card_id`` and
``bank_transactions.card_payment_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from expensehub.db.locking import for_update
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.models import Expensable, Expense, LegalEntity
from expensehub.models.banking import BankAccount, BankTransaction, Card, CardPayment
from expensehub.models.reconciliation import (
    ReconciliationItem,
    ReconciliationProposal,
    ReconciliationRejection,
)

CHUNK = 2000

PaymentRow = tuple[int, str, datetime, int, str, str, int, str, str]
"""A card payment as a run reads it: id, card last4, time, amount (negative for spend), currency,
merchant, merchant amount, merchant currency, type (``payment`` or ``refund``)."""
ExpenseRow = tuple[
    int,
    str | None,
    str | None,
    date,
    int,
    str,
    str | None,
    str | None,
    Decimal | None,
    str | None,
    int | None,
]
"""A card expense as a run reads it: id, its card last4, its card's last4, date, amount, currency, the
employee's merchant, the merchant read, exchange rate, the legal entity's currency, card payment id."""
# Bank transaction types a card payment may settle as.
SETTLEMENT_TYPES = ("card_payment", "card_refund", "payment", "outgoing", "incoming", "unknown")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def card_payment_rows(
    session: Session, *, company_id: int, start: date | None, end: date | None
) -> list[PaymentRow]:
    """Card payments that moved money (pending or closed), with their card's last four digits."""
    stmt = (
        select(
            CardPayment.id,
            Card.last4,
            CardPayment.external_created_at,
            CardPayment.amount_cents,
            CardPayment.currency,
            CardPayment.merchant_name,
            CardPayment.merchant_amount_cents,
            CardPayment.merchant_currency,
            CardPayment.type,
        )
        .join(Card, Card.id == CardPayment.card_id)
        .where(CardPayment.company_id == company_id, CardPayment.status.in_(("pending", "closed")))
        .order_by(CardPayment.id)
    )
    if start is not None:
        stmt = stmt.where(CardPayment.external_created_at >= _midnight(start))
    if end is not None and end < date.max:
        stmt = stmt.where(CardPayment.external_created_at < _midnight(end + timedelta(days=1)))
    return list(session.execute(stmt).tuples())


def card_expense_rows(
    session: Session, *, company_id: int, start: date | None, end: date | None
) -> list[ExpenseRow]:
    """Expenses paid with a company card (a card last4 or a card id), with what matching needs."""
    card = aliased(Card)
    stmt = (
        select(
            Expense.id,
            Expense.card_last4,
            card.last4,
            Expensable.effective_on,
            Expensable.amount,
            Expensable.currency,
            Expense.user_merchant,
            Expense.merchant_name,
            Expense.exchange_rate,
            LegalEntity.currency,
            Expense.card_payment_id,
        )
        .join(Expensable, Expensable.id == Expense.expensable_id)
        .outerjoin(card, (card.id == Expense.expenses_card_id) & (card.company_id == company_id))
        .outerjoin(LegalEntity, LegalEntity.id == Expensable.legal_entity_id)
        .where(
            Expense.company_id == company_id,
            Expensable.company_id == company_id,
            Expensable.amount.is_not(None),
            Expensable.effective_on.is_not(None),
            or_(Expense.card_last4.is_not(None), Expense.expenses_card_id.is_not(None)),
        )
        .order_by(Expense.id)
    )
    if start is not None:
        stmt = stmt.where(Expensable.effective_on >= start)
    if end is not None:
        stmt = stmt.where(Expensable.effective_on <= end)
    return [tuple(row) for row in session.execute(stmt)]


def linked_payment_ids(session: Session, *, company_id: int) -> set[int]:
    """Card payments some expense already points to."""
    stmt = select(Expense.card_payment_id).where(
        Expense.company_id == company_id, Expense.card_payment_id.is_not(None)
    )
    return {int(x) for x in session.scalars(stmt.distinct()) if x is not None}


def rejected_pairs(session: Session, *, company_id: int) -> set[tuple[int, int]]:
    stmt = select(ReconciliationRejection.card_payment_id, ReconciliationRejection.expense_id).where(
        ReconciliationRejection.company_id == company_id
    )
    return {(int(p), int(e)) for p, e in session.execute(stmt)}


def insert_rows(
    session: Session,
    model: type[ReconciliationProposal] | type[ReconciliationItem],
    rows: Sequence[Mapping[str, object]],
) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i : i + CHUNK])


# --------------------------------------------------------------------------------------------------
# Runs, proposals, leftovers
# --------------------------------------------------------------------------------------------------


def all_proposals(session: Session, *, company_id: int, run_id: int) -> list[ReconciliationProposal]:
    P = ReconciliationProposal
    stmt = select(P).where(P.company_id == company_id, P.run_id == run_id).order_by(P.id)
    return list(session.scalars(stmt))


def all_items(session: Session, *, company_id: int, run_id: int) -> list[ReconciliationItem]:
    I = ReconciliationItem  # noqa: E741
    stmt = select(I).where(I.company_id == company_id, I.run_id == run_id).order_by(I.id)
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------------


def card_payment(session: Session, *, company_id: int, card_payment_id: int) -> CardPayment | None:
    return session.scalars(
        select(CardPayment).where(CardPayment.company_id == company_id, CardPayment.id == card_payment_id)
    ).first()


def lock_bank_account(session: Session, *, company_id: int, bank_account_id: int) -> None:
    """Lock the account a decision links movements of (as feed imports into it do: they take turns)."""
    stmt = select(BankAccount.id).where(
        BankAccount.company_id == company_id, BankAccount.id == bank_account_id
    )
    session.execute(for_update(session, stmt)).all()


def expense_links(session: Session, *, company_id: int, expense_ids: Iterable[int]) -> dict[int, int | None]:
    """``card_payment_id`` of each of these expenses, locked for the decision.

    Their headers are locked first, then the expenses, each in id order: the order an edit of a claim
    locks them in, so a decision and an edit wait for each other instead of deadlocking.
    """
    wanted = sorted(set(expense_ids))
    owners = select(Expense.expensable_id).where(Expense.company_id == company_id, Expense.id.in_(wanted))
    headers = (
        select(Expensable.id)
        .where(Expensable.company_id == company_id, Expensable.id.in_(owners))
        .order_by(Expensable.id)
    )
    session.execute(for_update(session, headers)).all()
    stmt = (
        select(Expense.id, Expense.card_payment_id)
        .where(Expense.company_id == company_id, Expense.id.in_(wanted))
        .order_by(Expense.id)
    )
    return {
        int(i): (int(p) if p is not None else None) for i, p in session.execute(for_update(session, stmt))
    }


def link_expenses(
    session: Session,
    *,
    company_id: int,
    expense_ids: Sequence[int],
    card_payment_id: int,
    card_id: int,
    now: datetime,
) -> None:
    """Point the expenses at the card payment and its card; touch their headers' ``updated_at``."""
    session.execute(
        update(Expense)
        .where(Expense.company_id == company_id, Expense.id.in_(expense_ids))
        .values(card_payment_id=card_payment_id, expenses_card_id=card_id)
    )
    headers = select(Expense.expensable_id).where(
        Expense.company_id == company_id, Expense.id.in_(expense_ids)
    )
    session.execute(
        update(Expensable)
        .where(Expensable.company_id == company_id, Expensable.id.in_(headers.scalar_subquery()))
        .values(updated_at=now)
    )


def transaction_of(session: Session, *, company_id: int, card_payment_id: int) -> int | None:
    stmt = select(BankTransaction.id).where(
        BankTransaction.company_id == company_id, BankTransaction.card_payment_id == card_payment_id
    )
    found = session.scalars(stmt.order_by(BankTransaction.id).limit(1)).first()
    return int(found) if found is not None else None


def link_transaction(
    session: Session, *, company_id: int, payment: CardPayment, days: int, now: datetime
) -> int | None:
    """Link the bank booking of ``payment``: an unlinked transaction of its account with the same amount,
    at most ``days`` away (the closest, then the lowest id). Returns its id, or ``None``."""
    day = payment.external_created_at.astimezone(UTC).date()
    stmt = (
        select(BankTransaction)
        .where(
            BankTransaction.company_id == company_id,
            BankTransaction.bank_account_id == payment.bank_account_id,
            BankTransaction.card_payment_id.is_(None),
            BankTransaction.amount_cents == payment.amount_cents,
            BankTransaction.type.in_(SETTLEMENT_TYPES),
            BankTransaction.booking_date >= _midnight(day - timedelta(days=days)),
            BankTransaction.booking_date < _midnight(day + timedelta(days=days + 1)),
        )
        .order_by(BankTransaction.id)
    )
    candidates = list(session.scalars(for_update(session, stmt)))
    if not candidates:
        return None
    best = min(candidates, key=lambda t: (abs((t.booking_date.astimezone(UTC).date() - day).days), t.id))
    best.card_payment_id = payment.id
    best.updated_at = now
    session.flush()
    return best.id


def supersede_others(
    session: Session,
    *,
    company_id: int,
    keep_id: int,
    card_payment_id: int,
    expense_ids: Sequence[int],
    now: datetime,
) -> None:
    """Open proposals for the same payment or expenses (any run) are superseded by a confirmation."""
    P = ReconciliationProposal
    session.execute(
        update(P)
        .where(
            P.company_id == company_id,
            P.status == "proposed",
            P.id != keep_id,
            or_(
                P.card_payment_id == card_payment_id,
                P.expense_id.in_(expense_ids),
                P.second_expense_id.in_(expense_ids),
            ),
        )
        .values(status="superseded", decided_at=now)
    )


def remember_rejection(
    session: Session,
    *,
    company_id: int,
    card_payment_id: int,
    expense_ids: Sequence[int],
    proposal_id: int,
    now: datetime,
) -> None:
    stmt = select(ReconciliationRejection.expense_id).where(
        ReconciliationRejection.company_id == company_id,
        ReconciliationRejection.card_payment_id == card_payment_id,
    )
    known = set(session.scalars(stmt))
    for expense_id in expense_ids:
        if expense_id not in known:
            session.add(
                ReconciliationRejection(
                    company_id=company_id,
                    card_payment_id=card_payment_id,
                    expense_id=expense_id,
                    proposal_id=proposal_id,
                    created_at=now,
                )
            )
    session.flush()
