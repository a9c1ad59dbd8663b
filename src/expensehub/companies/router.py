"""``companies/legal_entities``, ``employees/employees`` and ``api_public/credentials``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, path_id, same_id, sent_fields
from expensehub.api.openapi import doc_list, doc_write
from expensehub.api.resources import mount, written
from expensehub.api.responses import list_response
from expensehub.companies import resources, schemas, service
from expensehub.errors import check_company
from expensehub.kit.pagination import Page
from expensehub.sync import service as mirrors

router = APIRouter()

CRED = "api_public/credentials"
LE = resources.LEGAL_ENTITIES.key
EMP = resources.EMPLOYEES.key


# --- legal entities -----------------------------------------------------------------------------

mount(router, resources.LEGAL_ENTITIES)


@router.post(
    f"/{LE}",
    tags=["companies"],
    status_code=201,
    summary="Create a legal entity",
    description="A legal entity of your company in one country, with its base currency (expenses convert "
    "into it). `company_id` must be your company (404 otherwise). Fires `companies/legal_entity/create`.",
    responses=doc_write(schemas.LegalEntityOut, 201),
)
def create_legal_entity(ctx: Ctx, body: schemas.LegalEntityCreate) -> Response:
    check_company(ctx.company_id, body.company_id)
    address = sent_fields(body, schemas.ADDRESS_FIELDS)
    entity = service.create_legal_entity(
        ctx.session,
        company_id=ctx.company_id,
        country=body.country,
        legal_name=body.legal_name,
        currency=body.currency,
        author=ctx.author,
        **address,
    )
    return written(ctx, resources.LEGAL_ENTITIES, entity, 201)


@router.put(
    f"/{LE}/{{id}}",
    tags=["companies"],
    summary="Update a legal entity",
    description="expensehub extension (Factorial has no update). Changes only the keys sent; null clears "
    "an address field. `country` and `currency` can change only while nothing (employees, projects, bank "
    "or ledger accounts, cost centres) refers to the entity: 409 `legal_entity_in_use`. Fires "
    "`companies/legal_entity/update`.",
    responses=doc_write(schemas.LegalEntityOut),
)
def update_legal_entity(ctx: Ctx, id: ItemId, body: schemas.LegalEntityUpdate) -> Response:
    mirrors.refuse_if_mirrored(
        ctx.session, company_id=ctx.company_id, resource="companies/legal_entities", local_id=path_id(id)
    )
    changes = sent_fields(body, schemas.LEGAL_ENTITY_FIELDS, not_null=("legal_name", "country", "currency"))
    entity = service.update_legal_entity(
        ctx.session,
        company_id=ctx.company_id,
        legal_entity_id=same_id(id, None),
        changes=changes,
        author=ctx.author,
    )
    return written(ctx, resources.LEGAL_ENTITIES, entity)


# --- employees ----------------------------------------------------------------------------------

mount(router, resources.EMPLOYEES)


@router.post(
    f"/{EMP}/create_with_contract",
    tags=["employees"],
    summary="Create an employee",
    description="An employee of your company with their own access. The e-mail (stored lower case) and "
    "`company_identifier` are unique in the company: 409 `duplicate_email` / `duplicate_identifier`. An "
    "IBAN `bank_number` must pass its checksum (422 `invalid_iban`). Contract, identity-document and "
    "personal fields Factorial takes (`gender`, `nationality`, `identifier`, `social_security_number`, "
    "`contract_*`, trial period, emergency contact) are accepted and not stored: expensehub keeps what "
    "expenses and reimbursements need. Answers 200, as Factorial does. Fires "
    "`employees/employee/create_with_contract`.",
    responses=doc_write(schemas.EmployeeOut),
)
def create_employee(ctx: Ctx, body: schemas.EmployeeCreate) -> Response:
    check_company(ctx.company_id, body.company_id)
    extra = sent_fields(body, schemas.EMPLOYEE_CREATE_FIELDS)
    employee = service.create_employee(
        ctx.session,
        company_id=ctx.company_id,
        first_name=body.first_name,
        last_name=body.last_name,
        email=body.email,
        author=ctx.author,
        **extra,
    )
    return written(ctx, resources.EMPLOYEES, employee)


@router.put(
    f"/{EMP}/{{id}}",
    tags=["employees"],
    summary="Update an employee",
    description="Changes only the keys sent; null clears an optional field (`first_name` and `last_name` "
    "cannot be null). `communications_email` is the employee's `email`. Bank details: `bank_number` with "
    "`bank_number_format` (inferred when left out: `iban` for a valid IBAN, else `other`) and `swift_bic`; "
    "an IBAN must pass its checksum. A manager must be an employee of your company and not below the "
    "employee in the hierarchy (422 `manager_cycle`). Fires `employees/employee/update`.",
    responses=doc_write(schemas.EmployeeOut),
)
def update_employee(ctx: Ctx, id: ItemId, body: schemas.EmployeeUpdate) -> Response:
    mirrors.refuse_if_mirrored(
        ctx.session, company_id=ctx.company_id, resource="employees/employees", local_id=path_id(id)
    )
    changes = sent_fields(body, schemas.EMPLOYEE_FIELDS, not_null=("first_name", "last_name"))
    if "communications_email" in changes:
        changes["email"] = changes.pop("communications_email")
    employee = service.update_employee(
        ctx.session,
        company_id=ctx.company_id,
        employee_id=same_id(id, body.id),
        changes=changes,
        author=ctx.author,
    )
    return written(ctx, resources.EMPLOYEES, employee)


@router.post(
    f"/{EMP}/terminate",
    tags=["employees"],
    summary="Terminate an employee",
    description="Sets the last day of employment; the employee is `active` until that day. With "
    "`termination_assigned_manager_id`, the leaver's direct reports move to that employee. 409 "
    "`already_terminated` when a termination is set (unterminate first to change it). Fires "
    "`employees/employee/terminate`.",
    responses=doc_write(schemas.EmployeeOut),
)
def terminate_employee(ctx: Ctx, body: schemas.EmployeeTerminate) -> Response:
    mirrors.refuse_if_mirrored(
        ctx.session, company_id=ctx.company_id, resource="employees/employees", local_id=body.id
    )
    employee = service.terminate_employee(
        ctx.session,
        company_id=ctx.company_id,
        employee_id=body.id,
        terminated_on=body.terminated_on,
        reason=body.termination_reason,
        assigned_manager_id=body.termination_assigned_manager_id,
        author=ctx.author,
    )
    return written(ctx, resources.EMPLOYEES, employee)


@router.post(
    f"/{EMP}/unterminate",
    tags=["employees"],
    summary="Undo an employee's termination",
    description="Clears the termination date and reason. 409 `not_terminated` when none is set. Fires "
    "`employees/employee/unterminate`.",
    responses=doc_write(schemas.EmployeeOut),
)
def unterminate_employee(ctx: Ctx, body: schemas.EmployeeId) -> Response:
    mirrors.refuse_if_mirrored(
        ctx.session, company_id=ctx.company_id, resource="employees/employees", local_id=body.id
    )
    employee = service.unterminate_employee(
        ctx.session, company_id=ctx.company_id, employee_id=body.id, author=ctx.author
    )
    return written(ctx, resources.EMPLOYEES, employee)


# --- credentials --------------------------------------------------------------------------------


# Not a resource description: one item made from the request's own credential, no rows to list.
@router.get(
    f"/{CRED}",
    tags=["api_public"],
    summary="Who owns this credential",
    description="A one-item list describing the credential used for the request and its company.",
    responses=doc_list(schemas.CredentialOut),
)
def list_credentials(ctx: Ctx) -> Response:
    company = service.get_company(ctx.session, ctx.company_id)
    item = schemas.credential_out(ctx.principal.public_id, company, ctx.principal.employee_id)
    page = Page(rows=[item], total=1, limit=100, has_next_page=False, has_previous_page=False)
    return list_response(ctx.version, CRED, page, [item])
