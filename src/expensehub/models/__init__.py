"""All ORM models, one module per aggregate. Importing this package registers every table."""

from expensehub.models.auth import ApiKey
from expensehub.models.company import Access, Company, Employee, LegalEntity
from expensehub.models.expense import (
    ApprovalFlow,
    ApprovalFlowApprover,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    Mileage,
    PerDiem,
)
from expensehub.models.finance import (
    Account,
    Category,
    CostCenter,
    CostCenterMembership,
    LedgerAccountResource,
)
from expensehub.models.project import Project

__all__ = [
    "Access",
    "Account",
    "ApiKey",
    "ApprovalFlow",
    "ApprovalFlowApprover",
    "Category",
    "Company",
    "CostCenter",
    "CostCenterMembership",
    "Employee",
    "Expensable",
    "ExpensableCostCenter",
    "Expense",
    "ExpenseTax",
    "LedgerAccountResource",
    "LegalEntity",
    "Mileage",
    "PerDiem",
    "Project",
]
