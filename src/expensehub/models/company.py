"""Companies, legal entities, accesses and employees: the minimal HR core an expense needs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class Company(Base):
    """A tenant. Every other row belongs to exactly one company."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    tin: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LegalEntity(Base):
    """A company's legal entity in one country, with its base currency."""

    __tablename__ = "legal_entities"
    __table_args__ = (Index("ix_legal_entities_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    legal_name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    tin: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    address_line_1: Mapped[str | None] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Access(Base):
    """A user access (login). Factorial's documents and approvals refer to access ids, not employee ids."""

    __tablename__ = "accesses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))


class Employee(Base):
    """An employee: the spender, reporter or approver of expenses."""

    __tablename__ = "employees"
    __table_args__ = (
        Index("ix_employees_company_id_id", "company_id", "id"),
        # The identifier a company gives its employees, and their e-mail (stored lower-case), name one
        # employee each: imports and create_with_contract are idempotent on them. NULLs never collide.
        Index("uq_employees_company_identifier", "company_id", "company_identifier", unique=True),
        Index("uq_employees_company_email", "company_id", "email", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    access_id: Mapped[int] = mapped_column(ForeignKey("accesses.id"), unique=True)
    legal_entity_id: Mapped[int | None] = mapped_column(ForeignKey("legal_entities.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # Null: the direct manager approves time off too (what the API shows as ``timeoff_manager_id``).
    timeoff_manager_id: Mapped[int | None] = mapped_column(BigId)
    location_id: Mapped[int | None] = mapped_column(BigId)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    login_email: Mapped[str | None] = mapped_column(String(254))
    company_identifier: Mapped[str | None] = mapped_column(String(64))
    phone_number: Mapped[str | None] = mapped_column(String(40))
    birthday_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(String(500))
    # Where reimbursements are paid: Factorial's bank details of an employee.
    bank_number: Mapped[str | None] = mapped_column(String(64))
    bank_number_format: Mapped[str | None] = mapped_column(String(40))
    swift_bic: Mapped[str | None] = mapped_column(String(11))
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
