"""Wire shapes of the finance reference data: categories, cost centres, memberships, ledger accounts.

The ``*Out`` models document responses in OpenAPI; responses are built by the ``*_out`` functions
as plain dicts with integer ids (the version registry renders them as strings or integers).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, cast

from pydantic import Field

from expensehub.finance.rules import cost_center_status
from expensehub.kit.bodies import WriteBody
from expensehub.kit.clock import format_date, format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, Private, TypedDict
from expensehub.models import Account, Category, CostCenter, CostCenterMembership, LedgerAccountResource

CategoryLevel = Literal["all", "category", "subcategory"]
CategoryTypeFilter = Literal["all", "expense", "mileage", "perdiem"]
CategoryStatus = Literal["enabled", "disabled", "deleted"]
AccountType = Literal[
    "equity",
    "non_current_asset",
    "current_asset",
    "bank",
    "non_current_liability",
    "current_liability",
    "expense",
    "income",
]
ResourceType = Literal["customcategory", "bankaccount", "vendor", "taxtype", "invoice", "payrollconcept"]
BalanceType = Literal["credit", "debit"]
OperationType = Literal["purchase", "sale"]


class _Body(WriteBody):
    pass


# --- categories ---------------------------------------------------------------------------------


class CategoryOut(TypedDict):
    """An expense category or subcategory (``finance/categories``)."""

    id: Annotated[IdOut, Field(description="Category id")]
    label: Annotated[str, Field(description="Display name: the company's rename, or else the default label")]
    default_label: Annotated[str, Field(description="Default (translated) label of the category")]
    identifier: Annotated[
        str,
        Field(description="Stable internal key (e.g. `restaurants` is shown as “Meals”); not a display name"),
    ]
    visible: Annotated[bool, Field(description="Whether the category is shown to employees")]
    enabled: Annotated[bool, Field(description="Whether the category's status is `enabled`")]
    parent_category_id: Annotated[
        IdOut | None, Field(description="Parent category; null for a top-level category")
    ]
    position: Annotated[int | None, Field(description="Display position")]
    # Only the 2026-04-01 shape shows these (see versions.py).
    _company_id: Private[int]
    _created_at: Private[str | None]
    _updated_at: Private[str | None]


def category_out(c: Category) -> CategoryOut:
    return {
        "id": c.id,
        "label": c.label or c.default_label,
        "default_label": c.default_label,
        "identifier": c.identifier,
        "visible": c.visible,
        "enabled": c.status == "enabled",
        "parent_category_id": c.parent_category_id,
        "position": c.position,
        "_company_id": c.company_id,
        "_created_at": format_ts(c.created_at),
        "_updated_at": format_ts(c.updated_at),
    }


# --- cost centres -------------------------------------------------------------------------------


class CostCenterOut(TypedDict):
    """A cost centre (``finance/cost_centers``)."""

    id: Annotated[IdOut, Field(description="Cost centre id")]
    name: Annotated[str, Field(description="Name of the cost centre")]
    company_id: Annotated[IdOut, Field(description="Company the cost centre belongs to")]
    active_employees_count: Annotated[int, Field(description="Employees with a membership covering today")]
    historical_employees_count: Annotated[int, Field(description="Distinct employees ever assigned to it")]
    status: Annotated[str, Field(description="`active`, or `inactive` from the deactivation date on")]
    legal_entity_id: Annotated[IdOut | None, Field(description="Legal entity the cost centre belongs to")]
    code: Annotated[
        str | None, Field(description="Code, unique in the company among cost centres not deleted")
    ]
    description: Annotated[str | None, Field(description="Free text describing the cost centre")]
    deactivation_date: Annotated[
        str | None, Field(description="Date (YYYY-MM-DD) the cost centre is deactivated")
    ]


def cost_center_out(cc: CostCenter, counts: tuple[int, int], today: date) -> CostCenterOut:
    return {
        "id": cc.id,
        "name": cc.name,
        "company_id": cc.company_id,
        "active_employees_count": counts[0],
        "historical_employees_count": counts[1],
        "status": cost_center_status(cc.deactivation_date, today),
        "legal_entity_id": cc.legal_entity_id,
        "code": cc.code,
        "description": cc.description,
        "deactivation_date": format_date(cc.deactivation_date),
    }


class CostCenterCreate(_Body):
    """Body of ``POST finance/cost_centers``."""

    name: str = Field(min_length=1, max_length=200, description="Name of the cost centre")
    company_id: IdIn = Field(description="Your company's id (any other company's id is 404)")
    legal_entity_id: IdIn | None = Field(None, description="Legal entity the cost centre belongs to")
    code: str | None = Field(
        None, min_length=1, max_length=64, description="Code, unique among the company's cost centres"
    )
    description: str | None = Field(None, max_length=10_000, description="Free text")
    deactivation_date: date | None = Field(
        None, description="expensehub extension: date (YYYY-MM-DD) from which the centre is inactive"
    )


class CostCenterEdit(_Body):
    """Body of ``POST finance/cost_centers/edit``: only the keys sent are changed."""

    id: IdIn = Field(description="Id of the cost centre to edit")
    name: str | None = Field(None, min_length=1, max_length=200, description="New name (cannot be null)")
    code: str | None = Field(None, min_length=1, max_length=64, description="New code; null removes it")
    description: str | None = Field(None, max_length=10_000, description="New description; null removes it")
    deactivation_date: date | None = Field(
        None, description="expensehub extension: new deactivation date; null reactivates the centre"
    )
    company_id: IdIn | None = Field(
        None, description="Deprecated by Factorial; when sent, must be your company (404 otherwise)"
    )


# --- cost centre memberships --------------------------------------------------------------------


class MembershipOut(TypedDict):
    """An employee's share of a cost centre over a period (``finance/cost_center_memberships``)."""

    id: Annotated[IdOut, Field(description="Membership id")]
    employee_id: Annotated[IdOut, Field(description="The employee")]
    cost_center_id: Annotated[IdOut, Field(description="The cost centre")]
    start_date: Annotated[str, Field(description="First day (YYYY-MM-DD) of the membership")]
    percentage: Annotated[
        float, Field(description="Share of the employee assigned to the cost centre, 0 to 1")
    ]
    end_date: Annotated[str | None, Field(description="Last day (YYYY-MM-DD); null while open")]


