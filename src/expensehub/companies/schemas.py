"""Wire shapes of legal entities, employees and credentials.

Each ``*Out`` shape (``kit/shapes.py``) is both the typed view the ``*_out`` functions build (integer
ids; the version registry renders them) and the OpenAPI component documenting it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, WithJsonSchema

from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import TextId
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models import Company, Employee, LegalEntity

DateOut = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
"""A date sent as ``YYYY-MM-DD`` text, documented with the JSON schema ``date`` format."""


class LegalEntityOut(TypedDict):
    """A legal entity (``companies/legal_entities``)."""

    id: Annotated[IdOut, Field(description="Legal entity id")]
    company_id: Annotated[IdOut, Field(description="Company the legal entity belongs to")]
    country: Annotated[str, Field(description="Lowercase ISO 3166 two-letter country code, e.g. `es`")]
    legal_name: Annotated[str, Field(description="Registered legal name")]
    currency: Annotated[
        str, Field(description="Base currency of the entity (ISO 4217); expenses convert into it")
    ]
    tin: Annotated[str | None, Field(description="Tax identification number")]
    siret: Annotated[str | None, Field(description="French SIRET number, when the entity has one")]
    city: Annotated[str | None, Field(description="City of the registered address")]
    state: Annotated[str | None, Field(description="State or province of the registered address")]
    postal_code: Annotated[str | None, Field(description="Postal code of the registered address")]
    address_line_1: Annotated[str | None, Field(description="First line of the registered address")]
    address_line_2: Annotated[str | None, Field(description="Second line of the registered address")]


def legal_entity_out(e: LegalEntity) -> LegalEntityOut:
    return {
        "id": e.id,
        "company_id": e.company_id,
        "country": e.country,
        "legal_name": e.legal_name,
        "currency": e.currency,
        "tin": e.tin,
        "siret": None,
        "city": e.city,
        "state": e.state,
        "postal_code": e.postal_code,
        "address_line_1": e.address_line_1,
        "address_line_2": e.address_line_2,
    }


class EmployeeOut(TypedDict):
    """An employee (``employees/employees``), the fields expenses need."""

    id: Annotated[IdOut, Field(description="Employee id")]
    access_id: Annotated[
        IdOut, Field(description="Id of the employee's access (login); documents and approvals use it")
    ]
    first_name: Annotated[str, Field(description="First name")]
    last_name: Annotated[str, Field(description="Last name")]
    full_name: Annotated[str, Field(description="First and last name")]
    preferred_name: Annotated[str | None, Field(description="Name the employee prefers to be called")]
    company_id: Annotated[IdOut, Field(description="Company the employee belongs to")]
    legal_entity_id: Annotated[IdOut | None, Field(description="Legal entity that employs the employee")]
    location_id: Annotated[
        IdOut | None,
        Field(
            description="Work location id. Locations are not modelled: it defaults to the legal entity's "
            "id (its main office)"
        ),
    ]
    manager_id: Annotated[IdOut | None, Field(description="Employee id of the direct manager")]
    timeoff_manager_id: Annotated[IdOut | None, Field(description="Employee id of the time-off manager")]
    email: Annotated[str | None, Field(description="Company communications e-mail")]
    login_email: Annotated[str | None, Field(description="E-mail used to log in")]
    company_identifier: Annotated[str | None, Field(description="Company-assigned employee identifier")]
    phone_number: Annotated[str | None, Field(description="Phone number")]
    birthday_on: Annotated[DateOut | None, Field(description="Birthday (YYYY-MM-DD)")]
    terminated_on: Annotated[
        DateOut | None, Field(description="Termination date (YYYY-MM-DD), when terminated")
    ]
    active: Annotated[bool, Field(description="False once terminated")]
    is_terminating: Annotated[bool, Field(description="True when a termination date is set in the future")]
    attendable: Annotated[bool, Field(description="Whether the employee tracks attendance")]
    bank_number: Annotated[str | None, Field(description="Bank account number for reimbursements")]
    bank_number_format: Annotated[str | None, Field(description="Format of `bank_number`, e.g. `iban`")]
    swift_bic: Annotated[str | None, Field(description="SWIFT/BIC of the employee's bank")]
    created_at: Annotated[str, Field(description="Creation time, ISO 8601 UTC with milliseconds")]
    updated_at: Annotated[str, Field(description="Last update time, ISO 8601 UTC with milliseconds")]


def employee_out(e: Employee, today: date) -> EmployeeOut:
    terminated = e.terminated_on
    return {
        "id": e.id,
        "access_id": e.access_id,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "full_name": f"{e.first_name} {e.last_name}",
        "preferred_name": e.preferred_name,
        "company_id": e.company_id,
        "legal_entity_id": e.legal_entity_id,
        "location_id": e.location_id if e.location_id is not None else e.legal_entity_id,
        "manager_id": e.manager_id,
        "timeoff_manager_id": e.manager_id,
        "email": e.email,
        "login_email": e.login_email,
        "company_identifier": e.company_identifier,
        "phone_number": e.phone_number,
        "birthday_on": format_date(e.birthday_on),
        "terminated_on": format_date(terminated),
        "active": terminated is None or terminated > today,
        "is_terminating": terminated is not None and terminated > today,
        "attendable": False,
        "bank_number": None,
        "bank_number_format": None,
        "swift_bic": None,
        "created_at": format_ts(e.created_at),
        "updated_at": format_ts(e.updated_at),
    }


class CredentialOut(TypedDict):
    """The caller's credential (``api_public/credentials``)."""

    id: Annotated[TextId, Field(description="Credential id, prefixed with its type, e.g. `api_key-3`")]
    company_id: Annotated[IdOut, Field(description="Company the credential belongs to")]
    employee_id: Annotated[IdOut | None, Field(description="Employee of a user token; null for API keys")]
    name: Annotated[str, Field(description="Company name (company credentials and API keys)")]
    legal_name: Annotated[str | None, Field(description="Company legal name")]
    tin: Annotated[str | None, Field(description="Company tax identification number")]
    locale: Annotated[str, Field(description="Company locale")]
    full_name: Annotated[str, Field(description="Name of the credential's owner")]
    gdpr_tos: Annotated[bool, Field(description="Company accepted the GDPR terms")]
    tos: Annotated[bool, Field(description="Company accepted the terms of service")]
    to_be_deleted: Annotated[
        str | None,
        Field(description="Scheduled deletion date, if any (a string, as Factorial types it)"),
    ]
    onboarded_on: Annotated[str | None, Field(description="Date the company was onboarded")]
    subscription_plan: Annotated[str, Field(description="Subscription plan")]
    logo: Annotated[str | None, Field(description="Company logo URL")]


def credential_out(public_id: str, company: Company, employee_id: int | None) -> CredentialOut:
    return {
        "id": public_id,
        "company_id": company.id,
        "employee_id": employee_id,
        "name": company.name,
        "legal_name": company.legal_name,
        "tin": company.tin,
        "locale": company.locale,
        "full_name": company.name,
        "gdpr_tos": True,
        "tos": True,
        "to_be_deleted": None,
        "onboarded_on": format_date(company.created_at.date()),
        "subscription_plan": "self_hosted",
        "logo": None,
    }
