"""HTTP endpoints of the finance domain: categories, cost centres, memberships, ledger accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, path_id, sent_fields
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount, written
from expensehub.api.responses import object_response
from expensehub.errors import ValidationFailed, check_company
from expensehub.finance import resources, schemas, service
from expensehub.sync import service as mirrors

router = APIRouter()

CAT = "finance/categories"
CC = "finance/cost_centers"
CCM = "finance/cost_center_memberships"
ACC = "finance/accounts"
LAR = "finance/ledger_account_resources"
TAGS: list[str | Any] = ["finance"]


# --- categories ---------------------------------------------------------------------------------


mount(router, resources.CATEGORIES)


# --- cost centres -------------------------------------------------------------------------------


mount(router, resources.COST_CENTERS)


@router.post(
    f"/{CC}",
    tags=TAGS,
    status_code=201,
    summary="Create a cost centre",
    description="`company_id` must be your company. `code` is unique among the company's cost centres "
    "(409 `duplicate_code`). `deactivation_date` is an expensehub extension.",
    responses=doc_write(schemas.CostCenterOut, 201),
)
def create_cost_center(ctx: Ctx, body: schemas.CostCenterCreate) -> Response:
    check_company(ctx.company_id, body.company_id)
    center = service.create_cost_center(
        ctx.session,
        company_id=ctx.company_id,
        name=body.name,
        legal_entity_id=body.legal_entity_id,
        code=body.code,
        description=body.description,
        deactivation_date=body.deactivation_date,
        author=ctx.author,
    )
    return written(ctx, resources.COST_CENTERS, center, 201)


@router.post(
    f"/{CC}/edit",
    tags=TAGS,
    summary="Edit a cost centre",
    description="Changes only the keys sent. `company_id` (deprecated by Factorial) may be left out; when "
    "sent it must be your company (404 otherwise). `deactivation_date` is an expensehub extension; null "
    "reactivates the centre.",
    responses=doc_write(schemas.CostCenterOut),
)
def edit_cost_center(ctx: Ctx, body: schemas.CostCenterEdit) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=CC, local_id=body.id)
    check_company(ctx.company_id, body.company_id)
    changes = sent_fields(body, ("name", "code", "description", "deactivation_date"), not_null=("name",))
    center = service.edit_cost_center(
        ctx.session, company_id=ctx.company_id, cost_center_id=body.id, author=ctx.author, **changes
    )
    return written(ctx, resources.COST_CENTERS, center)


@router.delete(
    f"/{CC}/{{id}}",
    tags=TAGS,
    summary="Delete a cost centre",
    description="Soft delete: returns the cost centre; it (and its memberships) are then not found or "
    "listed, and its code can be reused. Expenses already charged to it keep the reference. Of several "
    "requests deleting the same centre at once, one succeeds and the others get 404.",
    responses=doc_write(schemas.CostCenterOut),
)
def delete_cost_center(ctx: Ctx, id: ItemId) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=CC, local_id=path_id(id))
    center = service.delete_cost_center(
        ctx.session, company_id=ctx.company_id, cost_center_id=path_id(id), author=ctx.author
    )
    return written(ctx, resources.COST_CENTERS, center)


# --- cost centre memberships --------------------------------------------------------------------


mount(router, resources.MEMBERSHIPS)


@router.post(
    f"/{CCM}/bulk_create_update",
    tags=TAGS,
    summary="Replace an employee's cost centre memberships",
    description="Creates the given memberships and ends the employee's memberships still running on the "
    "earliest new `start_date` the day before (memberships starting on or after it are removed), so "
    "history is kept. Percentages are greater than 0, at most 1 and sum exactly to 1 (422 otherwise). "
    "An item with `id` updates that membership in place. All or nothing. Returns the new set as an array.",
    responses=doc_write(list[schemas.MembershipOut], description="The new set of memberships"),
)
def bulk_create_update_memberships(ctx: Ctx, body: schemas.MembershipsBulkIn) -> Response:
    check_company(ctx.company_id, body.company_id)
    memberships = service.set_memberships(
        ctx.session,
        company_id=ctx.company_id,
        employee_id=body.employee_id,
        memberships=[
            service.MembershipSpec(
                cost_center_id=m.cost_center_id,
                percentage=m.percentage,
                start_date=m.start_date,
                end_date=m.end_date,
                id=m.id,
            )
            for m in body.memberships
        ],
    )
    return object_response(ctx.version, CCM, [schemas.membership_out(m) for m in memberships])


# --- ledger accounts ----------------------------------------------------------------------------


mount(router, resources.ACCOUNTS)


@router.post(
    f"/{ACC}",
    tags=TAGS,
    status_code=201,
    summary="Create a ledger account",
    description="`currency` is an ISO 4217 code (kept but, as in Factorial, not returned). `external_id` "
    "is unique in the company (409 `duplicate_external_id`).",
    responses=doc_write(schemas.AccountOut, 201),
)
def create_account(ctx: Ctx, body: schemas.AccountCreate) -> Response:
    account = service.create_account(
        ctx.session,
        company_id=ctx.company_id,
        legal_entity_id=body.legal_entity_id,
        number=body.number,
        type=body.type,
        currency=body.currency,
        name=body.name,
        external_id=body.external_id,
    )
    return written(ctx, resources.ACCOUNTS, account, 201)


@router.put(
    f"/{ACC}/{{id}}",
    tags=TAGS,
    summary="Update a ledger account",
    description="Changes only the keys sent; `id` in the body, when sent, must equal the path id.",
    responses=doc_write(schemas.AccountOut),
)
def update_account(ctx: Ctx, id: ItemId, body: schemas.AccountUpdate) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=ACC, local_id=path_id(id))
    account_id = path_id(id)
    if body.id is not None and body.id != account_id:
        raise ValidationFailed("the request is invalid", fields={"id": ["must equal the id in the path"]})
    changes = sent_fields(
        body,
        ("name", "number", "type", "currency", "legal_entity_id", "external_id"),
        not_null=("number", "type", "currency", "legal_entity_id"),
    )
    account = service.update_account(ctx.session, company_id=ctx.company_id, account_id=account_id, **changes)
    return written(ctx, resources.ACCOUNTS, account)


# --- ledger account resources -------------------------------------------------------------------


mount(router, resources.LEDGER_ACCOUNT_RESOURCES)


@router.post(
    f"/{LAR}/upsert",
    tags=TAGS,
    summary="Create or update a ledger account resource",
    description="Finds the mapping by `id`, else by (legal_entity_id, resource_type, resource_id), and "
    "creates or updates it. Without `account_id`, the legal entity's account numbered `number` is used, "
    "created with type `expense` (and `name`) when none exists. A `customcategory` resource must be a "
    "category of your company.",
    responses=doc_write(schemas.LedgerAccountResourceOut),
)
def upsert_ledger_account_resource(ctx: Ctx, body: schemas.LedgerAccountResourceUpsert) -> Response:
    mapping = service.upsert_ledger_account_resource(
        ctx.session,
        company_id=ctx.company_id,
        legal_entity_id=body.legal_entity_id,
        resource_type=body.resource_type,
        mapping_id=body.id,
        resource_id=body.resource_id,
        account_id=body.account_id,
        name=body.name,
        number=body.number,
        external_id=body.external_id,
        balance_type=body.balance_type,
        operation_type=body.operation_type,
    )
    return written(ctx, resources.LEDGER_ACCOUNT_RESOURCES, mapping)
