"""HTTP endpoints of the projects domain (``project_management/projects``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import doc_list, doc_one, doc_write
from expensehub.api.responses import list_response, object_response
from expensehub.models import Project
from expensehub.projects import schemas, service

router = APIRouter()

PRJ = "project_management/projects"
TAGS: list[str | Any] = ["project_management"]


def _out(ctx: Ctx, projects: list[Project], *, minutes: bool, costs: bool) -> list[dict[str, Any]]:
    spent = (
        service.spending(ctx.session, company_id=ctx.company_id, project_ids=[p.id for p in projects])
        if costs
        else {}
    )
    return [
        schemas.project_out(
            p,
            minutes=(p.inputed_minutes or 0) if minutes else 0,
            spending=spent[p.id] if costs else None,
        )
        for p in projects
    ]


@router.get(
    f"/{PRJ}",
    tags=TAGS,
    summary="List projects",
    description="Projects in ascending id order. As in Factorial, `inputed_minutes` and the computed "
    "costs (labor, spending, total) are 0 unless `include_inputed_minutes=true` / `include_costs=true`; "
    "both flags are optional here. `name` (deprecated) matches text anywhere in the name.",
    responses=doc_list(schemas.ProjectOut),
)
def list_projects(ctx: Ctx, paging: Paging, f: Annotated[schemas.ProjectFilters, Query()]) -> Response:
    page = service.list_projects(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        name=f.name,
        name_or_code=f.name_or_code,
        updated_after=f.updated_after,
        legal_entity_id=f.legal_entity_id,
        client_ids=f.client_ids,
        no_clients=f.no_clients,
        total_currency=f.total_currency,
    )
    items = _out(
        ctx,
        [r[0] for r in page.rows],
        minutes=bool(f.include_inputed_minutes),
        costs=bool(f.include_costs),
    )
    return list_response(ctx.version, PRJ, page, items)


@router.get(
    f"/{PRJ}/{{id}}",
    tags=TAGS,
    summary="Get a project",
    description="One project of the company, rendered as in the list: `inputed_minutes` and the computed "
    "costs are 0 unless `include_inputed_minutes=true` / `include_costs=true` (expensehub extension: "
    "Factorial's GET by id takes no parameters).",
    responses=doc_one(schemas.ProjectOut),
)
def get_project(ctx: Ctx, id: ItemId, f: Annotated[schemas.ProjectComputed, Query()]) -> Response:
    project = service.get_project(ctx.session, company_id=ctx.company_id, project_id=path_id(id))
    item = _out(ctx, [project], minutes=bool(f.include_inputed_minutes), costs=bool(f.include_costs))[0]
    return object_response(ctx.version, PRJ, item)


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
    return object_response(ctx.version, PRJ, _out(ctx, [project], minutes=False, costs=False)[0], 201)
