"""Wire shapes of legal entities, employees and credentials.

The ``*Out`` models document responses in OpenAPI; responses themselves are built by the ``*_out``
functions as plain dicts (ids as integers; the version registry renders them).
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from pydantic import BaseModel, Field

from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import TextId
from expensehub.models import Company, Employee, LegalEntity


class LegalEntityOut(BaseModel):
    """A legal entity (``companies/legal_entities``)."""

    id: str = Field(description="Legal entity id")
    company_id: str = Field(description="Company the legal entity belongs to")
    country: str = Field(description="Lowercase ISO 3166 two-letter country code, e.g. `es`")
    legal_name: str = Field(description="Registered legal name")
    currency: str = Field(description="Base currency of the entity (ISO 4217); expenses convert into it")
    tin: str | None = Field(None, description="Tax identification number")
    siret: str | None = Field(None, description="French SIRET number, when the entity has one")
    city: str | None = Field(None, description="City of the registered address")
    state: str | None = Field(None, description="State or province of the registered address")
    postal_code: str | None = Field(None, description="Postal code of the registered address")
    address_line_1: str | None = Field(None, description="First line of the registered address")
    address_line_2: str | None = Field(None, description="Second line of the registered address")


class LegalEntityView(TypedDict):
    """A legal entity as the routers render it (``LegalEntityOut``)."""

    id: int
    company_id: int
    country: str
    legal_name: str
    currency: str
    tin: str | None
    siret: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    address_line_1: str | None
    address_line_2: str | None


def legal_entity_out(e: LegalEntity) -> LegalEntityView:
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


class EmployeeOut(BaseModel):
    """An employee (``employees/employees``), the fields expenses need."""

    id: str = Field(description="Employee id")
    access_id: str = Field(description="Id of the employee's access (login); documents and approvals use it")
    first_name: str = Field(description="First name")
    last_name: str = Field(description="Last name")
    full_name: str = Field(description="First and last name")
    preferred_name: str | None = Field(None, description="Name the employee prefers to be called")
    company_id: str = Field(description="Company the employee belongs to")
    legal_entity_id: str | None = Field(None, description="Legal entity that employs the employee")
    location_id: str | None = Field(
        None,
        description="Work location id. Locations are not modelled: it defaults to the legal entity's id "
        "(its main office)",
    )
    manager_id: str | None = Field(None, description="Employee id of the direct manager")
    timeoff_manager_id: str | None = Field(None, description="Employee id of the time-off manager")
    email: str | None = Field(None, description="Company communications e-mail")
    login_email: str | None = Field(None, description="E-mail used to log in")
    company_identifier: str | None = Field(None, description="Company-assigned employee identifier")
    phone_number: str | None = Field(None, description="Phone number")
    birthday_on: date | None = Field(None, description="Birthday (YYYY-MM-DD)")
    terminated_on: date | None = Field(None, description="Termination date (YYYY-MM-DD), when terminated")
    active: bool | None = Field(None, description="False once terminated")
    is_terminating: bool = Field(description="True when a termination date is set in the future")
    attendable: bool = Field(description="Whether the employee tracks attendance")
    bank_number: str | None = Field(None, description="Bank account number for reimbursements")
    bank_number_format: str | None = Field(None, description="Format of `bank_number`, e.g. `iban`")
    swift_bic: str | None = Field(None, description="SWIFT/BIC of the employee's bank")
    created_at: str = Field(description="Creation time, ISO 8601 UTC with milliseconds")
    updated_at: str = Field(description="Last update time, ISO 8601 UTC with milliseconds")


class EmployeeView(TypedDict):
    """An employee as the routers render it (``EmployeeOut``)."""

    id: int
    access_id: int
    first_name: str
    last_name: str
    full_name: str
    preferred_name: str | None
    company_id: int
    legal_entity_id: int | None
    location_id: int | None
    manager_id: int | None
    timeoff_manager_id: int | None
    email: str | None
    login_email: str | None
    company_identifier: str | None
    phone_number: str | None
    birthday_on: str | None
    terminated_on: str | None
    active: bool
    is_terminating: bool
    attendable: bool
    bank_number: str | None
    bank_number_format: str | None
    swift_bic: str | None
    created_at: str | None
    updated_at: str | None


def employee_out(e: Employee, today: date) -> EmployeeView:
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


class CredentialOut(BaseModel):
    """The caller's credential (``api_public/credentials``)."""

    id: TextId = Field(description="Credential id, prefixed with its type, e.g. `api_key-3`")
    company_id: str = Field(description="Company the credential belongs to")
    employee_id: str | None = Field(None, description="Employee of a user token; null for API keys")
    name: str | None = Field(None, description="Company name (company credentials and API keys)")
    legal_name: str | None = Field(None, description="Company legal name")
    tin: str | None = Field(None, description="Company tax identification number")
    locale: str | None = Field(None, description="Company locale")
    full_name: str | None = Field(None, description="Name of the credential's owner")
    gdpr_tos: bool | None = Field(None, description="Company accepted the GDPR terms")
    tos: bool | None = Field(None, description="Company accepted the terms of service")
    to_be_deleted: str | None = Field(
        None,
        description="Scheduled deletion date, if any (a string, as Factorial types it)",
    )
    onboarded_on: str | None = Field(None, description="Date the company was onboarded")
    subscription_plan: str | None = Field(None, description="Subscription plan")
    logo: str | None = Field(None, description="Company logo URL")


class CredentialView(TypedDict):
    """The caller's credential as the router renders it (``CredentialOut``)."""

    id: str
    company_id: int
    employee_id: int | None
    name: str
    legal_name: str | None
    tin: str | None
    locale: str
    full_name: str
    gdpr_tos: bool
    tos: bool
    to_be_deleted: str | None
    onboarded_on: str | None
    subscription_plan: str
    logo: str | None


def credential_out(public_id: str, company: Company, employee_id: int | None) -> CredentialView:
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
