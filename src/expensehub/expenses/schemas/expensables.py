"""The wire shape of an expensable, the header every claim has (``expenses/expensables``)."""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import BaseModel, Field

from expensehub.expenses.rules import Status
from expensehub.expenses.schemas.shared import DUPLICATE_OF_DESCRIPTION, IS_DUPLICATE_DESCRIPTION, Related
from expensehub.kit.clock import format_date_as_ts, format_ts
from expensehub.models import Expensable


class ExpensableOut(BaseModel):
    """The common header of every claim (``expenses/expensables``)."""

    id: str = Field(description="Expensable id")
    type: Literal["expense", "mileage", "perdiem"] = Field(description="Kind of claim")
    company_id: str = Field(description="Company id")
    employee_id: str = Field(description="Employee who spent the money (the owner)")
    created_at: str = Field(description="Creation time, ISO 8601 UTC with milliseconds")
    currency: str = Field(description="ISO 4217 currency of `amount`")
    status: Status = Field(description="Status of the claim")
    status_updated_at: str = Field(description="Time of the last status change")
    updated_at: str = Field(description="Time of the last change")
    cost_center_ids: list[str] = Field(description="Cost centres the claim is charged to")
    group_id: str | None = Field(None, description="Expense report the claim was submitted in")
    legal_entity_id: str | None = Field(None, description="Legal entity that pays the claim")
    amount: int | None = Field(None, description="Amount in minor units of `currency`")
    description: str | None = Field(None, description="Free-text description")
    reporter_id: str | None = Field(None, description="Employee who reported it on the owner's behalf")
    effective_on: str | None = Field(
        None, description="Date of the spend, as a timestamp at midnight UTC (`2024-06-06T00:00:00.000Z`)"
    )
    review_request_at: str | None = Field(None, description="When it was submitted; null while a draft")
    paid_at: str | None = Field(None, description="When it was marked paid")
    reimbursable_amount: int | None = Field(None, description="Amount owed to the employee, minor units")
    reimbursable_currency: str | None = Field(None, description="Currency of `reimbursable_amount`")
    reimbursement_method: Literal["unknown", "sepa_transfer", "payroll"] | None = Field(
        None, description="How the employee is reimbursed"
    )
    internal_reference: str | None = Field(None, description="Company-internal reference")
    expense_id: str | None = Field(None, description="Expense detail id (type `expense` only)")
    mileage_id: str | None = Field(None, description="Mileage detail id (type `mileage` only)")
    per_diem_id: str | None = Field(None, description="Per diem detail id (type `perdiem` only)")
    budget_id: str | None = Field(None, description="Budget the claim is booked to")
    project_id: str | None = Field(None, description="Project the claim is booked to")
    duplicate_of_id: str | None = Field(None, description=DUPLICATE_OF_DESCRIPTION)
    is_possible_duplicate: bool = Field(description=IS_DUPLICATE_DESCRIPTION)


class ExpensableView(TypedDict):
    """An expensable as the routers render it (``ExpensableOut``)."""

    id: int
    type: str
    company_id: int
    employee_id: int
    created_at: str | None
    currency: str | None
    status: str
    status_updated_at: str | None
    updated_at: str | None
    cost_center_ids: list[int]
    group_id: int | None
    legal_entity_id: int | None
    amount: int | None
    description: str | None
    reporter_id: int | None
    effective_on: str | None
    review_request_at: str | None
    paid_at: str | None
    reimbursable_amount: int | None
    reimbursable_currency: str | None
    reimbursement_method: str | None
    internal_reference: str | None
    expense_id: int | None
    mileage_id: int | None
    per_diem_id: int | None
    budget_id: int | None
    project_id: int | None
    duplicate_of_id: int | None
    is_possible_duplicate: bool


def expensable_out(
    x: Expensable,
    detail_ids: tuple[int | None, int | None, int | None],
    related: Related,
) -> ExpensableView:
    expense_id, mileage_id, per_diem_id = detail_ids
    return {
        "id": x.id,
        "type": x.type,
        "company_id": x.company_id,
        "employee_id": x.employee_id,
        "created_at": format_ts(x.created_at),
        "currency": x.currency,
        "status": x.status,
        "status_updated_at": format_ts(x.status_updated_at),
        "updated_at": format_ts(x.updated_at),
        "cost_center_ids": related.cost_centers.get(x.id, []),
        "group_id": x.group_id,
        "legal_entity_id": x.legal_entity_id,
        "amount": x.amount,
        "description": x.description,
        "reporter_id": x.reporter_id,
        "effective_on": format_date_as_ts(x.effective_on),
        "review_request_at": format_ts(x.review_request_at),
        "paid_at": format_ts(x.paid_at),
        "reimbursable_amount": x.reimbursable_amount,
        "reimbursable_currency": x.reimbursable_currency,
        "reimbursement_method": x.reimbursement_method,
        "internal_reference": x.internal_reference,
        "expense_id": expense_id,
        "mileage_id": mileage_id,
        "per_diem_id": per_diem_id,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "duplicate_of_id": x.duplicate_of_id,
        "is_possible_duplicate": x.duplicate_of_id is not None,
    }
