"""Pure rules for stored claims: trip inputs of a per diem, the rate configurations a breakdown used, and the
year-to-date distance of a mileage."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from expensehub.allowances.perdiem import compute_per_diem
from expensehub.allowances.rules import (
    DrivenLeg,
    TripInputs,
    assumed_trip,
    rate_uses,
    resolve_trip,
    vehicle_group,
    ytd_distance,
)
from expensehub.errors import ValidationFailed

BERLIN = ZoneInfo("Europe/Berlin")


def test_trip_inputs_round_trip_through_json() -> None:
    inputs = TripInputs.from_json(
        {
            "start_at": "2025-03-03T07:30:00+01:00",
            "end_at": datetime(2025, 3, 5, 19, 0),
            "timezone": "Europe/Berlin",
            "destination_country": " FR ",
            "destination_city": "Paris",
            "meals_provided": [
                {"date": "2025-03-04", "breakfast": True},
                {"date": date(2025, 3, 4), "dinner": True},
                {"date": "2025-03-05"},
            ],
            "overnight_stays": ["2025-03-04", "2025-03-03"],
            "locality_mie": 92,
        }
    )
    assert inputs.destination_country == "fr"
    assert inputs.meals_provided == {date(2025, 3, 4): frozenset({"breakfast", "dinner"})}
    assert inputs.locality_mie == Decimal(92)
    assert TripInputs.from_json(inputs.to_json()) == inputs
    assert TripInputs.from_json(None) == TripInputs() == TripInputs.from_json({})
    assert TripInputs().to_json() == {}


def test_without_inputs_the_trip_is_the_assumed_one() -> None:
    trip = resolve_trip(
        country="de",
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 5),
        destination="Paris, FR",
        inputs=TripInputs(),
    )
    assert trip == assumed_trip(
        country="de", start_date=date(2025, 3, 3), end_date=date(2025, 3, 5), destination="Paris, FR"
    )
    assert (trip.start, trip.end) == (
        datetime(2025, 3, 3, 8, tzinfo=BERLIN),
        datetime(2025, 3, 5, 18, tzinfo=BERLIN),
    )
    assert (trip.destination_country, trip.destination_city) == ("fr", "Paris")


def test_naive_times_are_local_to_the_timezone_and_one_end_can_be_assumed() -> None:
    inputs = TripInputs(
        start_at=datetime(2025, 3, 3, 6, 15), timezone="Europe/Berlin", destination_country="at"
    )
    trip = resolve_trip(
        country="de",
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 4),
        destination="Wien",
        inputs=inputs,
    )
    assert trip.start == datetime(2025, 3, 3, 6, 15, tzinfo=BERLIN)
    assert trip.end == datetime(2025, 3, 4, 18, tzinfo=BERLIN)
    assert (trip.destination_country, trip.destination_city) == ("at", "Wien")
    # an aware start without timezone: the days are those of its offset
    plus_two = timezone(timedelta(hours=2))
    trip = resolve_trip(
        country="de",
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 3),
        destination=None,
        inputs=TripInputs(start_at=datetime(2025, 3, 3, 9, tzinfo=plus_two)),
    )
    assert trip.end == datetime(2025, 3, 3, 18, tzinfo=plus_two)


@pytest.mark.parametrize(
    ("inputs", "code", "field"),
    [
        (TripInputs(start_at=datetime(2025, 3, 3, 8)), "invalid_trip", "start_at"),
        (
            TripInputs(start_at=datetime(2025, 3, 3, 8), timezone="Atlantis/Capital"),
            "unknown_timezone",
            "timezone",
        ),
        (TripInputs(start_at=datetime(2025, 3, 4, 8, tzinfo=BERLIN)), "invalid_trip", "start_date"),
        (TripInputs(end_at=datetime(2025, 3, 3, 19, tzinfo=BERLIN)), "invalid_trip", "end_date"),
        (
            TripInputs(
                start_at=datetime(2025, 3, 3, 9, tzinfo=BERLIN), end_at=datetime(2025, 3, 3, 8, tzinfo=BERLIN)
            ),
            "invalid_trip",
            "end_at",
        ),
    ],
)
def test_bad_trip_inputs(inputs: TripInputs, code: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        resolve_trip(
            country="de",
            start_date=date(2025, 3, 3),
            end_date=date(2025, 3, 4),
            destination=None,
            inputs=inputs,
        )
    assert exc.value.code == code
    assert field in exc.value.fields


def test_rate_uses_group_days_by_table_line_kind_and_amount() -> None:
    """German 3-day trip: two partial days (14 EUR) and one full day (28 EUR) are two configurations."""
    result = compute_per_diem(
        assumed_trip(country="de", start_date=date(2025, 3, 3), end_date=date(2025, 3, 5), destination=None)
    )
    uses = rate_uses(result)
    assert [(u.key.day_kind, u.key.amount, u.days, u.amount) for u in uses] == [
        ("partial", 1400, 2, 2800),
        ("full", 2800, 1, 2800),
    ]
    assert {(u.key.table_id, u.key.destination_key, u.key.currency) for u in uses} == {
        ("de/per_diem/2025-01-01", "Inland", "EUR")
    }
    assert sum(u.amount for u in uses) == result.totals.statutory


def test_vehicle_groups() -> None:
    assert vehicle_group(None) == vehicle_group("car") == vehicle_group("van") == "car"
    assert vehicle_group("motorcycle") == "motorcycle"


def leg(i: int, day: date, distance: int, **kw: object) -> DrivenLeg:
    values: dict[str, object] = {"units": "mi", "round_trip": False, "vehicle": None, "country": "gb", **kw}
    return DrivenLeg(expensable_id=i, effective_on=day, distance=distance, **values)  # type: ignore[arg-type]


def test_ytd_distance_counts_earlier_claims_by_date_then_id() -> None:
    june = date(2025, 6, 10)
    legs = [
        leg(1, date(2025, 5, 2), 100),
        leg(2, june, 10),  # same day, lower id: before claim 5
        leg(7, june, 20),  # same day, higher id: after claim 5
        leg(3, date(2025, 6, 11), 40),  # later day
        leg(4, date(2025, 5, 3), 8, units="km"),  # 8 km = 4.97... mi
        leg(6, date(2025, 5, 4), 50, round_trip=True),  # counts twice
        leg(8, date(2025, 5, 5), 1000, vehicle="motorcycle"),  # another vehicle group
        leg(9, date(2025, 5, 5), 1000, country="es"),  # another employer
        leg(10, date(2025, 5, 6), 5, vehicle="van"),  # cars and vans together
    ]
    ytd = ytd_distance(legs, country="gb", vehicle="car", on=june, expensable_id=5, unit="mi")
    assert ytd == Decimal(100 + 10 + 100 + 5) + Decimal(8) / Decimal("1.609344")
    # a new claim (no id yet) comes after every claim of its day
    new = ytd_distance(legs, country="gb", vehicle=None, on=june, expensable_id=None, unit="mi")
    assert new == ytd + 20
    # an update does not count the claim itself
    assert ytd_distance(legs, country="gb", vehicle="car", on=june, expensable_id=7, unit="mi") == ytd + 0
