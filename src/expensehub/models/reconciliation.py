"""Card reconciliation: stored runs, their proposals and leftovers, and remembered rejections."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import ExactDecimal, UTCDateTime


class ReconciliationRun(Base):
    """One run of the matcher over a period, with its summary counts."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="completed")
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    card_payments: Mapped[int] = mapped_column(Integer, default=0)
    expenses: Mapped[int] = mapped_column(Integer, default=0)
    already_reconciled: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    ambiguous: Mapped[int] = mapped_column(Integer, default=0)
    low_confidence: Mapped[int] = mapped_column(Integer, default=0)
    missing_receipts: Mapped[int] = mapped_column(Integer, default=0)
    expenses_without_payment: Mapped[int] = mapped_column(Integer, default=0)
    refunds: Mapped[int] = mapped_column(Integer, default=0)
    fx_differences: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconciliationProposal(Base):
    """A proposed link of one card payment with its expense (or the two parts of a split expense)."""

    __tablename__ = "reconciliation_proposals"
    __table_args__ = (
        Index("ix_reconciliation_proposals_company_id_id", "company_id", "id"),
        Index("ix_reconciliation_proposals_run", "company_id", "run_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id", ondelete="CASCADE"))
    card_payment_id: Mapped[int] = mapped_column(ForeignKey("card_payments.id", ondelete="CASCADE"))
    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"), index=True)
    # The other part when one receipt was filed as two expenses that together make the payment.
    second_expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"))
    # matched | ambiguous | low_confidence
    kind: Mapped[str] = mapped_column(String(16))
    # proposed | confirmed | rejected | superseded
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    # Proposals of one ambiguous choice share a group number within the run.
    group_number: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(ExactDecimal())
    amount_rule: Mapped[str] = mapped_column(String(32))
    # JSON list of {code, weight, score, detail}
    reasons: Mapped[str] = mapped_column(Text)
    lag_days: Mapped[int] = mapped_column(Integer)
    card_amount_cents: Mapped[int] = mapped_column(BigInteger)
    card_currency: Mapped[str] = mapped_column(String(3))
    # Document amount: the expense's (both parts of a split together), in its currency.
    expense_amount: Mapped[int] = mapped_column(BigInteger)
    expense_currency: Mapped[str] = mapped_column(String(3))
    base_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    base_currency: Mapped[str | None] = mapped_column(String(3))
    fx_difference_cents: Mapped[int | None] = mapped_column(BigInteger)
    transaction_id: Mapped[int | None] = mapped_column(BigId)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconciliationItem(Base):
    """A leftover of a run: a card payment without an expense, an expense without a payment, a refund."""

    __tablename__ = "reconciliation_items"
    __table_args__ = (
        Index("ix_reconciliation_items_company_id_id", "company_id", "id"),
        Index("ix_reconciliation_items_run", "company_id", "run_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id", ondelete="CASCADE"))
    # missing_receipt | expense_without_payment | refund
    kind: Mapped[str] = mapped_column(String(32))
    card_payment_id: Mapped[int | None] = mapped_column(ForeignKey("card_payments.id", ondelete="CASCADE"))
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    on_date: Mapped[date] = mapped_column(Date)
    merchant: Mapped[str | None] = mapped_column(String(200))
    card_last4: Mapped[str | None] = mapped_column(String(4))


class ReconciliationRejection(Base):
    """A person said this payment is not this expense: no later run proposes the pair again."""

    __tablename__ = "reconciliation_rejections"
    __table_args__ = (
        UniqueConstraint(
            "company_id", "card_payment_id", "expense_id", name="uq_reconciliation_rejections_pair"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    card_payment_id: Mapped[int] = mapped_column(ForeignKey("card_payments.id", ondelete="CASCADE"))
    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
