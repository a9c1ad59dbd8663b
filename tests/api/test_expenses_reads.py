"""Reads of expensables, expenses, mileages and per diems: shapes, every filter, versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from factorial_api_client.generated.models.approvals_materialized_approvals_flow import (
    ApprovalsMaterializedApprovalsFlow,
)
from factorial_api_client.generated.models.expenses_expensable import ExpensesExpensable
from factorial_api_client.generated.models.expenses_expense import ExpensesExpense
from factorial_api_client.generated.models.expenses_mileage import ExpensesMileage
from factorial_api_client.generated.models.expenses_per_diem import ExpensesPerDiem

from tests.api.test_banking_accounts import new_account
from tests.api.test_banking_feeds import imported
from tests.api.test_expenses_support import (
    add_category,
    add_cost_center,
    approve,
    create_expense,
    create_mileage,
    create_per_diem,
    expensable,
    ids_of,
    set_group,
    submit,
)
from tests.factories import ApiClient, Tenant


@dataclass
class Seed:
    """Five claims: three expenses, a mileage and a per diem, in several statuses."""

    e1: dict[str, Any]  # employee 1, 2024-03-01, manual draft, "Taxi Barcelona"
    e2: dict[str, Any]  # employee 2 reported by boss, 2024-03-05, automatic (card), pending
    e3: dict[str, Any]  # employee 1, 2024-03-10, manual, approved, "Hotel_Arts"
    m1: dict[str, Any]  # mileage, employee 1, 2024-03-05, draft
    p1: dict[str, Any]  # per diem, employee 2, 2024-03-20, pending
    card_payment_id: str  # the company's card payment e2 was raised from
    card_id: str  # the company card e2 was paid with (never equal to card_payment_id)

    @property
    def x(self) -> dict[str, str]:
        """Expensable id of each claim."""
        return {k: getattr(self, k)["expenses_expensable_id"] for k in ("e1", "e2", "e3", "m1", "p1")}


def _card_and_payment(api: ApiClient, tenant: Tenant) -> tuple[str, str]:
    """A company card and one of the company's card payments (from the sample statement), ids distinct."""
    account = new_account(api, tenant)
    imported(api, account["id"], "camt053_statement.xml")
    r = api.post("banking/cards", json={"bank_account_id": account["id"], "last4": "4242"})
    assert r.status_code == 201, r.text
    card = str(r.json()["id"])
    payment = next(str(p["id"]) for p in api.list_all("banking/card_payments") if str(p["id"]) != card)
    return card, payment


@pytest.fixture
def seed(api: ApiClient, tenant: Tenant) -> Seed:
    boss, _emp1, emp2 = (str(i) for i in tenant.employee_ids)
    card, payment = _card_and_payment(api, tenant)
    e1 = create_expense(
        api,
        tenant,
        effective_on="2024-03-01",
        description="Taxi to the airport",
        merchant_name="Taxi Barcelona",
        internal_reference="REF-100%",
    )
    e2 = create_expense(
        api,
        tenant,
        employee_id=emp2,
        reporter_id=boss,
        currency="GBP",
        amount=899,
        effective_on="2024-03-05",
        description="Lunch",
        merchant_name=None,
        user_merchant="Pret A Manger",
        creation_type="automatic",
        card={"card_type": "virtual", "last4": "4242"},
        card_payment_id=payment,
        expenses_card_id=card,
        external_authorization_id="9001",
        dispute_id="6001",
    )
    e3 = create_expense(
        api,
        tenant,
        effective_on="2024-03-10",
        amount=15000,
        description="Two nights",
        merchant_name="Hotel_Arts",
    )
    m1 = create_mileage(api, tenant, effective_on="2024-03-05")
    p1 = create_per_diem(api, tenant, employee_id=emp2, start_date="2024-03-20", end_date="2024-03-21")
    submit(api, e2["expenses_expensable_id"], e3["expenses_expensable_id"], p1["expenses_expensable_id"])
    approve(api, e3["expenses_expensable_id"])
    return Seed(e1=e1, e2=e2, e3=e3, m1=m1, p1=p1, card_payment_id=payment, card_id=card)


