"""Per diem engine: worked examples from the statutory sources, edge cases, policy and validation.

Each test names its source in its docstring. Amounts are minor units (cents / pence).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from expensehub.allowances.perdiem import (
    FixedRate,
    PerDiemResult,
    Policy,
    Trip,
    add_months,
    compute_per_diem,
)
from expensehub.errors import ValidationFailed

BERLIN = ZoneInfo("Europe/Berlin")
MADRID = ZoneInfo("Europe/Madrid")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def amounts(r: PerDiemResult) -> list[int]:
    return [d.statutory for d in r.days]


def rules_of(r: PerDiemResult) -> list[str]:
    return [d.rule for d in r.days]


# ---- Germany -----------------------------------------------------------------------------------


def test_de_three_day_domestic_trip() -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 1 and 2 EStG: arrival and departure day 14 EUR each, the day between 28 EUR."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 5, 18), "de"))
    assert amounts(r) == [1400, 2800, 1400]
    assert rules_of(r) == ["de_arrival_day", "de_full_day", "de_departure_day"]
    assert r.totals.statutory == r.totals.policy == r.totals.tax_free == 5600
    assert r.totals.taxable == 0
    assert r.currency == "EUR"
    assert [t.id for t in r.tables] == ["de/per_diem/2025-01-01"]


@pytest.mark.parametrize(
    ("end_hh", "end_mm", "expected", "rule"),
    [(16, 0, 0, "de_single_day_8h_or_less"), (16, 1, 1400, "de_single_day_over_8h")],
)
def test_de_eight_hour_threshold(end_hh: int, end_mm: int, expected: int, rule: str) -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 3 EStG: 14 EUR only for an absence of *more than* 8 hours; exactly 8 earns
    nothing."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2025, 5, 6, 8), at(BERLIN, 2025, 5, 6, end_hh, end_mm), "de"))
    assert amounts(r) == [expected]
    assert rules_of(r) == [rule]


def test_de_over_midnight_counts_on_the_day_with_most_hours() -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 3 Halbsatz 2 EStG: 17:00 to 02:30 next day without overnight stay is 9.5 hours
    in all; 14 EUR for the calendar day with the greater part (7 hours on the first day)."""
    r = compute_per_diem(
        Trip(
            "de", at(BERLIN, 2025, 5, 6, 17), at(BERLIN, 2025, 5, 7, 2, 30), "de", overnight_stays=frozenset()
        )
    )
    assert amounts(r) == [1400, 0]
    assert rules_of(r) == ["de_over_midnight", "de_over_midnight_other_day"]
    assert [d.hours_absent for d in r.days] == [Decimal("7.00"), Decimal("2.50")]


def test_de_over_midnight_second_day_has_most_hours() -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 3 EStG: 20:00 to 06:00 (4 h + 6 h): the allowance falls on the second day."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 5, 6, 20), at(BERLIN, 2025, 5, 7, 6), "de", overnight_stays=frozenset())
    )
    assert amounts(r) == [0, 1400]


def test_de_over_midnight_eight_hours_or_less_earns_nothing() -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 3 EStG: 20:00 to 03:00 is 7 hours in all: no allowance on either day."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 5, 6, 20), at(BERLIN, 2025, 5, 7, 3), "de", overnight_stays=frozenset())
    )
    assert amounts(r) == [0, 0]


def test_de_meal_deductions_breakfast_provided() -> None:
    """§ 9 Abs. 4a Satz 8 EStG: breakfast cuts 20 % of the 28 EUR full-day rate (5.60 EUR). Monday to Thursday
    with hotel breakfast from Tuesday: 14 + 22.40 + 22.40 + 8.40 = 67.20 EUR."""
    breakfast = frozenset({"breakfast"})
    r = compute_per_diem(
        Trip(
            "de",
            at(BERLIN, 2025, 3, 3, 8),
            at(BERLIN, 2025, 3, 6, 12),
            "de",
            meals_provided={date(2025, 3, d): breakfast for d in (4, 5, 6)},
        )
    )
    assert amounts(r) == [1400, 2240, 2240, 840]
    assert r.totals.deductions == 3 * 560
    assert r.totals.statutory == 6720


