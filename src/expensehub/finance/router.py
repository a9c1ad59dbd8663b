"""HTTP endpoints of the finance domain: categories, cost centres, memberships, ledger accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import doc_list, doc_one, doc_write
from expensehub.api.responses import list_response, object_response
from expensehub.errors import NotFound, ValidationFailed
from expensehub.finance import schemas, service
from expensehub.kit.clock import utcnow
from expensehub.models import CostCenter

router = APIRouter()

CAT = "finance/categories"
CC = "finance/cost_centers"
CCM = "finance/cost_center_memberships"
ACC = "finance/accounts"
LAR = "finance/ledger_account_resources"
TAGS: list[str | Any] = ["finance"]


def _given(body: BaseModel, names: tuple[str, ...], not_null: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of ``body`` the client sent, by name; a null in a ``not_null`` field is a 422."""
    sent = {name: getattr(body, name) for name in names if name in body.model_fields_set}
    nulls = {name: ["cannot be null"] for name in not_null if name in sent and sent[name] is None}
    if nulls:
        raise ValidationFailed("the request is invalid", fields=nulls)
    return sent


def _own_company(ctx: Ctx, company_id: int) -> None:
    if company_id != ctx.company_id:
        raise NotFound(f"company {company_id} not found")


# --- categories ---------------------------------------------------------------------------------


@router.get(
    f"/{CAT}",
    tags=TAGS,
    summary="List expense categories",
    description="Categories and subcategories in ascending id order. `category_level`, `type` and "
    "`statuses[]` are optional (Factorial's spec marks them required); without `statuses[]`, "
    "enabled and disabled categories are listed but deleted ones are not.",
    responses=doc_list(schemas.CategoryOut),
)
def list_categories(ctx: Ctx, paging: Paging, f: Annotated[schemas.CategoryFilters, Query()]) -> Response:
    page = service.list_categories(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        company_ids=f.company_ids,
        parent_category_ids=f.parent_category_ids,
        category_level=f.category_level,
        type=f.type,
        statuses=f.statuses,
        search=f.search,
    )
    return list_response(ctx.version, CAT, page, [schemas.category_out(r[0]) for r in page.rows])


@router.get(
    f"/{CAT}/{{id}}",
    tags=TAGS,
    summary="Get an expense category",
    description="One category of the company, whatever its status.",
    responses=doc_one(schemas.CategoryOut),
)
def get_category(ctx: Ctx, id: ItemId) -> Response:
    category = service.get_category(ctx.session, company_id=ctx.company_id, category_id=path_id(id))
    return object_response(ctx.version, CAT, schemas.category_out(category))


# --- cost centres -------------------------------------------------------------------------------


def _cost_centers_out(ctx: Ctx, centers: list[CostCenter]) -> list[dict[str, Any]]:
    today = utcnow().date()
    counts = service.cost_center_counts(
        ctx.session, company_id=ctx.company_id, cost_center_ids=[c.id for c in centers], today=today
    )
    return [schemas.cost_center_out(c, counts[c.id], today) for c in centers]


@router.get(
    f"/{CC}",
    tags=TAGS,
    summary="List cost centres",
    description="Cost centres not deleted, in ascending id order, with their employee counts.",
    responses=doc_list(schemas.CostCenterOut),
)
def list_cost_centers(ctx: Ctx, paging: Paging, f: Annotated[schemas.CostCenterFilters, Query()]) -> Response:
    page = service.list_cost_centers(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        company_filter=f.company_id,
        legal_entity_ids=f.legal_entity_ids,
        include_actives_on_date=f.include_actives_on_date,
        search=f.search,
    )
    return list_response(ctx.version, CC, page, _cost_centers_out(ctx, [r[0] for r in page.rows]))


@router.get(
    f"/{CC}/{{id}}",
    tags=TAGS,
    summary="Get a cost centre",
    description="One cost centre of the company (deleted ones are not found).",
    responses=doc_one(schemas.CostCenterOut),
)
def get_cost_center(ctx: Ctx, id: ItemId) -> Response:
    center = service.get_cost_center(ctx.session, company_id=ctx.company_id, cost_center_id=path_id(id))
    return object_response(ctx.version, CC, _cost_centers_out(ctx, [center])[0])


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
    _own_company(ctx, body.company_id)
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
    return object_response(ctx.version, CC, _cost_centers_out(ctx, [center])[0], 201)


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
    if body.company_id is not None:
        _own_company(ctx, body.company_id)
    changes = _given(body, ("name", "code", "description", "deactivation_date"), not_null=("name",))
    center = service.edit_cost_center(
        ctx.session, company_id=ctx.company_id, cost_center_id=body.id, author=ctx.author, **changes
    )
    return object_response(ctx.version, CC, _cost_centers_out(ctx, [center])[0])


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
    center = service.delete_cost_center(
        ctx.session, company_id=ctx.company_id, cost_center_id=path_id(id), author=ctx.author
    )
    return object_response(ctx.version, CC, _cost_centers_out(ctx, [center])[0])


