"""Property tests of the allowances engine (hypothesis).

Per diem: amounts are never negative; the days sum exactly to the totals; on every day and in total,
tax-free + taxable == policy amount; the statutory amount is gross minus deductions and bounds the tax-free
part. Mileage: never negative; the parts sum exactly to the amount; splitting a trip in two changes the
total by at most the two roundings.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expensehub.allowances.mileage import MileageClaim, compute_mileage
from expensehub.allowances.perdiem import MEALS, FixedRate, Policy, Trip, compute_per_diem

DESTINATIONS = {
    "de": ["de", "fr", "gb", "us", "nl", "dk", "ch", "it"],
    "es": ["es", "fr", "us", "pt"],
    "gb": ["gb"],
    "us": ["us"],
}
ZONES = {"de": "Europe/Berlin", "es": "Europe/Madrid", "gb": "Europe/London", "us": "America/New_York"}
CITIES = [None, "Paris", "London", "New York", "Rom", "Genf", "Springfield"]


@st.composite
def trips(draw: st.DrawFn) -> Trip:
    country = draw(st.sampled_from(sorted(DESTINATIONS)))
    tz = ZoneInfo(ZONES[country])
    day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 9, 10)))
    start = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=draw(st.integers(0, 1439)))
    end = start + timedelta(minutes=draw(st.integers(1, 12 * 24 * 60)))
    # A trip ending at midnight spends no time on its last date: that date is not a day of the trip.
    last = end.date() if end.time() != datetime.min.time() else end.date() - timedelta(days=1)
    trip_days = [start.date() + timedelta(days=i) for i in range((last - start.date()).days + 1)]
    meals = draw(
        st.dictionaries(
            st.sampled_from(trip_days),
            st.frozensets(st.sampled_from(MEALS), min_size=1),
            max_size=len(trip_days),
        )
    )
    nights = trip_days[:-1]
    overnight = draw(
        st.one_of(st.none(), st.frozensets(st.sampled_from(nights)) if nights else st.just(frozenset()))
    )
    return Trip(
        country=country,
        start=start,
        end=end,
        destination_country=draw(st.sampled_from(DESTINATIONS[country])),
        destination_city=draw(st.sampled_from(CITIES)),
        meals_provided=meals,
        overnight_stays=overnight,
        locality_mie=draw(st.sampled_from([None, Decimal(74), Decimal(92)])) if country == "us" else None,
    )


policies = st.one_of(
    st.none(),
    st.builds(
        Policy,
        multiplier=st.decimals(min_value=0, max_value=3, places=6, allow_nan=False, allow_infinity=False),
        deduct_meals=st.booleans(),
    ),
    st.builds(
        Policy,
        fixed_rates=st.dictionaries(
            st.sampled_from(["*", "de", "fr", "us", "gb", "es"]),
            st.builds(FixedRate, full_day=st.integers(0, 20_000), partial_day=st.integers(0, 20_000)),
            min_size=1,
            max_size=3,
        ),
        deduct_meals=st.booleans(),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trip=trips(), policy=policies)
def test_per_diem_invariants(trip: Trip, policy: Policy | None) -> None:
    r = compute_per_diem(trip, policy)
    for d in r.days:
        assert min(d.gross, d.statutory, d.policy, d.tax_free, d.taxable, d.deducted) >= 0
        assert all(x.amount >= 0 for x in d.deductions)
        assert d.statutory == d.gross - d.deducted
        assert d.tax_free + d.taxable == d.policy
        assert d.tax_free <= d.statutory
    t = r.totals
    assert t.gross == sum(d.gross for d in r.days)
    assert t.deductions == sum(d.deducted for d in r.days)
    assert t.statutory == sum(d.statutory for d in r.days)
    assert t.policy == sum(d.policy for d in r.days)
    assert t.tax_free == sum(d.tax_free for d in r.days)
    assert t.taxable == sum(d.taxable for d in r.days)
    assert t.tax_free + t.taxable == t.policy
    if policy is None:
        assert t.policy == t.statutory
        assert t.taxable == 0
    assert [d.date for d in r.days] == sorted({d.date for d in r.days})


MILEAGE_CASES = st.sampled_from(
    [
        ("gb", "car", None),
        ("gb", "motorcycle", None),
        ("de", "car", None),
        ("es", "car", None),
        ("us", "car", None),
        ("fr", "car", 3),
        ("fr", "car", 5),
        ("fr", "car", 8),
        ("fr", "motorcycle", 2),
        ("fr", "moped", None),
    ]
)
distances = st.decimals(
    min_value=Decimal("0.1"), max_value=30_000, places=1, allow_nan=False, allow_infinity=False
)


@settings(max_examples=300, deadline=None)
@given(
    case=MILEAGE_CASES,
    distance=distances,
    ytd=st.decimals(min_value=0, max_value=40_000, places=1, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["km", "mi"]),
    passengers=st.integers(0, 4),
    electric=st.booleans(),
    round_trip=st.booleans(),
)
def test_mileage_invariants(
    case: tuple[str, str, int | None],
    distance: Decimal,
    ytd: Decimal,
    unit: str,
    passengers: int,
    electric: bool,
    round_trip: bool,
) -> None:
    country, vehicle, hp = case
    r = compute_mileage(
        MileageClaim(
            country,
            date(2025, 6, 1),
            distance,
            unit=unit,
            vehicle=vehicle,
            fiscal_horsepower=hp,
            passengers=passengers,
            electric=electric,
            round_trip=round_trip,
            ytd_distance=ytd,
        )
    )
    assert r.amount >= 0
    assert all(b.amount >= 0 and b.distance > 0 for b in r.bands)
    assert r.passenger_amount >= 0
    assert r.uplift_amount >= 0
    assert sum(b.amount for b in r.bands) + r.uplift_amount + r.passenger_amount == r.amount
    assert sum((b.distance for b in r.bands), Decimal(0)) == r.distance_in_rate_unit


@settings(max_examples=200, deadline=None)
@given(case=MILEAGE_CASES, first=distances, second=distances, ytd=distances)
def test_mileage_split_trip_adds_up(
    case: tuple[str, str, int | None], first: Decimal, second: Decimal, ytd: Decimal
) -> None:
    """Two consecutive claims cost what one claim of both distances costs, give or take the two roundings."""
    country, vehicle, hp = case

    def price(distance: Decimal, before: Decimal) -> int:
        return compute_mileage(
            MileageClaim(
                country,
                date(2025, 6, 1),
                distance,
                vehicle=vehicle,
                fiscal_horsepower=hp,
                ytd_distance=before,
            )
        ).amount

    whole = price(first + second, ytd)
    parts = price(first, ytd) + price(second, ytd + first)
    assert abs(whole - parts) <= 1
