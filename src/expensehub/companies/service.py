"""Use cases for companies, legal entities and employees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expensehub.companies import repository, resources
from expensehub.db.resources import get_object, views_of
from expensehub.errors import Conflict, InvalidState, NotFound, ValidationFailed
from expensehub.kit.banknumbers import bic_ok, compact_iban, iban_ok
from expensehub.kit.clock import utcnow
from expensehub.kit.countries import normalize_country
from expensehub.kit.money import is_currency
from expensehub.models import Company, Employee, LegalEntity
from expensehub.webhooks import service as webhooks


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


def _emit(
    session: Session,
    resource: Any,
    row: LegalEntity | Employee,
    event_type: str,
    author: webhooks.Author | None,
) -> None:
    """``event_type`` to subscribers, in this transaction, with the row as the REST API shows it; made by
    ``author``, else by the company itself (seeds, the command line, onboarding: no request)."""

    def payload() -> dict[str, Any]:
        return dict(views_of(session, resource, company_id=row.company_id, rows=[(row,)])[0])

    who = author if author is not None else webhooks.Author(type="company", id=row.company_id)
    webhooks.emit(session, company_id=row.company_id, event_type=event_type, payload=payload, author=who)


def _entity_fields(country: str | None, currency: str | None, legal_name: str | None) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if country is not None and normalize_country(country) is None:
        fields["country"] = ["must be an ISO 3166 two-letter country code"]
    if currency is not None and not is_currency(currency):
        fields["currency"] = ["must be an ISO 4217 currency code"]
    if legal_name is not None and not legal_name.strip():
        fields["legal_name"] = ["must not be blank"]
    return fields


def create_legal_entity(
    session: Session,
    *,
    company_id: int,
    country: str,
    legal_name: str,
    currency: str,
    author: webhooks.Author | None = None,
    **extra: object,
) -> LegalEntity:
    """A legal entity of the company, with its base currency. Fires ``companies/legal_entity/create``."""
    fields = _entity_fields(country, currency, legal_name)
    if fields:
        raise ValidationFailed("invalid legal entity", fields=fields)
    get_company(session, company_id)
    entity = LegalEntity(
        company_id=company_id,
        country=country.strip().lower(),
        legal_name=legal_name.strip(),
        currency=currency,
        created_at=utcnow(),
        **extra,
    )
    repository.add(session, entity)
    _emit(
        session,
        resources.LEGAL_ENTITIES,
        entity,
        "companies/legal_entity/create",
        author,
    )
    return entity


def update_legal_entity(
    session: Session,
    *,
    company_id: int,
    legal_entity_id: int,
    changes: Mapping[str, Any],
    author: webhooks.Author | None = None,
) -> LegalEntity:
    """Change the given fields. Country and currency are fixed once the entity is in use (employees,
    projects, bank or ledger accounts refer to it): amounts already converted into its currency would
    be wrong (409 ``legal_entity_in_use``)."""
    entity = get_object(
        session,
        resources.LEGAL_ENTITIES,
        LegalEntity,
        company_id=company_id,
        item_id=legal_entity_id,
        lock=True,
    )
    if "legal_name" in changes and changes["legal_name"] is None:
        raise ValidationFailed("invalid legal entity", fields={"legal_name": ["cannot be null"]})
    for name in ("country", "currency"):
        if name in changes and changes[name] is None:
            raise ValidationFailed("invalid legal entity", fields={name: ["cannot be null"]})
    fields = _entity_fields(changes.get("country"), changes.get("currency"), changes.get("legal_name"))
    if fields:
        raise ValidationFailed("invalid legal entity", fields=fields)
    moved = [
        name
        for name, current in (("country", entity.country), ("currency", entity.currency))
        if name in changes and str(changes[name]).strip().lower() != current.lower()
    ]
    if moved and repository.legal_entity_in_use(session, legal_entity_id=entity.id):
        raise Conflict(
            f"legal entity {entity.id} is in use: its {' and '.join(moved)} cannot change",
            code="legal_entity_in_use",
        )
    for name, value in changes.items():
        if name == "country":
            value = str(value).strip().lower()
        elif isinstance(value, str):
            value = value.strip()
        setattr(entity, name, value)
    session.flush()
    _emit(
        session,
        resources.LEGAL_ENTITIES,
        entity,
        "companies/legal_entity/update",
        author,
    )
    return entity


def get_legal_entity(session: Session, *, company_id: int, legal_entity_id: int) -> LegalEntity:
    """The legal entity of the caller's company; 404 otherwise."""
    return get_object(
        session, resources.LEGAL_ENTITIES, LegalEntity, company_id=company_id, item_id=legal_entity_id
    )


