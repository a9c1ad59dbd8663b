"""Legal entities and employees, served by the generic list/get (``db/resources.py``).

``api_public/credentials`` is not a resource: it describes the request's own credential (one item made
from the principal, no table to list), so it stays a hand-written route.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import exists, or_, select

from expensehub.companies import schemas
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
    own_company,
    per_row,
    text_search,
)
from expensehub.db.sql import prefix_pattern
from expensehub.kit.ids import IdIn
from expensehub.models import Employee, LegalEntity

# --- legal entities -----------------------------------------------------------------------------

# "The entity employs one of the company's employees", built once; ``employees_ids[]`` adds which.
_EMPLOYS = exists().where(Employee.legal_entity_id == LegalEntity.id, Employee.company_id == COMPANY)

LEGAL_ENTITIES: Resource[schemas.LegalEntityOut] = Resource(
    key="companies/legal_entities",
    noun="legal entity",
    tag="companies",
    select=select(LegalEntity).where(LegalEntity.company_id == COMPANY),
    id_column=LegalEntity.id,
    view=per_row(lambda row: schemas.legal_entity_out(row[0])),
    out=schemas.LegalEntityOut,
    list_doc=Doc("List legal entities", "The company's legal entities, in ascending id order."),
    get_doc=Doc("Get a legal entity", "One legal entity of the company."),
    filters=(
        any_of("ids", LegalEntity.id, "Only these legal entity ids"),
        Filter(
            "employees_ids[]",
            list[IdIn],
            "Only entities employing these employees",
            where=lambda ids, _s: _EMPLOYS.where(Employee.id.in_(ids)),
        ),
        own_company("companies_ids[]", "Only entities of these companies (yours or nothing)"),
        Filter(
            "country_ids[]",
            list[str],
            "Only entities in these countries (codes such as `es`)",
            where=lambda codes, _s: LegalEntity.country.in_([c.lower() for c in codes]),
        ),
    ),
)


# --- employees ----------------------------------------------------------------------------------


def _name_starts_with(text: str, _scope: Scope) -> Clause | None:
    if not text:
        return None
    pattern = prefix_pattern(text)
    return or_(
        Employee.first_name.ilike(pattern, escape="\\"), Employee.last_name.ilike(pattern, escape="\\")
    )


def _employee_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.EmployeeOut]:
    return [schemas.employee_out(row[0], scope.today) for row in rows]


EMPLOYEES: Resource[schemas.EmployeeOut] = Resource(
    key="employees/employees",
    noun="employee",
    tag="employees",
    select=select(Employee).where(Employee.company_id == COMPANY),
    id_column=Employee.id,
    view=_employee_views,
    out=schemas.EmployeeOut,
    list_doc=Doc("List employees", "The company's employees, in ascending id order."),
    get_doc=Doc("Get an employee", "One employee of the company."),
    filters=(
        any_of("ids", Employee.id, "Only these employee ids"),
        any_of("access_ids", Employee.access_id, "Only these access ids"),
        any_of("emails", Employee.email, "Only these e-mails", list[str]),
        text_search(
            "Case-insensitive match anywhere in the full name",
            Employee.first_name + " " + Employee.last_name,
            name="full_text_name",
        ),
        Filter(
            "updated_at_gteq",
            date,
            "Updated on or after this date (time ignored)",
            # A date (the time part is ignored, as Factorial documents): from midnight UTC on.
            where=lambda day, _s: Employee.updated_at >= datetime.combine(day, time(0), tzinfo=UTC),
        ),
        any_of("legal_entity_ids", Employee.legal_entity_id, "Only employees of these legal entities"),
        equals("company_identifier", Employee.company_identifier, "Exact company identifier", str),
        Filter(
            "only_active",
            bool,
            "Only employees not terminated (false has no effect)",
            where=lambda yes, _s: Employee.terminated_on.is_(None) if yes else None,
        ),
        accepted("team_ids[]", list[IdIn], "Accepted for compatibility; teams are not modelled"),
        any_of("location_ids", Employee.location_id, "Only these locations"),
        Filter(
            "only_managers",
            bool,
            "Only employees who manage others",
            where=lambda yes, _s: Employee.is_manager.is_(True) if yes else None,
        ),
        Filter("name_starts_with", str, "First or last name starts with this text", where=_name_starts_with),
    ),
)
