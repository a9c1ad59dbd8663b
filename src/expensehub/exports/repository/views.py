"""Report views: the rows of one company that report SQL may read (run by exports/sandbox.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    select,
)

from expensehub.exports.columns import CARD_PAYMENT_COLUMNS, TRANSACTION_COLUMNS
from expensehub.exports.repository.datasets import CompanyRef, Filters, rows_query
from expensehub.exports.repository.text import date_text, decimal_text
from expensehub.models import (
    CostCenter,
    Employee,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
)

# --------------------------------------------------------------------------------------------------
# Report views: the rows of one company that report SQL may read (run by exports/sandbox.py)
# --------------------------------------------------------------------------------------------------


def report_view_selects(company_id: CompanyRef, dialect: str) -> dict[str, Select[Any]]:
    """The SELECT of each report view, keeping the rows of ``company_id`` (a number, or an SQL expression
    such as the PostgreSQL views' lookup of the company by backend pid; exports/sandbox.py)."""
    fields = [
        "expensable_id",
        "detail_id",
        "type",
        "effective_on",
        "employee_id",
        "employee_name",
        "employee_identifier",
        "legal_entity_id",
        "legal_entity_name",
        "merchant",
        "description",
        "category_id",
        "category",
        "subcategory",
        "document_amount",
        "currency",
        "reimbursable_amount",
        "reimbursable_currency",
        "exchange_rate",
        "base_currency",
        "approval_status",
        "payment",
        "accounting_account_code",
        "project_id",
        "project_code",
        "card_last4",
        "card_payment_id",
        "document_id",
        "creation_type",
        "approved_at",
        "paid_at",
        "created_at",
        "updated_at",
    ]
    expensables = rows_query("expenses", company_id, Filters(), fields, dialect).order_by(None)
    cost_centers = (
        select(
            ExpensableCostCenter.expensable_id.label("expensable_id"),
            CostCenter.id.label("cost_center_id"),
            CostCenter.code.label("cost_center_code"),
            CostCenter.name.label("cost_center_name"),
            decimal_text(ExpensableCostCenter.percentage, dialect).label("share"),
            ExpensableCostCenter.position.label("position"),
        )
        .join(Expensable, Expensable.id == ExpensableCostCenter.expensable_id)
        .join(CostCenter, CostCenter.id == ExpensableCostCenter.cost_center_id)
        .where(Expensable.company_id == company_id, CostCenter.company_id == company_id)
    )
    taxes = (
        select(
            Expense.expensable_id.label("expensable_id"),
            ExpenseTax.expense_id.label("expense_id"),
            ExpenseTax.type.label("type"),
            ExpenseTax.amount.label("amount"),
            decimal_text(ExpenseTax.percentage, dialect).label("rate"),
            ExpenseTax.base_amount.label("base_amount"),
        )
        .join(Expense, Expense.id == ExpenseTax.expense_id)
        .where(Expense.company_id == company_id)
    )
    employees = select(
        Employee.id.label("employee_id"),
        Employee.first_name.label("first_name"),
        Employee.last_name.label("last_name"),
        Employee.email.label("email"),
        Employee.company_identifier.label("employee_identifier"),
        Employee.legal_entity_id.label("legal_entity_id"),
        Employee.manager_id.label("manager_id"),
        date_text(Employee.terminated_on, dialect).label("terminated_on"),
    ).where(Employee.company_id == company_id)
    return {
        "report_expensables": expensables,
        "report_cost_centers": cost_centers,
        "report_taxes": taxes,
        "report_employees": employees,
        # Card payments and bank transactions, with the expense and transaction they reconcile with.
        "report_card_payments": rows_query(
            "card_payments", company_id, Filters(), [c.name for c in CARD_PAYMENT_COLUMNS], dialect
        ).order_by(None),
        "report_transactions": rows_query(
            "transactions", company_id, Filters(), [c.name for c in TRANSACTION_COLUMNS], dialect
        ).order_by(None),
    }


REPORT_VIEWS: tuple[str, ...] = (
    "report_expensables",
    "report_cost_centers",
    "report_taxes",
    "report_employees",
    "report_card_payments",
    "report_transactions",
)
