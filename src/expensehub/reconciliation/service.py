"""Use cases of card reconciliation: run the matcher over a period, store what it found, decide.

A run reads the company's card payments of the period (pending or closed, not yet linked to an
expense) and its card expenses (an expense with a card last4 or card id, not yet linked) dated from
``max_lag_days`` before the period to ``max_lead_days`` after it, feeds them to the pure engine
(``engine.reconcile``), and stores the proposals and leftovers. Confirming a proposal links the
expense(s) to the card payment and its card, and the payment to its bank transaction; rejecting one is
remembered, so no later run proposes that pair again. Services flush, never commit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from sqlalchemy.orm import Session

from expensehub.db.resources import get_object, views_of
from expensehub.errors import Conflict, InvalidState, NotFound, check_date_range
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS, convert
from expensehub.models.banking import CardPayment
from expensehub.models.reconciliation import ReconciliationItem, ReconciliationProposal, ReconciliationRun
from expensehub.reconciliation import engine, repository, resources, schemas
from expensehub.webhooks import service as webhooks

SETTLEMENT_DAYS = 3
Progress = Callable[[str, int, int], None]


@dataclass
class _Loaded:
    payments: list[engine.Payment]
    expenses: list[engine.Expense]
    payment_rows: dict[int, repository.PaymentRow]
    expense_rows: dict[int, repository.ExpenseRow]
    already_reconciled: int


def _shift(day: date | None, days: int) -> date | None:
    """``day`` moved by ``days``, clamped to the calendar (``None`` stays open)."""
    if day is None:
        return None
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def _load(
    session: Session, company_id: int, start: date | None, end: date | None, cfg: engine.Settings
) -> _Loaded:
    linked = repository.linked_payment_ids(session, company_id=company_id)
    payments: list[engine.Payment] = []
    payment_rows: dict[int, repository.PaymentRow] = {}
    for row in repository.card_payment_rows(session, company_id=company_id, start=start, end=end):
        pid, last4, at, amount, currency, merchant, m_amount, m_currency, kind = row
        if pid in linked:
            continue
        foreign = m_currency is not None and m_currency != currency
        payments.append(
            engine.Payment(
                id=pid,
                card=last4,
                on=at.date(),
                amount=-amount,
                currency=currency,
                merchant=merchant or "",
                merchant_amount=-m_amount if foreign else None,
                merchant_currency=m_currency if foreign else None,
                refund=kind == "refund" or amount > 0,
            )
        )
        payment_rows[pid] = row
    e_start = _shift(start, -cfg.max_lag_days)
    e_end = _shift(end, cfg.max_lead_days)
    expenses: list[engine.Expense] = []
    expense_rows: dict[int, repository.ExpenseRow] = {}
    already = 0
    for erow in repository.card_expense_rows(session, company_id=company_id, start=e_start, end=e_end):
        (
            eid,
            own_last4,
            card_last4,
            on,
            amount,
            currency,
            user_merchant,
            merchant_read,
            rate,
            base_ccy,
            payment_id,
        ) = erow
        if payment_id is not None:
            in_period = (start is None or on >= start) and (end is None or on <= end)
            already += int(in_period)
            continue
        key = own_last4 or card_last4
        if not key:
            continue
        base: int | None = None
        if base_ccy is not None:
            if currency == base_ccy:
                base = amount
            elif rate is not None:
                base = convert(amount, currency, Decimal(rate), base_ccy)
                if abs(base) > MAX_MINOR_UNITS:
                    base = None  # an absurd rate: compare in the document currency only
        expenses.append(
            engine.Expense(
                id=eid,
                card=key,
                on=on,
                amount=amount,
                currency=currency,
                merchant=user_merchant or merchant_read or "",
                base_amount=base,
                base_currency=base_ccy,
            )
        )
        expense_rows[eid] = erow
    return _Loaded(payments, expenses, payment_rows, expense_rows, already)


def create_run(
    session: Session,
    *,
    company_id: int,
    start: date | None = None,
    end: date | None = None,
    settings: engine.Settings | None = None,
    progress: Progress | None = None,
    author: webhooks.Author,
) -> ReconciliationRun:
    """Reconcile the card payments dated ``start``..``end`` (inclusive; open when ``None``); store the run."""
    check_date_range(start, end)
    cfg = settings or engine.Settings()
    if progress:
        progress("load", 0, 3)
    loaded = _load(session, company_id, start, end, cfg)
    rejected = repository.rejected_pairs(session, company_id=company_id)
    if progress:
        progress("match", 1, 3)
    began = time.perf_counter()
    result = engine.reconcile(loaded.payments, loaded.expenses, rejected=rejected, settings=cfg)
    duration_ms = int((time.perf_counter() - began) * 1000)
    if progress:
        progress("store", 2, 3)
    now = utcnow()
    in_period = [
        e
        for e in result.unmatched_expenses
        if (start is None or loaded.expense_rows[e][3] >= start)
        and (end is None or loaded.expense_rows[e][3] <= end)
    ]
    kinds = {k: sum(1 for p in result.proposals if p.kind == k) for k in (engine.MATCHED, engine.AMBIGUOUS)}
    run = repository.add(
        session,
        ReconciliationRun(
            company_id=company_id,
            status="completed",
            from_date=start,
            to_date=end,
            card_payments=len(loaded.payments),
            expenses=len(loaded.expenses),
            already_reconciled=loaded.already_reconciled,
            matched=kinds[engine.MATCHED],
            ambiguous=kinds[engine.AMBIGUOUS],
            low_confidence=sum(1 for p in result.proposals if p.kind == engine.LOW_CONFIDENCE),
            missing_receipts=len(result.unmatched_payments),
            expenses_without_payment=len(in_period),
            refunds=len(result.refunds),
            fx_differences=len(result.fx_differences),
            duration_ms=duration_ms,
            created_at=now,
        ),
    )
    repository.insert_rows(
        session,
        ReconciliationProposal,
        [_proposal_row(company_id, run.id, p, loaded, now) for p in result.proposals],
    )
    items = [
        _payment_item(company_id, run.id, "missing_receipt", loaded.payment_rows[p])
        for p in result.unmatched_payments
    ]
    items += [_payment_item(company_id, run.id, "refund", loaded.payment_rows[p]) for p in result.refunds]
    items += [_expense_item(company_id, run.id, loaded.expense_rows[e]) for e in in_period]
    repository.insert_rows(session, ReconciliationItem, items)
    session.flush()
    webhooks.emit(
        session,
        company_id=company_id,
        event_type="reconciliation/run/completed",
        payload=lambda: run_view(session, company_id=company_id, run=run),
        author=author,
    )
    if progress:
        progress("store", 3, 3)
    return run


class _ProposalRow(TypedDict):
    company_id: int
    run_id: int
    card_payment_id: int
    expense_id: int
    second_expense_id: int | None
    kind: str
    status: str
    group_number: int
    score: Decimal
    amount_rule: str
    reasons: str
    lag_days: int
    card_amount_cents: int
    card_currency: str
    expense_amount: int
    expense_currency: str
    base_amount_cents: int | None
    base_currency: str | None
    fx_difference_cents: int | None
    transaction_id: int | None
    decided_at: datetime | None
    created_at: datetime


class _ItemRow(TypedDict):
    company_id: int
    run_id: int
    kind: str
    card_payment_id: int | None
    expense_id: int | None
    amount: int
    currency: str
    on_date: date
    merchant: str | None
    card_last4: str | None


def _proposal_row(
    company_id: int, run_id: int, p: engine.Proposal, loaded: _Loaded, now: datetime
) -> _ProposalRow:
    pay = loaded.payment_rows[p.payment_id]
    first = loaded.expense_rows[p.expense_ids[0]]
    document = sum(loaded.expense_rows[e][4] for e in p.expense_ids)
    base_amount: int | None = None
    base_currency: str | None = first[9]
    if p.fx is not None:
        base_amount, base_currency = p.fx.base_amount, p.fx.base_currency
    elif first[5] == base_currency:
        base_amount = document
    return {
        "company_id": company_id,
        "run_id": run_id,
        "card_payment_id": p.payment_id,
        "expense_id": p.expense_ids[0],
        "second_expense_id": p.expense_ids[1] if len(p.expense_ids) > 1 else None,
        "kind": p.kind,
        "status": "proposed",
        "group_number": p.group,
        "score": Decimal(str(p.score)),
        "amount_rule": p.amount_rule,
        "reasons": json.dumps(p.reasons()),
        "lag_days": p.lag_days,
        "card_amount_cents": -pay[3],
        "card_currency": pay[4],
        "expense_amount": document,
        "expense_currency": first[5],
        "base_amount_cents": base_amount,
        "base_currency": base_currency,
        "fx_difference_cents": p.fx.difference if p.fx is not None else None,
        "transaction_id": None,
        "decided_at": None,
        "created_at": now,
    }


def _payment_item(company_id: int, run_id: int, kind: str, row: repository.PaymentRow) -> _ItemRow:
    pid, last4, at, amount, currency, merchant = row[:6]
    return {
        "company_id": company_id,
        "run_id": run_id,
        "kind": kind,
        "card_payment_id": pid,
        "expense_id": None,
        "amount": -amount,
        "currency": currency,
        "on_date": at.date(),
        "merchant": (merchant or "")[:200] or None,
        "card_last4": last4,
    }


def _expense_item(company_id: int, run_id: int, row: repository.ExpenseRow) -> _ItemRow:
    eid, last4, card_last4, on, amount, currency, user_merchant, merchant = row[:8]
    return {
        "company_id": company_id,
        "run_id": run_id,
        "kind": "expense_without_payment",
        "card_payment_id": None,
        "expense_id": eid,
        "amount": amount,
        "currency": currency,
        "on_date": on,
        "merchant": (user_merchant or merchant or "")[:200] or None,
        "card_last4": last4 or card_last4,
    }


# --------------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------------


@dataclass
class RunContents:
    """Everything a run found, as the API shows it (for reports)."""

    run: schemas.RunOut
    proposals: list[schemas.ProposalOut]
    items: list[schemas.ItemOut]


def run_view(session: Session, *, company_id: int, run: ReconciliationRun) -> schemas.RunOut:
    """The run as the API and its webhook show it."""
    return views_of(session, resources.RUNS, company_id=company_id, rows=[(run,)])[0]


def run_contents(session: Session, *, company_id: int, run_id: int) -> RunContents:
    """Everything a run found (for reports), rendered by the resources' view builders."""
    run = get_object(session, resources.RUNS, ReconciliationRun, company_id=company_id, item_id=run_id)
    proposals = repository.all_proposals(session, company_id=company_id, run_id=run_id)
    items = repository.all_items(session, company_id=company_id, run_id=run_id)
    return RunContents(
        run=run_view(session, company_id=company_id, run=run),
        proposals=views_of(
            session, resources.PROPOSALS, company_id=company_id, rows=[(p,) for p in proposals]
        ),
        items=views_of(session, resources.ITEMS, company_id=company_id, rows=[(i,) for i in items]),
    )


