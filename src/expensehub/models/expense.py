"""Expensables (the common header) and their details: expenses, mileages, per diems; approvals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import ExactDecimal, UTCDateTime


class Expensable(Base):
    """The header shared by every claim. ``type`` is expense, mileage or perdiem."""

    __tablename__ = "expensables"
    __table_args__ = (
        Index("ix_expensables_company_id_id", "company_id", "id"),
        Index("ix_expensables_company_status", "company_id", "status", "id"),
        Index("ix_expensables_company_employee", "company_id", "employee_id", "id"),
        Index("ix_expensables_company_effective_on", "company_id", "effective_on"),
        Index("ix_expensables_duplicate_key", "company_id", "employee_id", "effective_on", "amount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    legal_entity_id: Mapped[int | None] = mapped_column(ForeignKey("legal_entities.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    payment: Mapped[str] = mapped_column(String(24), default="reimbursable")
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    reimbursable_amount: Mapped[int | None] = mapped_column(BigInteger)
    reimbursable_currency: Mapped[str | None] = mapped_column(String(3))
    reimbursement_method: Mapped[str | None] = mapped_column(String(24))
    description: Mapped[str | None] = mapped_column(Text)
    internal_reference: Mapped[str | None] = mapped_column(String(120))
    effective_on: Mapped[date | None] = mapped_column(Date)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    subcategory: Mapped[str | None] = mapped_column(String(120))
    ledger_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    group_id: Mapped[int | None] = mapped_column(BigId)
    budget_id: Mapped[int | None] = mapped_column(BigId)
    # Set when another claim of the same employee, date, amount, currency and merchant exists.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("expensables.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_request_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExpensableCostCenter(Base):
    """A cost centre an expensable is charged to, with its share (0..1; the shares sum to 1)."""

    __tablename__ = "expensable_cost_centers"

    expensable_id: Mapped[int] = mapped_column(
        ForeignKey("expensables.id", ondelete="CASCADE"), primary_key=True
    )
    cost_center_id: Mapped[int] = mapped_column(ForeignKey("cost_centers.id"), primary_key=True)
    percentage: Mapped[Decimal] = mapped_column(ExactDecimal())
    position: Mapped[int] = mapped_column(Integer, default=0)


class Expense(Base):
    """Detail of a receipt-backed expense (``expenses/expenses``)."""

    __tablename__ = "expenses"
    __table_args__ = (Index("ix_expenses_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    expensable_id: Mapped[int] = mapped_column(ForeignKey("expensables.id", ondelete="CASCADE"), unique=True)
    creation_type: Mapped[str] = mapped_column(String(16), default="manual")
    merchant_name: Mapped[str | None] = mapped_column(String(200))
    user_merchant: Mapped[str | None] = mapped_column(String(200))
    merchant_tin: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(120))
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    card_payment_id: Mapped[int | None] = mapped_column(BigId, index=True)
    expenses_card_id: Mapped[int | None] = mapped_column(BigId, index=True)
    card_type: Mapped[str | None] = mapped_column(String(24))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    document_id: Mapped[int | None] = mapped_column(BigId)
    document_number: Mapped[str | None] = mapped_column(String(120))
    document_type: Mapped[str | None] = mapped_column(String(24))
    payment_method: Mapped[str | None] = mapped_column(String(40))
    dispute_id: Mapped[int | None] = mapped_column(BigId, index=True)
    external_authorization_id: Mapped[int | None] = mapped_column(BigId, index=True)


class ExpenseTax(Base):
    """A tax line of an expense (VAT): amount and base in the expense's currency."""

    __tablename__ = "expense_taxes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16), default="vat")
    amount: Mapped[int | None] = mapped_column(BigInteger)
    percentage: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    base_amount: Mapped[int | None] = mapped_column(BigInteger)


