"""Use cases for companies, legal entities and employees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from expensehub.companies import repository
from expensehub.errors import NotFound, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.money import is_currency
from expensehub.kit.pagination import Page, PageRequest
from expensehub.models import Company, Employee, LegalEntity


def create_company(
    session: Session, *, name: str, legal_name: str | None = None, tin: str | None = None, locale: str = "en"
) -> Company:
    """A new tenant."""
    if not name.strip():
        raise ValidationFailed("invalid company", fields={"name": ["must not be blank"]})
    return repository.add(
        session,
        Company(name=name.strip(), legal_name=legal_name, tin=tin, locale=locale, created_at=utcnow()),
    )


def get_company(session: Session, company_id: int) -> Company:
    company = repository.get_company(session, company_id)
    if company is None:
        raise NotFound(f"company {company_id} not found")
    return company


def list_companies(session: Session) -> list[Company]:
    return repository.list_companies(session)


def create_legal_entity(
    session: Session, *, company_id: int, country: str, legal_name: str, currency: str, **extra: Any
) -> LegalEntity:
    """A legal entity of the company, with its base currency."""
    fields: dict[str, list[str]] = {}
    if len(country) != 2 or not country.isalpha():
        fields["country"] = ["must be a two-letter country code"]
    if not is_currency(currency):
        fields["currency"] = ["must be an ISO 4217 currency code"]
    if not legal_name.strip():
        fields["legal_name"] = ["must not be blank"]
    if fields:
        raise ValidationFailed("invalid legal entity", fields=fields)
    get_company(session, company_id)
    entity = LegalEntity(
        company_id=company_id,
        country=country.lower(),
        legal_name=legal_name.strip(),
        currency=currency,
        created_at=utcnow(),
        **extra,
    )
    return repository.add(session, entity)


def get_legal_entity(session: Session, *, company_id: int, legal_entity_id: int) -> LegalEntity:
    entity = repository.get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)
    if entity is None:
        raise NotFound(f"legal entity {legal_entity_id} not found")
    return entity


def list_legal_entities(
    session: Session,
    *,
    company_id: int,
    page: PageRequest,
    ids: Sequence[int] | None = None,
    employee_ids: Sequence[int] | None = None,
    company_ids: Sequence[int] | None = None,
    country_codes: Sequence[str] | None = None,
) -> Page:
    if company_ids is not None and company_id not in company_ids:
        ids = []
    stmt = repository.legal_entities_query(
        company_id=company_id, ids=ids, employee_ids=employee_ids, country_codes=country_codes
    )
    return repository.page_legal_entities(session, stmt, page)


def create_employee(
    session: Session,
    *,
    company_id: int,
    first_name: str,
    last_name: str,
    email: str | None = None,
    legal_entity_id: int | None = None,
    manager_id: int | None = None,
    is_manager: bool = False,
    terminated_on: date | None = None,
    **extra: Any,
) -> Employee:
    """An employee with its own access (login)."""
    if legal_entity_id is not None:
        get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)
    if manager_id is not None:
        get_employee(session, company_id=company_id, employee_id=manager_id)
    access = repository.new_access(session, company_id=company_id, email=email)
    now = utcnow()
    employee = Employee(
        company_id=company_id,
        access_id=access.id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        login_email=email,
        legal_entity_id=legal_entity_id,
        manager_id=manager_id,
        is_manager=is_manager,
        terminated_on=terminated_on,
        created_at=now,
        updated_at=now,
        **extra,
    )
    return repository.add(session, employee)


def get_employee(session: Session, *, company_id: int, employee_id: int) -> Employee:
    employee = repository.get_employee(session, company_id=company_id, employee_id=employee_id)
    if employee is None:
        raise NotFound(f"employee {employee_id} not found")
    return employee


def list_employees(session: Session, *, company_id: int, page: PageRequest, **filters: Any) -> Page:
    stmt = repository.employees_query(company_id=company_id, **filters)
    return repository.page_employees(session, stmt, page)
