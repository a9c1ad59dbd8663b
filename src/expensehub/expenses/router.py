"""HTTP endpoints of the expenses domain: ``expenses/*`` and ``approvals/materialized_approvals_flows``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, path_id
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount
from expensehub.api.responses import object_response
from expensehub.db.resources import Doc
from expensehub.documents import service as documents
from expensehub.documents.router import Config, Signer, receive_multipart
from expensehub.errors import UnsupportedMediaType, ValidationFailed
from expensehub.expenses import resources, schemas, service
from expensehub.sync import service as mirrors

router = APIRouter()

EXPENSABLES = "expenses/expensables"
EXPENSES = "expenses/expenses"
MILEAGES = "expenses/mileages"
PER_DIEMS = "expenses/per_diems"
FLOWS = "approvals/materialized_approvals_flows"

TAG = "expenses"
EXT = "expenses (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "


def _actor(ctx: Ctx) -> service.Actor:
    return service.Actor(access_id=ctx.principal.access_id, employee_id=ctx.principal.employee_id)


# --------------------------------------------------------------------------------------------------
# expenses/expensables
# --------------------------------------------------------------------------------------------------


mount(router, resources.EXPENSABLES)


@router.post(
    f"/{EXPENSABLES}/bulk_set_to_paid",
    tags=[TAG],
    summary="Mark expensables as paid",
    description="Marks 1 to 100 expensables as paid (status `paid`, `paid_at` now) and returns them as a "
    "JSON array. All or nothing: an id that is not the company's gives 404 naming it; an item that is not "
    "`approved`, `in_payroll` or `sent_to_pay` gives 409 `invalid_status_transition` (its status in "
    "`details`); nothing changes then. Of several requests paying the same claim at once, exactly one "
    "succeeds and the others get that 409.",
    responses=doc_write(list[schemas.ExpensableOut], description="The paid expensables"),
)
def bulk_set_to_paid(ctx: Ctx, body: schemas.IdsBody) -> Response:
    mirrors.refuse_mirrored_claims(ctx.session, company_id=ctx.company_id, expensable_ids=body.ids)
    items = service.bulk_set_to_paid(ctx.session, company_id=ctx.company_id, ids=body.ids, author=ctx.author)
    return object_response(ctx.version, EXPENSABLES, items)


@router.post(
    f"/{EXPENSABLES}/update_reimbursable_amount",
    tags=[TAG],
    summary="Change the reimbursable amount",
    description="Sets what is owed to the employee on a reimbursable expense: 0 to the expense amount "
    "(else 422 `invalid_reimbursable_amount`). Mileages, per diems and not-reimbursable expenses get 409 "
    "`reimbursable_amount_not_supported`; a paid claim gets 409 `already_paid`. Sending the amount the "
    "claim already has changes nothing (200, no webhook event).",
    responses=doc_write(schemas.ExpensableOut),
)
def update_reimbursable_amount(ctx: Ctx, body: schemas.ReimbursableAmountBody) -> Response:
    mirrors.refuse_mirrored_claims(ctx.session, company_id=ctx.company_id, expensable_ids=[body.id])
    item = service.update_reimbursable_amount(
        ctx.session,
        company_id=ctx.company_id,
        expensable_id=body.id,
        reimbursable_amount=body.reimbursable_amount,
        author=ctx.author,
    )
    return object_response(ctx.version, EXPENSABLES, item)


@router.post(
    f"/{EXPENSABLES}/submit",
    tags=[EXT],
    summary="Submit expensables for approval",
    description=EXTENSION + "Moves 1 to 100 claims from `draft` or `changes_requested` to `pending`, sets "
    "`review_request_at`, and opens an approval flow per claim (approver: the owner's manager, else the "
    "company). All or nothing: 404 naming an unknown id, 409 `invalid_status_transition` for a claim in "
    "another status. Returns the expensables as a JSON array.",
    responses=doc_write(list[schemas.ExpensableOut], description="The submitted expensables"),
)
def submit(ctx: Ctx, body: schemas.IdsBody) -> Response:
    mirrors.refuse_mirrored_claims(ctx.session, company_id=ctx.company_id, expensable_ids=body.ids)
    items = service.submit(
        ctx.session, company_id=ctx.company_id, ids=body.ids, actor=_actor(ctx), author=ctx.author
    )
    return object_response(ctx.version, EXPENSABLES, items)


@router.post(
    f"/{EXPENSABLES}/request_changes",
    tags=[EXT],
    summary="Send a claim back for changes",
    description=EXTENSION + "Moves a `pending` claim to `changes_requested` (its approval flow too, with the "
    "reason); the owner can then edit and submit it again. 409 `invalid_status_transition` otherwise.",
    responses=doc_write(schemas.ExpensableOut),
)
def request_changes(ctx: Ctx, body: schemas.RequestChangesBody) -> Response:
    mirrors.refuse_mirrored_claims(ctx.session, company_id=ctx.company_id, expensable_ids=[body.id])
    item = service.request_changes(
        ctx.session, company_id=ctx.company_id, expensable_id=body.id, reason=body.reason
    )
    return object_response(ctx.version, EXPENSABLES, item)


@router.delete(
    f"/{EXPENSABLES}/{{id}}",
    tags=[EXT],
    summary="Delete a draft",
    description=EXTENSION + "Deletes a `draft` claim and its detail; returns it as it was. 409 "
    "`invalid_status_transition` once submitted.",
    responses=doc_write(schemas.ExpensableOut),
)
def delete_expensable(ctx: Ctx, id: ItemId) -> Response:
    mirrors.refuse_mirrored_claims(ctx.session, company_id=ctx.company_id, expensable_ids=[path_id(id)])
    item = service.delete_expensable(ctx.session, company_id=ctx.company_id, expensable_id=path_id(id))
    return object_response(ctx.version, EXPENSABLES, item)


# --------------------------------------------------------------------------------------------------
# expenses/expenses
# --------------------------------------------------------------------------------------------------


mount(router, resources.EXPENSES, context=Signer)


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model`` with its ``$defs`` resolved in place (for ``openapi_extra``)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return {**resolve(defs[ref.rsplit("/", 1)[-1]]), **extra}
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


MAX_RECEIPT_UPLOADS = 10
RECEIPT_PARTS = ("file", "file[]", "files", "files[]", "receipt")
CREATE_EXPENSE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline_schema(schemas.ExpenseCreate)},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["expense"],
                    "properties": {
                        "expense": {
                            "type": "string",
                            "description": "The expense as JSON: the same object as the application/json "
                            "body",
                        },
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"Receipts to upload (repeat the part; at most "
                            f"{MAX_RECEIPT_UPLOADS}); each must be an accepted file type",
                        },
                    },
                }
            },
        },
    }
}


def _parse_body(raw: bytes | str, model: type[BaseModel]) -> Any:
    """Validate a JSON body as FastAPI does: 400 when it is not JSON, 422 with a field map otherwise."""
    if isinstance(raw, bytes | str) and not raw.strip():
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error"}]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


@router.post(
    f"/{EXPENSES}",
    status_code=201,
    tags=[EXT],
    summary="Create an expense",
    description=EXTENSION + "Creates a draft expense (its expensable header and the expense detail) and "
    "returns the expense. Referenced ids of another company give 404 and nothing is stored. An expense "
    "matching an earlier one (same employee, date, amount, currency and merchant) is stored with "
    "`duplicate_of_id` set.\n\nReceipts: name existing documents with `document_ids` (or `document_id`), "
    "or upload them: send multipart/form-data with the expense as JSON in a part named `expense` and each "
    "receipt in a `file` part (up to `EXPENSEHUB_MAX_UPLOAD_BYTES` each: 413 beyond; 415 for a file type "
    "that is not accepted). Uploaded receipts become documents of the expense's owner.",
    responses=doc_write(schemas.ExpenseOut, 201, "The new expense"),
    openapi_extra=CREATE_EXPENSE_BODY,
)
async def create_expense(request: Request, ctx: Ctx, config: Config, signer: Signer) -> Response:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await receive_multipart(
            request,
            config,
            file_names=RECEIPT_PARTS,
            max_files=MAX_RECEIPT_UPLOADS,
            text_names={"expense"},
        )
        try:
            raw = form.first("expense")
            if raw is None:
                raise ValidationFailed(
                    "invalid expense",
                    fields={"expense": ["a part named expense holding the expense as JSON"]},
                )
            body = _parse_body(raw, schemas.ExpenseCreate)
            files = [(staged, documents.inspect_upload(staged)) for _, staged in form.files]
            uploads = service.Uploads(
                store=config.store, files=files, author_access_id=ctx.principal.access_id
            )
            item = await run_in_threadpool(
                service.create_expense,
                ctx.session,
                company_id=ctx.company_id,
                body=body,
                uploads=uploads,
                signer=signer,
                author=ctx.author,
            )
        finally:
            form.discard()
        return object_response(ctx.version, EXPENSES, item, 201)
    if ctype not in ("", "application/json") and not ctype.endswith("+json"):
        raise UnsupportedMediaType(
            f"send application/json or multipart/form-data (got {ctype!r})", code="unsupported_media_type"
        )
    body = _parse_body(await request.body(), schemas.ExpenseCreate)
    item = await run_in_threadpool(
        service.create_expense,
        ctx.session,
        company_id=ctx.company_id,
        body=body,
        signer=signer,
        author=ctx.author,
    )
    return object_response(ctx.version, EXPENSES, item, 201)


@router.put(
    f"/{EXPENSES}/{{id}}",
    tags=[EXT],
    summary="Update an expense",
    description=EXTENSION + "Partial update: only the keys sent change (`null` clears an optional field). "
    "Allowed in `draft` and `changes_requested`; 409 `invalid_status_transition` otherwise. "
    "`document_ids` replaces the receipts (`[]` removes them).",
    responses=doc_write(schemas.ExpenseOut),
)
def update_expense(ctx: Ctx, id: ItemId, signer: Signer, body: schemas.ExpenseUpdate) -> Response:
    mirrors.refuse_if_mirrored(
        ctx.session, company_id=ctx.company_id, resource="expenses/expenses", local_id=path_id(id)
    )
    item = service.update_expense(
        ctx.session,
        company_id=ctx.company_id,
        expense_id=path_id(id),
        body=body,
        signer=signer,
        author=ctx.author,
    )
    return object_response(ctx.version, EXPENSES, item)


# --------------------------------------------------------------------------------------------------
# expenses/mileages and expenses/per_diems: a create and an update each, built by one pair of builders
# --------------------------------------------------------------------------------------------------


def _create_route(
    key: str, body_model: type[BaseModel], create: Callable[..., Any], *, name: str, doc: Doc, out: type[Any]
) -> None:
    """``POST key``: a draft claim from ``body_model``, answered with 201 and its view."""

    def create_claim(ctx: Ctx, body: BaseModel) -> Response:
        item = create(ctx.session, company_id=ctx.company_id, body=body, author=ctx.author)
        return object_response(ctx.version, key, item, 201)

    create_claim.__annotations__["body"] = body_model  # the body FastAPI validates and documents
    router.add_api_route(
        f"/{key}",
        create_claim,
        methods=["POST"],
        status_code=201,
        tags=[EXT],
        summary=doc.summary,
        description=doc.description,
        responses=doc_write(out, 201, f"The new {doc.summary.removeprefix('Create a ')}"),
        name=name,
    )


def _update_route(
    key: str,
    body_model: type[BaseModel],
    update: Callable[..., Any],
    *,
    id_name: str,
    name: str,
    doc: Doc,
    out: type[Any],
) -> None:
    """``PUT key/{id}``: a partial update of a claim from ``body_model`` (``update`` takes the id as
    ``id_name``), answered with its view."""

    def update_claim(ctx: Ctx, id: ItemId, body: BaseModel) -> Response:
        mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=key, local_id=path_id(id))
        item = update(
            ctx.session, company_id=ctx.company_id, body=body, author=ctx.author, **{id_name: path_id(id)}
        )
        return object_response(ctx.version, key, item)

    update_claim.__annotations__["body"] = body_model
    router.add_api_route(
        f"/{key}/{{id}}",
        update_claim,
        methods=["PUT"],
        tags=[EXT],
        summary=doc.summary,
        description=doc.description,
        responses=doc_write(out),
        name=name,
    )


mount(router, resources.MILEAGES)
_create_route(
    MILEAGES,
    schemas.MileageCreate,
    service.create_mileage,
    name="create_mileage",
    doc=Doc(
        "Create a mileage claim",
        EXTENSION
        + "Creates a draft mileage claim. `currency` defaults to the legal entity's. "
        + schemas.MILEAGE_PRICING,
    ),
    out=schemas.MileageOut,
)
_update_route(
    MILEAGES,
    schemas.MileageUpdate,
    service.update_mileage,
    id_name="mileage_id",
    name="update_mileage",
    doc=Doc(
        "Update a mileage claim",
        EXTENSION + "Partial update in `draft` or `changes_requested` (409 otherwise). Without "
        "`amount`, the claim is priced again when what prices it changes: with its rate when the company "
        "gave one (distance, units, rate, round trip), else by the statutory rules (also vehicle, "
        "passengers, coordinates, date, employee, legal entity, currency). `amount: null` re-prices it; "
        "`rate: null` hands it to the statutory rules. " + schemas.MILEAGE_PRICING,
    ),
    out=schemas.MileageOut,
)

mount(router, resources.PER_DIEMS)
_create_route(
    PER_DIEMS,
    schemas.PerDiemCreate,
    service.create_per_diem,
    name="create_per_diem",
    doc=Doc(
        "Create a per diem claim",
        EXTENSION + "Creates a draft per diem claim. `effective_on` defaults to `start_date` and "
        "`currency` to the legal entity's; `end_date` must not precede `start_date`. "
        + schemas.PER_DIEM_PRICING,
    ),
    out=schemas.PerDiemOut,
)
_update_route(
    PER_DIEMS,
    schemas.PerDiemUpdate,
    service.update_per_diem,
    id_name="per_diem_id",
    name="update_per_diem",
    doc=Doc(
        "Update a per diem claim",
        EXTENSION + "Partial update in `draft` or `changes_requested` (409 otherwise). The trip is "
        "priced again: an amount the rules computed follows the trip, an amount the caller gave stays "
        "(`amount: null` hands it back to the rules); a trip input sent as null returns to its default. "
        + schemas.PER_DIEM_PRICING,
    ),
    out=schemas.PerDiemOut,
)


# --------------------------------------------------------------------------------------------------
# approvals/materialized_approvals_flows
# --------------------------------------------------------------------------------------------------

_APPROVAL_NOTE = (
    " `resource_type` must be `Expenses::Expensable` (also accepted: `expenses/expensable`, "
    "`expensable`); anything else is 422. The claim must be `pending` (409 `invalid_status_transition` "
    "otherwise). Returns the approval flow."
)


def _decision_route(decision: Literal["approve", "reject"], summary: str, outcome: str) -> None:
    """``approve_resource`` / ``reject_resource``: one step of the claim's approval flow decided."""

    def decide(ctx: Ctx, body: schemas.ApprovalActionBody) -> Response:
        mirrors.refuse_mirrored_claims(
            ctx.session, company_id=ctx.company_id, expensable_ids=[body.resource_id]
        )
        flow = service.decide_resource(
            ctx.session,
            company_id=ctx.company_id,
            resource_type=body.resource_type,
            resource_id=body.resource_id,
            decision=decision,
            reason=body.reason,
            api_base=f"/api/{ctx.version.name}/resources",
            author=ctx.author,
        )
        return object_response(ctx.version, FLOWS, flow)

    router.add_api_route(
        f"/{FLOWS}/{decision}_resource",
        decide,
        methods=["POST"],
        tags=["approvals"],
        summary=summary,
        description=f"{summary.split()[0]}s the pending step of the claim's approval flow: the claim becomes "
        f"`{outcome}`." + _APPROVAL_NOTE,
        responses=doc_write(schemas.ApprovalFlowOut),
        name=f"{decision}_resource",
    )


_decision_route("approve", "Approve a claim", "approved")
_decision_route("reject", "Reject a claim", "rejected")