def test_de_meal_deductions_never_below_zero() -> None:
    """§ 9 Abs. 4a Satz 8 EStG (and BMF: the cut is at most the allowance): a departure day of 14 EUR with
    breakfast (5.60) and lunch (11.20) provided is cut to 0, not to -2.80."""
    r = compute_per_diem(
        Trip(
            "de",
            at(BERLIN, 2025, 3, 3, 8),
            at(BERLIN, 2025, 3, 4, 15),
            "de",
            meals_provided={date(2025, 3, 4): frozenset({"breakfast", "lunch"})},
        )
    )
    last = r.days[-1]
    assert last.gross == 1400
    assert [(x.meal, x.amount) for x in last.deductions] == [("breakfast", 560), ("lunch", 840)]
    assert last.statutory == 0


def test_de_foreign_copenhagen_breakfast_example() -> None:
    """BMF-Schreiben of 2 December 2024 (Auslandsreisekosten 2025), example: a day priced at the Copenhagen
    rate of 50 EUR (arrival) is cut by 15 EUR for a provided breakfast (20 % of Denmark's 75 EUR): 35 EUR."""
    r = compute_per_diem(
        Trip(
            "de",
            at(BERLIN, 2025, 6, 2, 7),
            at(BERLIN, 2025, 6, 3, 20),
            "dk",
            "Kopenhagen",
            meals_provided={date(2025, 6, 2): frozenset({"breakfast"})},
        )
    )
    assert r.days[0].gross == 5000
    assert r.days[0].statutory == 3500
    assert r.days[1].statutory == 5000


def test_de_foreign_city_rate_and_country_rate() -> None:
    """BMF-Schreiben 2 December 2024: Paris 58 / 39 EUR, France elsewhere 53 / 36 EUR."""
    paris = compute_per_diem(Trip("de", at(BERLIN, 2025, 4, 1, 6), at(BERLIN, 2025, 4, 2, 22), "fr", "Paris"))
    lyon = compute_per_diem(Trip("de", at(BERLIN, 2025, 4, 1, 6), at(BERLIN, 2025, 4, 2, 22), "fr", "Lyon"))
    assert amounts(paris) == [3900, 3900]
    assert amounts(lyon) == [3600, 3600]
    assert any("Lyon" in n for n in lyon.notes)


def test_de_foreign_city_aliases_match_in_english() -> None:
    """BMF-Schreiben 5 December 2025: USA – New York City 66 / 44 EUR ('New York' matches the line)."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2026, 2, 2, 6), at(BERLIN, 2026, 2, 4, 22), "us", "new york"))
    assert amounts(r) == [4400, 6600, 4400]


def test_de_trip_spanning_1_january_uses_both_years_tables() -> None:
    """BMF-Schreiben 2 December 2024 (2025: Netherlands 47 / 32 EUR) and 5 December 2025 (2026: 58 / 39 EUR):
    each day is priced with the table in force on it."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 12, 31, 8), at(BERLIN, 2026, 1, 2, 18), "nl", "Amsterdam")
    )
    assert amounts(r) == [3200, 5800, 3900]
    assert [d.table_id for d in r.days] == [
        "de/per_diem/2025-01-01",
        "de/per_diem/2026-01-01",
        "de/per_diem/2026-01-01",
    ]


def test_de_domestic_rate_change_on_1_january_2020() -> None:
    """§ 9 Abs. 4a Satz 3 EStG: 12 / 24 EUR until 2019, 14 / 28 EUR from 1 January 2020. A trip from 30
    December 2019 to 2 January 2020: 12 + 24 + 28 + 14 = 78 EUR."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2019, 12, 30, 8), at(BERLIN, 2020, 1, 2, 18), "de"))
    assert amounts(r) == [1200, 2400, 2800, 1400]
    assert r.totals.statutory == 7800
    assert {t.id for t in r.tables} == {"de/per_diem/2014-01-01", "de/per_diem/2020-01-01"}


def test_de_three_month_limit() -> None:
    """§ 9 Abs. 4a Satz 6 EStG: at the same place, the allowance is limited to the first three months."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2025, 1, 15, 8), at(BERLIN, 2025, 4, 16, 18), "de"))
    by_day = {d.date: d for d in r.days}
    assert by_day[date(2025, 4, 14)].statutory == 2800
    assert by_day[date(2025, 4, 15)].rule == "de_three_month_limit"
    assert by_day[date(2025, 4, 15)].statutory == 0
    assert by_day[date(2025, 4, 16)].statutory == 0


def test_de_foreign_destination_not_bundled_is_refused() -> None:
    """The bundled BMF table is a selection: a destination it lacks is refused, never priced with a guess."""
    with pytest.raises(ValidationFailed) as exc:
        compute_per_diem(Trip("de", at(BERLIN, 2025, 4, 1, 6), at(BERLIN, 2025, 4, 2, 22), "ar"))
    assert exc.value.code == "unsupported_destination"


