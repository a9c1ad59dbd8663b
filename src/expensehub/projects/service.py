"""Use cases of projects: create, update, status actions, soft delete (reads are ``resources.PROJECTS``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from expensehub.companies import service as companies
from expensehub.db.resources import get_object
from expensehub.errors import Conflict, InvalidState, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS
from expensehub.models import Project
from expensehub.projects import repository, resources

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
    _validate(
        name=name,
        code=code,
        status=status,
        employees_assignment=employees_assignment,
        start_date=start_date,
        due_date=due_date,
        fixed_cost_cents=fixed_cost_cents,
        inputed_minutes=inputed_minutes,
    )
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


def _validate(
    *,
    name: str,
    code: str | None,
    status: str,
    employees_assignment: str,
    start_date: date | None,
    due_date: date | None,
    fixed_cost_cents: int | None,
    inputed_minutes: int | None,
) -> None:
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


def _locked(session: Session, company_id: int, project_id: int) -> Project:
    return get_object(
        session, resources.PROJECTS, Project, company_id=company_id, item_id=project_id, lock=True
    )


def update_project(
    session: Session, *, company_id: int, project_id: int, changes: Mapping[str, Any]
) -> Project:
    """Change the given fields (``PUT``); null clears an optional one. The code stays unique (409)."""
    project = _locked(session, company_id, project_id)
    values = {name: getattr(project, name) for name in UPDATABLE} | dict(changes)
    if isinstance(values["name"], str):
        values["name"] = values["name"].strip()
    if isinstance(values["code"], str):
        values["code"] = values["code"].strip()
    _validate(
        name=values["name"] or "",
        code=values["code"],
        status=project.status,
        employees_assignment=project.employees_assignment,
        start_date=values["start_date"],
        due_date=values["due_date"],
        fixed_cost_cents=None,
        inputed_minutes=None,
    )
    if values["legal_entity_id"] is None:
        raise ValidationFailed("invalid project", fields={"legal_entity_id": ["cannot be null"]})
    if values["legal_entity_id"] != project.legal_entity_id:
        companies.get_legal_entity(session, company_id=company_id, legal_entity_id=values["legal_entity_id"])
    code = values["code"]
    changed = code is not None and code != project.code
    if changed and repository.project_code_taken(
        session, company_id=company_id, code=code, exclude_id=project.id
    ):
        raise Conflict(f"a project with code {code!r} exists", code="duplicate_code")
    for name in UPDATABLE:
        setattr(project, name, values[name])
    project.updated_at = utcnow()
    repository.flush_or_conflict(session)
    return project


UPDATABLE = ("name", "code", "description", "start_date", "due_date", "client_id", "legal_entity_id")
"""The fields ``PUT`` changes (Factorial's update body)."""


def change_status(session: Session, *, company_id: int, project_id: int, status: str) -> Project:
    """Move the project to ``status`` (``active``, ``closed`` or ``draft``); 409 ``status_unchanged``
    when it is already there, so that of concurrent identical requests one changes it."""
    if status not in ("active", "closed", "draft"):
        raise ValidationFailed("invalid status", fields={"status": ["must be one of active, closed, draft"]})
    project = _locked(session, company_id, project_id)
    if project.status == status:
        raise InvalidState(
            f"project {project.id} is already {status}",
            code="status_unchanged",
            details={"resource": "project", "id": project.id, "status": project.status},
        )
    project.status = status
    project.updated_at = utcnow()
    session.flush()
    return project


def change_assignment(session: Session, *, company_id: int, project_id: int, assignment: str) -> Project:
    """Who works on the project: ``manual`` (hand-picked) or ``company`` (everyone); 409
    ``assignment_unchanged`` when it already is, so that of concurrent identical requests one changes it."""
    if assignment not in ASSIGNMENTS:
        raise ValidationFailed(
            "invalid assignment", fields={"employees_assignment": ["must be manual or company"]}
        )
    project = _locked(session, company_id, project_id)
    if project.employees_assignment == assignment:
        raise InvalidState(
            f"project {project.id} is already assigned {assignment}",
            code="assignment_unchanged",
            details={"resource": "project", "id": project.id, "status": project.status},
        )
    project.employees_assignment = assignment
    project.updated_at = utcnow()
    session.flush()
    return project


def soft_delete(session: Session, *, company_id: int, project_id: int) -> Project:
    """The project is no longer listed, found or chargeable; expenses already booked to it keep it, and
    its code can be used again. Of concurrent deletes one succeeds; the others find nothing (404)."""
    project = _locked(session, company_id, project_id)
    now = utcnow()
    project.deleted_at = now
    project.updated_at = now
    session.flush()
    return project
