"""HTTP endpoints of card reconciliation (an expensehub extension): runs, proposals, leftovers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import doc_list, doc_one, doc_write
from expensehub.api.responses import list_response, object_response
from expensehub.reconciliation import schemas, service

router = APIRouter()

RUNS = "reconciliation/runs"
PROPOSALS = "reconciliation/proposals"
ITEMS = "reconciliation/unmatched_items"

TAG = "reconciliation (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "


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
    return object_response(ctx.version, RUNS, schemas.run_out(run), 201)


@router.get(
    f"/{RUNS}",
    tags=[TAG],
    summary="List reconciliation runs",
    description=EXTENSION + "Runs with their summaries, in ascending id order.",
    responses=doc_list(schemas.RunOut),
)
def list_runs(ctx: Ctx, paging: Paging, f: Annotated[schemas.RunFilters, Query()]) -> Response:
    page = service.list_runs(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, RUNS, page, [schemas.run_out(r[0]) for r in page.rows])


@router.get(
    f"/{RUNS}/{{id}}",
    tags=[TAG],
    summary="Get a reconciliation run",
    description=EXTENSION + "One run and its summary; its results are under `reconciliation/proposals` and "
    "`reconciliation/unmatched_items` with `run_id`.",
    responses=doc_one(schemas.RunOut),
)
def get_run(ctx: Ctx, id: ItemId) -> Response:
    run = service.get_run(ctx.session, company_id=ctx.company_id, run_id=path_id(id))
    return object_response(ctx.version, RUNS, schemas.run_out(run))


@router.get(
    f"/{PROPOSALS}",
    tags=[TAG],
    summary="List reconciliation proposals",
    description=EXTENSION + "Proposed links between card payments and expenses, with the score and the "
    "reasons behind it, in ascending id order.",
    responses=doc_list(schemas.ProposalOut),
)
def list_proposals(ctx: Ctx, paging: Paging, f: Annotated[schemas.ProposalFilters, Query()]) -> Response:
    page = service.list_proposals(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, PROPOSALS, page, [schemas.proposal_out(r[0]) for r in page.rows])


@router.get(
    f"/{PROPOSALS}/{{id}}",
    tags=[TAG],
    summary="Get a reconciliation proposal",
    description=EXTENSION + "One proposal.",
    responses=doc_one(schemas.ProposalOut),
)
def get_proposal(ctx: Ctx, id: ItemId) -> Response:
    proposal = service.get_proposal(ctx.session, company_id=ctx.company_id, proposal_id=path_id(id))
    return object_response(ctx.version, PROPOSALS, schemas.proposal_out(proposal))


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
    return object_response(ctx.version, PROPOSALS, schemas.proposal_out(proposal))


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
    return object_response(ctx.version, PROPOSALS, schemas.proposal_out(proposal))


@router.get(
    f"/{ITEMS}",
    tags=[TAG],
    summary="List a run's leftovers",
    description=EXTENSION + "Card payments without an expense (`missing_receipt`), card expenses without a "
    "payment (`expense_without_payment`) and refunds, in ascending id order.",
    responses=doc_list(schemas.ItemOut),
)
def list_items(ctx: Ctx, paging: Paging, f: Annotated[schemas.ItemFilters, Query()]) -> Response:
    page = service.list_items(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, ITEMS, page, [schemas.item_out(r[0]) for r in page.rows])


@router.get(
    f"/{ITEMS}/{{id}}",
    tags=[TAG],
    summary="Get a leftover",
    description=EXTENSION + "One leftover of a run.",
    responses=doc_one(schemas.ItemOut),
)
def get_item(ctx: Ctx, id: ItemId) -> Response:
    item = service.get_item(ctx.session, company_id=ctx.company_id, item_id=path_id(id))
    return object_response(ctx.version, ITEMS, schemas.item_out(item))
