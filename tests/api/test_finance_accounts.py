"""finance/accounts: ledger accounts (create, update, filters, tenancy)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ApiClient, Tenant

PATH = "finance/accounts"


def create(api: ApiClient, legal_entity_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "number": "6000",
        "type": "expense",
        "currency": "EUR",
        "legal_entity_id": str(legal_entity_id),
        **fields,
    }
    r = api.post(PATH, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def total(api: ApiClient) -> int:
    return int(api.get(PATH).json()["meta"]["total"])


def test_create_shape_has_no_currency(api: ApiClient, tenant: Tenant) -> None:
    acc = create(api, tenant.le_es, name="Travel expenses", external_id="ext-1")
    assert set(acc) == {
        "id",
        "legal_entity_id",
        "number",
        "disabled",
        "type",
        "updated_at",
        "name",
        "external_id",
    }
    assert acc["legal_entity_id"] == str(tenant.le_es)
    assert (acc["number"], acc["type"], acc["name"], acc["external_id"]) == (
        "6000",
        "expense",
        "Travel expenses",
        "ext-1",
    )
    assert acc["disabled"] is False
    assert acc["updated_at"].endswith("Z")
    assert len(acc["updated_at"]) == 24
    assert api.get(f"{PATH}/{acc['id']}").json() == acc


def test_optional_fields_are_null(api: ApiClient, tenant: Tenant) -> None:
    acc = create(api, tenant.le_gb, currency="GBP")
    assert acc["name"] is None
    assert acc["external_id"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "expenses"}, "type"),
        ({"type": None}, "type"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"number": ""}, "number"),
        ({"number": "   "}, "number"),
        ({"number": 6000}, "number"),
        ({"legal_entity_id": "es"}, "legal_entity_id"),
        ({"external_id": ""}, "external_id"),
        ({"name": "n" * 201}, "name"),
    ],
)
def test_create_bad_input_is_422_and_creates_nothing(
    api: ApiClient, tenant: Tenant, change: dict, field: str
) -> None:
    before = total(api)
    body = {
        "number": "6000",
        "type": "expense",
        "currency": "EUR",
        "legal_entity_id": str(tenant.le_es),
        **change,
    }
    r = api.post(PATH, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert total(api) == before


@pytest.mark.parametrize("missing", ["number", "type", "currency", "legal_entity_id"])
def test_create_required_fields(api: ApiClient, tenant: Tenant, missing: str) -> None:
    body = {"number": "6000", "type": "expense", "currency": "EUR", "legal_entity_id": str(tenant.le_es)}
    body.pop(missing)
    r = api.post(PATH, json=body)
    assert r.status_code == 422
    assert missing in r.json()["errors"]


def test_other_company_legal_entity_is_404(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    before = total(api)
    r = api.post(
        PATH,
        json={"number": "1", "type": "bank", "currency": "EUR", "legal_entity_id": str(other_tenant.le_es)},
    )
    assert r.status_code == 404
    assert total(api) == before


def test_duplicate_external_id_is_409(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    create(api, tenant.le_es, external_id="E-1")
    before = total(api)
    r = api.post(
        PATH,
        json={
            "number": "7",
            "type": "income",
            "currency": "GBP",
            "legal_entity_id": str(tenant.le_gb),
            "external_id": "E-1",
        },
    )
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_external_id"
    assert total(api) == before
    # another company may use the same external id
    assert create(other_api, other_tenant.le_es, external_id="E-1")["external_id"] == "E-1"


def test_list_filters(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    bank = create(api, tenant.le_es, number="5720", type="bank")
    exp_es = create(api, tenant.le_es, number="6290", type="expense")
    exp_gb = create(api, tenant.le_gb, number="6290", type="expense", currency="GBP")
    inc = create(api, tenant.le_gb, number="7000", type="income", currency="GBP")

    def ids(params: dict) -> list[str]:
        return [a["id"] for a in api.list_all(PATH, params)]

    assert ids({}) == [bank["id"], exp_es["id"], exp_gb["id"], inc["id"]]
    assert ids({"ids[]": [inc["id"], bank["id"]]}) == [bank["id"], inc["id"]]
    assert ids({"legal_entity_ids[]": [tenant.le_gb]}) == [exp_gb["id"], inc["id"]]
    assert ids({"legal_entity_ids[]": [other_tenant.le_es]}) == []
    assert ids({"types[]": ["expense"]}) == [exp_es["id"], exp_gb["id"]]
    assert ids({"types[]": ["bank", "income"]}) == [bank["id"], inc["id"]]
    assert ids({"types[]": ["equity"]}) == []
    assert ids({"number": "6290"}) == [exp_es["id"], exp_gb["id"]]
    assert ids({"number": "629"}) == []
    assert len(ids({"updated_from": "2020-01-01"})) == 4
    assert ids({"updated_from": "2999-01-01"}) == []
    assert ids({"number": "6290", "legal_entity_ids[]": [tenant.le_es]}) == [exp_es["id"]]


def test_put_updates_sent_fields(api: ApiClient, tenant: Tenant) -> None:
    acc = create(api, tenant.le_es, name="Old", external_id="X1")
    r = api.put(
        f"{PATH}/{acc['id']}",
        json={"id": acc["id"], "name": "New", "number": "6001", "type": "current_asset"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["name"], out["number"], out["type"], out["external_id"]) == (
        "New",
        "6001",
        "current_asset",
        "X1",
    )
    assert out["updated_at"] >= acc["updated_at"]
    r = api.put(
        f"{PATH}/{acc['id']}",
        json={"name": None, "external_id": None, "legal_entity_id": str(tenant.le_gb), "currency": "GBP"},
    )
    assert r.status_code == 200
    out = r.json()
    assert out["name"] is None
    assert out["external_id"] is None
    assert out["legal_entity_id"] == str(tenant.le_gb)
    assert api.get(f"{PATH}/{acc['id']}").json() == out


def test_put_same_external_id_on_itself_is_fine(api: ApiClient, tenant: Tenant) -> None:
    acc = create(api, tenant.le_es, external_id="SELF")
    assert api.put(f"{PATH}/{acc['id']}", json={"external_id": "SELF"}).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "123456789"}, "id"),
        ({"type": "cash"}, "type"),
        ({"number": None}, "number"),
        ({"type": None}, "type"),
        ({"currency": None}, "currency"),
        ({"legal_entity_id": None}, "legal_entity_id"),
        ({"currency": "ABC"}, "currency"),
        ({"number": ""}, "number"),
    ],
)
def test_put_bad_input_is_422_and_unchanged(api: ApiClient, tenant: Tenant, change: dict, field: str) -> None:
    acc = create(api, tenant.le_es, name="Keep")
    r = api.put(f"{PATH}/{acc['id']}", json={"name": "Changed", **change})
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert api.get(f"{PATH}/{acc['id']}").json() == acc


def test_put_conflicts_and_foreign_ids(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    create(api, tenant.le_es, external_id="TAKEN")
    acc = create(api, tenant.le_es, name="Keep")
    r = api.put(f"{PATH}/{acc['id']}", json={"external_id": "TAKEN", "name": "Changed"})
    assert r.status_code == 409
    r = api.put(f"{PATH}/{acc['id']}", json={"legal_entity_id": str(other_tenant.le_es), "name": "Changed"})
    assert r.status_code == 404
    assert api.get(f"{PATH}/{acc['id']}").json() == acc
    headers = {**api.headers, "content-type": "application/json"}
    assert api.http.put(api.url(f"{PATH}/{acc['id']}"), content=b"{", headers=headers).status_code == 400
    assert api.put(f"{PATH}/99999999", json={"name": "x"}).status_code == 404


def test_other_company_gets_404(api: ApiClient, other_api: ApiClient, tenant: Tenant) -> None:
    acc = create(api, tenant.le_es, name="Mine")
    assert other_api.get(f"{PATH}/{acc['id']}").status_code == 404
    assert other_api.put(f"{PATH}/{acc['id']}", json={"id": acc["id"], "name": "Theirs"}).status_code == 404
    assert api.get(f"{PATH}/{acc['id']}").json() == acc
    assert other_api.get(PATH, params={"ids[]": [acc["id"]]}).json()["meta"]["total"] == 0
