"""What the seeding steps share: the demo company being built, its people and its planned claims.

Each step (``people``, ``reference``, ``claims``...) reads and extends one ``Demo``; every random choice
is drawn from ``Demo.rng`` in a fixed order, which is what makes a seed build the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from expensehub.allowances import rules as allowance_rules
from expensehub.demo.data import EntitySpec
from expensehub.models import Category, CostCenter, Project


@dataclass(slots=True)
class Period:
    """A stretch of an employee's time with the same cost-centre split."""

    start: date
    end: date | None
    shares: list[tuple[int, Decimal]]  # (cost centre id, share)


@dataclass(slots=True)
class Emp:
    """An employee as the seeder needs them (the row is created by the companies service)."""

    index: int
    id: int
    access_id: int
    spec: EntitySpec
    le_id: int
    cost_center: str
    manager: int | None
    is_manager: bool
    hired_on: date
    terminated_on: date | None
    card_last4: str | None
    weight: float
    periods: list[Period] = field(default_factory=list)


@dataclass(slots=True)
class Claim:
    """One planned expensable with everything needed to write it and its dependent rows."""

    emp: Emp
    type: str
    effective_on: date
    status: str = ""
    row: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    taxes: list[dict[str, Any]] = field(default_factory=list)
    shares: list[tuple[int, Decimal]] = field(default_factory=list)
    flows: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    duplicate_of: Claim | None = None
    merchant_key: str = ""
    le_amount: int = 0
    id: int = 0
    detail_id: int = 0  # expenses: the Expense row's id (receipts hang off it)
    # per diems: the rate configurations the statutory breakdown used
    rate_uses: tuple[allowance_rules.RateUse, ...] = ()


@dataclass
class Demo:
    """The demo company under construction: the session it is written in, the random generator, and
    what the earlier steps created (ids, names) for the later ones."""

    s: Session
    rng: random.Random
    company_id: int = 0
    company_name: str = ""
    domain: str = ""
    entities: dict[str, tuple[EntitySpec, int]] = field(default_factory=dict)
    emps: list[Emp] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)
    accounts: dict[tuple[str, str], int] = field(default_factory=dict)  # (entity key, number) -> id
    cost_centers: dict[str, CostCenter] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    memberships: int = 0
    finance_approver: Emp | None = None
    office_manager: Emp | None = None
    merchant_tins: dict[str, str | None] = field(default_factory=dict)
    claim_list: list[Claim] = field(default_factory=list)
    rate_configurations: dict[tuple[str, str, str, int], int] = field(default_factory=dict)


def days(n: float) -> timedelta:
    """``n`` days (fractional), to the second."""
    return timedelta(seconds=round(n * 86400))


def at(day: date, hour: float) -> datetime:
    """``day`` at ``hour`` (fractional, UTC), truncated to the second."""
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(seconds=round(hour * 3600))