# --- cost centre memberships --------------------------------------------------------------------


@router.get(
    f"/{CCM}",
    tags=TAGS,
    summary="List cost centre memberships",
    description="Memberships in ascending id order. Without `active_on`/`applying_on`, only memberships "
    "not ended today are listed (`only_active` is the default); `only_active=false` lists the history.",
    responses=doc_list(schemas.MembershipOut),
)
def list_memberships(ctx: Ctx, paging: Paging, f: Annotated[schemas.MembershipFilters, Query()]) -> Response:
    page = service.list_memberships(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        cost_center_id=f.cost_center_id,
        cost_center_ids=f.cost_center_ids,
        employee_id=f.employee_id,
        active_on=f.active_on,
        applying_on=f.applying_on,
        only_active=f.only_active,
        company_filter=f.company_id,
    )
    return list_response(ctx.version, CCM, page, [schemas.membership_out(r[0]) for r in page.rows])


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
    _own_company(ctx, body.company_id)
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


@router.get(
    f"/{ACC}",
    tags=TAGS,
    summary="List ledger accounts",
    description="Ledger accounts of the company's legal entities, in ascending id order.",
    responses=doc_list(schemas.AccountOut),
)
def list_accounts(ctx: Ctx, paging: Paging, f: Annotated[schemas.AccountFilters, Query()]) -> Response:
    page = service.list_accounts(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        legal_entity_ids=f.legal_entity_ids,
        types=f.types,
        number=f.number,
        updated_from=f.updated_from,
    )
    return list_response(ctx.version, ACC, page, [schemas.account_out(r[0]) for r in page.rows])


@router.get(
    f"/{ACC}/{{id}}",
    tags=TAGS,
    summary="Get a ledger account",
    description="One ledger account of the company.",
    responses=doc_one(schemas.AccountOut),
)
def get_account(ctx: Ctx, id: ItemId) -> Response:
    account = service.get_account(ctx.session, company_id=ctx.company_id, account_id=path_id(id))
    return object_response(ctx.version, ACC, schemas.account_out(account))


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
    return object_response(ctx.version, ACC, schemas.account_out(account), 201)


@router.put(
    f"/{ACC}/{{id}}",
    tags=TAGS,
    summary="Update a ledger account",
    description="Changes only the keys sent; `id` in the body, when sent, must equal the path id.",
    responses=doc_write(schemas.AccountOut),
)
def update_account(ctx: Ctx, id: ItemId, body: schemas.AccountUpdate) -> Response:
    account_id = path_id(id)
    if body.id is not None and body.id != account_id:
        raise ValidationFailed("the request is invalid", fields={"id": ["must equal the id in the path"]})
    changes = _given(
        body,
        ("name", "number", "type", "currency", "legal_entity_id", "external_id"),
        not_null=("number", "type", "currency", "legal_entity_id"),
    )
    account = service.update_account(ctx.session, company_id=ctx.company_id, account_id=account_id, **changes)
    return object_response(ctx.version, ACC, schemas.account_out(account))


# --- ledger account resources -------------------------------------------------------------------


@router.get(
    f"/{LAR}",
    tags=TAGS,
    summary="List ledger account resources",
    description="Mappings of objects (categories, bank accounts, vendors...) to ledger accounts.",
    responses=doc_list(schemas.LedgerAccountResourceOut),
)
def list_ledger_account_resources(
    ctx: Ctx, paging: Paging, f: Annotated[schemas.LedgerAccountResourceFilters, Query()]
) -> Response:
    page = service.list_ledger_account_resources(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        resource_ids=f.resource_ids,
        resource_type=f.resource_type,
        legal_entity_ids=f.legal_entity_ids,
        updated_from=f.updated_from,
        finance_account_ids=f.finance_account_ids,
    )
    return list_response(
        ctx.version, LAR, page, [schemas.ledger_account_resource_out(r[0]) for r in page.rows]
    )


@router.get(
    f"/{LAR}/{{id}}",
    tags=TAGS,
    summary="Get a ledger account resource",
    description="One mapping of the company.",
    responses=doc_one(schemas.LedgerAccountResourceOut),
)
def get_ledger_account_resource(ctx: Ctx, id: ItemId) -> Response:
    found = service.get_ledger_account_resource(
        ctx.session, company_id=ctx.company_id, mapping_id=path_id(id)
    )
    return object_response(ctx.version, LAR, schemas.ledger_account_resource_out(found))


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
    return object_response(ctx.version, LAR, schemas.ledger_account_resource_out(mapping))
