"""The wire shape of an expensable, the header every claim has (``expenses/expensables``)."""

from __future__ import annotations

from typing import Annotated, Literal, cast

from pydantic import Field

from expensehub.expenses.rules import Status
from expensehub.expenses.schemas.shared import DUPLICATE_OF_DESCRIPTION, IS_DUPLICATE_DESCRIPTION, Related
from expensehub.kit.clock import format_date_as_ts, format_ts
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models import Expensable

ExpensableType = Literal["expense", "mileage", "perdiem"]
ReimbursementMethod = Literal["unknown", "sepa_transfer", "payroll"]


class ExpensableOut(TypedDict):
    """The common header of every claim (``expenses/expensables``)."""

    id: Annotated[IdOut, Field(description="Expensable id")]
    type: Annotated[ExpensableType, Field(description="Kind of claim")]
    company_id: Annotated[IdOut, Field(description="Company id")]
    employee_id: Annotated[IdOut, Field(description="Employee who spent the money (the owner)")]
    created_at: Annotated[str, Field(description="Creation time, ISO 8601 UTC with milliseconds")]
    currency: Annotated[str, Field(description="ISO 4217 currency of `amount`")]
    status: Annotated[Status, Field(description="Status of the claim")]
    status_updated_at: Annotated[str, Field(description="Time of the last status change")]
    updated_at: Annotated[str, Field(description="Time of the last change")]
    cost_center_ids: Annotated[list[IdOut], Field(description="Cost centres the claim is charged to")]
    group_id: Annotated[IdOut | None, Field(description="Expense report the claim was submitted in")]
    legal_entity_id: Annotated[IdOut | None, Field(description="Legal entity that pays the claim")]
    amount: Annotated[int | None, Field(description="Amount in minor units of `currency`")]
    description: Annotated[str | None, Field(description="Free-text description")]
    reporter_id: Annotated[IdOut | None, Field(description="Employee who reported it on the owner's behalf")]
    effective_on: Annotated[
        str | None,
        Field(description="Date of the spend, as a timestamp at midnight UTC (`2024-06-06T00:00:00.000Z`)"),
    ]
    review_request_at: Annotated[str | None, Field(description="When it was submitted; null while a draft")]
    paid_at: Annotated[str | None, Field(description="When it was marked paid")]
    reimbursable_amount: Annotated[int | None, Field(description="Amount owed to the employee, minor units")]
    reimbursable_currency: Annotated[str | None, Field(description="Currency of `reimbursable_amount`")]
    reimbursement_method: Annotated[
        ReimbursementMethod | None, Field(description="How the employee is reimbursed")
    ]
    internal_reference: Annotated[str | None, Field(description="Company-internal reference")]
    expense_id: Annotated[IdOut | None, Field(description="Expense detail id (type `expense` only)")]
    mileage_id: Annotated[IdOut | None, Field(description="Mileage detail id (type `mileage` only)")]
    per_diem_id: Annotated[IdOut | None, Field(description="Per diem detail id (type `perdiem` only)")]
    budget_id: Annotated[IdOut | None, Field(description="Budget the claim is booked to")]
    project_id: Annotated[IdOut | None, Field(description="Project the claim is booked to")]
    duplicate_of_id: Annotated[IdOut | None, Field(description=DUPLICATE_OF_DESCRIPTION)]
    is_possible_duplicate: Annotated[bool, Field(description=IS_DUPLICATE_DESCRIPTION)]


def expensable_out(
    x: Expensable,
    detail_ids: tuple[int | None, int | None, int | None],
    related: Related,
) -> ExpensableOut:
    expense_id, mileage_id, per_diem_id = detail_ids
    return {
        "id": x.id,
        "type": cast(ExpensableType, x.type),
        "company_id": x.company_id,
        "employee_id": x.employee_id,
        "created_at": format_ts(x.created_at),
        "currency": x.currency,
        "status": cast(Status, x.status),
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
        "reimbursement_method": cast(ReimbursementMethod | None, x.reimbursement_method),
        "internal_reference": x.internal_reference,
        "expense_id": expense_id,
        "mileage_id": mileage_id,
        "per_diem_id": per_diem_id,
        "budget_id": x.budget_id,
        "project_id": x.project_id,
        "duplicate_of_id": x.duplicate_of_id,
        "is_possible_duplicate": x.duplicate_of_id is not None,
    }