def test_de_foreign_trip_before_2025_has_no_table() -> None:
    """Only the BMF tables for 2025 and 2026 are bundled: a 2024 foreign trip is refused."""
    with pytest.raises(ValidationFailed) as exc:
        compute_per_diem(Trip("de", at(BERLIN, 2024, 4, 1, 6), at(BERLIN, 2024, 4, 2, 22), "fr"))
    assert exc.value.code == "no_rates_for_date"


def test_dst_day_is_a_full_day_of_23_hours() -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 1 EStG: the day clocks go forward (30 March 2025) is a whole calendar day
    away."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2025, 3, 29, 8), at(BERLIN, 2025, 3, 31, 18), "de"))
    assert r.days[1].seconds_absent == 23 * 3600
    assert r.days[1].statutory == 2800


def test_trip_ending_at_midnight_has_no_slice_on_the_next_day() -> None:
    """§ 9 Abs. 4a Satz 3 Nr. 3 EStG: 08:00 to 24:00 is one calendar day of 16 hours (14 EUR)."""
    r = compute_per_diem(Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 4, 0), "de"))
    assert [d.date for d in r.days] == [date(2025, 3, 3)]
    assert amounts(r) == [1400]


# ---- Spain -------------------------------------------------------------------------------------


def test_es_domestic_trip_with_overnight_stays() -> None:
    """Art. 9.A.3.a RIRPF (RD 439/2007): 53.34 EUR per day with overnight stay in Spain, 26.67 EUR without;
    two nights away and the return day: 53.34 + 53.34 + 26.67 = 133.35 EUR."""
    r = compute_per_diem(Trip("es", at(MADRID, 2025, 3, 10, 8), at(MADRID, 2025, 3, 12, 18), "es", "Sevilla"))
    assert amounts(r) == [5334, 5334, 2667]
    assert rules_of(r) == ["es_with_overnight", "es_with_overnight", "es_without_overnight"]
    assert r.totals.statutory == 13335


def test_es_abroad_rates() -> None:
    """Art. 9.A.3.a RIRPF: abroad 91.35 EUR with overnight stay, 48.08 EUR without."""
    day_trip = compute_per_diem(Trip("es", at(MADRID, 2025, 3, 10, 7), at(MADRID, 2025, 3, 10, 21), "pt"))
    assert amounts(day_trip) == [4808]
    overnight = compute_per_diem(Trip("es", at(MADRID, 2025, 3, 10, 7), at(MADRID, 2025, 3, 11, 21), "fr"))
    assert amounts(overnight) == [9135, 4808]


def test_es_provided_meals_do_not_reduce_the_exempt_amount() -> None:
    """Art. 9 RIRPF has no meal deduction: the exempt amount stays, and a note says so."""
    r = compute_per_diem(
        Trip(
            "es",
            at(MADRID, 2025, 3, 10, 8),
            at(MADRID, 2025, 3, 10, 20),
            "es",
            meals_provided={date(2025, 3, 10): frozenset({"lunch"})},
        )
    )
    assert amounts(r) == [2667]
    assert r.notes


# ---- United Kingdom -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected", "rule"),
    [
        ((9, 0), (15, 0), 500, "gb_5_hours"),
        ((8, 0), (19, 0), 1000, "gb_10_hours"),
        ((10, 0), (21, 0), 2000, "gb_10_hours_late"),
        ((6, 0), (22, 0), 2500, "gb_15_hours"),
        ((3, 30), (19, 30), 1000, "gb_10_hours"),
        ((9, 0), (13, 0), 0, "gb_under_5_hours"),
    ],
)
def test_gb_benchmark_scale_rates(
    start: tuple[int, int], end: tuple[int, int], expected: int, rule: str
) -> None:
    """HMRC EIM30240: 5 hours £5, 10 hours £10, 15 hours and ongoing at 8 p.m. £25; £10 more when a £5 or
    £10 journey lasts beyond 8 p.m. (16 hours ending 19:30 is not ongoing at 8 p.m.: £10)."""
    r = compute_per_diem(Trip("gb", at(LONDON, 2025, 6, 3, *start), at(LONDON, 2025, 6, 3, *end), "gb"))
    assert amounts(r) == [expected]
    assert rules_of(r) == [rule]
    assert r.currency == "GBP"


