"""Wire shapes of reconciliation runs, proposals and leftovers (an expensehub extension); bodies.

The ``*Out`` models document responses in OpenAPI; the ``*_out`` functions build the typed views
(``*View``) the routers, webhooks and reports render. The list filters are in ``resources.py``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, model_validator

from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import IdIn
from expensehub.models.reconciliation import ReconciliationItem, ReconciliationProposal, ReconciliationRun

ProposalKind = Literal["matched", "ambiguous", "low_confidence"]
ProposalStatus = Literal["proposed", "confirmed", "rejected", "superseded"]
ItemKind = Literal["missing_receipt", "expense_without_payment", "refund"]


class RunOut(BaseModel):
    """A reconciliation run and what it found."""

    id: str = Field(description="Run id")
    status: Literal["completed"] = Field(description="Runs complete within the request that starts them")
    from_: str | None = Field(
        None, alias="from", description="First card payment date considered (inclusive)"
    )
    to: str | None = Field(None, description="Last card payment date considered (inclusive)")
    card_payments: int = Field(description="Card payments considered (pending or closed, not yet linked)")
    expenses: int = Field(description="Card expenses considered (not yet linked to a payment)")
    already_reconciled: int = Field(description="Expenses in the period already linked to a card payment")
    matched: int = Field(description="Proposals the matcher is confident about")
    ambiguous: int = Field(description="Proposals where two candidates were too close to call")
    low_confidence: int = Field(description="Single candidates below the confidence threshold")
    missing_receipts: int = Field(description="Card payments (spend) with no expense: receipts to chase")
    expenses_without_payment: int = Field(description="Card expenses with no card payment in the period")
    refunds: int = Field(description="Card refunds in the period (never matched; no receipt is expected)")
    fx_differences: int = Field(
        description="Matched expenses in another currency than the card (see the proposals' FX fields)"
    )
    duration_ms: int = Field(description="Time the matcher took")
    created_at: str = Field(description="When the run was made")


RunView = TypedDict(
    "RunView",
    {
        "id": int,
        "status": str,
        "from": str | None,
        "to": str | None,
        "card_payments": int,
        "expenses": int,
        "already_reconciled": int,
        "matched": int,
        "ambiguous": int,
        "low_confidence": int,
        "missing_receipts": int,
        "expenses_without_payment": int,
        "refunds": int,
        "fx_differences": int,
        "duration_ms": int,
        "created_at": str | None,
    },
)
"""A run as the routers, webhooks and reports render it (``RunOut``; ``from`` is a Python keyword)."""


def run_out(r: ReconciliationRun) -> RunView:
    return {
        "id": r.id,
        "status": r.status,
        "from": format_date(r.from_date),
        "to": format_date(r.to_date),
        "card_payments": r.card_payments,
        "expenses": r.expenses,
        "already_reconciled": r.already_reconciled,
        "matched": r.matched,
        "ambiguous": r.ambiguous,
        "low_confidence": r.low_confidence,
        "missing_receipts": r.missing_receipts,
        "expenses_without_payment": r.expenses_without_payment,
        "refunds": r.refunds,
        "fx_differences": r.fx_differences,
        "duration_ms": r.duration_ms,
        "created_at": format_ts(r.created_at),
    }


class ReasonOut(BaseModel):
    """One piece of evidence behind a proposal's score."""

    code: str = Field(
        description="`amount_exact`, `merchant_amount_exact`, `split_sum_exact`, `fx_within_tolerance`, "
        "`amount_plus_tip`, `date_distance`, `merchant_similarity`, `ambiguous`, `fx_difference`"
    )
    weight: float = Field(description="Weight of this part in the score (0 for notes)")
    score: float = Field(description="This part's own score, 0..1")
    detail: str = Field(description="What was compared")


class ProposalOut(BaseModel):
    """A proposed link between a card payment and its expense (or the two parts of a split expense)."""

    id: str = Field(description="Proposal id")
    run_id: str = Field(description="Run that made it")
    card_payment_id: str = Field(description="Card payment (banking/card_payments)")
    expense_ids: list[str] = Field(description="Expense(s) (expenses/expenses): two for a split receipt")
    kind: ProposalKind = Field(
        description="`matched` (confident), `ambiguous` (competing candidates within the margin) or "
        "`low_confidence` (a single candidate below the threshold)"
    )
    status: ProposalStatus = Field(
        description="`proposed`, `confirmed`, `rejected`, or `superseded` (another proposal for the same "
        "payment or expense was confirmed)"
    )
    score: float = Field(description="0..1: 0.6 x amount + 0.2 x date + 0.2 x merchant")
    group: int = Field(description="Proposals of one ambiguous choice share a group number within the run")
    reasons: list[ReasonOut] = Field(description="The evidence behind the score")
    lag_days: int = Field(description="Days from the expense date to the card payment")
    card_amount_cents: int = Field(description="Amount charged to the card (positive for spend), minor units")
    card_currency: str = Field(description="Card (settlement) currency")
    expense_amount: int = Field(description="Document amount of the expense(s), minor units")
    expense_currency: str = Field(description="Document currency")
    base_amount_cents: int | None = Field(
        None, description="The expense converted with its own exchange rate into the legal entity's currency"
    )
    base_currency: str | None = Field(None, description="Legal entity's currency")
    fx_difference_cents: int | None = Field(
        None,
        description="Card amount - base amount, in the base currency, for expenses in another currency than "
        "the card that settles in the base currency",
    )
    transaction_id: str | None = Field(None, description="Bank transaction linked on confirmation")
    decided_at: str | None = Field(None, description="When it was confirmed or rejected")
    created_at: str = Field(description="When it was proposed")


