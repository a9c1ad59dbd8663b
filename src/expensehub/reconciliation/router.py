"""HTTP endpoints of card reconciliation (an expensehub extension): runs, proposals, leftovers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount, written
from expensehub.models.reconciliation import ReconciliationProposal
from expensehub.reconciliation import resources, schemas, service
from expensehub.reconciliation.resources import EXTENSION, TAG

router = APIRouter()

RUNS = resources.RUNS.key
PROPOSALS = resources.PROPOSALS.key


@router.post(
    f"/{RUNS}",
    tags=[TAG],
    status_code=201,
    summary="Reconcile card payments with expenses",
    description=EXTENSION + "Runs the matcher over the card payments dated `from`..`to` (both inclusive, "
    "optional) that no expense points to yet, against the card expenses not linked yet (dated up to 7 "
    "days before `from` and a day after `to`), and stores what it finds: proposals (`matched`, "
    "`ambiguous`, `low_confidence`) and leftovers (missing receipts, expenses without a payment, "
    "refunds). Pairs rejected earlier are never proposed again. Returns the run with its summary. "
    "docs/reconciliation.md explains how the matcher decides.",
    responses=doc_write(schemas.RunOut, 201),
)
def create_run(ctx: Ctx, body: schemas.RunCreate) -> Response:
    run = service.create_run(
        ctx.session, company_id=ctx.company_id, start=body.from_, end=body.to, author=ctx.author
    )
    return written(ctx, resources.RUNS, run, 201)


mount(router, resources.RUNS)
mount(router, resources.PROPOSALS)

_NOT_OPEN = (
    "409 `proposal_not_open` unless proposed (its status in `details`; of several requests deciding one "
    "proposal at once, one succeeds and the others get this)"
)


def _decision_route(
    action: Literal["confirm", "reject"],
    decide: Callable[..., ReconciliationProposal],
    summary: str,
    description: str,
) -> None:
    """``reconciliation/proposals/{action}``: decide one open proposal; the result is the proposal."""

    def route(ctx: Ctx, body: schemas.ProposalAction) -> Response:
        proposal = decide(ctx.session, company_id=ctx.company_id, proposal_id=body.id)
        return written(ctx, resources.PROPOSALS, proposal)

    router.add_api_route(
        f"/{PROPOSALS}/{action}",
        route,
        methods=["POST"],
        tags=[TAG],
        summary=summary,
        description=EXTENSION + description,
        responses=doc_write(schemas.ProposalOut),
        name=action,
    )


_decision_route(
    "confirm",
    service.confirm,
    "Confirm a proposal",
    "Links the expense(s) to the card payment (`expenses.card_payment_id`, and `expenses_card_id` to its "
    "card) and the payment to its bank transaction (an unlinked booking of the same amount within 3 days, "
    "when there is one: `transaction_id`). Other open proposals for the same payment or expenses become "
    f"`superseded`. {_NOT_OPEN}; 409 `expense_already_linked` when an expense points to another payment.",
)
_decision_route(
    "reject",
    service.reject,
    "Reject a proposal",
    "Marks the proposal rejected and remembers the pair: no later run proposes this payment with this "
    f"expense again. {_NOT_OPEN}.",
)


mount(router, resources.ITEMS)
