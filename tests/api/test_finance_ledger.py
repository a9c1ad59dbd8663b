"""finance/ledger_account_resources: upsert by id or by key, account by id or number, filters, tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from expensehub.db.engine import transaction
from expensehub.finance import service
from tests.factories import ApiClient, Tenant

PATH = "finance/ledger_account_resources"
UPSERT = f"{PATH}/upsert"


def account(api: ApiClient, legal_entity_id: int, number: str = "6000", currency: str = "EUR") -> str:
    r = api.post(
        "finance/accounts",
        json={
            "number": number,
            "type": "expense",
            "currency": currency,
            "legal_entity_id": str(legal_entity_id),
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def category(session_factory: Any, company_id: int, identifier: str = "meals") -> int:
    with transaction(session_factory) as s:
        return service.create_category(
            s, company_id=company_id, identifier=identifier, default_label=identifier
        ).id


def upsert(api: ApiClient, **fields: Any) -> dict[str, Any]:
    r = api.post(UPSERT, json=fields)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def everything(api: ApiClient) -> list[dict[str, Any]]:
    return api.list_all(PATH)


def test_create_then_update_by_key(api: ApiClient, tenant: Tenant, session_factory: Any) -> None:
    cat = category(session_factory, tenant.company_id)
    acc1 = account(api, tenant.le_es, "6290")
    acc2 = account(api, tenant.le_es, "6291")
    first = upsert(
        api,
        legal_entity_id=str(tenant.le_es),
        resource_type="customcategory",
        resource_id=str(cat),
        account_id=acc1,
        balance_type="debit",
        operation_type="purchase",
        external_id="map-1",
    )
    assert set(first) == {
        "id",
        "resource_type",
        "resource_id",
        "account_id",
        "updated_at",
        "balance_type",
        "external_id",
        "legal_entity_id",
    }
    assert (first["resource_type"], first["resource_id"], first["account_id"]) == (
        "customcategory",
        str(cat),
        acc1,
    )
    assert (first["balance_type"], first["external_id"], first["legal_entity_id"]) == (
        "debit",
        "map-1",
        str(tenant.le_es),
    )
    second = upsert(
        api,
        legal_entity_id=str(tenant.le_es),
        resource_type="customcategory",
        resource_id=str(cat),
        account_id=acc2,
    )
    assert second["id"] == first["id"]
    assert second["account_id"] == acc2
    assert second["balance_type"] == "debit"  # kept when not sent
    assert second["external_id"] == "map-1"
    assert len(everything(api)) == 1
    assert api.get(f"{PATH}/{first['id']}").json() == second


def test_same_resource_in_two_legal_entities_is_two_mappings(
    api: ApiClient, tenant: Tenant, session_factory: Any
) -> None:
    cat = category(session_factory, tenant.company_id)
    es = upsert(
        api, legal_entity_id=str(tenant.le_es), resource_type="customcategory", resource_id=cat, number="629"
    )
    gb = upsert(
        api, legal_entity_id=str(tenant.le_gb), resource_type="customcategory", resource_id=cat, number="629"
    )
    assert es["id"] != gb["id"]
    assert es["account_id"] != gb["account_id"]


def test_update_by_id(api: ApiClient, tenant: Tenant) -> None:
    acc = account(api, tenant.le_es)
    m = upsert(
        api, legal_entity_id=str(tenant.le_es), resource_type="vendor", resource_id="77", account_id=acc
    )
    out = upsert(
        api, id=m["id"], legal_entity_id=str(tenant.le_es), resource_type="vendor", balance_type="credit"
    )
    assert out["id"] == m["id"]
    assert out["resource_id"] == "77"
    assert out["account_id"] == acc
    assert out["balance_type"] == "credit"
    moved = upsert(
        api, id=m["id"], legal_entity_id=str(tenant.le_es), resource_type="vendor", resource_id="78"
    )
    assert moved["resource_id"] == "78"


def test_number_finds_or_creates_the_account(api: ApiClient, tenant: Tenant) -> None:
    existing = account(api, tenant.le_gb, "4100", "GBP")
    found = upsert(
        api, legal_entity_id=str(tenant.le_gb), resource_type="taxtype", resource_id="5", number="4100"
    )
    assert found["account_id"] == existing
    made = upsert(
        api,
        legal_entity_id=str(tenant.le_gb),
        resource_type="taxtype",
        resource_id="6",
        number="4750",
        name="VAT",
    )
    acc = api.get(f"finance/accounts/{made['account_id']}").json()
    assert (acc["number"], acc["type"], acc["name"], acc["legal_entity_id"]) == (
        "4750",
        "expense",
        "VAT",
        str(tenant.le_gb),
    )
    # created once: a second mapping with the same number reuses it
    again = upsert(
        api, legal_entity_id=str(tenant.le_gb), resource_type="taxtype", resource_id="7", number="4750"
    )
    assert again["account_id"] == made["account_id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resource_type": "category"}, "resource_type"),
        ({"resource_type": None}, "resource_type"),
        ({"balance_type": "both"}, "balance_type"),
        ({"operation_type": "refund"}, "operation_type"),
        ({"resource_id": None}, "resource_id"),
        ({"resource_id": "abc"}, "resource_id"),
        ({"legal_entity_id": None}, "legal_entity_id"),
        ({"number": None}, "account_id"),
        ({"number": ""}, "number"),
        ({"account_id": "x"}, "account_id"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(
    api: ApiClient, tenant: Tenant, change: dict, field: str
) -> None:
    before = everything(api)
    accounts_before = api.get("finance/accounts").json()["meta"]["total"]
    body = {
        "legal_entity_id": str(tenant.le_es),
        "resource_type": "vendor",
        "resource_id": "1",
        "number": "400",
        **change,
    }
    r = api.post(UPSERT, json={k: v for k, v in body.items() if v is not None})
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert everything(api) == before
    assert api.get("finance/accounts").json()["meta"]["total"] == accounts_before


def test_account_of_other_legal_entity_is_422(api: ApiClient, tenant: Tenant) -> None:
    gb_acc = account(api, tenant.le_gb, "1", "GBP")
    r = api.post(
        UPSERT,
        json={
            "legal_entity_id": str(tenant.le_es),
            "resource_type": "vendor",
            "resource_id": "1",
            "account_id": gb_acc,
        },
    )
    assert r.status_code == 422
    assert r.json()["code"] == "account_legal_entity_mismatch"
    assert everything(api) == []


def test_foreign_ids_are_404_and_change_nothing(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory: Any
) -> None:
    mine_cat = category(session_factory, tenant.company_id)
    their_cat = category(session_factory, other_tenant.company_id)
    their_acc = account(other_api, other_tenant.le_es)
    my_acc = account(api, tenant.le_es)
    mine = upsert(
        api,
        legal_entity_id=str(tenant.le_es),
        resource_type="customcategory",
        resource_id=mine_cat,
        account_id=my_acc,
    )
    theirs = upsert(
        other_api,
        legal_entity_id=str(other_tenant.le_es),
        resource_type="customcategory",
        resource_id=their_cat,
        account_id=their_acc,
    )
    before = everything(api)
    accounts_before = api.get("finance/accounts").json()["meta"]["total"]
    es = str(tenant.le_es)
    cases = [
        {
            "legal_entity_id": es,
            "resource_type": "customcategory",
            "resource_id": their_cat,
            "account_id": my_acc,
        },
        {"legal_entity_id": es, "resource_type": "customcategory", "resource_id": 999999999, "number": "1"},
        {"legal_entity_id": es, "resource_type": "vendor", "resource_id": "3", "account_id": their_acc},
        {
            "legal_entity_id": str(other_tenant.le_es),
            "resource_type": "vendor",
            "resource_id": "3",
            "number": "1",
        },
        {"id": theirs["id"], "legal_entity_id": es, "resource_type": "customcategory", "account_id": my_acc},
        {
            "legal_entity_id": es,
            "resource_type": "customcategory",
            "resource_id": mine_cat,
            "account_id": their_acc,
        },
    ]
    for body in cases:
        r = api.post(UPSERT, json=body)
        assert r.status_code == 404, (body, r.text)
    assert everything(api) == before
    assert api.get("finance/accounts").json()["meta"]["total"] == accounts_before
    # the other company cannot read or upsert this tenant's mapping
    assert other_api.get(f"{PATH}/{mine['id']}").status_code == 404
    r = other_api.post(
        UPSERT,
        json={
            "id": mine["id"],
            "legal_entity_id": str(other_tenant.le_es),
            "resource_type": "customcategory",
            "account_id": their_acc,
        },
    )
    assert r.status_code == 404
    assert everything(api) == before
    assert other_api.get(PATH, params={"ids[]": [mine["id"]]}).json()["data"] == []


def test_moving_onto_an_existing_key_is_409(api: ApiClient, tenant: Tenant) -> None:
    acc = account(api, tenant.le_es)
    upsert(api, legal_entity_id=str(tenant.le_es), resource_type="vendor", resource_id="1", account_id=acc)
    other = upsert(
        api, legal_entity_id=str(tenant.le_es), resource_type="vendor", resource_id="2", account_id=acc
    )
    before = everything(api)
    r = api.post(
        UPSERT,
        json={
            "id": other["id"],
            "legal_entity_id": str(tenant.le_es),
            "resource_type": "vendor",
            "resource_id": "1",
        },
    )
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_resource"
    assert everything(api) == before


def test_moving_to_another_legal_entity_needs_an_account(api: ApiClient, tenant: Tenant) -> None:
    acc = account(api, tenant.le_es)
    m = upsert(
        api, legal_entity_id=str(tenant.le_es), resource_type="vendor", resource_id="1", account_id=acc
    )
    r = api.post(
        UPSERT, json={"id": m["id"], "legal_entity_id": str(tenant.le_gb), "resource_type": "vendor"}
    )
    assert r.status_code == 422
    moved = upsert(api, id=m["id"], legal_entity_id=str(tenant.le_gb), resource_type="vendor", number="9")
    assert moved["legal_entity_id"] == str(tenant.le_gb)


def test_list_filters(api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory: Any) -> None:
    cat = category(session_factory, tenant.company_id)
    a_es = account(api, tenant.le_es, "1")
    a_gb = account(api, tenant.le_gb, "2", "GBP")
    m1 = upsert(
        api,
        legal_entity_id=str(tenant.le_es),
        resource_type="customcategory",
        resource_id=cat,
        account_id=a_es,
    )
    m2 = upsert(
        api, legal_entity_id=str(tenant.le_es), resource_type="vendor", resource_id="50", account_id=a_es
    )
    m3 = upsert(
        api, legal_entity_id=str(tenant.le_gb), resource_type="vendor", resource_id="51", account_id=a_gb
    )

    def ids(params: dict) -> list[str]:
        return [m["id"] for m in api.list_all(PATH, params)]

    assert ids({}) == [m1["id"], m2["id"], m3["id"]]
    assert ids({"ids[]": [m3["id"], m1["id"]]}) == [m1["id"], m3["id"]]
    assert ids({"resource_ids[]": ["50", "51"]}) == [m2["id"], m3["id"]]
    assert ids({"resource_type": "vendor"}) == [m2["id"], m3["id"]]
    assert ids({"resource_type": "invoice"}) == []
    assert ids({"legal_entity_ids[]": [tenant.le_gb]}) == [m3["id"]]
    assert ids({"legal_entity_ids[]": [other_tenant.le_es]}) == []
    assert ids({"finance_account_ids[]": [a_es]}) == [m1["id"], m2["id"]]
    assert ids({"updated_from": "2020-01-01"}) == [m1["id"], m2["id"], m3["id"]]
    assert ids({"updated_from": "2999-01-01"}) == []
    assert ids({"resource_type": "vendor", "finance_account_ids[]": [a_es]}) == [m2["id"]]


def test_unknown_ids_are_404(api: ApiClient) -> None:
    assert api.get(f"{PATH}/424242424").status_code == 404
    assert api.get(f"{PATH}/abc").status_code == 404
