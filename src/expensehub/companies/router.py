"""``companies/legal_entities``, ``employees/employees`` and ``api_public/credentials``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx
from expensehub.api.openapi import doc_list
from expensehub.api.resources import mount
from expensehub.api.responses import list_response
from expensehub.companies import resources, schemas, service
from expensehub.kit.pagination import Page

router = APIRouter()

CRED = "api_public/credentials"


mount(router, resources.LEGAL_ENTITIES)
mount(router, resources.EMPLOYEES)


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
