"""The reconciliation resources served by the generic list/get (``db/resources.py``), one description each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from expensehub.db.resources import Doc, Filter, Resource, any_of, company_select, equals, per_object
from expensehub.kit.ids import IdIn
from expensehub.models.reconciliation import ReconciliationItem, ReconciliationProposal, ReconciliationRun
from expensehub.reconciliation import schemas
from expensehub.reconciliation.schemas import ItemKind, ProposalKind, ProposalStatus

TAG = "reconciliation (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "

# --- runs ---------------------------------------------------------------------------------------

RUNS: Resource[schemas.RunOut] = Resource(
    key="reconciliation/runs",
    noun="reconciliation run",
    tag=TAG,
    select=company_select(ReconciliationRun),
    id_column=ReconciliationRun.id,
    view=per_object(schemas.run_out),
    out=schemas.RunOut,
    list_doc=Doc("List reconciliation runs", EXTENSION + "Runs with their summaries, in ascending id order."),
    get_doc=Doc(
        "Get a reconciliation run",
        EXTENSION + "One run and its summary; its results are under `reconciliation/proposals` and "
        "`reconciliation/unmatched_items` with `run_id`.",
    ),
    filters=(any_of("ids", ReconciliationRun.id, "Only these run ids"),),
)


# --- proposals ----------------------------------------------------------------------------------

_P = ReconciliationProposal

PROPOSALS: Resource[schemas.ProposalOut] = Resource(
    key="reconciliation/proposals",
    noun="proposal",
    tag=TAG,
    select=company_select(_P),
    id_column=_P.id,
    view=per_object(schemas.proposal_out),
    out=schemas.ProposalOut,
    list_doc=Doc(
        "List reconciliation proposals",
        EXTENSION + "Proposed links between card payments and expenses, with the score and the "
        "reasons behind it, in ascending id order.",
    ),
    get_doc=Doc("Get a reconciliation proposal", EXTENSION + "One proposal."),
    filters=(
        any_of("ids", _P.id, "Only these proposal ids"),
        equals("run_id", _P.run_id, "Only proposals of this run"),
        equals("status", _P.status, "Only this status", ProposalStatus),
        equals("kind", _P.kind, "Only this kind", ProposalKind),
        any_of("card_payment_ids", _P.card_payment_id, "Only proposals for these card payments"),
        Filter(
            "expense_ids[]",
            list[IdIn],
            "Only proposals naming these expenses",
            where=lambda ids, _s: or_(_P.expense_id.in_(ids), _P.second_expense_id.in_(ids)),
        ),
    ),
)


# --- leftovers ----------------------------------------------------------------------------------

_I = ReconciliationItem

ITEMS: Resource[schemas.ItemOut] = Resource(
    key="reconciliation/unmatched_items",
    noun="unmatched item",
    tag=TAG,
    select=company_select(_I),
    id_column=_I.id,
    view=per_object(schemas.item_out),
    out=schemas.ItemOut,
    list_doc=Doc(
        "List a run's leftovers",
        EXTENSION + "Card payments without an expense (`missing_receipt`), card expenses without a "
        "payment (`expense_without_payment`) and refunds, in ascending id order.",
    ),
    get_doc=Doc("Get a leftover", EXTENSION + "One leftover of a run."),
    filters=(
        any_of("ids", _I.id, "Only these item ids"),
        equals("run_id", _I.run_id, "Only leftovers of this run"),
        equals("kind", _I.kind, "Only this kind", ItemKind),
    ),
)

RESOURCES: tuple[Resource[Any], ...] = (RUNS, PROPOSALS, ITEMS)
