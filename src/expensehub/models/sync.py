"""Mirroring a remote Factorial-compatible account: which local row each remote object became, and where
an interrupted sync resumes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class SyncLink(Base):
    """A remote object (``source``, ``resource``, ``remote_id``) and the local row it is mirrored into."""

    __tablename__ = "sync_links"
    __table_args__ = (
        UniqueConstraint("company_id", "source", "resource", "remote_id", name="uq_sync_links_remote"),
        Index("ix_sync_links_local", "company_id", "resource", "local_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(300))
    resource: Mapped[str] = mapped_column(String(80))
    remote_id: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[int] = mapped_column(BigId)
    content_hash: Mapped[str] = mapped_column(String(64))
    # A reference to resolve once its target is mirrored too (an employee's manager): its remote id.
    pending_ref: Mapped[str | None] = mapped_column(String(64))
    seen_run_id: Mapped[int | None] = mapped_column(BigId)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncRun(Base):
    """One sync of a source into a company: the resources done, and the page the current one is at."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_company_source", "company_id", "source", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done: Mapped[str] = mapped_column(Text, default="")  # resources finished, comma separated
    resource: Mapped[str | None] = mapped_column(String(80))  # the resource being walked
    cursor: Mapped[str | None] = mapped_column(String(200))  # where its next page starts
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: resource -> outcome -> count
