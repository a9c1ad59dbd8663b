"""Pure policy of the expenses domain: the status machine, date windows, amounts and splits.

No SQLAlchemy, no HTTP: every function here takes and returns plain values, so the whole table can be
unit-tested (and property-tested) without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Final, Literal, cast, get_args

from expensehub.errors import InvalidState
from expensehub.kit.money import from_decimal, split_largest_remainder

# --------------------------------------------------------------------------------------------------
# Status machine
# --------------------------------------------------------------------------------------------------

Status = Literal[
    "draft",
    "pending",
    "changes_requested",
    "approved",
    "rejected",
    "reversed",
    "in_payroll",
    "sent_to_pay",
    "paid",
]
STATUSES: Final[tuple[str, ...]] = get_args(Status)

Action = Literal["submit", "approve", "reject", "request_changes", "pay", "reverse", "edit", "delete"]

# Statuses from which money may be marked as paid out.
PAYABLE: Final[frozenset[str]] = frozenset({"approved", "in_payroll", "sent_to_pay"})
# Statuses in which the claim's content may still change.
EDITABLE: Final[frozenset[str]] = frozenset({"draft", "changes_requested"})


@dataclass(frozen=True)
class Transition:
    """An action: the statuses it may start from and the status it leads to (``None``: unchanged)."""

    sources: frozenset[str]
    target: str | None


TRANSITIONS: Final[dict[str, Transition]] = {
    "submit": Transition(frozenset({"draft", "changes_requested"}), "pending"),
    "approve": Transition(frozenset({"pending"}), "approved"),
    "reject": Transition(frozenset({"pending"}), "rejected"),
    "request_changes": Transition(frozenset({"pending"}), "changes_requested"),
    "pay": Transition(PAYABLE, "paid"),
    "reverse": Transition(frozenset({"approved"}), "reversed"),
    "edit": Transition(EDITABLE, None),
    "delete": Transition(frozenset({"draft"}), None),
}
ACTIONS: Final[tuple[str, ...]] = tuple(TRANSITIONS)


def allowed(status: str, action: str) -> bool:
    """Whether ``action`` may be applied to a claim in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def transition(status: str, action: str, *, subject: str = "the claim") -> str:
    """The status after ``action``; raises ``InvalidState(code="invalid_status_transition")`` if illegal.

    Pure: nothing is changed when it raises, because nothing is changed at all.
    """
    if not allowed(status, action):
        rule = TRANSITIONS.get(action)
        expected = ", ".join(sorted(rule.sources)) if rule else "nothing"
        raise InvalidState(
            f"cannot {action.replace('_', ' ')} {subject}: it is {status} (allowed from: {expected})",
            code="invalid_status_transition",
        )
    target = TRANSITIONS[action].target
    return status if target is None else target


# --------------------------------------------------------------------------------------------------
# Date windows (from/to filters on effective_on)
# --------------------------------------------------------------------------------------------------

Bound = date | datetime


def _next_day(day: date) -> date:
    """The following date; ``date.max`` stays put (nothing is stored that late)."""
    return day if day == date.max else day + timedelta(days=1)


def _ceil_date(value: Bound) -> date:
    """The first date whose midnight (UTC) is at or after ``value``."""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        day = utc.date()
        return day if utc.timetz() == time(0, tzinfo=UTC) else _next_day(day)
    return value


def _floor_date(value: Bound) -> date:
    """The last date whose midnight (UTC) is at or before ``value``."""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return utc.date()
    return value


def date_window(
    lower: Bound | None, upper: Bound | None, *, upper_inclusive: bool
) -> tuple[date, date] | None:
    """``(first date included, first date excluded)`` for a from/to filter on a date column.

    A date is compared as its midnight UTC (the way ``effective_on`` is emitted as a timestamp). Each
    bound only takes effect when the other is present: a lone bound returns ``None`` (no filter).
    ``lower`` is always inclusive; ``upper`` is inclusive (expensables) or exclusive (expenses, mileages).
    """
    if lower is None or upper is None:
        return None
    first = _ceil_date(lower)
    end = _next_day(_floor_date(upper)) if upper_inclusive else _ceil_date(upper)
    return first, end


# --------------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------------

KM_PER_MILE: Final[Decimal] = Decimal("1.609344")
DISTANCE_UNITS: Final[tuple[str, ...]] = ("km", "mi")


def convert_distance(distance: Decimal, source: str, target: str) -> Decimal:
    """``distance`` in ``source`` units expressed in ``target`` units (km or mi)."""
    if source not in DISTANCE_UNITS or target not in DISTANCE_UNITS:
        raise ValueError(f"unknown distance unit {source!r} or {target!r}")
    if source == target:
        return distance
    return distance * KM_PER_MILE if source == "mi" else distance / KM_PER_MILE


