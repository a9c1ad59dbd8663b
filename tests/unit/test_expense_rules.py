"""The expenses domain's pure rules: the status machine table, date windows, amounts, splits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expensehub.errors import InvalidState
from expensehub.expenses import rules

# The whole table, written out independently of rules.TRANSITIONS: (action, from) -> to.
EXPECTED: dict[tuple[str, str], str] = {
    ("submit", "draft"): "pending",
    ("submit", "changes_requested"): "pending",
    ("approve", "pending"): "approved",
    ("reject", "pending"): "rejected",
    ("request_changes", "pending"): "changes_requested",
    ("pay", "approved"): "paid",
    ("pay", "in_payroll"): "paid",
    ("pay", "sent_to_pay"): "paid",
    ("reverse", "approved"): "reversed",
    ("edit", "draft"): "draft",
    ("edit", "changes_requested"): "changes_requested",
    ("delete", "draft"): "draft",
}
ALL_STATUSES = [
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
ALL_ACTIONS = ["submit", "approve", "reject", "request_changes", "pay", "reverse", "edit", "delete"]


def test_enums_match_factorial() -> None:
    assert list(rules.STATUSES) == ALL_STATUSES
    assert set(rules.ACTIONS) == set(ALL_ACTIONS)


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_transition_table(status: str, action: str) -> None:
    expected = EXPECTED.get((action, status))
    assert rules.allowed(status, action) is (expected is not None)
    if expected is None:
        with pytest.raises(InvalidState) as info:
            rules.transition(status, action)
        assert info.value.code == "invalid_status_transition"
        assert status in info.value.message
    else:
        assert rules.transition(status, action) == expected


def test_unknown_action_or_status_is_refused() -> None:
    with pytest.raises(InvalidState):
        rules.transition("draft", "teleport")
    with pytest.raises(InvalidState):
        rules.transition("archived", "submit")


def test_payable_and_editable_sets() -> None:
    assert {"approved", "in_payroll", "sent_to_pay"} == rules.PAYABLE
    assert {"draft", "changes_requested"} == rules.EDITABLE


@given(st.lists(st.sampled_from(ALL_ACTIONS), max_size=40), st.sampled_from(ALL_STATUSES))
def test_any_action_sequence_stays_in_the_enum_and_paid_is_final(actions: list[str], start: str) -> None:
    status = start
    for action in actions:
        before = status
        try:
            status = rules.transition(status, action)
        except InvalidState:
            assert status == before  # a refused action changes nothing
        assert status in rules.STATUSES
        if before == "paid":
            assert status == "paid"
        if before in ("rejected", "reversed"):
            assert status == before  # terminal as well


@given(st.lists(st.sampled_from(ALL_ACTIONS), max_size=40))
def test_paid_is_only_reached_through_a_payable_status(actions: list[str]) -> None:
    status = "draft"
    for action in actions:
        before = status
        try:
            status = rules.transition(status, action)
        except InvalidState:
            continue
        if status == "paid" and before != "paid":
            assert before in rules.PAYABLE


# ---- date windows ----------------------------------------------------------------------------


def test_lone_bound_is_ignored() -> None:
    assert rules.date_window(date(2024, 1, 1), None, upper_inclusive=True) is None
    assert rules.date_window(None, date(2024, 1, 1), upper_inclusive=False) is None
    assert rules.date_window(None, None, upper_inclusive=True) is None


def test_dates_inclusive_and_exclusive_upper() -> None:
    lo, hi = date(2024, 1, 10), date(2024, 1, 20)
    assert rules.date_window(lo, hi, upper_inclusive=True) == (lo, date(2024, 1, 21))
    assert rules.date_window(lo, hi, upper_inclusive=False) == (lo, hi)


def test_timestamps_compare_against_midnight_utc() -> None:
    midnight = datetime(2024, 1, 10, tzinfo=UTC)
    noon = datetime(2024, 1, 10, 12, tzinfo=UTC)
    # from at midnight includes that day; from at noon starts the next day
    assert rules.date_window(midnight, midnight, upper_inclusive=True) == (
        date(2024, 1, 10),
        date(2024, 1, 11),
    )
    assert rules.date_window(noon, noon + timedelta(days=5), upper_inclusive=True) == (
        date(2024, 1, 11),
        date(2024, 1, 16),
    )
    # to (exclusive) at midnight excludes that day; at noon includes it
    assert rules.date_window(midnight, midnight + timedelta(days=5), upper_inclusive=False) == (
        date(2024, 1, 10),
        date(2024, 1, 15),
    )
    assert rules.date_window(midnight, noon + timedelta(days=5), upper_inclusive=False) == (
        date(2024, 1, 10),
        date(2024, 1, 16),
    )


def test_timestamp_offsets_are_converted_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    # 2024-01-10T01:00+01:00 is midnight UTC on the 10th
    lo = datetime(2024, 1, 10, 1, tzinfo=cet)
    assert rules.date_window(lo, lo, upper_inclusive=True) == (date(2024, 1, 10), date(2024, 1, 11))


# ---- amounts -----------------------------------------------------------------------------------


def test_mileage_amount_same_unit() -> None:
    amount = rules.mileage_amount(
        distance=100, units="km", rate=Decimal("0.26"), rate_unit="km", round_trip=False, currency="EUR"
    )
    assert amount == 2600


def test_mileage_amount_round_trip_and_conversion() -> None:
    # 10 mi = 16.09344 km; x 0.19 EUR/km = 3.0577536; x 2 = 6.1155072 -> 612 cents
    amount = rules.mileage_amount(
        distance=10, units="mi", rate=Decimal("0.19"), rate_unit="km", round_trip=True, currency="EUR"
    )
    assert amount == 612
    # 100 km at 0.45 GBP/mi = 100 / 1.609344 * 0.45 = 27.9617... -> 2796 pence
    amount = rules.mileage_amount(
        distance=100, units="km", rate=Decimal("0.45"), rate_unit="mi", round_trip=False, currency="GBP"
    )
    assert amount == 2796


def test_mileage_amount_rounds_half_even_once() -> None:
    # 1 km x 0.125 = 0.125 EUR -> 12 cents (half to even), 3 km x 0.125 = 0.375 -> 38
    one = rules.mileage_amount(
        distance=1, units="km", rate=Decimal("0.125"), rate_unit="km", round_trip=False, currency="EUR"
    )
    three = rules.mileage_amount(
        distance=3, units="km", rate=Decimal("0.125"), rate_unit="km", round_trip=False, currency="EUR"
    )
    assert (one, three) == (12, 38)
    assert (
        rules.mileage_amount(
            distance=100, units="km", rate=Decimal("3"), rate_unit="km", round_trip=False, currency="JPY"
        )
        == 300
    )


def test_convert_distance_rejects_unknown_units() -> None:
    with pytest.raises(ValueError, match="unit"):
        rules.convert_distance(Decimal(1), "km", "furlong")


def test_reimbursable_rules() -> None:
    assert rules.default_reimbursable(500, "reimbursable") == 500
    assert rules.default_reimbursable(500, "not_reimbursable") == 0
    assert rules.reimbursable_problem(500, 0, "reimbursable") is None
    assert rules.reimbursable_problem(500, 500, "reimbursable") is None
    assert rules.reimbursable_problem(500, 501, "reimbursable") is not None
    assert rules.reimbursable_problem(500, -1, "reimbursable") is not None
    assert rules.reimbursable_problem(500, 1, "not_reimbursable") is not None


@given(st.integers(min_value=1, max_value=60))
def test_equal_shares_sum_exactly_to_one(count: int) -> None:
    shares = rules.equal_shares(count)
    assert len(shares) == count
    assert sum(shares, Decimal(0)) == 1
    assert max(shares) - min(shares) <= Decimal("1e-12")
    assert rules.shares_problem(list(range(count)), shares) is None


def test_shares_problems() -> None:
    assert rules.shares_problem([1, 1], [Decimal("0.5"), Decimal("0.5")]) is not None
    assert rules.shares_problem([1, 2], [Decimal("0.5"), Decimal("0.4")]) is not None
    assert rules.shares_problem([1, 2], [Decimal("1"), Decimal("0")]) is not None
    assert rules.shares_problem([1, 2], [Decimal("0.3"), Decimal("0.7")]) is None
    assert rules.shares_problem([], []) is None


def test_merchant_key_prefers_the_typed_merchant_and_folds() -> None:
    assert rules.merchant_key("  Taxi BCN ", "Other") == "taxi bcn"
    assert rules.merchant_key("   ", "Uber") == "uber"
    assert rules.merchant_key(None, None) is None


def test_approval_resource_types() -> None:
    for raw in ("Expenses::Expensable", "expenses/expensable", "expensable", " EXPENSABLE "):
        assert rules.approval_resource_type(raw) == "Expenses::Expensable"
    for raw in ("Timeoff::Leave", "expense", ""):
        assert rules.approval_resource_type(raw) is None
