"""Wire shapes of ``project_management/projects``.

``ProjectOut`` (``kit/shapes.py``) is both the typed view ``project_out`` builds (integer ids; the
version registry renders them) and the OpenAPI component documenting it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, cast

from pydantic import Field

from expensehub.kit.bodies import WriteBody
from expensehub.kit.clock import format_date
from expensehub.kit.ids import IdIn
from expensehub.kit.money import MAX_MINOR_UNITS
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models import Project

ProjectStatus = Literal["active", "closed", "draft", "processing"]
EmployeesAssignment = Literal["manual", "company"]


class ProjectOut(TypedDict):
    """A project expenses are booked to (``project_management/projects``)."""

    id: Annotated[IdOut, Field(description="Project id")]
    name: Annotated[str, Field(description="Name of the project")]
    status: Annotated[
        ProjectStatus, Field(description="Lifecycle status: `active`, `closed`, `draft` or `processing`")
    ]
    employees_assignment: Annotated[
        EmployeesAssignment,
        Field(description="`manual` (hand-picked members) or `company` (everyone in the company)"),
    ]
    is_billable: Annotated[bool, Field(description="Whether the project's costs can be billed to a client")]
    legal_entity_id: Annotated[
        IdOut, Field(description="Legal entity of the project; its currency is the costs' currency")
    ]
    code: Annotated[str | None, Field(description="Code, unique in the company")]
    description: Annotated[str | None, Field(description="Description")]
    start_date: Annotated[str | None, Field(description="Start date (YYYY-MM-DD)")]
    due_date: Annotated[str | None, Field(description="Due date (YYYY-MM-DD)")]
    inputed_minutes: Annotated[
        int, Field(description="Minutes tracked on the project; 0 unless `include_inputed_minutes=true`")
    ]
    client_id: Annotated[IdOut | None, Field(description="Client of the project (a finance/contacts id)")]
    fixed_cost_cents: Annotated[
        int | None, Field(description="Fixed costs, minor units of the entity currency")
    ]
    labor_cost_cents: Annotated[
        int, Field(description="Labor costs (no time tracking here: 0); 0 unless `include_costs=true`")
    ]
    spending_cost_cents: Annotated[
        int,
        Field(
            description="Approved or paid expenses booked to the project, in the entity currency; 0 "
            "unless `include_costs=true`"
        ),
    ]
    total_cost_cents: Annotated[
        int, Field(description="Fixed + labor + spending; 0 unless `include_costs=true`")
    ]


def project_out(p: Project, *, minutes: int, spending: int | None) -> ProjectOut:
    """``spending`` is None when costs were not asked for: the computed costs are then 0, like Factorial."""
    fixed = p.fixed_cost_cents
    return {
        "id": p.id,
        "name": p.name,
        "status": cast(ProjectStatus, p.status),
        "employees_assignment": cast(EmployeesAssignment, p.employees_assignment),
        "is_billable": p.is_billable,
        "legal_entity_id": p.legal_entity_id,
        "code": p.code,
        "description": p.description,
        "start_date": format_date(p.start_date),
        "due_date": format_date(p.due_date),
        "inputed_minutes": minutes,
        "client_id": p.client_id,
        "fixed_cost_cents": fixed,
        "labor_cost_cents": 0,
        "spending_cost_cents": spending or 0,
        "total_cost_cents": 0 if spending is None else (fixed or 0) + spending,
    }


class ProjectCreate(WriteBody):
    """Body of ``POST project_management/projects``."""

    name: str = Field(min_length=1, max_length=200, description="Name of the project")
    code: str | None = Field(None, min_length=1, max_length=64, description="Code, unique in the company")
    description: str | None = Field(None, max_length=10_000, description="Description")
    start_date: date | None = Field(None, description="Start date (YYYY-MM-DD)")
    due_date: date | None = Field(None, description="Due date (YYYY-MM-DD), on or after the start date")
    status: Literal["active", "closed"] | None = Field(None, description="`active` (default) or `closed`")
    employees_assignment: EmployeesAssignment | None = Field(
        None, description="`manual` (default) or `company`"
    )
    is_billable: bool | None = Field(
        None, description="Whether costs can be billed to a client (default false)"
    )
    legal_entity_id: IdIn | None = Field(
        None, description="Legal entity of your company (default: the company's first legal entity)"
    )
    fixed_cost_cents: int | None = Field(
        None, ge=0, le=MAX_MINOR_UNITS, description="Fixed cost in minor units of the entity currency"
    )
    client_id: IdIn | None = Field(None, description="Client (a finance/contacts id)")


class ProjectUpdate(WriteBody):
    """Body of ``PUT project_management/projects/{id}``: only the keys sent change; null clears."""

    id: IdIn | None = Field(None, description="The project's id: when sent, the same as the path's")
    name: str = Field(min_length=1, max_length=200, description="Name of the project")
    code: str | None = Field(None, min_length=1, max_length=64, description="Code, unique in the company")
    description: str | None = Field(None, max_length=10_000, description="Description")
    start_date: date | None = Field(None, description="Start date (YYYY-MM-DD)")
    due_date: date | None = Field(None, description="Due date (YYYY-MM-DD), on or after the start date")
    client_id: IdIn | None = Field(None, description="Client (a finance/contacts id)")
    legal_entity_id: IdIn | None = Field(None, description="Legal entity of your company (cannot be null)")


UPDATE_FIELDS = tuple(name for name in ProjectUpdate.model_fields if name != "id")


class ProjectId(WriteBody):
    """Body of the project actions ``activate``, ``close`` and ``soft_delete``."""

    id: IdIn = Field(description="The project")


class ProjectStatusChange(ProjectId):
    """Body of ``POST project_management/projects/change_status``."""

    status: Literal["active", "closed", "draft"] = Field(description="The new status")


class ProjectAssignmentChange(ProjectId):
    """Body of ``POST project_management/projects/change_assignment`` (deprecated by Factorial)."""

    employees_assignment: EmployeesAssignment = Field(description="`manual` or `company`")