# --- employees ----------------------------------------------------------------------------------


def _email(value: str, field: str = "email") -> str:
    """An e-mail as stored: trimmed, lower case (one person, whatever the case they typed)."""
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not (at and local and "." in domain.strip(".") and not any(c.isspace() for c in email)):
        raise ValidationFailed("invalid employee", fields={field: ["is not an e-mail address"]})
    return email


def _bank_details(fields: dict[str, Any], current: Employee | None) -> None:
    """Normalise ``bank_number``/``bank_number_format``/``swift_bic`` in ``fields`` (changes), in place.

    An IBAN is stored compact and upper case and must pass its checksum (422 ``invalid_iban``); with no
    format given, a number that is a valid IBAN is ``iban``, anything else ``other``. Clearing the
    number clears its format.
    """
    if "bank_number" in fields or "bank_number_format" in fields:
        number = fields.get("bank_number", current.bank_number if current else None)
        fmt = fields.get("bank_number_format", current.bank_number_format if current else None)
        if "bank_number" in fields and "bank_number_format" not in fields:
            fmt = None  # a new number: its format is the one sent with it, else inferred
        if number is None:
            fields["bank_number"], fields["bank_number_format"] = None, None
        else:
            number = number.strip()
            if fmt is None:
                fmt = "iban" if iban_ok(compact_iban(number)) else "other"
            if fmt == "iban":
                number = compact_iban(number)
                if not iban_ok(number):
                    raise ValidationFailed(
                        "invalid IBAN",
                        fields={"bank_number": ["not a valid IBAN (checksum)"]},
                        code="invalid_iban",
                    )
            fields["bank_number"], fields["bank_number_format"] = number, fmt
    if fields.get("swift_bic") is not None:
        bic = str(fields["swift_bic"]).replace(" ", "").upper()
        if not bic_ok(bic):
            raise ValidationFailed(
                "invalid SWIFT/BIC", fields={"swift_bic": ["not a SWIFT/BIC code"]}, code="invalid_bic"
            )
        fields["swift_bic"] = bic


def _check_unique(
    session: Session, company_id: int, fields: Mapping[str, Any], exclude_id: int | None
) -> None:
    email, identifier = fields.get("email"), fields.get("company_identifier")
    other = repository.employee_with(
        session, company_id=company_id, email=email, identifier=identifier, exclude_id=exclude_id
    )
    if other is None:
        return
    if email is not None and (other.email or "").lower() == email:
        raise Conflict(f"employee {other.id} has the e-mail {email}", code="duplicate_email")
    raise Conflict(f"employee {other.id} has the identifier {identifier!r}", code="duplicate_identifier")


def _check_managers(
    session: Session, company_id: int, employee_id: int | None, fields: Mapping[str, Any]
) -> None:
    """Managers are employees of the company, and no one ends up managing themselves up the chain."""
    for name in ("manager_id", "timeoff_manager_id"):
        manager_id = fields.get(name)
        if manager_id is None:
            continue
        manager = get_employee(session, company_id=company_id, employee_id=manager_id)
        if employee_id is None:
            continue
        if name == "manager_id":
            seen: set[int] = set()
            step: int | None = manager.id
            while step is not None and step not in seen:
                if step == employee_id:
                    raise ValidationFailed(
                        "invalid manager",
                        fields={name: ["would make the employee their own manager"]},
                        code="manager_cycle",
                    )
                seen.add(step)
                step = repository.manager_of(session, employee_id=step)
        elif manager.id == employee_id:
            raise ValidationFailed(
                "invalid manager", fields={name: ["cannot be the employee"]}, code="manager_cycle"
            )


