"""Five-field cron expressions: parsing, validation, next run times (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expensehub.exports.cron import CronError, parse_cron


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("* * * * *", at(2026, 1, 1, 10, 0, 30), at(2026, 1, 1, 10, 1)),
        ("0 6 * * 1", at(2026, 11, 26, 12, 0), at(2026, 11, 30, 6, 0)),  # Thursday -> Monday 06:00
        ("0 6 * * mon", at(2026, 11, 30, 6, 0), at(2026, 12, 7, 6, 0)),  # strictly after
        ("*/15 9-17 * * mon-fri", at(2026, 11, 27, 17, 50), at(2026, 11, 30, 9, 0)),
        ("30 2 1 * *", at(2026, 12, 15), at(2027, 1, 1, 2, 30)),
        ("0 0 29 2 *", at(2026, 3, 1), at(2028, 2, 29)),
        ("0 0 1,15 * 0", at(2026, 11, 2), at(2026, 11, 8)),  # day OR weekday when both are restricted
        ("0 12 * jan,jul *", at(2026, 2, 1), at(2026, 7, 1, 12)),
        ("5 4 * * 7", at(2026, 11, 26), at(2026, 11, 29, 4, 5)),  # 7 is Sunday too
        ("10-20/5 * * * *", at(2026, 1, 1, 0, 16), at(2026, 1, 1, 0, 20)),
        ("7/20 * * * *", at(2026, 1, 1, 0, 28), at(2026, 1, 1, 0, 47)),
        ("@daily", at(2026, 1, 1, 0, 0), at(2026, 1, 2)),
        ("@hourly", at(2026, 1, 1, 5, 59), at(2026, 1, 1, 6)),
        ("@monthly", at(2026, 12, 5), at(2027, 1, 1)),
        ("@weekly", at(2026, 11, 26), at(2026, 11, 29)),
        ("@yearly", at(2026, 6, 1), at(2027, 1, 1)),
    ],
)
def test_next_run(expression: str, after: datetime, expected: datetime) -> None:
    assert parse_cron(expression).next_after(after) == expected


def test_naive_times_are_utc() -> None:
    assert parse_cron("0 * * * *").next_after(datetime(2026, 1, 1, 10, 30)) == at(2026, 1, 1, 11)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty"),
        ("* * * *", "5 fields"),
        ("* * * * * *", "5 fields"),
        ("61 * * * *", "out of range"),
        ("* 24 * * *", "out of range"),
        ("* * 0 * *", "out of range"),
        ("* * * 13 *", "out of range"),
        ("* * * * 8", "out of range"),
        ("*/0 * * * *", "step"),
        ("5-1 * * * *", "backwards"),
        ("a * * * *", "not a number"),
        ("* * * foo *", "not a number"),
        ("1,,2 * * * *", "empty"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4 *", "never fires"),
        ("@often", "unknown shorthand"),
    ],
)
def test_invalid_expressions(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_cron(expression)


@settings(max_examples=200, deadline=None)
@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_daily_expressions_fire_within_a_day_at_the_right_time(
    minute: int, hour: int, start: datetime
) -> None:
    after = start.replace(tzinfo=UTC)
    nxt = parse_cron(f"{minute} {hour} * * *").next_after(after)
    assert (nxt.hour, nxt.minute, nxt.second) == (hour, minute, 0)
    assert after < nxt <= after + timedelta(days=1)