# --------------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------------


@dataclass
class _Decision:
    proposal: ReconciliationProposal
    payment: CardPayment
    links: dict[int, int | None]  # expense id -> the card payment it is linked to


def _expense_ids(p: ReconciliationProposal) -> list[int]:
    return [p.expense_id] if p.second_expense_id is None else [p.expense_id, p.second_expense_id]


def _open_proposal(session: Session, company_id: int, proposal_id: int) -> _Decision:
    """The proposal to decide, read after every lock the decision needs; 409 if it is no longer open.

    Every decision locks in one order: the payment's bank account (feed imports lock it too), the
    expenses' headers and the expenses, then the proposal. Of two requests deciding the same proposal,
    the second reads it decided and gets 409 ``proposal_not_open``; a confirmation that supersedes
    another proposal is seen by whoever decides that one next.
    """
    # The payment and expenses a proposal is about never change: read them without a lock.
    found = get_object(
        session, resources.PROPOSALS, ReconciliationProposal, company_id=company_id, item_id=proposal_id
    )
    payment = repository.card_payment(session, company_id=company_id, card_payment_id=found.card_payment_id)
    if payment is None:
        raise NotFound(f"card payment {found.card_payment_id} not found")
    repository.lock_bank_account(session, company_id=company_id, bank_account_id=payment.bank_account_id)
    links = repository.expense_links(session, company_id=company_id, expense_ids=_expense_ids(found))
    proposal = get_object(
        session,
        resources.PROPOSALS,
        ReconciliationProposal,
        company_id=company_id,
        item_id=proposal_id,
        lock=True,
    )
    if proposal.status != "proposed":
        raise InvalidState(
            f"proposal {proposal_id} is {proposal.status}, not proposed",
            code="proposal_not_open",
            details={"resource": "proposal", "id": proposal.id, "status": proposal.status},
        )
    return _Decision(proposal, payment, links)


