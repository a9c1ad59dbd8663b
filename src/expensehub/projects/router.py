"""HTTP endpoints of the projects domain (``project_management/projects``)."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount, written
from expensehub.projects import resources, schemas, service

router = APIRouter()

PRJ = "project_management/projects"
TAGS: list[str | Enum] = ["project_management"]


mount(router, resources.PROJECTS)


@router.post(
    f"/{PRJ}",
    tags=TAGS,
    status_code=201,
    summary="Create a project",
    description="Status defaults to `active`, assignment to `manual`, the legal entity to the company's "
    "first. `code` is unique in the company (409 `duplicate_code`). Team fields (`project_admins`...) "
    "and budget fields are accepted and ignored.",
    responses=doc_write(schemas.ProjectOut, 201),
)
def create_project(ctx: Ctx, body: schemas.ProjectCreate) -> Response:
    project = service.create_project(
        ctx.session,
        company_id=ctx.company_id,
        name=body.name,
        code=body.code,
        description=body.description,
        start_date=body.start_date,
        due_date=body.due_date,
        status=body.status or "active",
        employees_assignment=body.employees_assignment or "manual",
        is_billable=bool(body.is_billable),
        legal_entity_id=body.legal_entity_id,
        fixed_cost_cents=body.fixed_cost_cents,
        client_id=body.client_id,
    )
    return written(ctx, resources.PROJECTS, project, 201)
