"""Wire shapes of legal entities, employees and credentials.

Each ``*Out`` shape (``kit/shapes.py``) is both the typed view the ``*_out`` functions build (integer
ids; the version registry renders them) and the OpenAPI component documenting it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from pydantic import Field, WithJsonSchema

from expensehub.kit.banknumbers import AccountNumberType
from expensehub.kit.bodies import WriteBody
from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import IdIn, TextId
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
    timeoff_manager_id: Annotated[
        IdOut | None, Field(description="Employee id of the time-off manager (the direct manager unless set)")
    ]
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
    bank_number_format: Annotated[
        AccountNumberType | None, Field(description="Format of `bank_number`, e.g. `iban`")
    ]
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
        "timeoff_manager_id": e.timeoff_manager_id if e.timeoff_manager_id is not None else e.manager_id,
        "email": e.email,
        "login_email": e.login_email,
        "company_identifier": e.company_identifier,
        "phone_number": e.phone_number,
        "birthday_on": format_date(e.birthday_on),
        "terminated_on": format_date(terminated),
        "active": terminated is None or terminated > today,
        "is_terminating": terminated is not None and terminated > today,
        "attendable": False,
        "bank_number": e.bank_number,
        "bank_number_format": cast(AccountNumberType | None, e.bank_number_format),
        "swift_bic": e.swift_bic,
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


# --- request bodies -----------------------------------------------------------------------------

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=120)]


class _Address(WriteBody):
    tin: str | None = Field(None, max_length=64, description="Tax identification number")
    city: str | None = Field(None, max_length=120, description="City of the registered address")
    state: str | None = Field(None, max_length=120, description="State or province")
    postal_code: str | None = Field(None, max_length=20, description="Postal code")
    address_line_1: str | None = Field(None, max_length=200, description="First line of the address")
    address_line_2: str | None = Field(None, max_length=200, description="Second line of the address")


class LegalEntityCreate(_Address):
    """Body of ``POST companies/legal_entities``."""

    company_id: IdIn = Field(description="Your company (404 for any other)")
    country: str = Field(
        min_length=2, max_length=2, description="ISO 3166 two-letter country code, e.g. `es`"
    )
    legal_name: Text200 = Field(description="Registered legal name")
    currency: str = Field(min_length=3, max_length=3, description="Base currency (ISO 4217), e.g. `EUR`")


class LegalEntityUpdate(_Address):
    """Body of ``PUT companies/legal_entities/{id}`` (an expensehub extension): only the keys sent change."""

    legal_name: Text200 | None = Field(None, description="Registered legal name (cannot be null)")
    country: str | None = Field(
        None, min_length=2, max_length=2, description="Country code; only while the entity is not in use"
    )
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="Base currency; only while the entity is not in use"
    )


ADDRESS_FIELDS = tuple(_Address.model_fields)
"""The optional fields of a legal entity: its tax number and address."""
LEGAL_ENTITY_FIELDS = ("legal_name", "country", "currency", *ADDRESS_FIELDS)
"""The fields of a legal entity that an update may change."""


class _EmployeeFields(WriteBody):
    birthday_on: date | None = Field(None, description="Birthday (YYYY-MM-DD)")
    phone_number: str | None = Field(None, max_length=40, description="Phone number")
    company_identifier: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Your identifier of the employee, unique in the company",
    )
    legal_entity_id: IdIn | None = Field(None, description="Legal entity of your company employing them")
    location_id: IdIn | None = Field(None, description="Work location id (default: the legal entity's)")
    manager_id: IdIn | None = Field(None, description="Direct manager (an employee of your company)")
    timeoff_manager_id: IdIn | None = Field(
        None, description="Time-off manager (an employee of your company; default: the direct manager)"
    )
    bank_number: str | None = Field(
        None, min_length=1, max_length=64, description="Bank account for reimbursements (an IBAN is checked)"
    )
    swift_bic: str | None = Field(
        None,
        min_length=8,
        max_length=20,
        description="SWIFT/BIC of the bank (8 or 11 characters; spaces ignored)",
    )


class EmployeeCreate(_EmployeeFields):
    """Body of ``POST employees/employees/create_with_contract``.

    Factorial's contract, identity-document and personal fields (``gender``, ``nationality``,
    ``identifier``, ``social_security_number``, ``contract_*``, trial period, emergency contact...) are
    accepted and not stored: expensehub keeps what expenses and reimbursements need.
    """

    company_id: IdIn = Field(description="Your company (404 for any other)")
    first_name: Name = Field(description="First name")
    last_name: Name = Field(description="Last name")
    email: str = Field(min_length=3, max_length=254, description="E-mail, unique in the company")


class EmployeeUpdate(_EmployeeFields):
    """Body of ``PUT employees/employees/{id}``: only the keys sent change; null clears optional ones."""

    id: IdIn | None = Field(None, description="The employee's id: when sent, the same as the path's")
    first_name: Name | None = Field(None, description="First name (cannot be null)")
    last_name: Name | None = Field(None, description="Last name (cannot be null)")
    preferred_name: str | None = Field(None, max_length=120, description="Name the employee prefers")
    communications_email: str | None = Field(
        None, min_length=3, max_length=254, description="Company communications e-mail (`email`)"
    )
    bank_number_format: AccountNumberType | None = Field(
        None, description="Format of `bank_number` (default: `iban` when it is a valid IBAN, else `other`)"
    )


EMPLOYEE_FIELDS = tuple(name for name in EmployeeUpdate.model_fields if name != "id")
"""The fields of an employee that ``PUT`` may change."""
EMPLOYEE_CREATE_FIELDS = tuple(_EmployeeFields.model_fields)
"""The optional fields of ``create_with_contract``."""


class EmployeeTerminate(WriteBody):
    """Body of ``POST employees/employees/terminate``."""

    id: IdIn = Field(description="The employee")
    terminated_on: date = Field(description="Last day of employment (YYYY-MM-DD)")
    termination_reason: str | None = Field(None, max_length=500, description="Reason, kept with the employee")
    termination_assigned_manager_id: IdIn | None = Field(
        None, description="Employee who becomes the manager of the leaver's direct reports"
    )
    open_backfill: bool | None = Field(None, description="Accepted; hiring is not modelled")


class EmployeeId(WriteBody):
    """Body of ``POST employees/employees/unterminate``."""

    id: IdIn = Field(description="The employee")
