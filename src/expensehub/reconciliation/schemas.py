"""Wire shapes of reconciliation runs, proposals and leftovers (an expensehub extension); bodies.

Each response shape is one ``TypedDict`` (``*Out``, see ``kit/shapes.py``): the typed view the ``*_out``
functions build for the routers, webhooks and reports, and the OpenAPI component documenting it. The
list filters are in ``resources.py``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models.reconciliation import ReconciliationItem, ReconciliationProposal, ReconciliationRun

ProposalKind = Literal["matched", "ambiguous", "low_confidence"]
ProposalStatus = Literal["proposed", "confirmed", "rejected", "superseded"]
ItemKind = Literal["missing_receipt", "expense_without_payment", "refund"]


RunOut = TypedDict(
    "RunOut",
    {
        "id": Annotated[IdOut, Field(description="Run id")],
        "status": Annotated[
            Literal["completed"], Field(description="Runs complete within the request that starts them")
        ],
        "from": Annotated[str | None, Field(description="First card payment date considered (inclusive)")],
        "to": Annotated[str | None, Field(description="Last card payment date considered (inclusive)")],
        "card_payments": Annotated[
            int, Field(description="Card payments considered (pending or closed, not yet linked)")
        ],
        "expenses": Annotated[
            int, Field(description="Card expenses considered (not yet linked to a payment)")
        ],
        "already_reconciled": Annotated[
            int, Field(description="Expenses in the period already linked to a card payment")
        ],
        "matched": Annotated[int, Field(description="Proposals the matcher is confident about")],
        "ambiguous": Annotated[
            int, Field(description="Proposals where two candidates were too close to call")
        ],
        "low_confidence": Annotated[
            int, Field(description="Single candidates below the confidence threshold")
        ],
        "missing_receipts": Annotated[
            int, Field(description="Card payments (spend) with no expense: receipts to chase")
        ],
        "expenses_without_payment": Annotated[
            int, Field(description="Card expenses with no card payment in the period")
        ],
        "refunds": Annotated[
            int, Field(description="Card refunds in the period (never matched; no receipt is expected)")
        ],
        "fx_differences": Annotated[
            int,
            Field(
                description="Matched expenses in another currency than the card "
                "(see the proposals' FX fields)"
            ),
        ],
        "duration_ms": Annotated[int, Field(description="Time the matcher took")],
        "created_at": Annotated[str, Field(description="When the run was made")],
    },
)
RunOut.__doc__ = """A reconciliation run and what it found."""
# The functional form because ``from`` is a Python keyword; the docstring is the component's description.


def run_out(r: ReconciliationRun) -> RunOut:
    return {
        "id": r.id,
        "status": cast(Literal["completed"], r.status),
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


class ReasonOut(TypedDict):
    """One piece of evidence behind a proposal's score."""

    code: Annotated[
        str,
        Field(
            description="`amount_exact`, `merchant_amount_exact`, `split_sum_exact`, `fx_within_tolerance`, "
            "`amount_plus_tip`, `date_distance`, `merchant_similarity`, `ambiguous`, `fx_difference`"
        ),
    ]
    weight: Annotated[float, Field(description="Weight of this part in the score (0 for notes)")]
    score: Annotated[float, Field(description="This part's own score, 0..1")]
    detail: Annotated[str, Field(description="What was compared")]


class ProposalOut(TypedDict):
    """A proposed link between a card payment and its expense (or the two parts of a split expense)."""

    id: Annotated[IdOut, Field(description="Proposal id")]
    run_id: Annotated[IdOut, Field(description="Run that made it")]
    card_payment_id: Annotated[IdOut, Field(description="Card payment (banking/card_payments)")]
    expense_ids: Annotated[
        list[IdOut], Field(description="Expense(s) (expenses/expenses): two for a split receipt")
    ]
    kind: Annotated[
        ProposalKind,
        Field(
            description="`matched` (confident), `ambiguous` (competing candidates within the margin) or "
            "`low_confidence` (a single candidate below the threshold)"
        ),
    ]
    status: Annotated[
        ProposalStatus,
        Field(
            description="`proposed`, `confirmed`, `rejected`, or `superseded` (another proposal for the same "
            "payment or expense was confirmed)"
        ),
    ]
    score: Annotated[float, Field(description="0..1: 0.6 x amount + 0.2 x date + 0.2 x merchant")]
    group: Annotated[
        int, Field(description="Proposals of one ambiguous choice share a group number within the run")
    ]
    reasons: Annotated[list[ReasonOut], Field(description="The evidence behind the score")]
    lag_days: Annotated[int, Field(description="Days from the expense date to the card payment")]
    card_amount_cents: Annotated[
        int, Field(description="Amount charged to the card (positive for spend), minor units")
    ]
    card_currency: Annotated[str, Field(description="Card (settlement) currency")]
    expense_amount: Annotated[int, Field(description="Document amount of the expense(s), minor units")]
    expense_currency: Annotated[str, Field(description="Document currency")]
    base_amount_cents: Annotated[
        int | None,
        Field(
            description="The expense converted with its own exchange rate into the legal entity's currency"
        ),
    ]
    base_currency: Annotated[str | None, Field(description="Legal entity's currency")]
    fx_difference_cents: Annotated[
        int | None,
        Field(
            description="Card amount - base amount, in the base currency, for expenses in another currency "
            "than the card that settles in the base currency",
        ),
    ]
    transaction_id: Annotated[IdOut | None, Field(description="Bank transaction linked on confirmation")]
    decided_at: Annotated[str | None, Field(description="When it was confirmed or rejected")]
    created_at: Annotated[str, Field(description="When it was proposed")]


def proposal_out(p: ReconciliationProposal) -> ProposalOut:
    reasons: list[ReasonOut] = json.loads(p.reasons)
    expense_ids = [p.expense_id] if p.second_expense_id is None else [p.expense_id, p.second_expense_id]
    return {
        "id": p.id,
        "run_id": p.run_id,
        "card_payment_id": p.card_payment_id,
        "expense_ids": expense_ids,
        "kind": cast(ProposalKind, p.kind),
        "status": cast(ProposalStatus, p.status),
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


class ItemOut(TypedDict):
    """A leftover of a run: a card payment without an expense, an expense without a payment, a refund."""

    id: Annotated[IdOut, Field(description="Item id")]
    run_id: Annotated[IdOut, Field(description="Run that found it")]
    kind: Annotated[ItemKind, Field(description="`missing_receipt`, `expense_without_payment` or `refund`")]
    card_payment_id: Annotated[
        IdOut | None, Field(description="The card payment (missing receipts and refunds)")
    ]
    expense_id: Annotated[IdOut | None, Field(description="The expense (expenses without a payment)")]
    amount: Annotated[int, Field(description="Amount in minor units (positive for spend)")]
    currency: Annotated[str, Field(description="Currency of the amount")]
    date: Annotated[str, Field(description="Payment date, or the expense's date")]
    merchant: Annotated[str | None, Field(description="Merchant as the card or the expense names it")]
    card_last4: Annotated[str | None, Field(description="Last four digits of the card")]


def item_out(i: ReconciliationItem) -> ItemOut:
    return {
        "id": i.id,
        "run_id": i.run_id,
        "kind": cast(ItemKind, i.kind),
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


class ProposalAction(_Body):
    """Body of ``reconciliation/proposals/confirm`` and ``/reject``."""

    id: IdIn = Field(description="Proposal id")
