"""Wire shapes of expensables, expenses, mileages, per diems and approval flows; filter types; write
bodies. One module per resource (its response, its view and its write bodies); this package re-exports
them, so callers write ``schemas.ExpenseOut``.

A response shape is one ``TypedDict`` (``kit/shapes.py``): the ``*Out`` the ``*_out`` functions
build (ids as integers, the version registry renders them) is also the OpenAPI component documenting it.
Nested objects with no value (``category``, ``card``) are omitted, never ``null``: the official SDK
cannot parse a null object.
"""

from __future__ import annotations

from expensehub.expenses.schemas.approvals import (
    ApprovalActionBody,
    ApprovalFlowOut,
    ApproverOut,
    approval_flow_out,
)
from expensehub.expenses.schemas.bodies import (
    CardIn,
    Coordinate,
    CostCenterShareIn,
    Currency,
    Fraction,
    IdsBody,
    Money,
    PositiveMoney,
    Rate,
    ReimbursableAmountBody,
    RequestChangesBody,
    TaxIn,
    Text,
)
from expensehub.expenses.schemas.expensables import ExpensableOut, expensable_out
from expensehub.expenses.schemas.expenses import (
    ExpenseCreate,
    ExpenseOut,
    ExpenseUpdate,
    expense_out,
    tax_out,
)
from expensehub.expenses.schemas.mileages import (
    MILEAGE_INPUT_DESCRIPTIONS,
    MILEAGE_PRICING,
    MILEAGE_PRICING_DESCRIPTION,
    MileageCreate,
    MileageOut,
    MileageUpdate,
    mileage_out,
)
from expensehub.expenses.schemas.per_diems import (
    PER_DIEM_INPUT_DESCRIPTIONS,
    PER_DIEM_PRICING,
    PER_DIEM_PRICING_DESCRIPTION,
    PER_DIEM_TOTAL_DESCRIPTIONS,
    MealsProvidedOut,
    PerDiemCreate,
    PerDiemInputsView,
    PerDiemOut,
    PerDiemRateOut,
    PerDiemTotalsView,
    PerDiemUpdate,
    per_diem_inputs,
    per_diem_out,
    per_diem_rate_out,
    per_diem_totals,
)
from expensehub.expenses.schemas.query import DateOrTs
from expensehub.expenses.schemas.shared import (
    DUPLICATE_OF_DESCRIPTION,
    IS_DUPLICATE_DESCRIPTION,
    CardOut,
    CategoryRefOut,
    CreationType,
    DistanceUnit,
    FileOut,
    Payment,
    Related,
    TaxOut,
)

__all__ = [
    "DUPLICATE_OF_DESCRIPTION",
    "IS_DUPLICATE_DESCRIPTION",
    "MILEAGE_INPUT_DESCRIPTIONS",
    "MILEAGE_PRICING",
    "MILEAGE_PRICING_DESCRIPTION",
    "PER_DIEM_INPUT_DESCRIPTIONS",
    "PER_DIEM_PRICING",
    "PER_DIEM_PRICING_DESCRIPTION",
    "PER_DIEM_TOTAL_DESCRIPTIONS",
    "ApprovalActionBody",
    "ApprovalFlowOut",
    "ApproverOut",
    "CardIn",
    "CardOut",
    "CategoryRefOut",
    "Coordinate",
    "CostCenterShareIn",
    "CreationType",
    "Currency",
    "DateOrTs",
    "DistanceUnit",
    "ExpensableOut",
    "ExpenseCreate",
    "ExpenseOut",
    "ExpenseUpdate",
    "FileOut",
    "Fraction",
    "IdsBody",
    "MealsProvidedOut",
    "MileageCreate",
    "MileageOut",
    "MileageUpdate",
    "Money",
    "Payment",
    "PerDiemCreate",
    "PerDiemInputsView",
    "PerDiemOut",
    "PerDiemRateOut",
    "PerDiemTotalsView",
    "PerDiemUpdate",
    "PositiveMoney",
    "Rate",
    "ReimbursableAmountBody",
    "Related",
    "RequestChangesBody",
    "TaxIn",
    "TaxOut",
    "Text",
    "approval_flow_out",
    "expensable_out",
    "expense_out",
    "mileage_out",
    "per_diem_inputs",
    "per_diem_out",
    "per_diem_rate_out",
    "per_diem_totals",
    "tax_out",
]
