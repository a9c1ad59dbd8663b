"""HTTP endpoints of card reconciliation (an expensehub extension): runs, proposals, leftovers."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount
from expensehub.api.responses import object_response
from expensehub.db.resources import views_of
from expensehub.models.reconciliation import ReconciliationProposal
from expensehub.reconciliation import resources, schemas, service
from expensehub.reconciliation.resources import EXTENSION, TAG

router = APIRouter()

RUNS = resources.RUNS.key
PROPOSALS = resources.PROPOSALS.key


def _proposal(ctx: Ctx, proposal: ReconciliationProposal) -> Response:
    """A decided proposal, rendered by its resource's view builder."""
    view = views_of(ctx.session, resources.PROPOSALS, company_id=ctx.company_id, rows=[(proposal,)])[0]
    return object_response(ctx.version, PROPOSALS, view)


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
    view = service.run_view(ctx.session, company_id=ctx.company_id, run=run)
    return object_response(ctx.version, RUNS, view, 201)


mount(router, resources.RUNS)
mount(router, resources.PROPOSALS)


@router.post(
    f"/{PROPOSALS}/confirm",
    tags=[TAG],
    summary="Confirm a proposal",
    description=EXTENSION + "Links the expense(s) to the card payment (`expenses.card_payment_id`, and "
    "`expenses_card_id` to its card) and the payment to its bank transaction (an unlinked booking of the "
    "same amount within 3 days, when there is one: `transaction_id`). Other open proposals for the same "
    "payment or expenses become `superseded`. 409 `proposal_not_open` unless proposed (its status in "
    "`details`; of several requests deciding one proposal at once, one succeeds and the others get this); "
    "409 `expense_already_linked` when an expense points to another payment.",
    responses=doc_write(schemas.ProposalOut),
)
def confirm(ctx: Ctx, body: schemas.ProposalAction) -> Response:
    proposal = service.confirm(ctx.session, company_id=ctx.company_id, proposal_id=body.id)
    return _proposal(ctx, proposal)


@router.post(
    f"/{PROPOSALS}/reject",
    tags=[TAG],
    summary="Reject a proposal",
    description=EXTENSION + "Marks the proposal rejected and remembers the pair: no later run proposes "
    "this payment with this expense again. 409 `proposal_not_open` unless proposed (its status in "
    "`details`; of several requests deciding one proposal at once, one succeeds and the others get this).",
    responses=doc_write(schemas.ProposalOut),
)
def reject(ctx: Ctx, body: schemas.ProposalAction) -> Response:
    proposal = service.reject(ctx.session, company_id=ctx.company_id, proposal_id=body.id)
    return _proposal(ctx, proposal)


mount(router, resources.ITEMS)
