"""Projects that expenses are booked to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class Project(Base):
    """A project (``project_management/projects``)."""

    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_company_id_id", "company_id", "id"),
        # Factorial: "optional unique code"; NULL codes never collide, and a soft-deleted project's code
        # can be used again (a partial index over the projects not deleted).
        Index(
            "uq_projects_company_code",
            "company_id",
            "code",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    legal_entity_id: Mapped[int] = mapped_column(ForeignKey("legal_entities.id"))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    employees_assignment: Mapped[str] = mapped_column(String(20), default="manual")
    is_billable: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    client_id: Mapped[int | None] = mapped_column(BigId)
    inputed_minutes: Mapped[int | None] = mapped_column(BigInteger)
    fixed_cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Soft delete (``soft_delete``): the project is no longer listed or found; expenses keep it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
