"""The projects resource served by the generic list/get (``db/resources.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select

from expensehub.db.resources import (
    COMPANY,
    Clause,
    Doc,
    Filter,
    Resource,
    Scope,
    accepted,
    any_of,
    equals,
    text_search,
)
from expensehub.errors import ValidationFailed
from expensehub.kit.money import is_currency
from expensehub.models import LegalEntity, Project
from expensehub.projects import repository, schemas

# The legal entities of the caller's company, built once; a currency filter adds its condition.
_ENTITIES = select(LegalEntity.id).where(LegalEntity.company_id == COMPANY)


def _total_currency(currency: str, _scope: Scope) -> Clause:
    if not is_currency(currency):
        raise ValidationFailed(
            "invalid filter", fields={"total_currency": ["must be an ISO 4217 currency code, e.g. EUR"]}
        )
    return Project.legal_entity_id.in_(_ENTITIES.where(LegalEntity.currency == currency))


def _project_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.ProjectOut]:
    """As in Factorial, the tracked minutes and the computed costs are 0 unless asked for
    (``include_inputed_minutes``, ``include_costs``); the spending of a page is one grouped query."""
    projects: list[Project] = [row[0] for row in rows]
    minutes = bool(scope.values.get("include_inputed_minutes"))
    costs = bool(scope.values.get("include_costs"))
    spent: dict[int, int] = {}
    if costs:
        spent = repository.spending_by_project(
            scope.session, company_id=scope.company_id, project_ids=[p.id for p in projects]
        )
    return [
        schemas.project_out(
            p,
            minutes=(p.inputed_minutes or 0) if minutes else 0,
            spending=spent.get(p.id, 0) if costs else None,
        )
        for p in projects
    ]


PROJECTS: Resource[schemas.ProjectOut] = Resource(
    key="project_management/projects",
    noun="project",
    tag="project_management",
    select=select(Project).where(Project.company_id == COMPANY, Project.deleted_at.is_(None)),
    id_column=Project.id,
    view=_project_views,
    out=schemas.ProjectOut,
    list_doc=Doc(
        "List projects",
        "Projects in ascending id order. As in Factorial, `inputed_minutes` and the computed "
        "costs (labor, spending, total) are 0 unless `include_inputed_minutes=true` / `include_costs=true`; "
        "both flags are optional here. `name` (deprecated) matches text anywhere in the name.",
    ),
    get_doc=Doc(
        "Get a project",
        "One project of the company, rendered as in the list: `inputed_minutes` and the computed "
        "costs are 0 unless `include_inputed_minutes=true` / `include_costs=true` (expensehub extension: "
        "Factorial's GET by id takes no parameters).",
    ),
    filters=(
        any_of("ids", Project.id, "Only these project ids"),
        text_search(
            "Deprecated by Factorial: case-insensitive text found in the name", Project.name, name="name"
        ),
        text_search(
            "Case-insensitive text found in the name or the code",
            Project.name,
            Project.code,
            name="name_or_code",
        ),
        accepted(
            "include_inputed_minutes",
            bool,
            "Return the tracked minutes (else 0). Required in Factorial's spec; optional here",
        ),
        accepted("include_costs", bool, "Compute labor, spending and total costs (else 0)"),
        Filter(
            "updated_after",
            date,
            "Only projects created or updated on or after this date",
            where=lambda day, _s: Project.updated_at >= datetime.combine(day, time(0), tzinfo=UTC),
        ),
        equals("legal_entity_id", Project.legal_entity_id, "Only projects of this legal entity"),
        any_of("client_ids", Project.client_id, "Only projects of these clients"),
        Filter(
            "no_clients",
            bool,
            "`true`: only projects without a client",
            where=lambda yes, _s: Project.client_id.is_(None) if yes else None,
        ),
        Filter(
            "total_currency",
            Annotated[str, Field(min_length=3, max_length=3)],
            "Only projects whose costs are in this ISO 4217 currency (their legal entity's)",
            where=_total_currency,
        ),
    ),
    get_filters=(
        accepted(
            "include_inputed_minutes",
            bool,
            "Return the tracked minutes (else 0, like the list without this flag)",
        ),
        accepted("include_costs", bool, "Compute labor, spending and total costs (else 0)"),
    ),
)
