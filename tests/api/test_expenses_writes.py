"""Creating and editing claims (expensehub extension): defaults, validation, references, duplicates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS
from expensehub.models import CostCenter, ExpensableCostCenter, Expense
from tests.api.test_expenses_support import (
    add_account,
    add_category,
    add_cost_center,
    add_project,
    counts,
    create_expense,
    create_mileage,
    create_per_diem,
    expensable,
    expense_body,
    submit,
)
from tests.factories import ApiClient, Tenant

EXPS = "expenses/expenses"


def post_raw(api: ApiClient, path: str, content: bytes) -> Any:
    return api.http.post(
        api.url(path), content=content, headers={**api.headers, "content-type": "application/json"}
    )


# ---- create expense -------------------------------------------------------------------------------


def test_create_expense_defaults(api: ApiClient, tenant: Tenant, session_factory) -> None:
    e = create_expense(api, tenant)
    assert e["status"] == "draft"
    assert e["creation_type"] == "manual"
    assert e["payment"] == "reimbursable"
    assert e["reimbursable_amount"] == 1250
    assert e["reimbursable_currency"] == "EUR"
    assert e["exchange_rate"] == 1.0
    assert e["review_request_at"] is None
    assert e["duplicate_of_id"] is None
    assert e["is_possible_duplicate"] is False
    x = expensable(api, e["expenses_expensable_id"])
    assert x["legal_entity_id"] == str(tenant.le_es)  # the employee's
    assert x["type"] == "expense"
    assert x["expense_id"] == e["id"]
    assert api.get(f"{EXPS}/{e['id']}").json() == e


def test_create_expense_with_every_field(api: ApiClient, tenant: Tenant, session_factory) -> None:
    cat = add_category(session_factory, tenant.company_id)
    proj = add_project(session_factory, tenant.company_id, tenant.le_es)
    acc = add_account(session_factory, tenant.company_id, tenant.le_es)
    cc = add_cost_center(session_factory, tenant.company_id)
    e = create_expense(
        api,
        tenant,
        reporter_id=str(tenant.employee_ids[0]),
        currency="USD",
        exchange_rate="0.9213",
        legal_entity_id=str(tenant.le_es),
        category_id=str(cat),
        subcategory="taxi",
        project_id=str(proj),
        ledger_account_id=str(acc),
        payment="not_reimbursable",
        cost_centers=[{"cost_center_id": str(cc), "percentage": 1}],
        user_merchant="Yellow Cab",
        merchant_tin="US123",
        reference="R-1",
        document_number="F-2024-1",
        document_type="invoice",
        payment_method="company_card",
        internal_reference="INT-9",
        creation_type="automatic",
        taxes=[{"type": "vat", "percentage": "0.1", "amount": 114, "base_amount": 1136}],
    )
    assert e["currency"] == "USD"
    assert e["exchange_rate"] == pytest.approx(0.9213)
    assert e["reimbursable_amount"] == 0
    assert e["payment"] == "not_reimbursable"
    assert e["project_id"] == str(proj)
    assert e["ledger_account_id"] == str(acc)
    assert e["cost_center_ids"] == [str(cc)]
    assert e["user_merchant"] == "Yellow Cab"
    assert e["document_type"] == "invoice"
    assert e["taxes"][0]["percentage"] == 0.1
    x = expensable(api, e["expenses_expensable_id"])
    assert x["reporter_id"] == str(tenant.employee_ids[0])
    assert x["internal_reference"] == "INT-9"
    assert x["project_id"] == str(proj)


def test_exchange_rate_rules(api: ApiClient, tenant: Tenant) -> None:
    r = api.post(EXPS, json=expense_body(tenant, currency="USD"))
    assert r.status_code == 422
    assert "exchange_rate" in r.json()["errors"]
    r = api.post(EXPS, json=expense_body(tenant, exchange_rate=2))  # EUR for an EUR entity
    assert r.status_code == 422
    assert "exchange_rate" in r.json()["errors"]
    assert api.post(EXPS, json=expense_body(tenant, exchange_rate=1)).status_code == 201
    for bad in (0, -1, "abc", "1e-20", True):
        r = api.post(EXPS, json=expense_body(tenant, currency="USD", exchange_rate=bad))
        assert r.status_code == 422, bad
    # an explicit legal entity changes the base currency
    r = api.post(EXPS, json=expense_body(tenant, legal_entity_id=str(tenant.le_gb)))
    assert r.status_code == 422
    r = api.post(EXPS, json=expense_body(tenant, legal_entity_id=str(tenant.le_gb), exchange_rate=0.85))
    assert r.status_code == 201
    assert r.json()["exchange_rate"] == 0.85


def test_reimbursable_amount_on_create(api: ApiClient, tenant: Tenant) -> None:
    e = create_expense(api, tenant, reimbursable_amount=1000)
    assert e["reimbursable_amount"] == 1000
    r = api.post(EXPS, json=expense_body(tenant, reimbursable_amount=1251))
    assert r.status_code == 422
    assert "reimbursable_amount" in r.json()["errors"]
    r = api.post(EXPS, json=expense_body(tenant, payment="not_reimbursable", reimbursable_amount=5))
    assert r.status_code == 422
    r = api.post(EXPS, json=expense_body(tenant, reimbursable_amount=-1))
    assert r.status_code == 422


def test_company_card_expenses_are_not_reimbursable_by_default(api: ApiClient, tenant: Tenant) -> None:
    """The company paid: nothing is owed back unless the request says so (the README's card expense
    came back reimbursable, so following it literally paid the employee for a company-card purchase)."""
    company = create_expense(api, tenant, card={"card_type": "company", "last4": "1234"})
    assert (company["payment"], company["reimbursable_amount"]) == ("not_reimbursable", 0)
    virtual = create_expense(api, tenant, card={"card_type": "virtual", "last4": "9999"})
    assert virtual["payment"] == "not_reimbursable"
    personal = create_expense(api, tenant, card={"card_type": "personal", "last4": "4242"})
    assert (personal["payment"], personal["reimbursable_amount"]) == ("reimbursable", personal["amount"])
    cash = create_expense(api, tenant)
    assert (cash["payment"], cash["reimbursable_amount"]) == ("reimbursable", cash["amount"])
    said = create_expense(api, tenant, card={"card_type": "company", "last4": "1234"}, payment="reimbursable")
    assert (said["payment"], said["reimbursable_amount"]) == ("reimbursable", said["amount"])


def test_cost_center_splits(api: ApiClient, tenant: Tenant, session_factory) -> None:
    ccs = [add_cost_center(session_factory, tenant.company_id, f"CC{i}") for i in range(3)]
    e = create_expense(api, tenant, cost_center_ids=[str(c) for c in ccs])
    with session_factory() as s:
        shares = s.scalars(
            select(ExpensableCostCenter.percentage).where(
                ExpensableCostCenter.expensable_id == int(e["expenses_expensable_id"])
            )
        ).all()
    assert sum(shares, Decimal(0)) == 1
    assert len(shares) == 3
    e = create_expense(
        api,
        tenant,
        cost_centers=[
            {"cost_center_id": str(ccs[0]), "percentage": 0.25},
            {"cost_center_id": str(ccs[1]), "percentage": "0.75"},
        ],
    )
    assert e["cost_center_ids"] == [str(ccs[0]), str(ccs[1])]
    bad_bodies: list[dict[str, Any]] = [
        {"cost_centers": [{"cost_center_id": str(ccs[0]), "percentage": 0.5}]},
        {"cost_centers": [{"cost_center_id": str(ccs[0]), "percentage": 1.5}]},
        {"cost_centers": [{"cost_center_id": str(ccs[0]), "percentage": 0}]},
        {"cost_center_ids": [str(ccs[0]), str(ccs[0])]},
        {
            "cost_center_ids": [str(ccs[0])],
            "cost_centers": [{"cost_center_id": str(ccs[1]), "percentage": 1}],
        },
        {"cost_center_ids": "abc"},
    ]
    before = counts(session_factory, tenant.company_id)
    for extra in bad_bodies:
        r = api.post(EXPS, json=expense_body(tenant, **extra))
        assert r.status_code == 422, extra
    assert counts(session_factory, tenant.company_id) == before


def test_taxes_validation(api: ApiClient, tenant: Tenant) -> None:
    for taxes in (
        [{"type": "gst", "percentage": 0.1}],
        [{"type": "vat", "percentage": 1.5}],
        [{"type": "vat", "percentage": -0.1}],
        [{"type": "vat", "amount": -5}],
        [{"type": "vat", "amount": 1.5}],
        "vat",
    ):
        assert api.post(EXPS, json=expense_body(tenant, taxes=taxes)).status_code == 422, taxes
    e = create_expense(api, tenant, taxes=[{"percentage": 0.21}])
    assert e["taxes"] == [{"type": "vat", "amount": None, "percentage": 0.21, "base_amount": None}]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"amount": "1250"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": MAX_MINOR_UNITS + 1}, "amount"),
        ({"amount": ...}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"currency": ...}, "currency"),
        ({"employee_id": "abc"}, "employee_id"),
        ({"employee_id": ...}, "employee_id"),
        ({"effective_on": "10/03/2024"}, "effective_on"),
        ({"effective_on": ...}, "effective_on"),
        ({"payment": "cash"}, "payment"),
        ({"creation_type": "travelperk"}, "creation_type"),
        ({"card": {"card_type": "virtual", "last4": "12345"}}, "card.last4"),
        ({"card": {"last4": "1234"}}, "card.card_type"),
        ({"merchant_name": "x" * 201}, "merchant_name"),
        ({"document_type": "x" * 25}, "document_type"),
        ({"category_id": 1.5}, "category_id"),
        ({"reimbursable_amount": "10"}, "reimbursable_amount"),
    ],
)
def test_bad_expense_input_is_422(
    api: ApiClient, tenant: Tenant, session_factory, override: dict[str, Any], field: str
) -> None:
    before = counts(session_factory, tenant.company_id)
    r = api.post(EXPS, json=expense_body(tenant, **override))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "validation_error"
    assert any(k == field or k.startswith(field) for k in body["errors"]), body["errors"]
    assert counts(session_factory, tenant.company_id) == before


def test_lowercase_currency_is_normalised(api: ApiClient, tenant: Tenant) -> None:
    assert create_expense(api, tenant, currency="eur")["currency"] == "EUR"


def test_other_company_references_are_404_and_store_nothing(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory
) -> None:
    other = other_tenant.company_id
    refs: dict[str, Any] = {
        "employee_id": str(other_tenant.employee_ids[1]),
        "reporter_id": str(other_tenant.employee_ids[0]),
        "category_id": str(add_category(session_factory, other)),
        "project_id": str(add_project(session_factory, other, other_tenant.le_es)),
        "ledger_account_id": str(add_account(session_factory, other, other_tenant.le_es)),
        "legal_entity_id": str(other_tenant.le_es),
        "cost_center_ids": [str(add_cost_center(session_factory, other))],
    }
    own_cc = add_cost_center(session_factory, tenant.company_id)
    refs_shares = {
        "cost_centers": [
            {"cost_center_id": str(own_cc), "percentage": 0.5},
            {"cost_center_id": refs["cost_center_ids"][0], "percentage": 0.5},
        ]
    }
    before = counts(session_factory, tenant.company_id)
    before_other = counts(session_factory, other)
    for key, value in [*refs.items(), *refs_shares.items()]:
        for path, body in (
            (EXPS, expense_body(tenant, **{key: value})),
            ("expenses/mileages", {**_mileage_body(tenant), key: value}),
            ("expenses/per_diems", {**_per_diem_body(tenant), key: value}),
        ):
            r = api.post(path, json=body)
            assert r.status_code == 404, (path, key, r.text)
            assert r.json()["code"] == "not_found"
    assert counts(session_factory, tenant.company_id) == before
    assert counts(session_factory, other) == before_other
    # an unknown id of nobody is the same 404
    assert api.post(EXPS, json=expense_body(tenant, category_id="99999999")).status_code == 404
    # a deleted cost centre is invisible
    with transaction(session_factory) as s:
        s.execute(update(CostCenter).where(CostCenter.id == own_cc).values(deleted_at=utcnow()))
    assert api.post(EXPS, json=expense_body(tenant, cost_center_ids=[str(own_cc)])).status_code == 404
    assert counts(session_factory, tenant.company_id) == before


def _mileage_body(tenant: Tenant) -> dict[str, Any]:
    return {
        "employee_id": str(tenant.employee_ids[1]),
        "effective_on": "2024-03-11",
        "mileage": 10,
        "rate": 0.3,
    }


def _per_diem_body(tenant: Tenant) -> dict[str, Any]:
    return {"employee_id": str(tenant.employee_ids[1]), "amount": 3000, "start_date": "2024-03-12"}


# ---- update expense -------------------------------------------------------------------------------


def test_update_expense_is_partial(api: ApiClient, tenant: Tenant, session_factory) -> None:
    e = create_expense(api, tenant, reference="R-1")
    cat = add_category(session_factory, tenant.company_id)
    r = api.put(f"{EXPS}/{e['id']}", json={"id": e["id"], "description": "Changed", "category_id": str(cat)})
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["description"] == "Changed"
    assert u["category"]["id"] == str(cat)
    assert u["reference"] == "R-1"
    assert u["amount"] == 1250
    # null clears an optional field
    u = api.put(f"{EXPS}/{e['id']}", json={"reference": None, "category_id": None}).json()
    assert u["reference"] is None
    assert "category" not in u
    # amount change: reimbursable follows when not given
    u = api.put(f"{EXPS}/{e['id']}", json={"amount": 2000}).json()
    assert (u["amount"], u["reimbursable_amount"]) == (2000, 2000)
    u = api.put(f"{EXPS}/{e['id']}", json={"reimbursable_amount": 500}).json()
    assert u["reimbursable_amount"] == 500
    u = api.put(f"{EXPS}/{e['id']}", json={"description": "again"}).json()
    assert u["reimbursable_amount"] == 500  # untouched by unrelated edits
    u = api.put(f"{EXPS}/{e['id']}", json={"payment": "not_reimbursable"}).json()
    assert u["reimbursable_amount"] == 0
    # taxes and cost centres are replaced as a whole
    cc = add_cost_center(session_factory, tenant.company_id)
    u = api.put(
        f"{EXPS}/{e['id']}", json={"taxes": [{"percentage": 0.1}], "cost_center_ids": [str(cc)]}
    ).json()
    assert len(u["taxes"]) == 1
    assert u["cost_center_ids"] == [str(cc)]
    u = api.put(f"{EXPS}/{e['id']}", json={"taxes": [], "cost_center_ids": []}).json()
    assert u["taxes"] == []
    assert u["cost_center_ids"] == []
    # updated_at moves, the expensable reflects the change
    assert expensable(api, e["expenses_expensable_id"])["description"] == "again"


def test_update_expense_bad_input(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory
) -> None:
    e = create_expense(api, tenant)
    path = f"{EXPS}/{e['id']}"
    for body in (
        {"amount": None},
        {"currency": None},
        {"employee_id": None},
        {"effective_on": None},
        {"payment": None},
        {"amount": -5},
        {"amount": "5"},
        {"currency": "ZZZ"},
        {"currency": "USD"},  # needs an exchange rate
        {"reimbursable_amount": 1251},
        {"id": str(int(e["id"]) + 1000)},
        {"payment": "card"},
    ):
        r = api.put(path, json=body)
        assert r.status_code == 422, (body, r.text)
    r = api.http.put(
        api.url(path), content=b"{nope", headers={**api.headers, "content-type": "application/json"}
    )
    assert r.status_code == 400
    other_cat = add_category(session_factory, other_tenant.company_id)
    assert api.put(path, json={"category_id": str(other_cat)}).status_code == 404
    assert api.put(path, json={"employee_id": str(other_tenant.employee_ids[0])}).status_code == 404
    assert api.get(path).json() == e  # nothing changed
    assert api.put(f"{EXPS}/99999999", json={"description": "x"}).status_code == 404
    r = api.put(path, json={"currency": "USD", "exchange_rate": 0.9})
    assert r.status_code == 200
    assert r.json()["exchange_rate"] == 0.9


def test_update_only_in_draft_or_changes_requested(api: ApiClient, tenant: Tenant) -> None:
    e = create_expense(api, tenant)
    submit(api, e["expenses_expensable_id"])
    before = api.get(f"{EXPS}/{e['id']}").json()
    r = api.put(f"{EXPS}/{e['id']}", json={"description": "sneaky"})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_status_transition"
    assert api.get(f"{EXPS}/{e['id']}").json() == before
    r = api.post(
        "expenses/expensables/request_changes",
        json={"id": e["expenses_expensable_id"], "reason": "add receipt"},
    )
    assert r.status_code == 200
    r = api.put(f"{EXPS}/{e['id']}", json={"description": "with receipt"})
    assert r.status_code == 200
    assert r.json()["status"] == "changes_requested"


# ---- mileages ---------------------------------------------------------------------------------------


def test_mileage_amount_is_computed(api: ApiClient, tenant: Tenant) -> None:
    m = create_mileage(api, tenant, mileage=100, rate="0.26", round_trip=True)
    assert m["amount"] == 5200
    assert m["round_trip"] is True
    m = create_mileage(api, tenant, mileage=10, units="mi", rate=0.19, rate_measurement_unit="km")
    assert m["amount"] == 306  # 16.09344 km x 0.19 = 3.0577536
    assert (m["units"], m["rate_measurement_unit"], m["rate"]) == ("mi", "km", "0.19")
    m = create_mileage(api, tenant, amount=1000)
    assert m["amount"] == 1000
    assert m["reimbursable_amount"] == 1000
    m = create_mileage(
        api,
        tenant,
        origin_latitude=41.3874,
        origin_longitude="2.1686",
        destination_latitude="41.9794",
        destination_longitude=2.8214,
        calculated_mileage=62700,
    )
    assert (m["origin_latitude"], m["origin_longitude"]) == ("41.3874", "2.1686")
    assert m["destination_longitude"] == "2.8214"
    assert m["calculated_mileage"] == 62700


def test_mileage_bad_input(api: ApiClient, tenant: Tenant, session_factory) -> None:
    base = _mileage_body(tenant)
    before = counts(session_factory, tenant.company_id)
    for extra in (
        {"mileage": None, "rate": None},
        {"mileage": None},
        {"mileage": 1.5},
        {"mileage": -3},
        {"mileage": "12"},
        {"units": "yd"},
        {"rate_measurement_unit": "league"},
        {"rate": -0.2},
        {"rate": "abc"},
        {"origin_latitude": "north"},
        {"origin_latitude": 500},
        {"amount": -1},
        {"amount": MAX_MINOR_UNITS + 1},
        {"currency": "QQQ"},
        {"effective_on": None},
        {"mileage": 1, "rate": "0.001"},  # computes to 0 cents
    ):
        body = {k: v for k, v in {**base, **extra}.items() if v is not None}
        r = api.post("expenses/mileages", json=body)
        assert r.status_code == 422, (extra, r.text)
    assert counts(session_factory, tenant.company_id) == before


def test_mileage_update_recomputes(api: ApiClient, tenant: Tenant) -> None:
    m = create_mileage(api, tenant, mileage=100, rate="0.26")
    path = f"expenses/mileages/{m['id']}"
    u = api.put(path, json={"mileage": 200}).json()
    assert (u["mileage"], u["amount"], u["reimbursable_amount"]) == (200, 5200, 5200)
    u = api.put(path, json={"description": "road trip"}).json()
    assert u["amount"] == 5200
    u = api.put(path, json={"amount": 5000}).json()
    assert u["amount"] == 5000
    u = api.put(path, json={"round_trip": True}).json()
    assert u["amount"] == 10400
    assert api.put(path, json={"units": None}).status_code == 422
    assert api.put(path, json={"from": "Sitges", "to": "Reus"}).json()["from"] == "Sitges"


# ---- per diems -------------------------------------------------------------------------------------


def test_per_diem_create_and_update(api: ApiClient, tenant: Tenant, session_factory) -> None:
    p = create_per_diem(api, tenant)
    assert p["effective_on"] == "2024-03-12T00:00:00.000Z"
    assert p["currency"] == "EUR"
    path = f"expenses/per_diems/{p['id']}"
    u = api.put(path, json={"trip_name": "Madrid", "end_date": "2024-03-15", "amount": 9000}).json()
    assert (u["trip_name"], u["end_date"], u["amount"], u["reimbursable_amount"]) == (
        "Madrid",
        "2024-03-15",
        9000,
        9000,
    )
    assert api.put(path, json={"end_date": "2024-03-01"}).status_code == 422
    assert api.put(path, json={"amount": 0}).status_code == 422
    before = counts(session_factory, tenant.company_id)
    base = _per_diem_body(tenant)
    for extra in (
        {"end_date": "2024-03-11"},
        {"start_date": None},  # no effective_on either
        {"amount": 0},
        {"amount": -100},
        {"start_date": "12-03-2024"},
        {"currency": "ABC"},
        {"trip_name": "x" * 201},
    ):
        body = {k: v for k, v in {**base, **extra}.items() if v is not None}
        r = api.post("expenses/per_diems", json=body)
        assert r.status_code == 422, (extra, r.text)
    assert counts(session_factory, tenant.company_id) == before
    p2 = create_per_diem(api, tenant, start_date=..., end_date=..., effective_on="2024-05-05", currency="USD")
    assert p2["effective_on"] == "2024-05-05T00:00:00.000Z"
    assert p2["currency"] == "USD"


# ---- duplicates ------------------------------------------------------------------------------------


def test_duplicates_are_flagged(api: ApiClient, tenant: Tenant) -> None:
    first = create_expense(api, tenant, merchant_name="Uber")
    second = create_expense(api, tenant, merchant_name=None, user_merchant="  UBER ")
    assert second["duplicate_of_id"] == first["expenses_expensable_id"]
    assert second["is_possible_duplicate"] is True
    x = expensable(api, second["expenses_expensable_id"])
    assert (x["duplicate_of_id"], x["is_possible_duplicate"]) == (first["expenses_expensable_id"], True)
    third = create_expense(api, tenant, merchant_name="uber")
    assert third["duplicate_of_id"] == first["expenses_expensable_id"]  # the earliest match
    assert create_expense(api, tenant, merchant_name="Uber", amount=1251)["is_possible_duplicate"] is False
    assert (
        create_expense(api, tenant, merchant_name="Uber", effective_on="2024-03-11")["duplicate_of_id"]
        is None
    )
    assert create_expense(api, tenant, merchant_name="Cabify")["duplicate_of_id"] is None
    assert (
        create_expense(api, tenant, merchant_name="Uber", currency="USD", exchange_rate=0.9)[
            "duplicate_of_id"
        ]
        is None
    )
    other_employee = create_expense(
        api, tenant, merchant_name="Uber", employee_id=str(tenant.employee_ids[0])
    )
    assert other_employee["duplicate_of_id"] is None
    # the original stays unflagged
    assert api.get(f"{EXPS}/{first['id']}").json()["is_possible_duplicate"] is False
    # no merchant on either side still matches; mileages never take part
    plain = create_expense(api, tenant, merchant_name=None, amount=2600, effective_on="2024-03-11")
    assert plain["duplicate_of_id"] is None
    again = create_expense(api, tenant, merchant_name=None, amount=2600, effective_on="2024-03-11")
    assert again["duplicate_of_id"] == plain["expenses_expensable_id"]
    m = create_mileage(api, tenant, effective_on="2024-03-11")  # 2600 cents as well
    assert expensable(api, m["expenses_expensable_id"])["is_possible_duplicate"] is False


def test_rejected_claims_are_not_duplicated(api: ApiClient, tenant: Tenant) -> None:
    first = create_expense(api, tenant, merchant_name="Uber")
    submit(api, first["expenses_expensable_id"])
    r = api.post(
        "approvals/materialized_approvals_flows/reject_resource",
        json={"resource_type": "expensable", "resource_id": first["expenses_expensable_id"]},
    )
    assert r.status_code == 200
    assert create_expense(api, tenant, merchant_name="Uber")["duplicate_of_id"] is None


def test_deleting_the_original_clears_the_flag(api: ApiClient, tenant: Tenant) -> None:
    first = create_expense(api, tenant)
    second = create_expense(api, tenant)
    assert second["is_possible_duplicate"] is True
    assert api.delete(f"expenses/expensables/{first['expenses_expensable_id']}").status_code == 200
    after = api.get(f"{EXPS}/{second['id']}").json()
    assert (after["duplicate_of_id"], after["is_possible_duplicate"]) == (None, False)


def test_expense_row_is_stored_once(api: ApiClient, tenant: Tenant, session_factory) -> None:
    e = create_expense(api, tenant)
    with session_factory() as s:
        rows = s.scalars(
            select(Expense).where(Expense.expensable_id == int(e["expenses_expensable_id"]))
        ).all()
    assert [r.id for r in rows] == [int(e["id"])]


def test_unstorable_text_is_422_not_500(api: ApiClient, tenant: Tenant, session_factory) -> None:
    before = counts(session_factory, tenant.company_id)
    assert api.post(EXPS, json=expense_body(tenant, description="a\x00b")).status_code == 422
    assert api.post(EXPS, json=expense_body(tenant, card={"card_type": "v\x00"})).status_code == 422
    raw = (
        b'{"employee_id": "%d", "amount": 5, "currency": "EUR", "effective_on": "2024-01-01", '
        b'"description": "\\ud800"}'
    )
    assert post_raw(api, EXPS, raw % tenant.employee_ids[1]).status_code == 422
    r = api.post("expenses/expensables/request_changes", json={"id": "1", "reason": "\x00"})
    assert r.status_code == 422
    assert counts(session_factory, tenant.company_id) == before
