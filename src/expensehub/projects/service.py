"""Use cases of projects: create, read, list, and the cost figures Factorial computes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from expensehub.companies import service as companies
from expensehub.errors import Conflict, NotFound, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS, is_currency
from expensehub.kit.pagination import Page, PageRequest
from expensehub.models import Project
from expensehub.projects import repository

STATUSES = ("active", "closed", "draft", "processing")
ASSIGNMENTS = ("manual", "company")


def create_project(
    session: Session,
    *,
    company_id: int,
    name: str,
    code: str | None = None,
    description: str | None = None,
    start_date: date | None = None,
    due_date: date | None = None,
    status: str = "active",
    employees_assignment: str = "manual",
    is_billable: bool = False,
    legal_entity_id: int | None = None,
    fixed_cost_cents: int | None = None,
    client_id: int | None = None,
    inputed_minutes: int | None = None,
) -> Project:
    """A project of a legal entity (by default the company's first); ``code`` is unique (409)."""
    name = name.strip()
    code = None if code is None else code.strip()
    fields: dict[str, list[str]] = {}
    if not (0 < len(name) <= 200):
        fields["name"] = ["must be 1 to 200 characters"]
    if code is not None and not (0 < len(code) <= 64):
        fields["code"] = ["must be 1 to 64 characters"]
    if status not in STATUSES:
        fields["status"] = [f"must be one of {', '.join(STATUSES)}"]
    if employees_assignment not in ASSIGNMENTS:
        fields["employees_assignment"] = ["must be manual or company"]
    if start_date is not None and due_date is not None and due_date < start_date:
        fields["due_date"] = ["must be on or after start_date"]
    if fixed_cost_cents is not None and not (0 <= fixed_cost_cents <= MAX_MINOR_UNITS):
        fields["fixed_cost_cents"] = [f"must be between 0 and {MAX_MINOR_UNITS}"]
    if inputed_minutes is not None and inputed_minutes < 0:
        fields["inputed_minutes"] = ["must not be negative"]
    if fields:
        raise ValidationFailed("invalid project", fields=fields)
    if legal_entity_id is None:
        legal_entity_id = repository.first_legal_entity_id(session, company_id=company_id)
        if legal_entity_id is None:
            raise ValidationFailed(
                "the company has no legal entity",
                fields={"legal_entity_id": ["is required: the company has no legal entity"]},
            )
    else:
        companies.get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)
    if code is not None and repository.project_code_taken(session, company_id=company_id, code=code):
        raise Conflict(f"a project with code {code!r} exists", code="duplicate_code")
    now = utcnow()
    project = Project(
        company_id=company_id,
        legal_entity_id=legal_entity_id,
        name=name,
        code=code,
        description=description,
        status=status,
        employees_assignment=employees_assignment,
        is_billable=is_billable,
        start_date=start_date,
        due_date=due_date,
        client_id=client_id,
        inputed_minutes=inputed_minutes,
        fixed_cost_cents=fixed_cost_cents,
        created_at=now,
        updated_at=now,
    )
    return repository.add_or_conflict(session, project)


def get_project(session: Session, *, company_id: int, project_id: int) -> Project:
    project = repository.get_project(session, company_id=company_id, project_id=project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def list_projects(
    session: Session,
    *,
    company_id: int,
    page: PageRequest,
    ids: Sequence[int] | None = None,
    name: str | None = None,
    name_or_code: str | None = None,
    updated_after: date | None = None,
    legal_entity_id: int | None = None,
    client_ids: Sequence[int] | None = None,
    no_clients: bool | None = None,
    total_currency: str | None = None,
) -> Page:
    if total_currency is not None and not is_currency(total_currency):
        raise ValidationFailed(
            "invalid filter", fields={"total_currency": ["must be an ISO 4217 currency code, e.g. EUR"]}
        )
    stmt = repository.projects_query(
        company_id=company_id,
        ids=ids,
        name=name,
        name_or_code=name_or_code,
        updated_after=updated_after,
        legal_entity_id=legal_entity_id,
        client_ids=client_ids,
        no_clients=no_clients,
        total_currency=total_currency,
    )
    return repository.page_projects(session, stmt, page)


def spending(session: Session, *, company_id: int, project_ids: Sequence[int]) -> dict[int, int]:
    """``{project id: spending_cost_cents}`` for a page of projects, in one grouped query."""
    found = repository.spending_by_project(session, company_id=company_id, project_ids=project_ids)
    return {pid: found.get(pid, 0) for pid in project_ids}