def mileage_amount(
    *, distance: int, units: str, rate: Decimal, rate_unit: str, round_trip: bool, currency: str
) -> int:
    """Minor units owed for a trip: distance (converted to the rate's unit) x rate x (2 if round trip).

    ``rate`` is in major units of ``currency`` per ``rate_unit``; the result rounds half-even once.
    """
    legs = 2 if round_trip else 1
    total = convert_distance(Decimal(distance), units, rate_unit) * rate * legs
    return from_decimal(total, currency)


# How a mileage's or per diem's amount was set (``pricing``, docs/allowances.md): ``statutory`` (the
# allowances engine), ``rate`` (mileages only: distance x the company's rate) or ``amount`` (as given).
MileagePricing = Literal["statutory", "rate", "amount"]
PerDiemPricing = Literal["statutory", "amount"]


def mileage_pricing(stored: str | None, rate: Decimal | None) -> MileagePricing:
    """How a stored mileage was priced; rows written before ``pricing`` existed count as priced by their
    ``rate`` when they have one, else as given."""
    if stored in get_args(MileagePricing):
        return cast(MileagePricing, stored)
    return "rate" if rate is not None else "amount"


def per_diem_pricing(stored: str | None, amount: int | None) -> PerDiemPricing:
    """How a stored per diem was priced; rows written before ``pricing`` existed count as given when they
    have an amount, else as the rules'."""
    if stored in get_args(PerDiemPricing):
        return cast(PerDiemPricing, stored)
    return "amount" if amount is not None else "statutory"


PERSONAL_CARD = "personal"


def default_payment(
    *, card: Mapping[str, object] | None, expenses_card_id: int | None, card_payment_id: int | None
) -> str:
    """Who is owed the money when the claim does not say: nobody when the company paid, i.e. the claim
    was raised from a card payment, names a company card (``expenses_card_id``), or carries a card that
    is not a ``personal`` one; otherwise the employee paid and is reimbursed."""
    if card_payment_id is not None or expenses_card_id is not None:
        return "not_reimbursable"
    if card is not None and str(card.get("card_type", "")).strip().lower() != PERSONAL_CARD:
        return "not_reimbursable"
    return "reimbursable"


def default_reimbursable(amount: int, payment: str) -> int:
    """What the company owes back when nobody said otherwise: everything if reimbursable, else 0."""
    return amount if payment == "reimbursable" else 0


def reimbursable_problem(amount: int, reimbursable_amount: int, payment: str) -> str | None:
    """Why ``reimbursable_amount`` is not acceptable for the claim, or ``None`` when it is."""
    if reimbursable_amount < 0:
        return "must not be negative"
    if reimbursable_amount > amount:
        return f"must not exceed the amount ({amount})"
    if payment == "not_reimbursable" and reimbursable_amount != 0:
        return "must be 0 when payment is not_reimbursable"
    return None


# --------------------------------------------------------------------------------------------------
# Cost-centre shares
# --------------------------------------------------------------------------------------------------

SHARE_SCALE: Final[int] = 10**12  # shares are stored with 12 decimal places


def equal_shares(count: int) -> list[Decimal]:
    """``count`` shares that sum exactly to 1 (largest remainder at 12 decimal places)."""
    if count < 1:
        return []
    parts = split_largest_remainder(SHARE_SCALE, [Decimal(1)] * count)
    return [Decimal(p).scaleb(-12) for p in parts]


def shares_problem(ids: Sequence[int], shares: Sequence[Decimal]) -> str | None:
    """Why a cost-centre split is not acceptable, or ``None``."""
    if len(set(ids)) != len(ids):
        return "a cost centre appears more than once"
    if any(s <= 0 or s > 1 for s in shares):
        return "each percentage must be greater than 0 and at most 1"
    if shares and sum(shares, Decimal(0)) != 1:
        return "percentages must sum to 1"
    return None


# --------------------------------------------------------------------------------------------------
# Duplicate detection and approvals
# --------------------------------------------------------------------------------------------------


def merchant_key(user_merchant: str | None, merchant_name: str | None) -> str | None:
    """The merchant two claims are compared on: the employee's own text, else the receipt's; folded."""
    for value in (user_merchant, merchant_name):
        if value is not None and value.strip():
            return value.strip().casefold()
    return None


APPROVAL_RESOURCE_TYPE: Final[str] = "Expenses::Expensable"
_RESOURCE_TYPE_ALIASES: Final[frozenset[str]] = frozenset(
    {"expenses::expensable", "expenses/expensable", "expensable"}
)


def approval_resource_type(raw: str) -> str | None:
    """The canonical resource type for an approval request, or ``None`` when it is not an expensable."""
    return APPROVAL_RESOURCE_TYPE if raw.strip().lower() in _RESOURCE_TYPE_ALIASES else None


APPROVAL_TTL: Final[timedelta] = timedelta(days=30)
