"""Receipt checks, payroll adjustments (API and `expensehub export payroll-adjustments`).

Claims are inserted with the ORM models directly, so these tests do not depend on the expenses service.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.models import Category, Expensable, Expense, Mileage, PerDiem
from tests.factories import ApiClient, Tenant

CHECKS = "allowances/receipt_checks"
PAYROLL = "allowances/payroll_adjustments"


def add_category(
    factory: sessionmaker[Session], company_id: int, identifier: str, parent_id: int | None = None
) -> int:
    now = utcnow()
    with transaction(factory) as s:
        cat = Category(
            company_id=company_id,
            identifier=identifier,
            default_label=identifier.title(),
            parent_category_id=parent_id,
            type="expense",
            created_at=now,
            updated_at=now,
        )
        s.add(cat)
        s.flush()
        return cat.id


def add_claim(
    factory: sessionmaker[Session],
    tenant: Tenant,
    kind: str,
    *,
    employee: int = 1,
    effective_on: date,
    amount: int = 1000,
    currency: str = "EUR",
    status: str = "approved",
    category_id: int | None = None,
    legal_entity_id: int | None = None,
    **detail: Any,
) -> int:
    """An expensable with its detail row (``kind``: expense, mileage, perdiem); returns the expensable id."""
    now = utcnow()
    with transaction(factory) as s:
        x = Expensable(
            company_id=tenant.company_id,
            employee_id=tenant.employee_ids[employee],
            legal_entity_id=legal_entity_id,
            type=kind,
            status=status,
            currency=currency,
            amount=amount,
            reimbursable_amount=amount,
            reimbursable_currency=currency,
            effective_on=effective_on,
            category_id=category_id,
            created_at=now,
            updated_at=now,
            status_updated_at=now,
        )
        s.add(x)
        s.flush()
        model = {"expense": Expense, "mileage": Mileage, "perdiem": PerDiem}[kind]
        s.add(model(company_id=tenant.company_id, expensable_id=x.id, **detail))
        return x.id


@pytest.fixture
def cats(session_factory: sessionmaker[Session], tenant: Tenant) -> dict[str, int]:
    restaurants = add_category(session_factory, tenant.company_id, "restaurants")
    travel = add_category(session_factory, tenant.company_id, "travel")
    return {
        "restaurants": restaurants,
        "restaurants_breakfast": add_category(
            session_factory, tenant.company_id, "restaurants_breakfast", restaurants
        ),
        "fuel": add_category(session_factory, tenant.company_id, "fuel"),
        "travel_car_rental": add_category(session_factory, tenant.company_id, "travel_car_rental", travel),
        "travel_taxi": add_category(session_factory, tenant.company_id, "travel_taxi", travel),
    }


# ---- receipt checks ------------------------------------------------------------------------------


def test_meal_expense_on_a_per_diem_day_is_a_double_claim(
    api: ApiClient,
    api_v0401: ApiClient,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
    cats: dict[str, int],
) -> None:
    f = session_factory
    per_diem = add_claim(
        f,
        tenant,
        "perdiem",
        effective_on=date(2025, 3, 10),
        start_date=date(2025, 3, 10),
        end_date=date(2025, 3, 12),
    )
    inside = add_claim(
        f, tenant, "expense", effective_on=date(2025, 3, 11), category_id=cats["restaurants_breakfast"]
    )
    add_claim(
        f, tenant, "expense", effective_on=date(2025, 3, 13), category_id=cats["restaurants"]
    )  # after the trip
    add_claim(
        f, tenant, "expense", employee=2, effective_on=date(2025, 3, 11), category_id=cats["restaurants"]
    )
    add_claim(
        f, tenant, "expense", effective_on=date(2025, 3, 11), category_id=cats["travel_taxi"]
    )  # not a meal
    add_claim(
        f,
        tenant,
        "expense",
        effective_on=date(2025, 3, 12),
        category_id=cats["restaurants"],
        status="rejected",
    )
    r = api.get(CHECKS, params={"from": "2025-03-01", "to": "2025-03-31"})
    assert r.status_code == 200, r.text
    flags = r.json()["flags"]
    assert [(fl["type"], fl["expensable_id"], fl["related_expensable_id"]) for fl in flags] == [
        ("double_claim", str(inside), str(per_diem))
    ]
    assert flags[0]["date"] == "2025-03-11"
    assert flags[0]["category_identifier"] == "restaurants_breakfast"
    assert flags[0]["employee_id"] == str(tenant.employee_ids[1])
    old = api_v0401.get(CHECKS, params={"from": "2025-03-01", "to": "2025-03-31"}).json()["flags"]
    assert old[0]["expensable_id"] == inside


def test_window_limits_the_checked_days(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session], cats: dict[str, int]
) -> None:
    add_claim(
        session_factory,
        tenant,
        "perdiem",
        effective_on=date(2025, 3, 10),
        start_date=date(2025, 3, 10),
        end_date=date(2025, 3, 12),
    )
    add_claim(
        session_factory, tenant, "expense", effective_on=date(2025, 3, 12), category_id=cats["restaurants"]
    )
    assert api.get(CHECKS, params={"from": "2025-03-01", "to": "2025-03-11"}).json()["flags"] == []
    assert len(api.get(CHECKS, params={"from": "2025-03-12", "to": "2025-03-12"}).json()["flags"]) == 1


def test_mileage_on_a_day_with_fuel_or_car_rental_is_flagged(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session], cats: dict[str, int]
) -> None:
    f = session_factory
    mileage = add_claim(f, tenant, "mileage", effective_on=date(2025, 4, 2), distance=100, units="km")
    fuel = add_claim(f, tenant, "expense", effective_on=date(2025, 4, 2), category_id=cats["fuel"])
    rental = add_claim(
        f, tenant, "expense", effective_on=date(2025, 4, 2), category_id=cats["travel_car_rental"]
    )
    add_claim(f, tenant, "expense", effective_on=date(2025, 4, 3), category_id=cats["fuel"])  # another day
    flags = api.get(CHECKS, params={"from": "2025-04-01", "to": "2025-04-30"}).json()["flags"]
    assert sorted((fl["type"], fl["expensable_id"], fl["related_expensable_id"]) for fl in flags) == sorted(
        [
            ("mileage_with_fuel_or_rental", str(fuel), str(mileage)),
            ("mileage_with_fuel_or_rental", str(rental), str(mileage)),
        ]
    )


def test_receipt_checks_see_only_the_callers_company(
    api: ApiClient,
    other_api: ApiClient,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
    cats: dict[str, int],
) -> None:
    add_claim(
        session_factory,
        tenant,
        "perdiem",
        effective_on=date(2025, 3, 10),
        start_date=date(2025, 3, 10),
        end_date=date(2025, 3, 10),
    )
    add_claim(
        session_factory, tenant, "expense", effective_on=date(2025, 3, 10), category_id=cats["restaurants"]
    )
    assert len(api.get(CHECKS, params={"from": "2025-03-01", "to": "2025-03-31"}).json()["flags"]) == 1
    assert other_api.get(CHECKS, params={"from": "2025-03-01", "to": "2025-03-31"}).json()["flags"] == []


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"from": "2025-03-31", "to": "2025-03-01"}, "invalid_date_range", "to"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "invalid_range", "to"),
        ({"from": "2025-03-01"}, "validation_error", "to"),
        ({"from": "soon", "to": "2025-03-01"}, "validation_error", "from"),
    ],
)
def test_receipt_checks_bad_range(api: ApiClient, params: dict[str, str], code: str, field: str) -> None:
    r = api.get(CHECKS, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert field in r.json()["errors"]


# ---- payroll adjustments ----------------------------------------------------------------------------


@pytest.fixture
def payroll_data(session_factory: sessionmaker[Session], tenant: Tenant) -> dict[str, int]:
    f = session_factory
    return {
        # Luis (ES entity): 3 days in Sevilla, paid 200 EUR against 53.34 + 53.34 + 26.67 = 133.35 tax-free.
        "es_trip": add_claim(
            f,
            tenant,
            "perdiem",
            effective_on=date(2025, 6, 9),
            amount=20000,
            start_date=date(2025, 6, 9),
            end_date=date(2025, 6, 11),
            destination="Sevilla",
        ),
        # Luis: a day trip abroad ("Lisboa, PT"), 40 EUR against 48.08: all tax-free.
        "es_day": add_claim(
            f,
            tenant,
            "perdiem",
            effective_on=date(2025, 6, 20),
            amount=4000,
            start_date=date(2025, 6, 20),
            end_date=date(2025, 6, 20),
            destination="Lisboa, PT",
            status="paid",
        ),
        # Luis: pending, not payable yet: left out.
        "pending": add_claim(
            f,
            tenant,
            "perdiem",
            effective_on=date(2025, 6, 21),
            amount=9999,
            status="pending",
            start_date=date(2025, 6, 21),
            end_date=date(2025, 6, 21),
        ),
        # Luis: a May claim: another month.
        "may": add_claim(
            f,
            tenant,
            "perdiem",
            effective_on=date(2025, 5, 30),
            amount=9999,
            start_date=date(2025, 5, 30),
            end_date=date(2025, 5, 30),
        ),
        # Emma (GB entity): 9,900 business miles in May, then 300 miles in June paid 150 GBP against
        # 100 x 45p + 200 x 25p = 95 GBP.
        "gb_may": add_claim(
            f,
            tenant,
            "mileage",
            employee=2,
            effective_on=date(2025, 5, 2),
            amount=445500,
            currency="GBP",
            distance=9900,
            units="mi",
        ),
        "gb_june": add_claim(
            f,
            tenant,
            "mileage",
            employee=2,
            effective_on=date(2025, 6, 10),
            amount=15000,
            currency="GBP",
            distance=300,
            units="mi",
        ),
        # Emma: a per diem abroad: GB benchmark rates cover UK travel only -> not computed.
        "gb_abroad": add_claim(
            f,
            tenant,
            "perdiem",
            employee=2,
            effective_on=date(2025, 6, 15),
            amount=3000,
            currency="GBP",
            start_date=date(2025, 6, 15),
            end_date=date(2025, 6, 15),
            destination="FR",
        ),
    }


def test_payroll_adjustments_per_employee(
    api: ApiClient, tenant: Tenant, payroll_data: dict[str, int]
) -> None:
    r = api.get(PAYROLL, params={"month": "2025-06"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["month"], body["from"], body["to"]) == ("2025-06", "2025-06-01", "2025-06-30")
    by_employee = {(e["employee_id"], e["currency"]): e for e in body["employees"]}
    assert {e["employee_id"] for e in body["employees"]} == {str(e) for e in tenant.employee_ids[1:]}
    luis = by_employee[(str(tenant.employee_ids[1]), "EUR")]
    assert luis["employee_name"] == "Luis Pérez"
    assert (
        luis["per_diem_claimed_amount"],
        luis["per_diem_tax_free_amount"],
        luis["per_diem_taxable_amount"],
    ) == (
        24000,
        13335 + 4000,
        20000 - 13335,
    )
    assert luis["taxable_amount"] == 6665
    assert {i["expensable_id"] for i in luis["items"]} == {
        str(payroll_data["es_trip"]),
        str(payroll_data["es_day"]),
    }
    trip = next(i for i in luis["items"] if i["expensable_id"] == str(payroll_data["es_trip"]))
    assert (trip["statutory_amount"], trip["taxable_amount"], trip["computed"]) == (13335, 6665, True)
    assert trip["rate_table_ids"] == ["es/per_diem/2007-04-01"]
    day = next(i for i in luis["items"] if i["expensable_id"] == str(payroll_data["es_day"]))
    assert day["statutory_amount"] == 4808  # abroad without overnight stay

    emma = by_employee[(str(tenant.employee_ids[2]), "GBP")]
    assert (
        emma["mileage_claimed_amount"],
        emma["mileage_tax_free_amount"],
        emma["mileage_taxable_amount"],
    ) == (
        15000,
        9500,
        5500,
    )
    assert emma["not_computed_count"] == 1
    abroad = next(i for i in emma["items"] if i["expensable_id"] == str(payroll_data["gb_abroad"]))
    assert abroad["computed"] is False
    assert "UK" in abroad["reason"]
    assert abroad["taxable_amount"] is None
    assert emma["taxable_amount"] == 5500


def test_payroll_adjustments_see_only_the_callers_company(
    other_api: ApiClient, payroll_data: dict[str, int]
) -> None:
    body = other_api.get(PAYROLL, params={"month": "2025-06"}).json()
    assert body["employees"] == []


@pytest.mark.parametrize("month", ["2025-13", "2025-6", "June", ""])
def test_payroll_adjustments_bad_month(api: ApiClient, month: str) -> None:
    r = api.get(PAYROLL, params={"month": month})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_month"
    assert "month" in r.json()["errors"]


def test_payroll_adjustments_month_is_required(api: ApiClient) -> None:
    r = api.get(PAYROLL)
    assert r.status_code == 422
    assert "month" in r.json()["errors"]


# ---- CLI ---------------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_export_payroll_adjustments_writes_csv(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tenant: Tenant, payroll_data: dict[str, int]
) -> None:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    out = tmp_path / "payroll.csv"
    result = runner.invoke(
        app,
        [
            "export",
            "payroll-adjustments",
            "--month",
            "2025-06",
            "--company",
            str(tenant.company_id),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Payroll adjustments 2025-06" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    by_currency = {r["currency"]: r for r in rows}
    assert by_currency["EUR"]["employee_id"] == str(tenant.employee_ids[1])
    assert by_currency["EUR"]["per_diem_taxable"] == "66.65"
    assert by_currency["GBP"]["mileage_taxable"] == "55.00"
    assert by_currency["GBP"]["not_computed_claims"] == "1"


def test_cli_export_payroll_adjustments_refuses_bad_input(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    bad_month = runner.invoke(
        app, ["export", "payroll-adjustments", "--month", "2025-13", "--company", str(tenant.company_id)]
    )
    assert bad_month.exit_code == 2
    unknown = runner.invoke(
        app, ["export", "payroll-adjustments", "--month", "2025-06", "--company", "987654321"]
    )
    assert unknown.exit_code == 2
