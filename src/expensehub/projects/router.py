"""HTTP endpoints of the projects domain (``project_management/projects``)."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, path_id, same_id, sent_fields
from expensehub.api.openapi import BARE, doc_write
from expensehub.api.resources import mount, written
from expensehub.projects import resources, schemas, service
from expensehub.sync import service as mirrors

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


@router.put(
    f"/{PRJ}/{{id}}",
    tags=TAGS,
    summary="Update a project",
    description="Changes only the keys sent (`name` is required, as in Factorial); null clears `code`, "
    "`description`, the dates or the client. `code` stays unique among the company's projects (409 "
    "`duplicate_code`).",
    responses=doc_write(schemas.ProjectOut),
)
def update_project(ctx: Ctx, id: ItemId, body: schemas.ProjectUpdate) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=PRJ, local_id=path_id(id))
    project = service.update_project(
        ctx.session,
        company_id=ctx.company_id,
        project_id=same_id(id, body.id),
        changes=sent_fields(body, schemas.UPDATE_FIELDS),
    )
    return written(ctx, resources.PROJECTS, project)


def _status_action(name: str, status: str, summary: str) -> None:
    def action(ctx: Ctx, body: schemas.ProjectId) -> Response:
        mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=PRJ, local_id=body.id)
        project = service.change_status(
            ctx.session, company_id=ctx.company_id, project_id=body.id, status=status
        )
        return written(ctx, resources.PROJECTS, project, bare=True)

    router.post(
        f"/{PRJ}/{name}",
        tags=TAGS,
        summary=summary,
        description=f"Sets the status to `{status}`; 409 `status_unchanged` when it already is.",
        responses=doc_write(schemas.ProjectOut),
        name=f"{name}_project",
        openapi_extra=BARE,
    )(action)


_status_action("activate", "active", "Activate a project")
_status_action("close", "closed", "Close a project")


@router.post(
    f"/{PRJ}/change_status",
    tags=TAGS,
    summary="Change a project's status",
    description="`active`, `closed` or `draft`; 409 `status_unchanged` when it already has that status.",
    responses=doc_write(schemas.ProjectOut),
    openapi_extra=BARE,
)
def change_project_status(ctx: Ctx, body: schemas.ProjectStatusChange) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=PRJ, local_id=body.id)
    project = service.change_status(
        ctx.session, company_id=ctx.company_id, project_id=body.id, status=body.status
    )
    return written(ctx, resources.PROJECTS, project, bare=True)


@router.post(
    f"/{PRJ}/change_assignment",
    tags=TAGS,
    summary="Change who works on a project",
    description="Deprecated by Factorial. `manual` (hand-picked members) or `company` (everyone); 409 "
    "`assignment_unchanged` when the project already has it.",
    responses=doc_write(schemas.ProjectOut),
    openapi_extra=BARE,
    deprecated=True,
)
def change_project_assignment(ctx: Ctx, body: schemas.ProjectAssignmentChange) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=PRJ, local_id=body.id)
    project = service.change_assignment(
        ctx.session, company_id=ctx.company_id, project_id=body.id, assignment=body.employees_assignment
    )
    return written(ctx, resources.PROJECTS, project, bare=True)


@router.post(
    f"/{PRJ}/soft_delete",
    tags=TAGS,
    summary="Delete a project",
    description="Soft delete: returns the project; it is then not listed or found, and no new expense can "
    "be booked to it. Expenses already booked to it keep it, and its code can be used again. Of several "
    "requests deleting the same project at once, one succeeds and the others get 404.",
    responses=doc_write(schemas.ProjectOut),
    openapi_extra=BARE,
)
def soft_delete_project(ctx: Ctx, body: schemas.ProjectId) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=PRJ, local_id=body.id)
    project = service.soft_delete(ctx.session, company_id=ctx.company_id, project_id=body.id)
    return written(ctx, resources.PROJECTS, project, bare=True)


@router.delete(
    f"/{PRJ}/{{id}}",
    tags=TAGS,
    summary="Delete a project (as DELETE)",
    description="The same soft delete as `soft_delete`, as API 2026-04-01 spells it (and the community "
    "`factorialhr` client calls it). Of several requests deleting the same project at once, one succeeds "
    "and the others get 404.",
    responses=doc_write(schemas.ProjectOut),
    openapi_extra=BARE,
)
def delete_project(ctx: Ctx, id: ItemId) -> Response:
    mirrors.refuse_if_mirrored(ctx.session, company_id=ctx.company_id, resource=PRJ, local_id=path_id(id))
    project = service.soft_delete(ctx.session, company_id=ctx.company_id, project_id=path_id(id))
    return written(ctx, resources.PROJECTS, project, bare=True)