def membership_out(m: CostCenterMembership) -> MembershipOut:
    return {
        "id": m.id,
        "employee_id": m.employee_id,
        "cost_center_id": m.cost_center_id,
        "start_date": format_date(m.start_date),
        "percentage": float(m.percentage),
        "end_date": format_date(m.end_date),
    }


class MembershipIn(_Body):
    """One membership of a ``bulk_create_update`` set."""

    cost_center_id: IdIn = Field(description="The cost centre (of your company, not deleted)")
    start_date: date = Field(description="First day (YYYY-MM-DD)")
    percentage: Decimal = Field(description="Share, greater than 0 and at most 1; the set must sum to 1")
    id: IdIn | None = Field(
        None, description="An existing membership of the employee to update in place instead of creating one"
    )
    end_date: date | None = Field(None, description="Last day (YYYY-MM-DD); omit for an open membership")


class MembershipsBulkIn(_Body):
    """Body of ``POST finance/cost_center_memberships/bulk_create_update``."""

    employee_id: IdIn = Field(description="The employee whose memberships are replaced")
    company_id: IdIn = Field(description="Your company's id (any other company's id is 404)")
    memberships: list[MembershipIn] = Field(
        max_length=500, description="The new set; percentages must sum exactly to 1"
    )


# --- ledger accounts ----------------------------------------------------------------------------


class AccountOut(TypedDict):
    """A ledger account (``finance/accounts``). Like Factorial, the response carries no currency."""

    id: Annotated[IdOut, Field(description="Ledger account id")]
    legal_entity_id: Annotated[IdOut, Field(description="Legal entity the account belongs to")]
    number: Annotated[str, Field(description="Account number in the chart of accounts")]
    disabled: Annotated[bool, Field(description="Whether the account is disabled")]
    type: Annotated[AccountType, Field(description="Account type")]
    updated_at: Annotated[str, Field(description="Last update, ISO 8601 UTC with milliseconds")]
    name: Annotated[str | None, Field(description="Name of the account")]
    external_id: Annotated[str | None, Field(description="Id of the account in the external system")]


