"""``POST allowances/per_diem_simulations`` and ``allowances/mileage_simulations`` (expensehub extension).

They price a trip and store nothing; bad input is a 422 with a stable code and a field map.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.models import Expensable, Expense, Mileage, PerDiem
from tests.factories import ApiClient, Tenant

PD = "allowances/per_diem_simulations"
MI = "allowances/mileage_simulations"


def counts(factory: sessionmaker[Session], company_id: int) -> tuple[int, ...]:
    """Rows of the company's claims, to prove a simulation stored nothing."""
    with factory() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m).where(m.company_id == company_id)) or 0)
            for m in (Expensable, Expense, Mileage, PerDiem)
        )


def per_diem_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "country": "de",
        "start": "2025-03-03T08:00:00+01:00",
        "end": "2025-03-05T18:00:00+01:00",
        "destination_country": "de",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def mileage_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"country": "gb", "date": "2025-09-01", "distance": 300, "unit": "mi"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def test_per_diem_simulation_returns_the_breakdown(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory, tenant.company_id)
    r = api.post(
        PD,
        json=per_diem_body(
            meals_provided=[{"date": "2025-03-04", "breakfast": True}],
            policy={"multiplier": "1.2"},
        ),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["currency"] == "EUR"
    assert [d["date"] for d in body["days"]] == ["2025-03-03", "2025-03-04", "2025-03-05"]
    assert [d["rule"] for d in body["days"]] == ["de_arrival_day", "de_full_day", "de_departure_day"]
    assert [d["statutory_amount"] for d in body["days"]] == [1400, 2240, 1400]
    assert body["days"][1]["deductions"] == [{"meal": "breakfast", "amount": 560}]
    assert body["days"][1]["hours_absent"] == 24.0
    assert body["statutory_amount"] == 5040
    assert body["amount"] == 6048  # 120 % of 50.40
    assert body["tax_free_amount"] + body["taxable_amount"] == body["amount"]
    assert body["taxable_amount"] == 1008
    assert body["start"] == "2025-03-03T07:00:00.000Z"
    assert body["rate_tables"][0]["id"] == "de/per_diem/2025-01-01"
    assert body["rate_tables"][0]["source"]["url"].startswith("https://")
    assert counts(session_factory, tenant.company_id) == before


def test_per_diem_simulation_in_the_older_version(api_v0401: ApiClient) -> None:
    r = api_v0401.post(PD, json=per_diem_body())
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == 5600


def test_per_diem_timezone_field_sets_the_calendar_days(api: ApiClient) -> None:
    """Naive times are read in `timezone`; UTC times are converted into it (23:30Z is 00:30 in Berlin)."""
    naive = api.post(
        PD,
        json=per_diem_body(start="2025-05-06T08:00:00", end="2025-05-06T17:00:00", timezone="Europe/Berlin"),
    )
    assert naive.status_code == 200, naive.text
    assert [d["statutory_amount"] for d in naive.json()["days"]] == [1400]
    utc = api.post(
        PD,
        json=per_diem_body(
            start="2025-05-05T23:30:00Z", end="2025-05-06T09:00:00Z", timezone="Europe/Berlin"
        ),
    )
    assert utc.status_code == 200, utc.text
    assert [d["date"] for d in utc.json()["days"]] == ["2025-05-06"]
    assert utc.json()["timezone"] == "Europe/Berlin"


def test_per_diem_uk_and_us(api: ApiClient) -> None:
    uk = api.post(
        PD,
        json=per_diem_body(
            country="gb",
            start="2025-06-03T06:00:00+01:00",
            end="2025-06-03T22:00:00+01:00",
            destination_country="gb",
        ),
    )
    assert uk.status_code == 200, uk.text
    assert (uk.json()["currency"], uk.json()["amount"]) == ("GBP", 2500)
    us = api.post(
        PD,
        json=per_diem_body(
            country="US",
            start="2025-11-03T07:00:00-05:00",
            end="2025-11-05T19:00:00-05:00",
            destination_country="us",
            locality_mie=92,
        ),
    )
    assert us.status_code == 200, us.text
    assert us.json()["amount"] == 6900 + 9200 + 6900


def test_per_diem_fixed_rates_policy(api: ApiClient) -> None:
    r = api.post(
        PD,
        json=per_diem_body(policy={"fixed_rates": [{"country": "*", "full_day": 3000, "partial_day": 1000}]}),
    )
    assert r.status_code == 200, r.text
    assert [(d["policy_amount"], d["taxable_amount"]) for d in r.json()["days"]] == [
        (1000, 0),
        (3000, 200),
        (1000, 0),
    ]


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"country": "zz"}, 422, "unknown_country", "country"),
        ({"destination_country": "qq"}, 422, "unknown_country", "destination_country"),
        ({"country": "fr", "destination_country": "fr"}, 422, "unsupported_country", "country"),
        ({"end": "2025-03-02T08:00:00+01:00"}, 422, "invalid_trip", "end"),
        ({"start": "2025-03-03T08:00:00"}, 422, "invalid_trip", "start"),
        ({"timezone": "Mars/Olympus"}, 422, "unknown_timezone", "timezone"),
        ({"overnight_stays": ["2025-03-09"]}, 422, "invalid_trip", "overnight_stays"),
        ({"meals_provided": [{"date": "2025-04-01", "lunch": True}]}, 422, "invalid_trip", "meals_provided"),
        ({"policy": {"multiplier": 11}}, 422, "validation_error", "policy.multiplier"),
        ({"policy": {"multiplier": 1, "fixed_rates": []}}, 422, "invalid_policy", "policy"),
        (
            {"policy": {"fixed_rates": [{"country": "de", "full_day": -1, "partial_day": 1}]}},
            422,
            "validation_error",
            "policy.fixed_rates.0.full_day",
        ),
        ({"start": "yesterday"}, 422, "validation_error", "start"),
        ({"country": 49}, 422, "validation_error", "country"),
        ({"destination_country": ...}, 422, "validation_error", "destination_country"),
        ({"locality_mie": 92}, 422, "invalid_trip", "locality_mie"),
        (
            {
                "destination_country": "fr",
                "start": "2024-03-03T08:00:00+01:00",
                "end": "2024-03-04T08:00:00+01:00",
            },
            422,
            "no_rates_for_date",
            "start",
        ),
    ],
)
def test_per_diem_bad_input(
    api: ApiClient, overrides: dict[str, Any], status: int, code: str, field: str
) -> None:
    r = api.post(PD, json=per_diem_body(**overrides))
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert field in r.json()["errors"]


