"""``companies/legal_entities``, ``employees/employees`` and ``api_public/credentials``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import doc_list, doc_one
from expensehub.api.responses import list_response, object_response
from expensehub.companies import schemas, service
from expensehub.kit.clock import utcnow
from expensehub.kit.pagination import Page

router = APIRouter()

LE = "companies/legal_entities"
EMP = "employees/employees"
CRED = "api_public/credentials"


@router.get(
    f"/{LE}",
    tags=["companies"],
    summary="List legal entities",
    description="The company's legal entities, in ascending id order.",
    responses=doc_list(schemas.LegalEntityOut),
)
def list_legal_entities(
    ctx: Ctx, paging: Paging, f: Annotated[schemas.LegalEntityFilters, Query()]
) -> Response:
    page = service.list_legal_entities(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        employee_ids=f.employees_ids,
        company_ids=f.companies_ids,
        country_codes=f.country_ids,
    )
    return list_response(ctx.version, LE, page, [schemas.legal_entity_out(r[0]) for r in page.rows])


@router.get(
    f"/{LE}/{{id}}",
    tags=["companies"],
    summary="Get a legal entity",
    description="One legal entity of the company.",
    responses=doc_one(schemas.LegalEntityOut),
)
def get_legal_entity(ctx: Ctx, id: ItemId) -> Response:
    entity = service.get_legal_entity(ctx.session, company_id=ctx.company_id, legal_entity_id=path_id(id))
    return object_response(ctx.version, LE, schemas.legal_entity_out(entity))


@router.get(
    f"/{EMP}",
    tags=["employees"],
    summary="List employees",
    description="The company's employees, in ascending id order.",
    responses=doc_list(schemas.EmployeeOut),
)
def list_employees(ctx: Ctx, paging: Paging, f: Annotated[schemas.EmployeeFilters, Query()]) -> Response:
    page = service.list_employees(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        access_ids=f.access_ids,
        emails=f.emails,
        legal_entity_ids=f.legal_entity_ids,
        full_text_name=f.full_text_name,
        name_starts_with=f.name_starts_with,
        company_identifier=f.company_identifier,
        only_active=f.only_active,
        only_managers=f.only_managers,
        updated_at_gteq=f.updated_at_gteq,
        location_ids=f.location_ids,
    )
    today = utcnow().date()
    return list_response(ctx.version, EMP, page, [schemas.employee_out(r[0], today) for r in page.rows])


@router.get(
    f"/{EMP}/{{id}}",
    tags=["employees"],
    summary="Get an employee",
    description="One employee of the company.",
    responses=doc_one(schemas.EmployeeOut),
)
def get_employee(ctx: Ctx, id: ItemId) -> Response:
    employee = service.get_employee(ctx.session, company_id=ctx.company_id, employee_id=path_id(id))
    return object_response(ctx.version, EMP, schemas.employee_out(employee, utcnow().date()))


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