def account_out(a: Account) -> AccountOut:
    return {
        "id": a.id,
        "legal_entity_id": a.legal_entity_id,
        "number": a.number,
        "disabled": a.disabled,
        "type": cast(AccountType, a.type),
        "updated_at": format_ts(a.updated_at),
        "name": a.name,
        "external_id": a.external_id,
    }


class AccountCreate(_Body):
    """Body of ``POST finance/accounts``."""

    number: str = Field(min_length=1, max_length=40, description="Account number")
    type: AccountType = Field(description="Account type")
    currency: str = Field(
        min_length=1, max_length=8, description="ISO 4217 currency code (kept, not returned)"
    )
    legal_entity_id: IdIn = Field(description="Legal entity of your company")
    name: str | None = Field(None, max_length=200, description="Name of the account")
    external_id: str | None = Field(
        None, min_length=1, max_length=120, description="Id in the external system; unique in the company"
    )


class AccountUpdate(_Body):
    """Body of ``PUT finance/accounts/{id}``: only the keys sent are changed."""

    id: IdIn | None = Field(None, description="Repeats the path id (Factorial marks it required); must match")
    name: str | None = Field(None, max_length=200, description="New name; null removes it")
    number: str | None = Field(None, min_length=1, max_length=40, description="New number")
    type: AccountType | None = Field(None, description="New type")
    currency: str | None = Field(None, min_length=1, max_length=8, description="New ISO 4217 currency")
    legal_entity_id: IdIn | None = Field(None, description="Move to another legal entity of your company")
    external_id: str | None = Field(
        None, min_length=1, max_length=120, description="New external id; null removes it"
    )


# --- ledger account resources -------------------------------------------------------------------


class LedgerAccountResourceOut(TypedDict):
    """Maps a domain object to a ledger account (``finance/ledger_account_resources``)."""

    id: Annotated[IdOut, Field(description="Ledger account resource id")]
    resource_type: Annotated[
        ResourceType, Field(description="Kind of object mapped; expense categories are `customcategory`")
    ]
    resource_id: Annotated[
        IdOut, Field(description="Id of the object mapped (a category id for `customcategory`)")
    ]
    account_id: Annotated[IdOut, Field(description="Ledger account the object posts to")]
    updated_at: Annotated[str, Field(description="Last update, ISO 8601 UTC with milliseconds")]
    balance_type: Annotated[BalanceType | None, Field(description="`credit` or `debit`")]
    external_id: Annotated[str | None, Field(description="Id in the external system")]
    legal_entity_id: Annotated[IdOut | None, Field(description="Legal entity of the mapping")]


def ledger_account_resource_out(r: LedgerAccountResource) -> LedgerAccountResourceOut:
    return {
        "id": r.id,
        "resource_type": cast(ResourceType, r.resource_type),
        "resource_id": r.resource_id,
        "account_id": r.account_id,
        "updated_at": format_ts(r.updated_at),
        "balance_type": cast(BalanceType | None, r.balance_type),
        "external_id": r.external_id,
        "legal_entity_id": r.legal_entity_id,
    }


class LedgerAccountResourceUpsert(_Body):
    """Body of ``POST finance/ledger_account_resources/upsert``."""

    legal_entity_id: IdIn = Field(description="Legal entity of your company")
    resource_type: ResourceType = Field(description="Kind of object mapped")
    id: IdIn | None = Field(
        None, description="Update this mapping (else the key legal entity + type + resource)"
    )
    resource_id: IdIn | None = Field(None, description="Object mapped; required when creating")
    account_id: IdIn | None = Field(
        None, description="Ledger account of your company, in the same legal entity"
    )
    name: str | None = Field(
        None,
        max_length=200,
        description="Name for the account created from `number` when `account_id` is absent",
    )
    number: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        description="Without `account_id`: the account with this number in the legal entity, created "
        "(type `expense`) when none exists",
    )
    external_id: str | None = Field(
        None, max_length=120, description="Id of the mapping in the external system"
    )
    balance_type: BalanceType | None = Field(None, description="`credit` or `debit`")
    operation_type: OperationType | None = Field(
        None, description="`purchase` or `sale` (stored, not returned)"
    )
