"""Pure finance rules: cost-centre status, membership shares and the membership timeline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from expensehub.finance import rules
from expensehub.finance.rules import Period, Share, share_errors, supersede

D = date(2024, 1, 1)


def test_cost_center_status_switches_on_deactivation_day() -> None:
    today = date(2024, 6, 1)
    assert rules.cost_center_status(None, today) == "active"
    assert rules.cost_center_status(date(2024, 6, 2), today) == "active"
    assert rules.cost_center_status(date(2024, 6, 1), today) == "inactive"
    assert rules.cost_center_status(date(2020, 1, 1), today) == "inactive"


def test_covers_is_inclusive_and_open_ended() -> None:
    assert rules.covers(D, None, date(2999, 1, 1))
    assert rules.covers(D, D, D)
    assert not rules.covers(D, D, D + timedelta(days=1))
    assert not rules.covers(D, None, D - timedelta(days=1))


def test_decimal_places_ignores_trailing_zeros() -> None:
    assert rules.decimal_places(Decimal("0.250")) == 2
    assert rules.decimal_places(Decimal("1")) == 0
    assert rules.decimal_places(Decimal("10")) == 0
    assert rules.decimal_places(Decimal("0.1234567890123")) == 13


def test_valid_set_has_no_errors() -> None:
    shares = [Share(1, Decimal("0.1"), D), Share(2, Decimal("0.2"), D), Share(3, Decimal("0.7"), D)]
    assert share_errors(shares) == {}
    assert share_errors([Share(1, Decimal(1), D, D)]) == {}


def test_sum_must_be_exactly_one() -> None:
    third = Decimal(1) / 3
    shares = [Share(i, third.quantize(Decimal("0.000000000001")), D) for i in range(3)]
    errors = share_errors(shares)
    assert "memberships" in errors
    assert "0.999999999999" in errors["memberships"][0]
    assert "memberships" in share_errors([Share(1, Decimal("0.5"), D)])


def test_each_share_in_range_and_precise() -> None:
    for bad in ("0", "-0.5", "1.5", "NaN", "Infinity"):
        errors = share_errors([Share(1, Decimal(bad), D)])
        assert "memberships.0.percentage" in errors, bad
    errors = share_errors([Share(1, Decimal("0.5000000000001"), D), Share(2, Decimal("0.4999999999999"), D)])
    assert "decimal places" in errors["memberships.0.percentage"][0]


def test_period_and_duplicates_and_empty() -> None:
    errors = share_errors([Share(1, Decimal(1), D, D - timedelta(days=1))])
    assert errors == {"memberships.0.end_date": ["must be on or after start_date"]}
    errors = share_errors([Share(1, Decimal("0.5"), D), Share(1, Decimal("0.5"), D)])
    assert "memberships.1.cost_center_id" in errors
    assert share_errors([]) == {"memberships": ["must contain at least one membership"]}


def test_supersede_closes_running_removes_future_keeps_history() -> None:
    existing = [
        Period(1, date(2020, 1, 1), date(2021, 12, 31)),  # history: untouched
        Period(2, date(2022, 1, 1), None),  # running: closed
        Period(3, date(2022, 1, 1), date(2030, 1, 1)),  # running with an end: closed earlier
        Period(4, date(2024, 1, 1), None),  # starts on the new start: removed
        Period(5, date(2025, 1, 1), None),  # starts later: removed
    ]
    plan = supersede(existing, date(2024, 1, 1))
    assert plan.close == {2: date(2023, 12, 31), 3: date(2023, 12, 31)}
    assert sorted(plan.remove) == [4, 5]


def test_supersede_keeps_membership_ended_the_day_before() -> None:
    plan = supersede([Period(1, date(2020, 1, 1), date(2023, 12, 31))], date(2024, 1, 1))
    assert plan.close == {}
    assert plan.remove == []


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@st.composite
def periods(draw: st.DrawFn) -> list[Period]:
    out = []
    for i in range(draw(st.integers(0, 8))):
        start = draw(dates)
        end = draw(st.one_of(st.none(), st.integers(0, 2000).map(lambda n, s=start: s + timedelta(days=n))))
        out.append(Period(i + 1, start, end))
    return out


@given(periods(), dates)
def test_supersede_leaves_nothing_running_on_or_after_new_start(
    existing: list[Period], new_start: date
) -> None:
    plan = supersede(existing, new_start)
    for p in existing:
        if p.id in plan.remove:
            assert p.start_date >= new_start
            continue
        end = plan.close.get(p.id, p.end_date)
        assert end is not None
        assert end < new_start
        assert end >= p.start_date  # never an inverted period
        if p.end_date is not None and p.end_date < new_start:
            assert p.id not in plan.close  # history is never rewritten


@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=10))
def test_exact_decimal_split_always_accepted(weights: list[int]) -> None:
    total = sum(weights)
    places = Decimal("0.000001")
    shares = [Decimal(w) / total for w in weights]
    rounded = [s.quantize(places) for s in shares[:-1]]
    rounded.append(Decimal(1) - sum(rounded, Decimal(0)))
    if any(r <= 0 for r in rounded):
        return
    assert share_errors([Share(i, r, D) for i, r in enumerate(rounded)]) == {}
