"""Per diems and mileages priced by the statutory allowances engine through the expenses API (create, update,
rates, versions, bad input) and the payroll report reading what was stored.

The amounts are the worked examples of tests/unit/test_allowances_perdiem.py and ..._mileage.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from expensehub.companies import service as companies
from expensehub.db.engine import transaction
from expensehub.models import Expensable, Mileage, PerDiem
from expensehub.models.allowances import PerDiemRate, PerDiemRateConfiguration
from tests.api.test_allowances_reports import add_claim
from tests.api.test_expenses_support import approve, submit
from tests.factories import ApiClient, Tenant

PER_DIEMS = "expenses/per_diems"
MILEAGES = "expenses/mileages"


def add_employee(factory: sessionmaker[Session], tenant: Tenant, country: str, currency: str) -> str:
    """An employee of a new legal entity in ``country``; returns the employee id (a string, as sent)."""
    with transaction(factory) as s:
        entity = companies.create_legal_entity(
            s,
            company_id=tenant.company_id,
            country=country,
            legal_name=f"Acme {country.upper()}",
            currency=currency,
        )
        employee = companies.create_employee(
            s,
            company_id=tenant.company_id,
            first_name="Jonas",
            last_name=f"Weber {country}",
            email=f"jonas.{country}@example.test",
            legal_entity_id=entity.id,
        )
        return str(employee.id)


def stored(factory: sessionmaker[Session], company_id: int) -> tuple[int, ...]:
    """Rows of the company's claims and of per diem rates, to prove a refused write stored nothing."""
    with factory() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m).where(m.company_id == company_id)) or 0)
            for m in (Expensable, Mileage, PerDiem, PerDiemRate, PerDiemRateConfiguration)
        )