class Mileage(Base):
    """Detail of a mileage claim (``expenses/mileages``)."""

    __tablename__ = "mileages"
    __table_args__ = (Index("ix_mileages_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    expensable_id: Mapped[int] = mapped_column(ForeignKey("expensables.id", ondelete="CASCADE"), unique=True)
    distance: Mapped[int | None] = mapped_column(BigInteger)
    units: Mapped[str] = mapped_column(String(8), default="km")
    rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    rate_measurement_unit: Mapped[str | None] = mapped_column(String(8))
    origin: Mapped[str | None] = mapped_column(String(200))
    destination: Mapped[str | None] = mapped_column(String(200))
    round_trip: Mapped[bool] = mapped_column(Boolean, default=False)
    origin_latitude: Mapped[str | None] = mapped_column(String(24))
    origin_longitude: Mapped[str | None] = mapped_column(String(24))
    destination_latitude: Mapped[str | None] = mapped_column(String(24))
    destination_longitude: Mapped[str | None] = mapped_column(String(24))
    calculated_mileage: Mapped[int | None] = mapped_column(BigInteger)
    # expensehub extension: how the amount was set, and the inputs of the statutory rules
    # (docs/allowances.md). ``pricing``: ``statutory`` (the allowances engine), ``rate`` (mileage x the
    # company's ``rate``) or ``amount`` (given by the caller); NULL on rows written before it existed.
    pricing: Mapped[str | None] = mapped_column(String(16))
    vehicle: Mapped[str | None] = mapped_column(String(16))  # NULL: a car
    passengers: Mapped[int | None] = mapped_column(Integer)
    fiscal_horsepower: Mapped[int | None] = mapped_column(Integer)
    electric: Mapped[bool | None] = mapped_column(Boolean)


class PerDiem(Base):
    """Detail of a per diem claim (``expenses/per_diems``)."""

    __tablename__ = "per_diems"
    __table_args__ = (Index("ix_per_diems_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    expensable_id: Mapped[int] = mapped_column(ForeignKey("expensables.id", ondelete="CASCADE"), unique=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str | None] = mapped_column(String(200))
    destination: Mapped[str | None] = mapped_column(String(200))
    trip_name: Mapped[str | None] = mapped_column(String(200))
    # expensehub extension (docs/allowances.md). ``pricing``: ``statutory`` (the amount is the statutory
    # allowance) or ``amount`` (given by the caller: the company's policy amount); NULL on older rows.
    pricing: Mapped[str | None] = mapped_column(String(16))
    # The trip inputs the caller gave (start_at, end_at, timezone, destination, meals, nights), as JSON
    # text; the ones missing are assumed when the trip is priced (``allowances.rules.TripInputs``).
    trip_inputs: Mapped[str | None] = mapped_column(Text)
    # Totals of the statutory breakdown, in the claim's currency; NULL when it could not be computed
    # (no rules for the country or destination, or a claim in another currency than the rules').
    gross_amount: Mapped[int | None] = mapped_column(BigInteger)
    deductions_amount: Mapped[int | None] = mapped_column(BigInteger)
    statutory_amount: Mapped[int | None] = mapped_column(BigInteger)
    taxable_amount: Mapped[int | None] = mapped_column(BigInteger)


class ApprovalFlow(Base):
    """An approval flow materialised when a claim is submitted (one per submission)."""

    __tablename__ = "approval_flows"
    __table_args__ = (Index("ix_approval_flows_resource", "company_id", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int] = mapped_column(BigId)
    author_access_id: Mapped[int | None] = mapped_column(BigId)
    author_employee_id: Mapped[int | None] = mapped_column(BigId)
    owner_access_id: Mapped[int | None] = mapped_column(BigId)
    owner_employee_id: Mapped[int | None] = mapped_column(BigId)
    # running, approved, rejected, changes_requested, stopped
    status: Mapped[str] = mapped_column(String(24))
    action_type: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    final_decision_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApprovalFlowApprover(Base):
    """An approver of a flow's step and what they decided."""

    __tablename__ = "approval_flow_approvers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("approval_flows.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer, default=1)
    employee_id: Mapped[int | None] = mapped_column(BigId)
    access_id: Mapped[int | None] = mapped_column(BigId)
    selection_criteria: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