def test_simulations_need_credentials(http: Any) -> None:
    for path in (PD, MI):
        r = http.post(f"/api/2026-10-01/resources/{path}", json={})
        assert r.status_code == 401


def test_mileage_simulation_crossing_10000_miles(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory, tenant.company_id)
    r = api.post(MI, json=mileage_body(ytd_distance=9900, passengers=1))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["amount"] == 4500 + 5000 + 1500
    assert [(b["distance"], b["rate"], b["amount"]) for b in body["bands"]] == [
        (100.0, 0.45, 4500),
        (200.0, 0.25, 5000),
    ]
    assert body["mileage"] == 300
    assert body["rate_measurement_unit"] == "mi"
    assert body["calculated_mileage"] == 30000
    assert body["tax_year"] == {"label": "2025-26", "start": "2025-04-06", "end": "2026-04-05"}
    assert body["flags"] == ["band_limit_crossed"]
    assert isinstance(body["rate"], str)
    assert counts(session_factory, tenant.company_id) == before


def test_mileage_simulation_france_and_round_trip(api_v0401: ApiClient) -> None:
    r = api_v0401.post(
        MI,
        json=mileage_body(country="fr", unit="km", distance="6000", round_trip=True, fiscal_horsepower=5),
    )
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == 567900  # 12,000 km, 5 CV: 12,000 x 0.357 + 1,395
    assert r.json()["distance"] == 12000.0
    assert r.json()["round_trip"] is True


def test_mileage_straight_line_check(api: ApiClient) -> None:
    madrid = {"latitude": "40.4168", "longitude": "-3.7038"}
    barcelona = {"latitude": 41.3874, "longitude": 2.1686}
    short = api.post(
        MI, json=mileage_body(country="es", unit="km", distance=400, origin=madrid, destination=barcelona)
    )
    assert short.status_code == 422
    assert short.json()["code"] == "distance_below_straight_line"
    far = api.post(
        MI, json=mileage_body(country="es", unit="km", distance=1600, origin=madrid, destination=barcelona)
    )
    assert far.status_code == 200, far.text
    assert "distance_over_3x_straight_line" in far.json()["flags"]
    assert 490 < far.json()["straight_line_distance"] < 520


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"distance": -5}, "validation_error", "distance"),
        ({"distance": 0}, "validation_error", "distance"),
        ({"distance": "abc"}, "validation_error", "distance"),
        ({"distance": 10**7}, "validation_error", "distance"),
        ({"distance": ...}, "invalid_mileage", "distance"),
        ({"ytd_distance": -1}, "validation_error", "ytd_distance"),
        ({"vehicle": "rocket"}, "validation_error", "vehicle"),
        ({"unit": "yards"}, "validation_error", "unit"),
        ({"passengers": "2"}, "validation_error", "passengers"),
        ({"passengers": 21}, "validation_error", "passengers"),
        ({"country": "xx"}, "unknown_country", "country"),
        ({"country": "it"}, "unsupported_country", "country"),
        ({"country": "fr"}, "missing_fiscal_horsepower", "fiscal_horsepower"),
        ({"vehicle": "moped"}, "unsupported_vehicle", "vehicle"),
        ({"date": "2010-01-01"}, "no_rates_for_date", "date"),
        ({"origin": {"latitude": 95, "longitude": 0}}, "validation_error", "origin.latitude"),
        ({"origin": {"latitude": 1, "longitude": 1}}, "invalid_mileage", "destination"),
    ],
)
def test_mileage_bad_input(api: ApiClient, overrides: dict[str, Any], code: str, field: str) -> None:
    r = api.post(MI, json=mileage_body(**overrides))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert field in r.json()["errors"]
