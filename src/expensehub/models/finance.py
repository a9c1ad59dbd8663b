"""Finance reference data an expense points at: categories, cost centres, ledger accounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import ExactDecimal, UTCDateTime


class Category(Base):
    """An expense category or subcategory (``finance/categories``)."""

    __tablename__ = "categories"
    __table_args__ = (Index("ix_categories_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    parent_category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    identifier: Mapped[str] = mapped_column(String(80))
    default_label: Mapped[str] = mapped_column(String(120))
    label: Mapped[str | None] = mapped_column(String(120))
    # Which kind of expensable the category applies to: expense, mileage, perdiem.
    type: Mapped[str] = mapped_column(String(16), default="expense")
    status: Mapped[str] = mapped_column(String(16), default="enabled")
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CostCenter(Base):
    """A cost centre (``finance/cost_centers``). Deleting sets ``deleted_at``; it is then invisible.

    ``code`` is unique per company among the centres not deleted (a partial unique index), so a
    deleted centre's code can be reused.
    """

    __tablename__ = "cost_centers"
    __table_args__ = (
        Index("ix_cost_centers_company_id_id", "company_id", "id"),
        Index(
            "uq_cost_centers_company_code",
            "company_id",
            "code",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    legal_entity_id: Mapped[int | None] = mapped_column(ForeignKey("legal_entities.id"))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    deactivation_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CostCenterMembership(Base):
    """An employee's share (0..1) of a cost centre over a date range; history is kept."""

    __tablename__ = "cost_center_memberships"
    __table_args__ = (Index("ix_cost_center_memberships_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    cost_center_id: Mapped[int] = mapped_column(ForeignKey("cost_centers.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    percentage: Mapped[Decimal] = mapped_column(ExactDecimal())


class Account(Base):
    """A ledger account (``finance/accounts``)."""

    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_company_id_id", "company_id", "id"),
        # external_id is the caller's key against duplicates: unique per company (NULLs never collide).
        Index("uq_accounts_company_external_id", "company_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    legal_entity_id: Mapped[int] = mapped_column(ForeignKey("legal_entities.id"))
    number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerAccountResource(Base):
    """Maps a domain object (a category, a bank account, ...) to a ledger account."""

    __tablename__ = "ledger_account_resources"
    __table_args__ = (
        Index("ix_ledger_account_resources_company_id_id", "company_id", "id"),
        UniqueConstraint(
            "company_id", "legal_entity_id", "resource_type", "resource_id", name="uq_ledger_account_resource"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    legal_entity_id: Mapped[int] = mapped_column(ForeignKey("legal_entities.id"))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[int] = mapped_column(BigId)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    balance_type: Mapped[str | None] = mapped_column(String(8))
    operation_type: Mapped[str | None] = mapped_column(String(8))
    external_id: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