def test_gb_all_meals_provided_earns_nothing() -> None:
    """HMRC EIM30240: the rates require that the employee bought a meal."""
    r = compute_per_diem(
        Trip(
            "gb",
            at(LONDON, 2025, 6, 3, 6),
            at(LONDON, 2025, 6, 3, 22),
            "gb",
            meals_provided={date(2025, 6, 3): frozenset({"breakfast", "lunch", "dinner"})},
        )
    )
    assert amounts(r) == [0]


def test_gb_rates_cover_uk_travel_only() -> None:
    """HMRC EIM30240 covers UK travel; the worldwide scale rates are not bundled."""
    with pytest.raises(ValidationFailed) as exc:
        compute_per_diem(Trip("gb", at(LONDON, 2025, 6, 3, 6), at(LONDON, 2025, 6, 3, 22), "fr"))
    assert exc.value.code == "unsupported_destination"


# ---- United States --------------------------------------------------------------------------------


def test_us_standard_conus_three_days() -> None:
    """GSA M&IE breakdown (FY 2026, bulletin FTR 26-01): standard $68, first and last day 75 % = $51.00:
    51 + 68 + 51 = $170."""
    r = compute_per_diem(Trip("us", at(NEW_YORK, 2025, 11, 3, 7), at(NEW_YORK, 2025, 11, 5, 19), "us"))
    assert amounts(r) == [5100, 6800, 5100]
    assert rules_of(r) == ["us_first_day", "us_full_day", "us_last_day"]
    assert r.currency == "USD"


def test_us_locality_tier_and_provided_lunch() -> None:
    """GSA M&IE breakdown: the $92 tier is $69.00 on the first and last day; a provided lunch is deducted at
    the tier's lunch amount ($26)."""
    r = compute_per_diem(
        Trip(
            "us",
            at(NEW_YORK, 2025, 11, 3, 7),
            at(NEW_YORK, 2025, 11, 5, 19),
            "us",
            meals_provided={date(2025, 11, 4): frozenset({"lunch"})},
            locality_mie=Decimal(92),
        )
    )
    assert amounts(r) == [6900, 9200 - 2600, 6900]


def test_us_day_trip_is_not_travel_away_from_home() -> None:
    """IRS Publication 463: an M&IE allowance is tax-free only for travel away from home overnight; a company
    paying $68 for a day trip pays it all as taxable wages."""
    r = compute_per_diem(
        Trip("us", at(NEW_YORK, 2025, 11, 3, 6), at(NEW_YORK, 2025, 11, 3, 22), "us"),
        Policy(fixed_rates={"*": FixedRate(full_day=6800, partial_day=6800)}),
    )
    assert rules_of(r) == ["us_no_overnight"]
    assert r.totals.statutory == 0
    assert r.totals.policy == 0  # a day that earns nothing statutory is a `none` day: fixed rates pay nothing
    r2 = compute_per_diem(
        Trip("us", at(NEW_YORK, 2025, 11, 3, 6), at(NEW_YORK, 2025, 11, 3, 22), "us"),
        Policy(multiplier=Decimal(2)),
    )
    assert r2.totals.policy == 0


def test_us_fiscal_year_change_on_1_october() -> None:
    """GSA: FY 2025 ends 30 September 2025, FY 2026 starts 1 October 2025 (same rates, two tables)."""
    r = compute_per_diem(Trip("us", at(NEW_YORK, 2025, 9, 30, 7), at(NEW_YORK, 2025, 10, 1, 19), "us"))
    assert [d.table_id for d in r.days] == ["us/per_diem/2024-10-01", "us/per_diem/2025-10-01"]
    assert amounts(r) == [5100, 5100]


def test_us_unknown_tier_is_refused() -> None:
    """GSA CONUS M&IE tiers are $68, $74, $80, $86, $92."""
    with pytest.raises(ValidationFailed) as exc:
        compute_per_diem(
            Trip(
                "us",
                at(NEW_YORK, 2025, 11, 3, 7),
                at(NEW_YORK, 2025, 11, 4, 19),
                "us",
                locality_mie=Decimal(70),
            )
        )
    assert exc.value.code == "unknown_mie_tier"


# ---- Policy ---------------------------------------------------------------------------------------


