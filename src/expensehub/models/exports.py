"""Exports: saved reports and their schedules, report runs, and checkpoints of incremental exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class ReportDefinition(Base):
    """A saved report: a template over an export dataset, or a read-only SQL query over the report views.

    With a ``schedule`` (a 5-field cron expression, UTC) the worker runs it at ``next_run_at`` and writes
    the file into the reports folder.
    """

    __tablename__ = "report_definitions"
    __table_args__ = (
        UniqueConstraint("company_id", "name", name="uq_report_definitions_company_name"),
        Index("ix_report_definitions_due", "enabled", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # template or sql
    kind: Mapped[str] = mapped_column(String(16))
    # expenses, card_payments, transactions (template reports)
    dataset: Mapped[str | None] = mapped_column(String(32))
    # The template as validated JSON text (template reports).
    template: Mapped[str | None] = mapped_column(Text)
    sql: Mapped[str | None] = mapped_column(Text)
    # csv, xlsx, parquet, jsonl
    format: Mapped[str] = mapped_column(String(16))
    schedule: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportRun(Base):
    """One run of a report (by the worker on schedule, or by hand), with its outcome."""

    __tablename__ = "report_runs"
    __table_args__ = (Index("ix_report_runs_report", "report_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report_definitions.id", ondelete="CASCADE"))
    # schedule or manual
    trigger: Mapped[str] = mapped_column(String(16))
    # succeeded or failed
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rows: Mapped[int | None] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class ExportCheckpoint(Base):
    """Where an incremental export stopped: the greatest ``updated_at`` it wrote, per name and dataset."""

    __tablename__ = "export_checkpoints"
    __table_args__ = (
        UniqueConstraint("company_id", "dataset", "name", name="uq_export_checkpoints_company_dataset_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    dataset: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    updated_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