class ReasonView(TypedDict):
    """One piece of evidence (``ReasonOut``)."""

    code: str
    weight: float
    score: float
    detail: str


class ProposalView(TypedDict):
    """A proposal as the routers and reports render it (``ProposalOut``)."""

    id: int
    run_id: int
    card_payment_id: int
    expense_ids: list[int]
    kind: str
    status: str
    score: float
    group: int
    reasons: list[ReasonView]
    lag_days: int
    card_amount_cents: int
    card_currency: str
    expense_amount: int
    expense_currency: str
    base_amount_cents: int | None
    base_currency: str | None
    fx_difference_cents: int | None
    transaction_id: int | None
    decided_at: str | None
    created_at: str | None


def proposal_out(p: ReconciliationProposal) -> ProposalView:
    reasons: list[ReasonView] = json.loads(p.reasons)
    expense_ids = [p.expense_id] if p.second_expense_id is None else [p.expense_id, p.second_expense_id]
    return {
        "id": p.id,
        "run_id": p.run_id,
        "card_payment_id": p.card_payment_id,
        "expense_ids": expense_ids,
        "kind": p.kind,
        "status": p.status,
        "score": float(p.score),
        "group": p.group_number,
        "reasons": reasons,
        "lag_days": p.lag_days,
        "card_amount_cents": p.card_amount_cents,
        "card_currency": p.card_currency,
        "expense_amount": p.expense_amount,
        "expense_currency": p.expense_currency,
        "base_amount_cents": p.base_amount_cents,
        "base_currency": p.base_currency,
        "fx_difference_cents": p.fx_difference_cents,
        "transaction_id": p.transaction_id,
        "decided_at": format_ts(p.decided_at),
        "created_at": format_ts(p.created_at),
    }


class ItemOut(BaseModel):
    """A leftover of a run: a card payment without an expense, an expense without a payment, a refund."""

    id: str = Field(description="Item id")
    run_id: str = Field(description="Run that found it")
    kind: ItemKind = Field(description="`missing_receipt`, `expense_without_payment` or `refund`")
    card_payment_id: str | None = Field(None, description="The card payment (missing receipts and refunds)")
    expense_id: str | None = Field(None, description="The expense (expenses without a payment)")
    amount: int = Field(description="Amount in minor units (positive for spend)")
    currency: str = Field(description="Currency of the amount")
    date: str = Field(description="Payment date, or the expense's date")
    merchant: str | None = Field(None, description="Merchant as the card or the expense names it")
    card_last4: str | None = Field(None, description="Last four digits of the card")


class ItemView(TypedDict):
    """A leftover as the routers and reports render it (``ItemOut``)."""

    id: int
    run_id: int
    kind: str
    card_payment_id: int | None
    expense_id: int | None
    amount: int
    currency: str
    date: str | None
    merchant: str | None
    card_last4: str | None


def item_out(i: ReconciliationItem) -> ItemView:
    return {
        "id": i.id,
        "run_id": i.run_id,
        "kind": i.kind,
        "card_payment_id": i.card_payment_id,
        "expense_id": i.expense_id,
        "amount": i.amount,
        "currency": i.currency,
        "date": format_date(i.on_date),
        "merchant": i.merchant,
        "card_last4": i.card_last4,
    }


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class RunCreate(_Body):
    """Body of ``POST reconciliation/runs``: the period of card payments to reconcile."""

    from_: date | None = Field(
        None, alias="from", description="First card payment date (inclusive); absent: from the beginning"
    )
    to: date | None = Field(None, description="Last card payment date (inclusive); absent: up to today")

    @model_validator(mode="after")
    def _ordered(self) -> RunCreate:
        if self.from_ is not None and self.to is not None and self.to < self.from_:
            raise ValueError("`to` must be on or after `from`")
        return self


class ProposalAction(_Body):
    """Body of ``reconciliation/proposals/confirm`` and ``/reject``."""

    id: IdIn = Field(description="Proposal id")
