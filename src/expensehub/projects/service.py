"""Use cases of projects: create and read (the list and the get are ``resources.PROJECTS``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from expensehub.companies import service as companies
from expensehub.errors import Conflict, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS
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
