"""Per diem rate configurations and the rates each per diem used (``rates`` on expenses/per_diems).

A rate configuration is one line of a statutory rate table as a company met it: the table, the line
(destination), the kind of day and its amount. Configurations are created on demand, the first time a
per diem of the company is priced with that line, and never change, so their ids are stable.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class PerDiemRateConfiguration(Base):
    """A line of a statutory per diem table for one kind of day (``rate_configuration_id``)."""

    __tablename__ = "per_diem_rate_configurations"
    __table_args__ = (
        Index(
            "uq_per_diem_rate_configurations_key",
            "company_id",
            "table_id",
            "destination_key",
            "day_kind",
            "amount",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))  # whose rules: the employer's country
    table_id: Mapped[str] = mapped_column(String(64))  # e.g. de/per_diem/2025-01-01
    valid_from: Mapped[date] = mapped_column(Date)
    destination_key: Mapped[str] = mapped_column(String(200))  # the table line, e.g. "FR Frankreich – Paris"
    day_kind: Mapped[str] = mapped_column(String(16))  # full or partial
    amount: Mapped[int] = mapped_column(BigInteger)  # gross daily amount, minor units of ``currency``
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PerDiemRate(Base):
    """A rate configuration a per diem's breakdown used, with the days priced by it."""

    __tablename__ = "per_diem_rates"
    __table_args__ = (
        Index(
            "uq_per_diem_rates_per_diem_configuration", "per_diem_id", "rate_configuration_id", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    per_diem_id: Mapped[int] = mapped_column(ForeignKey("per_diems.id", ondelete="CASCADE"))
    rate_configuration_id: Mapped[int] = mapped_column(ForeignKey("per_diem_rate_configurations.id"))
    total_days: Mapped[int] = mapped_column(Integer)
    # Statutory amount of those days (after meal deductions), minor units of the configuration's currency.
    total_amount: Mapped[int] = mapped_column(BigInteger)