def listed(api: ApiClient, path: str, **params: Any) -> list[str]:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    return ids_of(r.json()["data"])


# ---- shapes --------------------------------------------------------------------------------------


def test_shapes_parse_with_the_official_sdk(
    api: ApiClient, tenant: Tenant, session_factory, seed: Seed
) -> None:
    for item in api.list_all("expenses/expensables"):
        parsed = ExpensesExpensable.from_dict(item)
        assert parsed.id == item["id"]
    for item in api.list_all("expenses/expenses"):
        ExpensesExpense.from_dict(item)
    for item in api.list_all("expenses/mileages"):
        ExpensesMileage.from_dict(item)
    for item in api.list_all("expenses/per_diems"):
        ExpensesPerDiem.from_dict(item)


def test_expensable_fields(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    x = expensable(api, seed.x["e2"])
    assert x["type"] == "expense"
    assert x["company_id"] == str(tenant.company_id)
    assert x["employee_id"] == str(tenant.employee_ids[2])
    assert x["reporter_id"] == str(tenant.employee_ids[0])
    assert x["legal_entity_id"] == str(tenant.le_gb)
    assert x["currency"] == "GBP"
    assert x["amount"] == 899
    # raised from a company card payment: the company paid, nothing is owed back by default
    assert x["reimbursable_amount"] == 0
    assert x["reimbursable_currency"] == "GBP"
    assert x["status"] == "pending"
    assert x["effective_on"] == "2024-03-05T00:00:00.000Z"
    assert x["review_request_at"] is not None
    assert x["review_request_at"].endswith("Z")
    assert x["paid_at"] is None
    assert x["expense_id"] == seed.e2["id"]
    assert x["mileage_id"] is None
    assert x["per_diem_id"] is None
    for key in ("group_id", "budget_id", "project_id", "reimbursement_method", "internal_reference"):
        assert key in x
        assert x[key] is None
    m = expensable(api, seed.x["m1"])
    assert (m["type"], m["mileage_id"], m["expense_id"]) == ("mileage", seed.m1["id"], None)
    p = expensable(api, seed.x["p1"])
    assert (p["type"], p["per_diem_id"]) == ("perdiem", seed.p1["id"])


def test_expense_fields_and_nested_objects(
    api: ApiClient, tenant: Tenant, session_factory, seed: Seed
) -> None:
    e2 = api.get(f"expenses/expenses/{seed.e2['id']}").json()
    assert e2["creation_type"] == "automatic"
    assert e2["effective_on"] == "2024-03-05"
    assert e2["card"] == {"card_type": "virtual", "last4": "4242"}
    assert e2["card_payment_id"] == seed.card_payment_id
    assert e2["expenses_card_id"] == seed.card_id
    assert e2["files"] == []
    assert e2["exchange_rate"] == 1.0
    assert isinstance(e2["exchange_rate"], float)
    assert "signed_document" not in e2
    assert e2["status"] == "pending"
    # no card and no category: both keys omitted, never null
    e1 = api.get(f"expenses/expenses/{seed.e1['id']}").json()
    assert "card" not in e1
    assert "category" not in e1
    assert e1["category_id"] is None

    cat = add_category(session_factory, tenant.company_id, label="Taxis")
    cc1 = add_cost_center(session_factory, tenant.company_id, "Sales")
    cc2 = add_cost_center(session_factory, tenant.company_id, "R&D")
    e = create_expense(
        api,
        tenant,
        category_id=str(cat),
        cost_center_ids=[str(cc2), str(cc1)],
        taxes=[{"type": "vat", "percentage": 0.21, "amount": 217, "base_amount": 1033}],
    )
    assert e["category"] == {"id": str(cat), "name": "Taxis"}
    assert e["cost_center_ids"] == [str(cc2), str(cc1)]
    assert e["taxes"] == [{"type": "vat", "amount": 217, "percentage": 0.21, "base_amount": 1033}]
    assert expensable(api, e["expenses_expensable_id"])["cost_center_ids"] == [str(cc2), str(cc1)]
    listed_item = api.get("expenses/expenses", params={"ids[]": [e["id"]]}).json()["data"][0]
    assert listed_item == e


def test_mileage_and_per_diem_fields(api: ApiClient, tenant: Tenant, session_factory, seed: Seed) -> None:
    m = api.get(f"expenses/mileages/{seed.m1['id']}").json()
    assert m["mileage"] == 100
    assert m["rate"] == "0.26"
    assert m["units"] == "km"
    assert m["rate_measurement_unit"] == "km"
    assert (m["from"], m["to"]) == ("Barcelona", "Girona")
    assert m["amount"] == 2600
    assert m["effective_on"] == "2024-03-05T00:00:00.000Z"
    assert m["payment"] == "reimbursable"
    assert m["files"] == []
    p = api.get(f"expenses/per_diems/{seed.p1['id']}").json()
    # "Madrid" names no country: a city in the employer's country (gb), priced by the UK benchmark rates
    # (08:00-24:00 and ongoing at 8 p.m.: £25; 00:00-18:00: £10).
    assert [(r["total_days"], r["total_amount_cents"]) for r in p["rates"]] == [(1, 2500), (1, 1000)]
    assert {r["expenses_per_diem_id"] for r in p["rates"]} == {seed.p1["id"]}
    assert (p["statutory_amount"], p["amount"], p["taxable_amount"], p["tax_free_amount"]) == (
        3500,
        5340,
        1840,
        3500,
    )
    assert (p["start_date"], p["end_date"]) == ("2024-03-20", "2024-03-21")
    assert p["effective_on"] == "2024-03-20T00:00:00.000Z"
    assert p["trip_name"] == "Client visit"
    assert p["currency"] == "GBP"  # the owner's legal entity currency
    cat = add_category(session_factory, tenant.company_id)
    m2 = create_mileage(api, tenant, category_id=str(cat), subcategory="car")
    assert m2["category"] == {"id": str(cat), "name": "Travel"}


def test_get_unknown_ids_are_404(api: ApiClient, seed: Seed) -> None:
    for path in ("expensables", "expenses", "mileages", "per_diems"):
        assert api.get(f"expenses/{path}/999999").status_code == 404
        assert api.get(f"expenses/{path}/abc").status_code == 404
        assert api.get(f"expenses/{path}/-1").status_code == 404


def test_pagination_walks_every_item(api: ApiClient, seed: Seed) -> None:
    items = api.list_all("expenses/expensables", limit=2)
    assert ids_of(items) == sorted(seed.x.values(), key=int)
    first = api.get("expenses/expensables", params={"limit": 2}).json()
    assert first["meta"]["total"] == 5
    assert first["meta"]["has_next_page"] is True
    assert len(api.list_all("expenses/expenses", limit=1)) == 3


# ---- expensables filters ------------------------------------------------------------------------

EXP = "expenses/expensables"


def test_expensables_ids_and_company(
    api: ApiClient, tenant: Tenant, other_api: ApiClient, seed: Seed
) -> None:
    x = seed.x
    assert listed(api, EXP, **{"ids[]": [x["e1"], x["p1"]]}) == [x["e1"], x["p1"]]
    assert len(listed(api, EXP, company_id=str(tenant.company_id))) == 5
    other = other_api.get("api_public/credentials").json()["data"][0]["company_id"]
    assert listed(api, EXP, company_id=other) == []
    assert api.get(EXP, params={"company_id": "abc"}).status_code == 422
    assert api.get(EXP, params={"ids[]": ["x"]}).status_code == 422


def test_expensables_group_ids_and_include_grouped(api: ApiClient, session_factory, seed: Seed) -> None:
    x = seed.x
    set_group(session_factory, int(x["e1"]), 42)
    set_group(session_factory, int(x["m1"]), 43)
    assert listed(api, EXP, **{"group_ids[]": ["42"]}) == [x["e1"]]
    assert listed(api, EXP, **{"group_ids[]": ["42", "43"]}) == [x["e1"], x["m1"]]
    assert expensable(api, x["e1"])["group_id"] == "42"
    assert listed(api, EXP, include_grouped="false") == [x["e2"], x["e3"], x["p1"]]
    assert len(listed(api, EXP, include_grouped="true")) == 5
    assert len(listed(api, EXP, include_grouped="True")) == 5


def test_expensables_by_resources_and_include_attachments_are_accepted(api: ApiClient, seed: Seed) -> None:
    assert len(listed(api, EXP, **{"by_resources[]": ["{}", "{'type': 'x'}"]})) == 5
    assert len(listed(api, EXP, include_attachments="true")) == 5
    assert len(listed(api, EXP, include_attachments="false")) == 5
    assert api.get(EXP, params={"include_attachments": "maybe"}).status_code == 422


def test_expensables_employee_and_reporter_are_ored(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    boss, emp1, emp2 = (str(i) for i in tenant.employee_ids)
    x = seed.x
    assert listed(api, EXP, **{"employee_ids[]": [emp1]}) == [x["e1"], x["e3"], x["m1"]]
    assert listed(api, EXP, **{"employee_ids[]": [emp2]}) == [x["e2"], x["p1"]]
    assert listed(api, EXP, **{"reporter_ids[]": [boss]}) == [x["e2"]]
    assert listed(api, EXP, **{"employee_ids[]": [boss]}) == []
    # OR: owner emp1's claims plus what boss reported
    assert listed(api, EXP, **{"employee_ids[]": [emp1], "reporter_ids[]": [boss]}) == [
        x["e1"],
        x["e2"],
        x["e3"],
        x["m1"],
    ]


def test_expensables_status(api: ApiClient, seed: Seed) -> None:
    x = seed.x
    assert listed(api, EXP, **{"status[]": ["draft"]}) == [x["e1"], x["m1"]]
    assert listed(api, EXP, **{"status[]": ["pending", "approved"]}) == [x["e2"], x["e3"], x["p1"]]
    assert listed(api, EXP, **{"status[]": ["paid"]}) == []
    r = api.get(EXP, params={"status[]": ["archived"]})
    assert r.status_code == 422
    assert any(k.startswith("status[]") for k in r.json()["errors"])


def test_expensables_creation_type(api: ApiClient, seed: Seed) -> None:
    x = seed.x
    assert listed(api, EXP, **{"creation_type[]": ["automatic"]}) == [x["e2"]]
    # mileages and per diems are entered by hand: they count as manual
    assert listed(api, EXP, **{"creation_type[]": ["manual"]}) == [x["e1"], x["e3"], x["m1"], x["p1"]]
    assert len(listed(api, EXP, **{"creation_type[]": ["manual", "automatic"]})) == 5
    # anything else: empty, not an error
    assert listed(api, EXP, **{"creation_type[]": ["travelperk"]}) == []
    assert listed(api, EXP, **{"creation_type[]": ["bogus"]}) == []
    assert listed(api, EXP, **{"creation_type[]": ["manual", "bogus"]}) == []


def test_expensables_from_to_inclusive_and_lone_bounds(api: ApiClient, seed: Seed) -> None:
    x = seed.x
    # e1 03-01, e2 03-05, m1 03-05, e3 03-10, p1 03-20
    assert listed(api, EXP, **{"from": "2024-03-05", "to": "2024-03-10"}) == [x["e2"], x["e3"], x["m1"]]
    assert listed(api, EXP, **{"from": "2024-03-01", "to": "2024-03-01"}) == [x["e1"]]
    assert listed(api, EXP, **{"from": "2024-03-06", "to": "2024-03-09"}) == []
    # timestamps: the dates are compared as midnight UTC
    assert listed(api, EXP, **{"from": "2024-03-05T00:00:00Z", "to": "2024-03-10T00:00:00.000Z"}) == [
        x["e2"],
        x["e3"],
        x["m1"],
    ]
    assert listed(api, EXP, **{"from": "2024-03-05T10:00:00Z", "to": "2024-03-20T23:59:59Z"}) == [
        x["e3"],
        x["p1"],
    ]
    # a lone bound is ignored
    assert len(listed(api, EXP, **{"from": "2024-03-06"})) == 5
    assert len(listed(api, EXP, to="2024-03-02")) == 5
    assert api.get(EXP, params={"from": "yesterday", "to": "2024-03-01"}).status_code == 422


def test_expensables_search(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    x = seed.x
    assert listed(api, EXP, search="AIRPORT") == [x["e1"]]  # description, case-insensitive
    assert listed(api, EXP, search="pret a") == [x["e2"]]  # user_merchant
    assert listed(api, EXP, search="barcelona") == [x["e1"]]  # merchant_name
    assert listed(api, EXP, search="ref-100") == [x["e1"]]  # internal_reference
    # LIKE wildcards are literal
    assert listed(api, EXP, search="100%") == [x["e1"]]
    assert listed(api, EXP, search="%") == [x["e1"]]
    assert listed(api, EXP, search="l_a") == [x["e3"]]  # "Hotel_Arts" only, not "Hotel Arts"-like matches
    create_expense(api, tenant, merchant_name="HotelXArts", effective_on="2024-01-01")
    assert listed(api, EXP, search="hotel_") == [x["e3"]]
    assert len(listed(api, EXP, search="")) == 6


def test_expensables_include_manual_drafts(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    x = seed.x
    card_draft = create_expense(api, tenant, creation_type="automatic", effective_on="2024-02-01")
    xd = card_draft["expenses_expensable_id"]
    everything = [x["e1"], x["e2"], x["e3"], x["m1"], x["p1"], xd]
    assert listed(api, EXP) == everything
    assert listed(api, EXP, include_manual_drafts="true") == everything
    # false: drafts entered by hand (the manual expense draft and the mileage draft) are left out
    assert listed(api, EXP, include_manual_drafts="false") == [x["e2"], x["e3"], x["p1"], xd]


# ---- expenses filters ---------------------------------------------------------------------------

EXPS = "expenses/expenses"


def test_expenses_id_filters(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    e1, e2, e3 = seed.e1["id"], seed.e2["id"], seed.e3["id"]
    assert listed(api, EXPS) == [e1, e2, e3]
    assert listed(api, EXPS, **{"ids[]": [e3, e1]}) == [e1, e3]
    assert listed(api, EXPS, **{"expenses_expensable_ids[]": [seed.x["e2"], seed.x["m1"]]}) == [e2]
    assert listed(api, EXPS, **{"employee_ids[]": [str(tenant.employee_ids[1])]}) == [e1, e3]
    assert listed(api, EXPS, **{"external_authorization_ids[]": ["9001"]}) == [e2]
    assert listed(api, EXPS, **{"external_authorization_ids[]": ["9002"]}) == []
    assert listed(api, EXPS, **{"card_ids[]": [seed.card_id]}) == [e2]
    # card_ids match expenses_card_id, not the card payment
    assert listed(api, EXPS, **{"card_ids[]": [seed.card_payment_id]}) == []
    assert listed(api, EXPS, **{"card_payment_ids[]": [seed.card_payment_id]}) == [e2]
    assert listed(api, EXPS, **{"dispute_ids[]": ["6001"]}) == [e2]
    assert listed(api, EXPS, **{"dispute_ids[]": ["6002"]}) == []
    assert len(listed(api, EXPS, include_attachments="true")) == 3
    assert api.get(EXPS, params={"card_ids[]": ["abc"]}).status_code == 422


def test_expenses_include_manual_drafts(api: ApiClient, seed: Seed) -> None:
    e1, e2, e3 = seed.e1["id"], seed.e2["id"], seed.e3["id"]
    assert listed(api, EXPS, include_manual_drafts="true") == [e1, e2, e3]
    assert listed(api, EXPS, include_manual_drafts="false") == [e2, e3]


def test_expenses_from_inclusive_to_exclusive(api: ApiClient, seed: Seed) -> None:
    e1, e2, e3 = seed.e1["id"], seed.e2["id"], seed.e3["id"]
    assert listed(api, EXPS, **{"from": "2024-03-01", "to": "2024-03-10"}) == [e1, e2]
    assert listed(api, EXPS, **{"from": "2024-03-01", "to": "2024-03-11"}) == [e1, e2, e3]
    assert listed(api, EXPS, **{"from": "2024-03-05", "to": "2024-03-05"}) == []
    assert listed(api, EXPS, **{"from": "2024-03-05T00:00:00Z", "to": "2024-03-10T00:00:00Z"}) == [e2]
    assert listed(api, EXPS, **{"from": "2024-03-05T00:00:00Z", "to": "2024-03-10T00:00:01Z"}) == [e2, e3]
    assert listed(api, EXPS, **{"from": "2024-03-02"}) == [e1, e2, e3]  # lone bound ignored
    assert listed(api, EXPS, to="2024-03-02") == [e1, e2, e3]


# ---- mileages and per diems filters ---------------------------------------------------------------

MIL = "expenses/mileages"


def test_mileages_filters(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    m1 = seed.m1["id"]
    m2 = create_mileage(api, tenant, employee_id=str(tenant.employee_ids[2]), effective_on="2024-04-01")
    submit(api, m2["expenses_expensable_id"])
    m2_id = m2["id"]
    assert listed(api, MIL) == [m1, m2_id]
    assert listed(api, MIL, **{"ids[]": [m2_id]}) == [m2_id]
    assert listed(api, MIL, **{"expenses_expensable_ids[]": [seed.x["m1"]]}) == [m1]
    assert listed(api, MIL, **{"employee_ids[]": [str(tenant.employee_ids[2])]}) == [m2_id]
    assert listed(api, MIL, include_manual_drafts="false") == [m2_id]
    assert listed(api, MIL, **{"from": "2024-03-05", "to": "2024-04-01"}) == [m1]
    assert listed(api, MIL, **{"from": "2024-03-06", "to": "2024-04-02"}) == [m2_id]
    assert listed(api, MIL, **{"from": "2024-03-06"}) == [m1, m2_id]
    assert len(listed(api, MIL, include_attachments="true")) == 2
    for key in ("card_ids[]", "card_payment_ids[]", "external_authorization_ids[]", "dispute_ids[]"):
        assert listed(api, MIL, **{key: ["1"]}) == []


PD = "expenses/per_diems"


def test_per_diems_filters(api: ApiClient, tenant: Tenant, seed: Seed) -> None:
    p1 = seed.p1["id"]
    p2 = create_per_diem(api, tenant)["id"]
    assert listed(api, PD) == [p1, p2]
    assert listed(api, PD, **{"ids[]": [p2]}) == [p2]
    assert listed(api, PD, **{"expenses_expensable_ids[]": [seed.x["p1"]]}) == [p1]
    assert listed(api, PD, exclude_drafts="true") == [p1]
    assert listed(api, PD, exclude_drafts="false") == [p1, p2]
    assert api.get(PD, params={"exclude_drafts": "perhaps"}).status_code == 422


def test_approval_flow_parses_with_sdk(api: ApiClient, tenant: Tenant) -> None:
    e = create_expense(api, tenant)
    submit(api, e["expenses_expensable_id"])
    flow = approve(api, e["expenses_expensable_id"])
    parsed = ApprovalsMaterializedApprovalsFlow.from_dict(flow)
    assert parsed.status.value == "approved"
    assert parsed.approvers[0].status.value == "approved"


def test_extreme_filter_values_are_handled(api: ApiClient, seed: Seed) -> None:
    nul = api.get(EXP, params={"search": "a\x00b"})
    assert nul.status_code == 400
    assert nul.json()["code"] == "control_character"
    for path in (EXP, EXPS, MIL):
        r = api.get(path, params={"from": "9999-12-31T23:00:00Z", "to": "9999-12-31T23:59:59Z"})
        assert r.status_code == 200
        assert r.json()["data"] == []
        r = api.get(path, params={"from": "2024-01-01", "to": "9999-12-31"})
        assert r.status_code == 200
        assert len(r.json()["data"]) >= 1
        r = api.get(path, params={"from": "0001-01-01T00:00:00+05:00", "to": "2024-01-01"})
        assert r.status_code == 422
