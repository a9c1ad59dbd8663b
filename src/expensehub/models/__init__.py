"""All ORM models, one module per aggregate. Importing this package registers every table.

Every module of this package is imported below (so Alembic and the tests see all tables); the
commonly used classes are also re-exported here. Newer aggregates are imported from their module,
e.g. ``from expensehub.models.banking import CardPayment``.
"""

import importlib as _importlib
import pkgutil as _pkgutil

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

for _module in _pkgutil.iter_modules(__path__):
    _importlib.import_module(f"{__name__}.{_module.name}")