def confirm(session: Session, *, company_id: int, proposal_id: int) -> ReconciliationProposal:
    """Accept a proposal: the expense(s) point to the card payment; the payment to its bank transaction."""
    decision = _open_proposal(session, company_id, proposal_id)
    proposal, payment, links = decision.proposal, decision.payment, decision.links
    expense_ids = _expense_ids(proposal)
    for expense_id in expense_ids:
        if expense_id not in links:
            raise NotFound(f"expense {expense_id} not found")
        current = links[expense_id]
        if current is not None and current != proposal.card_payment_id:
            raise Conflict(
                f"expense {expense_id} is already linked to card payment {current}",
                code="expense_already_linked",
            )
    now = utcnow()
    repository.link_expenses(
        session,
        company_id=company_id,
        expense_ids=expense_ids,
        card_payment_id=payment.id,
        card_id=payment.card_id,
        now=now,
    )
    transaction_id = repository.transaction_of(session, company_id=company_id, card_payment_id=payment.id)
    if transaction_id is None:
        transaction_id = repository.link_transaction(
            session, company_id=company_id, payment=payment, days=SETTLEMENT_DAYS, now=now
        )
    proposal.status = "confirmed"
    proposal.transaction_id = transaction_id
    proposal.decided_at = now
    repository.supersede_others(
        session,
        company_id=company_id,
        keep_id=proposal.id,
        card_payment_id=payment.id,
        expense_ids=expense_ids,
        now=now,
    )
    session.flush()
    return proposal


def reject(session: Session, *, company_id: int, proposal_id: int) -> ReconciliationProposal:
    """Refuse a proposal; the pair is remembered and never proposed again."""
    proposal = _open_proposal(session, company_id, proposal_id).proposal
    now = utcnow()
    proposal.status = "rejected"
    proposal.decided_at = now
    repository.remember_rejection(
        session,
        company_id=company_id,
        card_payment_id=proposal.card_payment_id,
        expense_ids=_expense_ids(proposal),
        proposal_id=proposal.id,
        now=now,
    )
    session.flush()
    return proposal