def _prepared(session: Session, company_id: int, fields: dict[str, Any], current: Employee | None) -> None:
    """Validate and normalise employee ``fields`` (a create's or an update's changes), in place."""
    for name in ("first_name", "last_name"):
        if name in fields:
            if fields[name] is None or not str(fields[name]).strip():
                raise ValidationFailed("invalid employee", fields={name: ["must not be blank"]})
            fields[name] = str(fields[name]).strip()
    if fields.get("email") is not None:
        fields["email"] = _email(fields["email"])
    if isinstance(fields.get("company_identifier"), str):
        fields["company_identifier"] = fields["company_identifier"].strip() or None
    _bank_details(fields, current)
    if fields.get("legal_entity_id") is not None:
        get_legal_entity(session, company_id=company_id, legal_entity_id=fields["legal_entity_id"])
    _check_managers(session, company_id, current.id if current else None, fields)
    _check_unique(session, company_id, fields, current.id if current else None)


def _mark_managers(session: Session, company_id: int, fields: Mapping[str, Any]) -> None:
    """Whoever becomes someone's direct manager is a manager (the ``only_managers`` filter)."""
    if fields.get("manager_id") is not None:
        get_employee(session, company_id=company_id, employee_id=fields["manager_id"]).is_manager = True


def _flush_employee(session: Session) -> None:
    """Flush; a unique index hit (a concurrent write of the same e-mail or identifier committed first)
    becomes the same 409 the check before it gives. The index's name (PostgreSQL) or its columns
    (SQLite) in the database's message tell which."""
    try:
        session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        if "email" in message:
            raise Conflict("an employee with this e-mail exists", code="duplicate_email") from exc
        if "identifier" in message:
            raise Conflict("an employee with this identifier exists", code="duplicate_identifier") from exc
        raise


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
    author: webhooks.Author | None = None,
    **extra: Any,
) -> Employee:
    """An employee with its own access (login); Factorial's ``create_with_contract``.

    The e-mail and ``company_identifier`` are unique in the company (409 ``duplicate_email`` /
    ``duplicate_identifier``). Fires ``employees/employee/create_with_contract``.
    """
    fields: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "legal_entity_id": legal_entity_id,
        "manager_id": manager_id,
        **extra,
    }
    get_company(session, company_id)
    _prepared(session, company_id, fields, None)
    access = repository.new_access(session, company_id=company_id, email=fields["email"])
    now = utcnow()
    employee = Employee(
        company_id=company_id,
        access_id=access.id,
        login_email=fields["email"],
        is_manager=is_manager,
        terminated_on=terminated_on,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(employee)
    _flush_employee(session)
    _mark_managers(session, company_id, fields)
    _emit(
        session,
        resources.EMPLOYEES,
        employee,
        "employees/employee/create_with_contract",
        author,
    )
    return employee


def update_employee(
    session: Session,
    *,
    company_id: int,
    employee_id: int,
    changes: Mapping[str, Any],
    author: webhooks.Author | None = None,
) -> Employee:
    """Change the given fields (``PUT``); null clears an optional one. Fires ``employees/employee/update``."""
    employee = get_object(
        session, resources.EMPLOYEES, Employee, company_id=company_id, item_id=employee_id, lock=True
    )
    fields = dict(changes)
    _prepared(session, company_id, fields, employee)
    for name, value in fields.items():
        setattr(employee, name, value)
    if "email" in fields:
        employee.login_email = fields["email"]
    employee.updated_at = utcnow()
    _flush_employee(session)
    _mark_managers(session, company_id, fields)
    _emit(
        session,
        resources.EMPLOYEES,
        employee,
        "employees/employee/update",
        author,
    )
    return employee


def _state_conflict(employee: Employee, message: str, code: str) -> InvalidState:
    status = "terminated" if employee.terminated_on is not None else "active"
    return InvalidState(
        message, code=code, details={"resource": "employee", "id": employee.id, "status": status}
    )


def terminate_employee(
    session: Session,
    *,
    company_id: int,
    employee_id: int,
    terminated_on: date,
    reason: str | None = None,
    assigned_manager_id: int | None = None,
    author: webhooks.Author | None = None,
) -> Employee:
    """Set the last day of employment (409 ``already_terminated`` when one is set).

    With ``assigned_manager_id``, the leaver's direct reports (and those whose time off they approve)
    move to that employee; if that employee was one of the reports, they take the leaver's own manager.
    Fires ``employees/employee/terminate``.
    """
    employee = get_object(
        session, resources.EMPLOYEES, Employee, company_id=company_id, item_id=employee_id, lock=True
    )
    if employee.terminated_on is not None:
        raise _state_conflict(
            employee,
            f"employee {employee.id} is already terminated on {employee.terminated_on}",
            "already_terminated",
        )
    if assigned_manager_id is not None:
        _reassign_reports(session, company_id, employee, assigned_manager_id)
    employee.terminated_on = terminated_on
    employee.termination_reason = reason.strip() if reason and reason.strip() else None
    employee.updated_at = utcnow()
    session.flush()
    _emit(
        session,
        resources.EMPLOYEES,
        employee,
        "employees/employee/terminate",
        author,
    )
    return employee


def _reassign_reports(session: Session, company_id: int, leaver: Employee, new_id: int) -> None:
    field = "termination_assigned_manager_id"
    if new_id == leaver.id:
        raise ValidationFailed(
            "invalid manager", fields={field: ["cannot be the leaver"]}, code="manager_cycle"
        )
    successor = get_employee(session, company_id=company_id, employee_id=new_id)
    if successor.terminated_on is not None:
        raise ValidationFailed(
            "invalid manager", fields={field: ["is terminated"]}, code="manager_terminated"
        )
    reports = repository.direct_reports(session, company_id=company_id, manager_id=leaver.id)
    if successor.manager_id != leaver.id:
        # Anyone further down the leaver's line would end up managing their own manager.
        _check_managers(session, company_id, leaver.id, {"manager_id": successor.id})
    now = utcnow()
    for report in reports:
        if report.id == successor.id:
            if report.manager_id == leaver.id:
                report.manager_id = leaver.manager_id
            if report.timeoff_manager_id == leaver.id:
                report.timeoff_manager_id = None
        else:
            if report.manager_id == leaver.id:
                report.manager_id = successor.id
            if report.timeoff_manager_id == leaver.id:
                report.timeoff_manager_id = successor.id
        report.updated_at = now
    if any(r.manager_id == successor.id for r in reports):
        successor.is_manager = True


def unterminate_employee(
    session: Session, *, company_id: int, employee_id: int, author: webhooks.Author | None = None
) -> Employee:
    """Undo a termination (409 ``not_terminated`` when none is set).

    Fires ``employees/employee/unterminate``.
    """
    employee = get_object(
        session, resources.EMPLOYEES, Employee, company_id=company_id, item_id=employee_id, lock=True
    )
    if employee.terminated_on is None:
        raise _state_conflict(employee, f"employee {employee.id} is not terminated", "not_terminated")
    employee.terminated_on = None
    employee.termination_reason = None
    employee.updated_at = utcnow()
    session.flush()
    _emit(
        session,
        resources.EMPLOYEES,
        employee,
        "employees/employee/unterminate",
        author,
    )
    return employee


def get_employee(session: Session, *, company_id: int, employee_id: int) -> Employee:
    """The employee of the caller's company; 404 otherwise."""
    return get_object(session, resources.EMPLOYEES, Employee, company_id=company_id, item_id=employee_id)


def check_employees(session: Session, *, company_id: int, ids: Sequence[int]) -> None:
    """404 naming the lowest of ``ids`` that is not an employee of the caller's company, if any."""
    missing = set(ids) - repository.existing_employee_ids(session, company_id=company_id, ids=ids)
    if missing:
        raise NotFound(f"employee {min(missing)} not found")
