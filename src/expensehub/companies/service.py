"""Use cases for companies, legal entities and employees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from expensehub.companies import repository, resources
from expensehub.db.resources import get_object
from expensehub.errors import NotFound, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.money import is_currency
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
    session: Session, *, company_id: int, country: str, legal_name: str, currency: str, **extra: object
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
    """The legal entity of the caller's company; 404 otherwise."""
    return get_object(
        session, resources.LEGAL_ENTITIES, LegalEntity, company_id=company_id, item_id=legal_entity_id
    )


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
    **extra: object,
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
    """The employee of the caller's company; 404 otherwise."""
    return get_object(session, resources.EMPLOYEES, Employee, company_id=company_id, item_id=employee_id)


def check_employees(session: Session, *, company_id: int, ids: Sequence[int]) -> None:
    """404 naming the lowest of ``ids`` that is not an employee of the caller's company, if any."""
    missing = set(ids) - repository.existing_employee_ids(session, company_id=company_id, ids=ids)
    if missing:
        raise NotFound(f"employee {min(missing)} not found")