def test_policy_multiplier_makes_the_excess_taxable() -> None:
    """§ 3 Nr. 16 EStG: what exceeds the § 9 Abs. 4a amounts is taxable. 120 % of 14 + 28 + 14 = 67.20 EUR,
    of which 56 tax-free and 11.20 taxable."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 5, 18), "de"),
        Policy(multiplier=Decimal("1.2")),
    )
    assert [d.policy for d in r.days] == [1680, 3360, 1680]
    assert (r.totals.policy, r.totals.tax_free, r.totals.taxable) == (6720, 5600, 1120)


def test_policy_below_statutory_has_no_taxable_part() -> None:
    """§ 3 Nr. 16 EStG: paying less than the statutory amount is all tax-free."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 5, 18), "de"),
        Policy(multiplier=Decimal("0.5")),
    )
    assert (r.totals.policy, r.totals.tax_free, r.totals.taxable) == (2800, 2800, 0)


def test_policy_fixed_rates_per_country() -> None:
    """Company rates 10 EUR partial / 30 EUR full against 14 / 28: the partial days are all tax-free, the full
    day has 2 EUR taxable."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 5, 18), "de"),
        Policy(fixed_rates={"de": FixedRate(full_day=3000, partial_day=1000)}),
    )
    assert [(d.policy, d.tax_free, d.taxable) for d in r.days] == [
        (1000, 1000, 0),
        (3000, 2800, 200),
        (1000, 1000, 0),
    ]


def test_policy_fixed_rates_without_meal_deduction_make_the_meal_taxable() -> None:
    """§ 9 Abs. 4a Satz 8 EStG: paying the full 28 EUR while providing breakfast leaves 5.60 EUR taxable."""
    r = compute_per_diem(
        Trip(
            "de",
            at(BERLIN, 2025, 3, 3, 8),
            at(BERLIN, 2025, 3, 5, 18),
            "de",
            meals_provided={date(2025, 3, 4): frozenset({"breakfast"})},
        ),
        Policy(fixed_rates={"*": FixedRate(full_day=2800, partial_day=1400)}, deduct_meals=False),
    )
    assert r.days[1].policy == 2800
    assert r.days[1].tax_free == 2240
    assert r.days[1].taxable == 560


def test_policy_rounds_half_even_once_and_days_sum_to_the_total() -> None:
    """Money rule: exact Decimal per day, one half-even rounding of the total, largest remainder per day."""
    r = compute_per_diem(
        Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 5, 18), "de"),
        Policy(multiplier=Decimal("1.333333")),
    )
    # 56 x 1.333333 = 74.666648 -> 74.67
    assert r.totals.policy == 7467
    assert sum(d.policy for d in r.days) == 7467


# ---- Validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trip", "code", "field"),
    [
        (Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 3, 8), "de"), "invalid_trip", "end"),
        (Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 2, 8), "de"), "invalid_trip", "end"),
        (
            Trip("zz", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 4, 8), "de"),
            "unknown_country",
            "country",
        ),
        (
            Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 4, 8), "qq"),
            "unknown_country",
            "destination_country",
        ),
        (
            Trip("fr", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 4, 8), "fr"),
            "unsupported_country",
            "country",
        ),
        (
            Trip("de", datetime(2025, 3, 3, 8), datetime(2025, 3, 4, 8), "de"),
            "invalid_trip",
            "start",
        ),
        (
            Trip(
                "de",
                at(BERLIN, 2025, 3, 3, 8),
                at(BERLIN, 2025, 3, 4, 8),
                "de",
                overnight_stays=frozenset({date(2025, 3, 4)}),
            ),
            "invalid_trip",
            "overnight_stays",
        ),
        (
            Trip(
                "de",
                at(BERLIN, 2025, 3, 3, 8),
                at(BERLIN, 2025, 3, 4, 8),
                "de",
                meals_provided={date(2025, 3, 9): frozenset({"lunch"})},
            ),
            "invalid_trip",
            "meals_provided",
        ),
        (
            Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2026, 6, 4, 8), "de"),
            "invalid_trip",
            "end",
        ),
    ],
)
def test_invalid_trips_are_refused_with_a_code(trip: Trip, code: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_per_diem(trip)
    assert exc.value.code == code
    assert field in exc.value.fields


def test_invalid_policy_is_refused() -> None:
    trip = Trip("de", at(BERLIN, 2025, 3, 3, 8), at(BERLIN, 2025, 3, 4, 8), "de")
    for policy in (
        Policy(multiplier=Decimal(1), fixed_rates={"*": FixedRate(1, 1)}),
        Policy(multiplier=Decimal(-1)),
        Policy(fixed_rates={"zz": FixedRate(1, 1)}),
        Policy(fixed_rates={"*": FixedRate(-1, 1)}),
    ):
        with pytest.raises(ValidationFailed) as exc:
            compute_per_diem(trip, policy)
        assert exc.value.code == "invalid_policy"


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 15), 3) == date(2025, 4, 15)
