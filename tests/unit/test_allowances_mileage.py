"""Mileage engine: worked examples from the statutory sources, bands, units, straight-line check, validation.

Each test names its source in its docstring. Amounts are minor units.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from expensehub.allowances.mileage import KM_PER_MILE, MileageClaim, Point, compute_mileage, convert
from expensehub.errors import ValidationFailed

MADRID = Point(Decimal("40.4168"), Decimal("-3.7038"))
BARCELONA = Point(Decimal("41.3874"), Decimal("2.1686"))


def claim(country: str, day: date, distance: str | None, **kw: object) -> MileageClaim:
    return MileageClaim(country, day, None if distance is None else Decimal(distance), **kw)  # type: ignore[arg-type]


# ---- United Kingdom --------------------------------------------------------------------------------


def test_gb_crossing_10000_miles_inside_one_claim() -> None:
    """ITEPA 2003 s. 230: 45p for the first 10,000 business miles of the tax year, 25p after. With 9,900 miles
    already driven, a 300-mile trip is 100 x 45p + 200 x 25p = £95.00."""
    r = compute_mileage(claim("gb", date(2025, 9, 1), "300", unit="mi", ytd_distance=Decimal(9900)))
    assert r.amount == 9500
    assert [(b.distance, b.rate, b.amount) for b in r.bands] == [
        (Decimal(100), Decimal("0.45"), 4500),
        (Decimal(200), Decimal("0.25"), 5000),
    ]
    assert "band_limit_crossed" in r.flags
    assert r.ytd_after == Decimal(10200)


def test_gb_first_and_after_10000_miles() -> None:
    """ITEPA 2003 s. 230: a whole trip below the limit at 45p, a whole trip above it at 25p."""
    below = compute_mileage(claim("gb", date(2025, 9, 1), "100", unit="mi"))
    above = compute_mileage(claim("gb", date(2025, 9, 1), "100", unit="mi", ytd_distance=Decimal(12000)))
    assert (below.amount, above.amount) == (4500, 2500)
    assert len(below.bands) == len(above.bands) == 1


def test_gb_passenger_payment() -> None:
    """ITEPA 2003 s. 234: 5p per passenger per business mile; 100 miles with two passengers is £45 + £10."""
    r = compute_mileage(claim("gb", date(2025, 9, 1), "100", unit="mi", passengers=2))
    assert (r.amount, r.passenger_amount) == (5500, 1000)


@pytest.mark.parametrize(("vehicle", "expected"), [("motorcycle", 2400), ("bicycle", 2000), ("van", 4500)])
def test_gb_other_vehicles(vehicle: str, expected: int) -> None:
    """ITEPA 2003 s. 230: motorcycles 24p, bicycles 20p, vans as cars (45p) per business mile."""
    r = compute_mileage(claim("gb", date(2025, 9, 1), "100", unit="mi", vehicle=vehicle))
    assert r.amount == expected


def test_gb_tax_year_starts_on_6_april() -> None:
    """ITEPA 2003: the tax year runs from 6 April to 5 April."""
    before = compute_mileage(claim("gb", date(2025, 4, 5), "10", unit="mi"))
    after = compute_mileage(claim("gb", date(2025, 4, 6), "10", unit="mi"))
    assert (before.tax_year.label, before.tax_year.start, before.tax_year.end) == (
        "2024-25",
        date(2024, 4, 6),
        date(2025, 4, 5),
    )
    assert after.tax_year.label == "2025-26"


def test_gb_claim_in_km_converts_exactly() -> None:
    """1 mile = 1.609344 km exactly: 160.9344 km is 100 miles, £45.00."""
    r = compute_mileage(claim("gb", date(2025, 9, 1), "160.9344", unit="km"))
    assert r.distance_in_rate_unit == Decimal(100)
    assert r.amount == 4500


# ---- Germany, Spain, United States ------------------------------------------------------------------


def test_de_car_and_other_motor_vehicles() -> None:
    """§ 9 Abs. 1 Satz 3 Nr. 4a EStG with § 5 BRKG: 0.30 EUR per km by car, 0.20 EUR by other motor
    vehicles."""
    assert compute_mileage(claim("de", date(2025, 3, 3), "250")).amount == 7500
    assert compute_mileage(claim("de", date(2025, 3, 3), "250", vehicle="motorcycle")).amount == 5000


def test_de_round_trip_counts_twice() -> None:
    """§ 9 Abs. 1 Satz 3 Nr. 4a EStG: the rate is per km driven; there and back is 2 x 120 km = 72 EUR."""
    r = compute_mileage(claim("de", date(2025, 3, 3), "120", round_trip=True))
    assert (r.distance, r.amount) == (Decimal(240), 7200)


def test_de_claim_in_miles_converts_exactly() -> None:
    """1 mi = 1.609344 km: 100 miles is 160.9344 km x 0.30 = 48.28032 EUR, rounded half-even to 48.28."""
    r = compute_mileage(claim("de", date(2025, 3, 3), "100", unit="mi"))
    assert r.distance_in_rate_unit == Decimal("160.9344")
    assert r.amount == 4828


def test_es_rate_change_on_17_july_2023() -> None:
    """Orden HFP/792/2023: 0.19 EUR per km until 16 July 2023, 0.26 EUR from 17 July 2023."""
    assert compute_mileage(claim("es", date(2023, 7, 16), "100")).amount == 1900
    assert compute_mileage(claim("es", date(2023, 7, 17), "100")).amount == 2600


def test_us_rate_change_on_1_january_2026() -> None:
    """IRS Notice 2025-5 (70 cents for 2025) and Notice 2026-10 (72.5 cents for 2026)."""
    assert compute_mileage(claim("us", date(2025, 12, 31), "100", unit="mi")).amount == 7000
    r = compute_mileage(claim("us", date(2026, 1, 1), "100", unit="mi"))
    assert (r.amount, r.rate) == (7250, Decimal("0.725"))


def test_us_claim_in_km() -> None:
    """100 km = 62.137119... miles x $0.70 = $43.50 (half-even on the exact product)."""
    r = compute_mileage(claim("us", date(2025, 6, 1), "100", unit="km"))
    assert r.amount == 4350


# ---- France -----------------------------------------------------------------------------------------


def test_fr_bareme_5cv_12000_km() -> None:
    """BOI-BAREME-000001 (barème for 2025 income), 5 CV, 5,001 to 20,000 km: (d x 0.357) + 1,395 = 5,679 EUR
    for 12,000 km."""
    r = compute_mileage(claim("fr", date(2025, 6, 1), "12000", fiscal_horsepower=5))
    assert r.amount == 567900


def test_fr_electric_uplift_20_percent() -> None:
    """BOI-BAREME-000001: the amount is increased by 20 % for an electric vehicle: 5,679 x 1.2 = 6,814.80
    EUR."""
    r = compute_mileage(claim("fr", date(2025, 6, 1), "12000", fiscal_horsepower=5, electric=True))
    assert (r.amount, r.uplift_amount) == (681480, 113580)


def test_fr_claim_priced_as_difference_of_the_annual_bareme() -> None:
    """BOI-BAREME-000001, 5 CV: with 4,000 km driven, a 2,000 km trip is bareme(6,000) - bareme(4,000) =
    (6,000 x 0.357 + 1,395) - 4,000 x 0.636 = 3,537 - 2,544 = 993 EUR, split at the 5,000 km limit."""
    r = compute_mileage(
        claim("fr", date(2025, 6, 1), "2000", fiscal_horsepower=5, ytd_distance=Decimal(4000))
    )
    assert r.amount == 99300
    assert [b.distance for b in r.bands] == [Decimal(1000), Decimal(1000)]


def test_fr_step_at_20000_km_falls_on_the_crossing_claim() -> None:
    """BOI-BAREME-000001, 7 CV and more: (d x 0.394) + 1,515 up to 20,000 km, d x 0.470 beyond; 20 km across
    the limit from 19,990 km: 20,010 x 0.470 - (19,990 x 0.394 + 1,515) = 9,404.70 - 9,391.06 = 13.64 EUR."""
    r = compute_mileage(claim("fr", date(2025, 6, 1), "20", fiscal_horsepower=9, ytd_distance=Decimal(19990)))
    assert r.amount == 1364


def test_fr_moped_and_motorcycle() -> None:
    """BOI-BAREME-000001: mopeds d x 0.315 up to 3,000 km; motorcycles 3-5 CV d x 0.468 up to 3,000 km."""
    assert compute_mileage(claim("fr", date(2025, 6, 1), "1000", vehicle="moped")).amount == 31500
    moto = claim("fr", date(2025, 6, 1), "1000", vehicle="motorcycle", fiscal_horsepower=4)
    assert compute_mileage(moto).amount == 46800


def test_fr_needs_fiscal_horsepower() -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_mileage(claim("fr", date(2025, 6, 1), "100"))
    assert exc.value.code == "missing_fiscal_horsepower"


# ---- Straight-line check ------------------------------------------------------------------------------


def test_distance_shorter_than_the_straight_line_is_refused() -> None:
    """Madrid to Barcelona is about 505 km as the crow flies: claiming 400 km is impossible."""
    with pytest.raises(ValidationFailed) as exc:
        compute_mileage(claim("es", date(2025, 3, 3), "400", origin=MADRID, destination=BARCELONA))
    assert exc.value.code == "distance_below_straight_line"


def test_plausible_road_distance_is_not_flagged() -> None:
    r = compute_mileage(claim("es", date(2025, 3, 3), "620", origin=MADRID, destination=BARCELONA))
    assert r.straight_line_distance is not None
    assert Decimal(490) < r.straight_line_distance < Decimal(520)
    assert r.flags == ()
    assert r.amount == 16120


def test_distance_over_three_times_the_straight_line_is_flagged() -> None:
    r = compute_mileage(claim("es", date(2025, 3, 3), "1600", origin=MADRID, destination=BARCELONA))
    assert "distance_over_3x_straight_line" in r.flags


def test_distance_defaults_to_the_straight_line() -> None:
    r = compute_mileage(claim("es", date(2025, 3, 3), None, origin=MADRID, destination=BARCELONA))
    assert "distance_from_straight_line" in r.flags
    assert r.distance == r.straight_line_distance.quantize(Decimal("0.1"))  # type: ignore[union-attr]


# ---- Validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "code", "field"),
    [
        (claim("de", date(2025, 3, 3), "-5"), "invalid_mileage", "distance"),
        (claim("de", date(2025, 3, 3), "0"), "invalid_mileage", "distance"),
        (claim("de", date(2025, 3, 3), None), "invalid_mileage", "distance"),
        (claim("de", date(2025, 3, 3), "5", ytd_distance=Decimal(-1)), "invalid_mileage", "ytd_distance"),
        (claim("de", date(2025, 3, 3), "5", unit="yards"), "invalid_mileage", "unit"),
        (claim("de", date(2025, 3, 3), "5", vehicle="rocket"), "invalid_mileage", "vehicle"),
        (claim("de", date(2025, 3, 3), "5", origin=MADRID), "invalid_mileage", "destination"),
        (claim("de", date(2025, 3, 3), "5", vehicle="bicycle"), "unsupported_vehicle", "vehicle"),
        (claim("us", date(2025, 3, 3), "5", vehicle="motorcycle"), "unsupported_vehicle", "vehicle"),
        (claim("xx", date(2025, 3, 3), "5"), "unknown_country", "country"),
        (claim("it", date(2025, 3, 3), "5"), "unsupported_country", "country"),
        (claim("us", date(2023, 3, 3), "5"), "no_rates_for_date", "date"),
    ],
)
def test_invalid_claims_are_refused_with_a_code(c: MileageClaim, code: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_mileage(c)
    assert exc.value.code == code
    assert field in exc.value.fields


def test_conversion_round_trip_is_exact_for_miles() -> None:
    assert convert(Decimal(1), "mi", "km") == KM_PER_MILE
    assert convert(KM_PER_MILE, "km", "mi") == Decimal(1)
