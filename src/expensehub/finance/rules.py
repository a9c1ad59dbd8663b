"""Pure finance policy: cost-centre status, membership shares and the membership timeline.

No SQLAlchemy here: the functions take plain values so they can be tested exhaustively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

ONE = Decimal(1)
# Percentages are stored as NUMERIC(28, 12) on PostgreSQL: more places would be rounded silently.
MAX_PERCENTAGE_PLACES = 12

CATEGORY_TYPES = ("expense", "mileage", "perdiem")
CATEGORY_STATUSES = ("enabled", "disabled", "deleted")
ACCOUNT_TYPES = (
    "equity",
    "non_current_asset",
    "current_asset",
    "bank",
    "non_current_liability",
    "current_liability",
    "expense",
    "income",
)
LEDGER_RESOURCE_TYPES = ("customcategory", "bankaccount", "vendor", "taxtype", "invoice", "payrollconcept")
BALANCE_TYPES = ("credit", "debit")
OPERATION_TYPES = ("purchase", "sale")


def decimal_places(value: Decimal) -> int:
    """Significant decimal places of a finite decimal: ``0.250`` has 2, ``3`` has 0."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def cost_center_status(deactivation_date: date | None, today: date) -> str:
    """``inactive`` from the deactivation date on, ``active`` before it (or without one)."""
    return "inactive" if deactivation_date is not None and deactivation_date <= today else "active"


def covers(start: date, end: date | None, day: date) -> bool:
    """Whether a membership running from ``start`` to ``end`` (inclusive, open when None) covers ``day``."""
    return start <= day and (end is None or end >= day)


@dataclass(frozen=True)
class Share:
    """One requested membership of a set: a cost centre, its share and its period."""

    cost_center_id: int
    percentage: Decimal
    start_date: date
    end_date: date | None = None


def share_errors(shares: Sequence[Share]) -> dict[str, list[str]]:
    """Field errors of a membership set; empty when the set is valid.

    Each share is in (0, 1] with at most 12 decimal places, ends on or after it starts, names a
    cost centre only once, and the shares sum to exactly 1 (as decimals, never as floats).
    """
    fields: dict[str, list[str]] = {}
    if not shares:
        return {"memberships": ["must contain at least one membership"]}
    seen: set[int] = set()
    for i, share in enumerate(shares):
        key = f"memberships.{i}"
        pct = share.percentage
        if not pct.is_finite() or pct <= 0 or pct > ONE:
            fields.setdefault(f"{key}.percentage", []).append("must be greater than 0 and at most 1")
        elif decimal_places(pct) > MAX_PERCENTAGE_PLACES:
            fields.setdefault(f"{key}.percentage", []).append(
                f"must have at most {MAX_PERCENTAGE_PLACES} decimal places"
            )
        if share.end_date is not None and share.end_date < share.start_date:
            fields.setdefault(f"{key}.end_date", []).append("must be on or after start_date")
        if share.cost_center_id in seen:
            fields.setdefault(f"{key}.cost_center_id", []).append("appears more than once in the set")
        seen.add(share.cost_center_id)
    if not fields:
        total = sum((s.percentage for s in shares), Decimal(0))
        if total != ONE:
            fields["memberships"] = [
                f"percentages must sum to 1 (they sum to {format(total.normalize(), 'f')})"
            ]
    return fields


@dataclass(frozen=True)
class Period:
    """An existing membership's id and period."""

    id: int
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class Supersede:
    """What replacing an employee's memberships from ``new_start`` does to the existing ones."""

    # membership id -> its new end date (the day before the new set starts)
    close: dict[int, date]
    # memberships that would only have applied from the new start on: they are removed
    remove: list[int]


def supersede(existing: Sequence[Period], new_start: date) -> Supersede:
    """Close what still runs on ``new_start``: end it the day before, or remove it if it starts later.

    Memberships that ended before ``new_start`` are history and stay untouched, so the timeline
    never overlaps and past periods are never rewritten.
    """
    close: dict[int, date] = {}
    remove: list[int] = []
    day_before = new_start - timedelta(days=1)
    for period in existing:
        if period.end_date is not None and period.end_date < new_start:
            continue
        if period.start_date < new_start:
            close[period.id] = day_before
        else:
            remove.append(period.id)
    return Supersede(close=close, remove=remove)