def post(api: ApiClient, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = api.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def put(api: ApiClient, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    r = api.put(path, json=body)
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def de_employee(session_factory: sessionmaker[Session], tenant: Tenant) -> str:
    return add_employee(session_factory, tenant, "de", "EUR")


def de_trip(employee: str, **extra: Any) -> dict[str, Any]:
    return {
        "employee_id": employee,
        "start_date": "2025-03-03",
        "end_date": "2025-03-05",
        "from": "Köln",
        "to": "Berlin",
        **extra,
    }


# ---- per diems ---------------------------------------------------------------------------------------


def test_per_diem_amount_is_the_statutory_allowance(api: ApiClient, de_employee: str) -> None:
    """§ 9 Abs. 4a EStG, German 3-day domestic trip (assumed 08:00 to 18:00): 14 + 28 + 14 EUR."""
    p = post(api, PER_DIEMS, de_trip(de_employee))
    assert (p["amount"], p["currency"], p["reimbursable_amount"]) == (5600, "EUR", 5600)
    assert (p["gross_amount"], p["deductions_amount"], p["statutory_amount"]) == (5600, 0, 5600)
    assert (p["tax_free_amount"], p["taxable_amount"]) == (5600, 0)
    assert [(r["total_days"], r["total_amount_cents"]) for r in p["rates"]] == [(2, 2800), (1, 2800)]
    assert all(r["expenses_per_diem_id"] == p["id"] for r in p["rates"])
    assert len({r["rate_configuration_id"] for r in p["rates"]}) == 2
    assert all(isinstance(r["id"], str) for r in p["rates"])
    # the same lines of the same table are the same configurations for another per diem of the company
    other = post(api, PER_DIEMS, de_trip(de_employee, start_date="2025-04-07", end_date="2025-04-08"))
    assert [r["rate_configuration_id"] for r in other["rates"]] == [p["rates"][0]["rate_configuration_id"]]
    assert other["amount"] == 2800
    assert api.get(f"{PER_DIEMS}/{p['id']}").json() == p
    listed = api.get(PER_DIEMS, params={"ids[]": [p["id"]]}).json()["data"]
    assert listed == [p]


def test_per_diem_trip_inputs_price_like_the_simulation(api: ApiClient, de_employee: str) -> None:
    trip = {
        "start_at": "2025-03-03T08:00:00+01:00",
        "end_at": "2025-03-05T18:00:00+01:00",
        "destination_country": "fr",
        "destination_city": "Paris",
        "meals_provided": [{"date": "2025-03-04", "breakfast": True}],
        "overnight_stays": ["2025-03-03", "2025-03-04"],
    }
    sim = post(
        api,
        "allowances/per_diem_simulations",
        {
            "country": "de",
            "start": trip["start_at"],
            "end": trip["end_at"],
            **{k: trip[k] for k in list(trip)[2:]},
        },
        200,
    )
    p = post(api, PER_DIEMS, {"employee_id": de_employee, "to": "Paris", **trip})
    assert (p["start_date"], p["end_date"]) == ("2025-03-03", "2025-03-05")  # from start_at / end_at
    assert p["effective_on"] == "2025-03-03T00:00:00.000Z"
    assert p["amount"] == p["statutory_amount"] == sim["statutory_amount"]
    assert (p["gross_amount"], p["deductions_amount"]) == (sim["gross_amount"], sim["deductions_amount"])
    assert p["deductions_amount"] > 0
    priced_days = [d for d in sim["days"] if d["day_kind"] != "none"]
    assert sum(r["total_days"] for r in p["rates"]) == len(priced_days)
    assert sum(r["total_amount_cents"] for r in p["rates"]) == p["statutory_amount"]


def test_per_diem_explicit_amount_and_taxable_part(api: ApiClient, de_employee: str) -> None:
    p = post(api, PER_DIEMS, de_trip(de_employee, amount=8000))
    assert (p["amount"], p["statutory_amount"], p["tax_free_amount"], p["taxable_amount"]) == (
        8000,
        5600,
        5600,
        2400,
    )
    low = post(api, PER_DIEMS, de_trip(de_employee, amount=5000))
    assert (low["tax_free_amount"], low["taxable_amount"]) == (5000, 0)


def test_per_diem_update_reprices_and_keeps_rates_stable(api: ApiClient, de_employee: str) -> None:
    p = post(api, PER_DIEMS, de_trip(de_employee))
    path = f"{PER_DIEMS}/{p['id']}"
    partial, full = p["rates"]
    u = put(api, path, {"end_date": "2025-03-06"})  # one more full day: 14 + 28 + 28 + 14
    assert (u["amount"], u["statutory_amount"], u["reimbursable_amount"]) == (8400, 8400, 8400)
    assert [(r["id"], r["rate_configuration_id"], r["total_days"]) for r in u["rates"]] == [
        (partial["id"], partial["rate_configuration_id"], 2),
        (full["id"], full["rate_configuration_id"], 2),
    ]
    assert put(api, path, {"description": "Trade fair"})["rates"] == u["rates"]
    # the company's own amount stays while the trip changes; the statutory figures follow the trip
    u = put(api, path, {"amount": 9000})
    assert (u["amount"], u["statutory_amount"], u["taxable_amount"]) == (9000, 8400, 600)
    u = put(api, path, {"end_date": "2025-03-05"})
    assert (u["amount"], u["statutory_amount"], u["taxable_amount"]) == (9000, 5600, 3400)
    assert [r["total_days"] for r in u["rates"]] == [2, 1]
    # amount: null hands it back to the rules
    u = put(api, path, {"amount": None})
    assert (u["amount"], u["taxable_amount"]) == (5600, 0)
    # a one-day trip of 8 hours or less earns nothing: the rules cannot set the amount
    before = api.get(path).json()
    r = api.put(
        path,
        json={
            "end_date": "2025-03-03",
            "start_at": "2025-03-03T09:00:00",
            "timezone": "Europe/Berlin",
            "end_at": "2025-03-03T17:00:00",
        },
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "amount_required"
    assert api.get(path).json() == before
    u = put(
        api,
        path,
        {
            "end_date": "2025-03-03",
            "start_at": "2025-03-03T09:00:00",
            "end_at": "2025-03-03T17:00:00",
            "timezone": "Europe/Berlin",
            "amount": 1400,
        },
    )
    assert (u["statutory_amount"], u["taxable_amount"], u["rates"]) == (0, 1400, [])
    # trip inputs sent as null return to their defaults (08:00 to 18:00: more than 8 hours)
    u = put(api, path, {"start_at": None, "end_at": None, "timezone": None, "amount": None})
    assert (u["amount"], u["statutory_amount"]) == (1400, 1400)


def test_per_diem_in_the_older_version(api: ApiClient, api_v0401: ApiClient, de_employee: str) -> None:
    p = post(api, PER_DIEMS, de_trip(de_employee))
    old = api_v0401.get(f"{PER_DIEMS}/{int(p['id'])}").json()
    assert old["effective_on"] == "2025-03-03"
    assert old["statutory_amount"] == 5600
    assert [
        (r["id"], r["expenses_per_diem_id"], r["rate_configuration_id"], r["total_days"])
        for r in old["rates"]
    ] == [(int(r["id"]), int(p["id"]), int(r["rate_configuration_id"]), r["total_days"]) for r in p["rates"]]
    created = post(
        api_v0401, PER_DIEMS, de_trip(int(de_employee), start_date="2025-05-05", end_date="2025-05-05")
    )
    assert isinstance(created["rates"][0]["rate_configuration_id"], int)
    assert created["amount"] == 1400


def test_per_diem_abroad_outside_the_rules_needs_an_amount(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """UK benchmark rates cover UK travel only: a trip to Paris has no statutory amount."""
    emma = str(tenant.employee_ids[2])
    body = {"employee_id": emma, "start_date": "2025-06-15", "end_date": "2025-06-16", "to": "Paris, FR"}
    before = stored(session_factory, tenant.company_id)
    r = api.post(PER_DIEMS, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "amount_required"
    assert "amount" in r.json()["errors"]
    assert stored(session_factory, tenant.company_id) == before
    p = post(api, PER_DIEMS, {**body, "amount": 9000})
    assert (p["amount"], p["currency"], p["statutory_amount"], p["taxable_amount"], p["rates"]) == (
        9000,
        "GBP",
        None,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"start_at": "2025-03-03T08:00:00"}, "invalid_trip", "start_at"),  # naive, no timezone
        ({"start_at": "2025-03-03T08:00:00", "timezone": "Mars/Olympus"}, "unknown_timezone", "timezone"),
        (
            {
                "start_at": "2025-03-05T18:00:00+01:00",
                "end_at": "2025-03-03T08:00:00+01:00",
                "start_date": ...,
                "end_date": ...,
            },
            "invalid_trip",
            "end_at",
        ),
        (
            {
                "start_at": "2025-03-05T18:00:00+01:00",
                "end_at": "2025-03-05T08:00:00+01:00",
                "start_date": ...,
                "end_date": ...,
            },
            "invalid_trip",
            "end_at",
        ),
        ({"start_at": "2025-03-04T08:00:00+01:00"}, "invalid_trip", "start_date"),  # not the start_date's day
        ({"overnight_stays": ["2025-03-09"]}, "invalid_trip", "overnight_stays"),
        ({"meals_provided": [{"date": "2025-03-09", "lunch": True}]}, "invalid_trip", "meals_provided"),
        ({"destination_country": "zz"}, "unknown_country", "destination_country"),
        ({"destination_country": "France"}, "validation_error", "destination_country"),
        ({"locality_mie": 92}, "invalid_trip", "locality_mie"),  # US only
        ({"currency": "USD"}, "amount_required", "amount"),
        ({"destination_country": "bt"}, "amount_required", "amount"),  # not in the bundled German table
    ],
)
def test_per_diem_bad_trip_is_422_and_stores_nothing(
    api: ApiClient,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
    de_employee: str,
    extra: dict[str, Any],
    code: str,
    field: str,
) -> None:
    before = stored(session_factory, tenant.company_id)
    body = {k: v for k, v in de_trip(de_employee, **extra).items() if v is not ...}
    r = api.post(PER_DIEMS, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert any(k == field or k.startswith(field) for k in r.json()["errors"]), r.json()["errors"]
    assert stored(session_factory, tenant.company_id) == before


def test_per_diem_bad_trip_on_update_changes_nothing(api: ApiClient, de_employee: str) -> None:
    p = post(api, PER_DIEMS, de_trip(de_employee))
    path = f"{PER_DIEMS}/{p['id']}"
    for body, code in (
        ({"start_at": "2025-03-03T08:00:00"}, "invalid_trip"),
        ({"timezone": "Nowhere/Land"}, "unknown_timezone"),
        ({"end_at": "2025-03-05T07:00:00+01:00", "start_at": "2025-03-05T08:00:00+01:00"}, "invalid_trip"),
    ):
        r = api.put(path, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == code
    assert api.get(path).json() == p


def test_per_diem_country_without_rules(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """No per diem rules for France (URSSAF allowances are not modelled): the amount must be given."""
    fr = add_employee(session_factory, tenant, "fr", "EUR")
    r = api.post(PER_DIEMS, json={"employee_id": fr, "start_date": "2025-03-03"})
    assert r.status_code == 422
    assert r.json()["code"] == "amount_required"
    p = post(api, PER_DIEMS, {"employee_id": fr, "start_date": "2025-03-03", "amount": 2000})
    assert (p["statutory_amount"], p["rates"]) == (None, [])


def test_per_diem_of_another_companys_employee_is_404(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    before = stored(session_factory, tenant.company_id)
    r = api.post(
        PER_DIEMS, json={"employee_id": str(other_tenant.employee_ids[1]), "start_date": "2025-03-03"}
    )
    assert r.status_code == 404
    r = api.post(
        MILEAGES,
        json={
            "employee_id": str(other_tenant.employee_ids[2]),
            "effective_on": "2025-06-10",
            "mileage": 10,
            "units": "mi",
        },
    )
    assert r.status_code == 404
    assert stored(session_factory, tenant.company_id) == before


def test_deleting_a_per_diem_deletes_its_rates(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session], de_employee: str
) -> None:
    before = stored(session_factory, tenant.company_id)
    p = post(api, PER_DIEMS, de_trip(de_employee))
    assert api.delete(f"expenses/expensables/{p['expenses_expensable_id']}").status_code == 200
    after = stored(session_factory, tenant.company_id)
    assert after[:4] == before[:4]
    assert after[4] == before[4] + 2  # the configurations stay: they belong to the company


# ---- the inputs a claim was priced from ------------------------------------------------------------------

TRIP_INPUTS = (
    "start_at",
    "end_at",
    "timezone",
    "destination_country",
    "destination_city",
    "meals_provided",
    "overnight_stays",
    "locality_mie",
)
NO_TRIP_INPUTS = dict.fromkeys(TRIP_INPUTS) | {"meals_provided": []}
VEHICLE_INPUTS = ("vehicle", "passengers", "fiscal_horsepower", "electric")


def paris_trip() -> dict[str, Any]:
    """Every trip input but the US-only ``locality_mie``, in the form the API shows them."""
    return {
        "start_at": "2025-03-03T08:00:00+01:00",
        "end_at": "2025-03-05T18:30:00+01:00",
        "timezone": "Europe/Berlin",
        "destination_country": "fr",
        "destination_city": "Paris",
        "meals_provided": [{"date": "2025-03-04", "breakfast": True, "lunch": False, "dinner": False}],
        "overnight_stays": ["2025-03-03", "2025-03-04"],
    }


def simulate_de(api: ApiClient, trip: dict[str, Any]) -> dict[str, Any]:
    """The per diem simulation of ``trip`` (per diem trip inputs) under German rules."""
    body = {k: v for k, v in trip.items() if k not in ("start_at", "end_at") and v is not None}
    return post(
        api,
        "allowances/per_diem_simulations",
        {"country": "de", "start": trip["start_at"], "end": trip["end_at"], **body},
        200,
    )


def by_ids(api: ApiClient, path: str, *ids: str) -> list[dict[str, Any]]:
    r = api.get(path, params={"ids[]": list(ids)})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_per_diem_shows_the_trip_inputs_it_was_priced_from(
    api: ApiClient, api_v0401: ApiClient, de_employee: str
) -> None:
    trip = paris_trip()
    p = post(api, PER_DIEMS, {"employee_id": de_employee, "to": "Paris", **trip})
    assert {k: p[k] for k in TRIP_INPUTS} == trip | {"locality_mie": None}
    assert p["pricing"] == "statutory"
    assert p["amount"] == simulate_de(api, trip)["statutory_amount"]
    path = f"{PER_DIEMS}/{p['id']}"
    assert api.get(path).json() == p
    assert by_ids(api, PER_DIEMS, p["id"]) == [p]
    # the older version shows them as they are (only ids and Factorial's timestamps differ)
    old = api_v0401.get(f"{PER_DIEMS}/{int(p['id'])}").json()
    assert {k: old[k] for k in (*TRIP_INPUTS, "pricing")} == {k: p[k] for k in (*TRIP_INPUTS, "pricing")}
    assert old["effective_on"] == "2025-03-03"
    listed = api_v0401.get(PER_DIEMS, params={"ids[]": [int(p["id"])]}).json()["data"]
    assert listed == [old]
    # what a client reads it can send back: nothing changes
    assert put(api, path, {k: p[k] for k in TRIP_INPUTS}) == p
    assert api.get(path).json() == p


def test_per_diem_update_shows_the_new_input_and_reprices(api: ApiClient, de_employee: str) -> None:
    trip = paris_trip()
    p = post(api, PER_DIEMS, {"employee_id": de_employee, "to": "Paris", **trip})
    path = f"{PER_DIEMS}/{p['id']}"
    # lunch provided too: another 40 % of the Paris full-day rate is deducted
    meals = [{"date": "2025-03-04", "breakfast": True, "lunch": True, "dinner": False}]
    u = put(api, path, {"meals_provided": meals})
    expected = simulate_de(api, trip | {"meals_provided": meals})
    assert u["meals_provided"] == meals
    assert {k: u[k] for k in TRIP_INPUTS if k != "meals_provided"} == {
        k: p[k] for k in TRIP_INPUTS if k != "meals_provided"
    }
    assert (u["amount"], u["deductions_amount"]) == (
        expected["statutory_amount"],
        expected["deductions_amount"],
    )
    assert u["amount"] < p["amount"]
    assert api.get(path).json() == u
    # meals are one entry per day, in date order; a day without a meal provided is left out
    unordered = [
        {"date": "2025-03-05", "dinner": True},
        {"date": "2025-03-04", "lunch": False},
        {"date": "2025-03-03", "dinner": True},
    ]
    u = put(api, path, {"meals_provided": unordered})
    assert u["meals_provided"] == [
        {"date": "2025-03-03", "breakfast": False, "lunch": False, "dinner": True},
        {"date": "2025-03-05", "breakfast": False, "lunch": False, "dinner": True},
    ]
    # no overnight stay at all is not the default (every night): [] and null read back as sent
    u = put(api, path, {"meals_provided": [], "overnight_stays": []})
    assert (u["meals_provided"], u["overnight_stays"]) == ([], [])
    no_nights = simulate_de(api, trip | {"meals_provided": [], "overnight_stays": []})
    assert u["amount"] == no_nights["statutory_amount"]
    u = put(api, path, {"overnight_stays": None, "timezone": None, "destination_city": None})
    assert (u["overnight_stays"], u["timezone"], u["destination_city"]) == (None, None, None)
    assert u["destination_country"] == "fr"
    # the defaults apply again: every night away, the offset of start_at, the city parsed from `to`
    defaults = trip | {"meals_provided": [], "overnight_stays": None, "timezone": None}
    assert u["amount"] == simulate_de(api, defaults)["statutory_amount"]
    # a refused update changes neither the inputs nor the amount
    before = api.get(path).json()
    r = api.put(path, json={"timezone": "Mars/Olympus", "destination_city": "Lyon"})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_timezone")
    assert api.get(path).json() == before


def test_us_per_diem_shows_its_mie_tier(
    api: ApiClient, api_v0401: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """GSA M&IE: first and last day 75 %. $92 tier: 69 + 92 + 69 = $230; $74 tier: 55.50 + 74 + 55.50."""
    us = add_employee(session_factory, tenant, "us", "USD")
    body = {"employee_id": us, "start_date": "2025-03-03", "end_date": "2025-03-05", "locality_mie": 92}
    p = post(api, PER_DIEMS, body)
    assert (p["locality_mie"], p["amount"]) == ("92", 23000)
    assert {k: p[k] for k in TRIP_INPUTS if k != "locality_mie"} == {
        k: v for k, v in NO_TRIP_INPUTS.items() if k != "locality_mie"
    }
    u = put(api, f"{PER_DIEMS}/{p['id']}", {"locality_mie": "74.00"})
    assert (u["locality_mie"], u["amount"], u["statutory_amount"]) == ("74", 18500, 18500)
    assert put(api, f"{PER_DIEMS}/{p['id']}", {"locality_mie": u["locality_mie"]}) == u
    old = api_v0401.get(f"{PER_DIEMS}/{int(p['id'])}").json()
    assert (old["locality_mie"], old["amount"]) == ("74", 18500)


def test_claims_written_without_inputs_show_none(
    api: ApiClient, api_v0401: ApiClient, tenant: Tenant, de_employee: str
) -> None:
    p = post(api, PER_DIEMS, de_trip(de_employee))
    assert {k: p[k] for k in TRIP_INPUTS} == NO_TRIP_INPUTS
    assert p["pricing"] == "statutory"
    given = post(api, PER_DIEMS, de_trip(de_employee, amount=8000))
    assert {k: given[k] for k in TRIP_INPUTS} == NO_TRIP_INPUTS
    assert given["pricing"] == "amount"
    assert put(api, f"{PER_DIEMS}/{given['id']}", {"amount": None})["pricing"] == "statutory"
    assert by_ids(api, PER_DIEMS, p["id"], given["id"])[0] == p

    statutory = post(api, MILEAGES, uk_mileage(tenant, mileage=100))
    company_rate = post(api, MILEAGES, uk_mileage(tenant, mileage=100, rate="0.40"))
    given_amount = post(api, MILEAGES, uk_mileage(tenant, mileage=100, amount=1234))
    for m, pricing in ((statutory, "statutory"), (company_rate, "rate"), (given_amount, "amount")):
        assert {k: m[k] for k in VEHICLE_INPUTS} == dict.fromkeys(VEHICLE_INPUTS), pricing
        assert m["pricing"] == pricing
    assert by_ids(api, MILEAGES, statutory["id"], company_rate["id"], given_amount["id"]) == [
        statutory,
        company_rate,
        given_amount,
    ]
    # an input change hands a given amount back to what priced it before: here the statutory rules
    u = put(api, f"{MILEAGES}/{given_amount['id']}", {"mileage": 200})
    assert (u["pricing"], u["amount"]) == ("statutory", 9000)
    u = put(api, f"{MILEAGES}/{statutory['id']}", {"rate": "0.30"})
    assert (u["pricing"], u["amount"], u["rate"]) == ("rate", 3000, "0.3")
    # the older version shows the same (with integer ids)
    old = api_v0401.get(PER_DIEMS, params={"ids[]": [int(p["id"])]}).json()["data"]
    assert [{k: o[k] for k in (*TRIP_INPUTS, "pricing")} for o in old] == [
        NO_TRIP_INPUTS | {"pricing": "statutory"}
    ]


def test_mileage_shows_its_vehicle_and_reprices_when_it_changes(
    api: ApiClient, api_v0401: ApiClient, tenant: Tenant
) -> None:
    """AMAP: a van with two passengers, 100 mi: 100 x 45p + 2 x 100 x 5p = £55."""
    m = post(api, MILEAGES, uk_mileage(tenant, mileage=100, vehicle="van", passengers=2))
    assert {k: m[k] for k in (*VEHICLE_INPUTS, "pricing", "amount")} == {
        "vehicle": "van",
        "passengers": 2,
        "fiscal_horsepower": None,
        "electric": None,
        "pricing": "statutory",
        "amount": 5500,
    }
    path = f"{MILEAGES}/{m['id']}"
    assert api.get(path).json() == m
    assert by_ids(api, MILEAGES, m["id"]) == [m]
    u = put(api, path, {"passengers": 1})
    assert (u["passengers"], u["amount"]) == (1, 5000)
    u = put(api, path, {"vehicle": "motorcycle", "passengers": None})  # 24p a mile, no passenger rate
    assert (u["vehicle"], u["passengers"], u["amount"], u["rate"]) == ("motorcycle", None, 2400, "0.24")
    assert api.get(path).json() == u
    assert put(api, path, {k: u[k] for k in VEHICLE_INPUTS}) == u
    old = api_v0401.get(f"{MILEAGES}/{int(m['id'])}").json()
    assert {k: old[k] for k in (*VEHICLE_INPUTS, "pricing")} == {
        k: u[k] for k in (*VEHICLE_INPUTS, "pricing")
    }
    assert isinstance(old["id"], int)
    # inputs sent back unchanged are no change: an amount the caller gave stays
    given = post(api, MILEAGES, uk_mileage(tenant, mileage=100, vehicle="van", amount=7000))
    assert (given["vehicle"], given["pricing"], given["amount"]) == ("van", "amount", 7000)
    same = {k: given[k] for k in (*VEHICLE_INPUTS, "mileage", "units", "round_trip")}
    assert put(api, f"{MILEAGES}/{given['id']}", same | {"effective_on": "2025-06-10"}) == given
    u = put(api, f"{MILEAGES}/{given['id']}", {"vehicle": "car"})  # a change: the rules price it
    assert (u["vehicle"], u["pricing"], u["amount"]) == ("car", "statutory", 4500)


def test_french_mileage_shows_horsepower_and_electric(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """BOI-BAREME-000001, 5 CV, 12,000 km: 5,679 EUR; electric +20 %: 6,814.80 EUR."""
    fr = add_employee(session_factory, tenant, "fr", "EUR")
    body = {"employee_id": fr, "effective_on": "2025-06-01", "mileage": 12000}
    m = post(api, MILEAGES, {**body, "fiscal_horsepower": 5, "electric": True})
    assert (m["fiscal_horsepower"], m["electric"], m["vehicle"], m["amount"]) == (5, True, None, 681480)
    u = put(api, f"{MILEAGES}/{m['id']}", {"electric": False})
    assert (u["electric"], u["amount"]) == (False, 567900)
    assert api.get(f"{MILEAGES}/{m['id']}").json() == u


def test_both_factorial_clients_parse_claims_with_inputs(
    api: ApiClient, api_v0401: ApiClient, tenant: Tenant, de_employee: str
) -> None:
    """The compat tests parse the demo company, whose claims carry no inputs: these do, and these don't."""
    import factorialhr
    from factorial_api_client.generated.models.expenses_mileage import ExpensesMileage
    from factorial_api_client.generated.models.expenses_per_diem import ExpensesPerDiem

    with_inputs = post(api, PER_DIEMS, {"employee_id": de_employee, "to": "Paris", **paris_trip()})
    without = post(api, PER_DIEMS, de_trip(de_employee))
    van = post(api, MILEAGES, uk_mileage(tenant, mileage=100, vehicle="van", passengers=2))
    plain = post(api, MILEAGES, uk_mileage(tenant, mileage=100))
    for sent in (with_inputs, without):
        assert ExpensesPerDiem.from_dict(sent).to_dict() == sent
        old = api_v0401.get(f"{PER_DIEMS}/{int(sent['id'])}").json()
        assert factorialhr.PerDiem.model_validate(old).id == old["id"]
    for sent in (van, plain):
        assert ExpensesMileage.from_dict(sent).to_dict() == sent
        old = api_v0401.get(f"{MILEAGES}/{int(sent['id'])}").json()
        assert factorialhr.Mileage.model_validate(old).id == old["id"]


# ---- mileages -----------------------------------------------------------------------------------------


def uk_mileage(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"employee_id": str(tenant.employee_ids[2]), "effective_on": "2025-06-10", "units": "mi", **extra}


def test_uk_mileage_crosses_10000_miles_after_earlier_claims(api: ApiClient, tenant: Tenant) -> None:
    """ITEPA 2003 s. 230: with 9,900 business miles already claimed in the tax year, 300 miles are
    100 x 45p + 200 x 25p = £95.00."""
    may = post(api, MILEAGES, uk_mileage(tenant, effective_on="2025-05-02", mileage=9900))
    assert (may["amount"], may["rate"], may["rate_measurement_unit"]) == (445500, "0.45", "mi")
    assert may["calculated_mileage"] == 990000
    # claims that do not count: the previous tax year (before 6 April), a rejected one, another employee
    post(api, MILEAGES, uk_mileage(tenant, effective_on="2025-04-05", mileage=500))
    rejected = post(api, MILEAGES, uk_mileage(tenant, effective_on="2025-05-03", mileage=700))
    submit(api, rejected["expenses_expensable_id"])
    r = api.post(
        "approvals/materialized_approvals_flows/reject_resource",
        json={"resource_type": "Expenses::Expensable", "resource_id": rejected["expenses_expensable_id"]},
    )
    assert r.status_code == 200, r.text
    post(
        api,
        MILEAGES,
        uk_mileage(
            tenant,
            employee_id=str(tenant.employee_ids[0]),
            mileage=800,
            currency="GBP",
            legal_entity_id=str(tenant.le_gb),
        ),
    )
    june = post(api, MILEAGES, uk_mileage(tenant, mileage=300))
    assert (june["amount"], june["rate"], june["rate_measurement_unit"]) == (9500, "0.316667", "mi")
    assert (june["mileage"], june["units"], june["calculated_mileage"]) == (300, "mi", 30000)
    # re-priced on update with the stored inputs: 400 mi with a passenger, 100 x 45p + 300 x 25p + 400 x 5p
    path = f"{MILEAGES}/{june['id']}"
    u = put(api, path, {"mileage": 400, "passengers": 1})
    assert (u["amount"], u["reimbursable_amount"], u["calculated_mileage"]) == (14000, 14000, 40000)
    assert put(api, path, {"description": "Leeds and back"})["amount"] == 14000
    assert put(api, path, {"round_trip": True})["amount"] == 100 * 45 + 700 * 25 + 800 * 5
    # the earlier claim, updated, does not count itself nor the later one
    assert put(api, f"{MILEAGES}/{may['id']}", {"mileage": 9800})["amount"] == 441000


def test_mileage_company_rate_and_amount_are_honoured(api: ApiClient, tenant: Tenant) -> None:
    m = post(api, MILEAGES, uk_mileage(tenant, mileage=300, rate="0.40"))
    assert (m["amount"], m["rate"], m["rate_measurement_unit"], m["calculated_mileage"]) == (
        12000,
        "0.4",
        "mi",
        30000,
    )
    path = f"{MILEAGES}/{m['id']}"
    assert put(api, path, {"mileage": 100})["amount"] == 4000  # still the company's rate
    u = put(api, path, {"rate": None})  # handed to the statutory rules
    assert (u["amount"], u["rate"]) == (4500, "0.45")
    u = put(api, path, {"mileage": 200})
    assert u["amount"] == 9000  # statutory again, not 200 x the stored effective rate by accident
    u = put(api, path, {"amount": 5000})
    assert (u["amount"], u["calculated_mileage"]) == (5000, 20000)
    assert put(api, path, {"description": "kept"})["amount"] == 5000
    assert put(api, path, {"amount": None})["amount"] == 9000
    explicit = post(api, MILEAGES, uk_mileage(tenant, mileage=10, amount=777))
    assert (explicit["amount"], explicit["rate"], explicit["calculated_mileage"]) == (777, None, 1000)


def test_spanish_mileage_in_km(api: ApiClient, tenant: Tenant) -> None:
    """Orden HFP/792/2023: 0.26 EUR/km from 17 July 2023; 100 km there and back is 52 EUR."""
    m = post(
        api,
        MILEAGES,
        {
            "employee_id": str(tenant.employee_ids[1]),
            "effective_on": "2024-03-11",
            "mileage": 100,
            "round_trip": True,
        },
    )
    assert (m["amount"], m["rate"], m["rate_measurement_unit"], m["calculated_mileage"]) == (
        5200,
        "0.26",
        "km",
        20000,
    )


MADRID = {"origin_latitude": "40.4168", "origin_longitude": "-3.7038"}
BARCELONA = {"destination_latitude": "41.3874", "destination_longitude": "2.1686"}


def test_mileage_from_coordinates_only_takes_the_straight_line(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """No distance, two points: the distance is the great circle (Madrid-Barcelona is about 505 km),
    rounded to the whole km, and priced like any other (0.26 EUR/km in Spain)."""
    m = post(
        api,
        MILEAGES,
        {"employee_id": str(tenant.employee_ids[1]), "effective_on": "2024-03-11", **MADRID, **BARCELONA},
    )
    assert 500 <= m["mileage"] <= 510
    assert m["units"] == "km"
    assert m["amount"] == m["mileage"] * 26
    assert abs(m["calculated_mileage"] - m["mileage"] * 100) <= 50  # the same distance, to the decametre
    # A distance given with the same points is the caller's; shorter than the straight line is refused.
    given = post(
        api,
        MILEAGES,
        {"employee_id": str(tenant.employee_ids[1]), "effective_on": "2024-03-12", "mileage": 620,
         **MADRID, **BARCELONA},
    )  # fmt: skip
    assert given["mileage"] == 620
    before = stored(session_factory, tenant.company_id)
    refused = post(
        api,
        MILEAGES,
        {"employee_id": str(tenant.employee_ids[1]), "effective_on": "2024-03-13", "mileage": 300,
         **MADRID, **BARCELONA},
        status=422,
    )  # fmt: skip
    assert refused["code"] == "distance_below_straight_line"
    same_point = post(
        api,
        MILEAGES,
        {"employee_id": str(tenant.employee_ids[1]), "effective_on": "2024-03-13", **MADRID,
         "destination_latitude": "40.4168", "destination_longitude": "-3.7038"},
        status=422,
    )  # fmt: skip
    assert same_point["code"] == "invalid_mileage"
    assert stored(session_factory, tenant.company_id) == before


def test_french_mileage_needs_fiscal_horsepower(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """BOI-BAREME-000001, 5 CV, 12,000 km: 5,679 EUR, electric +20 %: 6,814.80 EUR."""
    fr = add_employee(session_factory, tenant, "fr", "EUR")
    body = {"employee_id": fr, "effective_on": "2025-06-01", "mileage": 12000}
    r = api.post(MILEAGES, json=body)
    assert r.status_code == 422
    assert r.json()["code"] == "missing_fiscal_horsepower"
    m = post(api, MILEAGES, {**body, "fiscal_horsepower": 5, "electric": True})
    assert m["amount"] == 681480


def test_in_the_older_version_the_rate_is_an_object(api_v0401: ApiClient, tenant: Tenant) -> None:
    m = post(api_v0401, MILEAGES, {**uk_mileage(tenant, mileage=100), "employee_id": tenant.employee_ids[2]})
    assert (m["amount"], m["rate"]) == (4500, {"value": "0.45"})
    assert "rate_measurement_unit" not in m


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"vehicle": "tractor"}, "validation_error", "vehicle"),
        ({"passengers": -1}, "validation_error", "passengers"),
        ({"fiscal_horsepower": 0}, "validation_error", "fiscal_horsepower"),
        ({"currency": "EUR"}, "rate_or_amount_required", "rate"),
        ({"effective_on": "1999-06-01"}, "rate_or_amount_required", "rate"),  # before the bundled UK table
        ({"mileage": None}, "validation_error", "mileage"),
        (  # London to Birmingham is about 101 miles as the crow flies
            {
                "origin_latitude": "51.5072",
                "origin_longitude": "-0.1276",
                "destination_latitude": "52.4862",
                "destination_longitude": "-1.8904",
            },
            "distance_below_straight_line",
            "mileage",
        ),
        (
            {
                "origin_latitude": "51.5072",
                "origin_longitude": "-0.1276",
                "destination_latitude": "52.4862",
                "destination_longitude": "-1.8904",
                "rate": "0.5",
            },
            "distance_below_straight_line",
            "mileage",
        ),
    ],
)
def test_mileage_bad_input_is_422_and_stores_nothing(
    api: ApiClient,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
    extra: dict[str, Any],
    code: str,
    field: str,
) -> None:
    before = stored(session_factory, tenant.company_id)
    body = {k: v for k, v in {**uk_mileage(tenant, mileage=50), **extra}.items() if v is not None}
    r = api.post(MILEAGES, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert any(k == field or k.startswith(field) for k in r.json()["errors"]), r.json()["errors"]
    assert stored(session_factory, tenant.company_id) == before


def test_mileage_country_without_tables_needs_a_rate(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    it = add_employee(session_factory, tenant, "it", "EUR")
    before = stored(session_factory, tenant.company_id)
    body = {"employee_id": it, "effective_on": "2025-06-01", "mileage": 100}
    r = api.post(MILEAGES, json=body)
    assert r.status_code == 422
    assert r.json()["code"] == "rate_or_amount_required"
    assert stored(session_factory, tenant.company_id) == before
    assert post(api, MILEAGES, {**body, "rate": "0.3"})["amount"] == 3000
    de = add_employee(session_factory, tenant, "de", "EUR")
    r = api.post(MILEAGES, json={**body, "employee_id": de, "vehicle": "bicycle"})
    assert (r.status_code, r.json()["code"]) == (422, "unsupported_vehicle")


def test_mileage_update_with_bad_input_changes_nothing(api: ApiClient, tenant: Tenant) -> None:
    m = post(api, MILEAGES, uk_mileage(tenant, mileage=100))
    path = f"{MILEAGES}/{m['id']}"
    for body, code in (
        ({"currency": "EUR"}, "rate_or_amount_required"),
        ({"vehicle": "hovercraft"}, "validation_error"),
        ({"effective_on": "1990-01-01"}, "rate_or_amount_required"),
    ):
        r = api.put(path, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == code
    assert api.get(path).json() == m


# ---- payroll adjustments from what was stored ---------------------------------------------------------


def test_payroll_report_uses_the_stored_trip_and_vehicle(
    api: ApiClient, tenant: Tenant, de_employee: str
) -> None:
    # 09:00 to 16:00: a 7-hour day trip earns nothing in Germany, so the whole 14 EUR paid is taxable (the
    # report's old assumption, 08:00 to 18:00, would have called it tax-free).
    short = post(
        api,
        PER_DIEMS,
        de_trip(
            de_employee,
            start_date="2025-06-02",
            end_date=...,
            start_at="2025-06-02T09:00:00+02:00",
            end_at="2025-06-02T16:00:00+02:00",
            amount=1400,
        )
        | {"end_date": "2025-06-02"},
    )
    assert (short["statutory_amount"], short["taxable_amount"]) == (0, 1400)
    trip = post(
        api, PER_DIEMS, de_trip(de_employee, start_date="2025-06-10", end_date="2025-06-12", amount=6000)
    )
    # a van with two passengers: 100 mi x 45p + 2 x 100 x 5p = £55, all tax-free
    van = post(api, MILEAGES, uk_mileage(tenant, mileage=100, vehicle="van", passengers=2))
    assert van["amount"] == 5500
    ids = [c["expenses_expensable_id"] for c in (short, trip, van)]
    submit(api, *ids)
    for i in ids:
        approve(api, i)
    body = api.get("allowances/payroll_adjustments", params={"month": "2025-06"}).json()
    items = {i["expensable_id"]: i for e in body["employees"] for i in e["items"]}
    assert (items[ids[0]]["statutory_amount"], items[ids[0]]["taxable_amount"]) == (0, 1400)
    assert (items[ids[1]]["statutory_amount"], items[ids[1]]["taxable_amount"]) == (5600, 400)
    assert items[ids[1]]["rate_table_ids"] == ["de/per_diem/2025-01-01"]
    assert (items[ids[2]]["statutory_amount"], items[ids[2]]["taxable_amount"]) == (5500, 0)
    jonas = next(e for e in body["employees"] if e["employee_id"] == de_employee)
    assert (jonas["per_diem_claimed_amount"], jonas["per_diem_taxable_amount"]) == (7400, 1800)


@pytest.mark.parametrize(
    "extra",
    [
        {"start_at": "9999-12-31T23:59:59+00:00"},
        {"start_at": "0001-01-01T00:00:00+14:00", "start_date": ...},
        {"end_at": "9999-12-31T23:59:59-12:00", "end_date": ...},
        {
            "start_at": "1901-01-01T00:00:00",
            "timezone": "Pacific/Kiritimati",
            "start_date": ...,
            "end_date": ...,
        },
        {"start_date": ..., "end_date": ..., "effective_on": "0001-01-01", "timezone": "Pacific/Kiritimati"},
        {"start_date": "9999-12-30", "end_date": "9999-12-31", "timezone": "Pacific/Pago_Pago"},
        {"meals_provided": [{"date": "0001-01-01", "dinner": True}], "overnight_stays": ["9999-12-31"]},
    ],
)
def test_per_diem_edge_dates_are_4xx_never_5xx(
    api: ApiClient, de_employee: str, extra: dict[str, Any]
) -> None:
    body = {k: v for k, v in de_trip(de_employee, **extra).items() if v is not ...}
    r = api.post(PER_DIEMS, json=body)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["code"], str)


def test_rows_written_before_keep_working(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """Rows without pricing or trip inputs (written before, imported, mirrored) read as they are; an update
    prices them the way their stored fields say."""
    f = session_factory
    legacy_rate = add_claim(
        f,
        tenant,
        "mileage",
        effective_on=date(2025, 6, 2),
        amount=2600,
        distance=100,
        units="km",
        rate=Decimal("0.26"),
        rate_measurement_unit="km",
    )
    legacy_amount = add_claim(
        f, tenant, "mileage", effective_on=date(2025, 6, 3), amount=999, distance=10, units="km"
    )
    legacy_pd = add_claim(
        f,
        tenant,
        "perdiem",
        effective_on=date(2025, 6, 9),
        amount=20000,
        start_date=date(2025, 6, 9),
        end_date=date(2025, 6, 11),
        destination="Sevilla",
        status="draft",
    )
    for x in (legacy_rate, legacy_amount):
        with transaction(f) as s:
            s.execute(update(Expensable).where(Expensable.id == x).values(status="draft"))

    def detail(kind: str, x: int) -> dict[str, Any]:
        items = api.get(f"expenses/{kind}", params={"expenses_expensable_ids[]": [str(x)]}).json()["data"]
        return items[0]  # type: ignore[no-any-return]

    pd = detail("per_diems", legacy_pd)
    assert (pd["rates"], pd["statutory_amount"], pd["taxable_amount"]) == ([], None, None)
    assert {k: pd[k] for k in TRIP_INPUTS} == NO_TRIP_INPUTS
    assert pd["pricing"] == "amount"  # what an update keeps: the amount as given
    pd = put(api, f"{PER_DIEMS}/{pd['id']}", {"description": "Sevilla"})
    # 53.34 + 53.34 + 26.67 EUR tax-free; the company's 200 EUR stays
    assert (pd["amount"], pd["statutory_amount"], pd["taxable_amount"]) == (20000, 13335, 6665)
    assert len(pd["rates"]) == 2

    m = detail("mileages", legacy_rate)
    assert (m["pricing"], m["vehicle"], m["passengers"]) == ("rate", None, None)
    assert detail("mileages", legacy_amount)["pricing"] == "amount"
    assert put(api, f"{MILEAGES}/{m['id']}", {"description": "kept"})["amount"] == 2600
    assert put(api, f"{MILEAGES}/{m['id']}", {"mileage": 200})["amount"] == 5200  # its own rate
    m = detail("mileages", legacy_amount)
    assert put(api, f"{MILEAGES}/{m['id']}", {"description": "kept"})["amount"] == 999
    assert put(api, f"{MILEAGES}/{m['id']}", {"mileage": 20})["amount"] == 520  # now the statutory rules


def test_sending_back_the_object_read_does_not_pin_a_computed_amount(
    api: ApiClient, de_employee: str
) -> None:
    """Read-modify-write: a PUT of the per diem as read (amount included) keeps it priced by the rules, so
    a later change of the trip re-prices it; a different amount pins it."""
    created = post(api, PER_DIEMS, de_trip(de_employee))
    assert created["pricing"] == "statutory"
    path = f"{PER_DIEMS}/{created['id']}"
    echoed = put(api, path, {"amount": created["amount"], "trip_name": "Same trip"})
    assert (echoed["pricing"], echoed["amount"]) == ("statutory", created["amount"])
    longer = put(api, path, {"amount": created["amount"], "end_date": "2025-03-06"})
    assert longer["pricing"] == "statutory"
    assert longer["amount"] > created["amount"]  # re-priced for the extra day, not pinned by the echo
    pinned = put(api, path, {"amount": 12345})
    assert (pinned["pricing"], pinned["amount"]) == ("amount", 12345)
