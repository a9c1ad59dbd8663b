"""finance/cost_centers: create, edit, soft delete, filters, employee counts, tenancy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.factories import ApiClient, Tenant

PATH = "finance/cost_centers"
MEMBERSHIPS = "finance/cost_center_memberships/bulk_create_update"


def create(api: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"name": "Sales", "company_id": str(tenant.company_id), **fields}
    r = api.post(PATH, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def assign(api: ApiClient, tenant: Tenant, employee_id: int, start: str, *shares: tuple[str, float]) -> None:
    body = {
        "employee_id": str(employee_id),
        "company_id": str(tenant.company_id),
        "memberships": [{"cost_center_id": cc, "start_date": start, "percentage": pct} for cc, pct in shares],
    }
    r = api.post(MEMBERSHIPS, json=body)
    assert r.status_code == 200, r.text


def total(api: ApiClient) -> int:
    return int(api.get(PATH).json()["meta"]["total"])


@contextmanager
def count_statements(http: Any) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = http.app.state.engine

    def listener(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_create_returns_201_with_full_shape(api: ApiClient, tenant: Tenant) -> None:
    cc = create(
        api,
        tenant,
        legal_entity_id=str(tenant.le_es),
        code="S-1",
        description="Sales team",
        deactivation_date="2999-01-01",
    )
    assert cc == {
        "id": cc["id"],
        "name": "Sales",
        "company_id": str(tenant.company_id),
        "active_employees_count": 0,
        "historical_employees_count": 0,
        "status": "active",
        "legal_entity_id": str(tenant.le_es),
        "code": "S-1",
        "description": "Sales team",
        "deactivation_date": "2999-01-01",
    }
    assert api.get(f"{PATH}/{cc['id']}").json() == cc


def test_minimal_create_emits_nulls(api: ApiClient, tenant: Tenant) -> None:
    cc = create(api, tenant)
    for key in ("legal_entity_id", "code", "description", "deactivation_date"):
        assert cc[key] is None


def test_status_follows_deactivation_date(api: ApiClient, tenant: Tenant) -> None:
    assert create(api, tenant, deactivation_date="2000-01-01")["status"] == "inactive"
    assert create(api, tenant, deactivation_date="2999-01-01")["status"] == "active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"company_id": "1"}, "name"),
        ({"name": "X"}, "company_id"),
        ({"name": "", "company_id": "1"}, "name"),
        ({"name": 5, "company_id": "1"}, "name"),
        ({"name": "X", "company_id": "abc"}, "company_id"),
        ({"name": "X", "company_id": "1", "legal_entity_id": "x"}, "legal_entity_id"),
        ({"name": "X", "company_id": "1", "code": ""}, "code"),
        ({"name": "X" * 201, "company_id": "1"}, "name"),
        ({"name": "X", "company_id": "1", "deactivation_date": "tomorrow"}, "deactivation_date"),
    ],
)
def test_create_bad_input_is_422(api: ApiClient, tenant: Tenant, body: dict, field: str) -> None:
    before = total(api)
    r = api.post(PATH, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert total(api) == before


def test_blank_name_is_422(api: ApiClient, tenant: Tenant) -> None:
    r = api.post(PATH, json={"name": "   ", "company_id": str(tenant.company_id)})
    assert r.status_code == 422
    assert "name" in r.json()["errors"]


def test_other_company_in_body_is_404_and_nothing_created(
    api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = total(api)
    r = api.post(PATH, json={"name": "X", "company_id": str(other_tenant.company_id)})
    assert r.status_code == 404
    r = api.post(
        PATH,
        json={"name": "X", "company_id": str(tenant.company_id), "legal_entity_id": str(other_tenant.le_es)},
    )
    assert r.status_code == 404
    assert total(api) == before


def test_duplicate_code_is_409_and_reusable_after_delete(api: ApiClient, tenant: Tenant) -> None:
    first = create(api, tenant, code="DUP")
    before = total(api)
    r = api.post(PATH, json={"name": "Again", "company_id": str(tenant.company_id), "code": "DUP"})
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_code"
    assert total(api) == before
    assert api.delete(f"{PATH}/{first['id']}").status_code == 200
    assert create(api, tenant, code="DUP")["code"] == "DUP"


def test_same_code_in_two_companies(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    create(api, tenant, code="SHARED")
    r = other_api.post(
        PATH, json={"name": "Theirs", "company_id": str(other_tenant.company_id), "code": "SHARED"}
    )
    assert r.status_code == 201


def test_edit_changes_only_sent_keys(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    cc = create(api, tenant, code="A", description="desc")
    # company_id is deprecated by Factorial; sent, it must be the caller's (another company's is a 404)
    r = api.post(
        f"{PATH}/edit", json={"id": cc["id"], "name": "Renamed", "company_id": str(other_tenant.company_id)}
    )
    assert r.status_code == 404, r.text
    assert api.get(f"{PATH}/{cc['id']}").json()["name"] == cc["name"]
    r = api.post(
        f"{PATH}/edit", json={"id": cc["id"], "name": "Renamed", "company_id": str(tenant.company_id)}
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["name"] == "Renamed"
    assert edited["code"] == "A"
    assert edited["description"] == "desc"
    r = api.post(f"{PATH}/edit", json={"id": cc["id"], "code": None, "description": None})
    assert r.json()["code"] is None
    assert r.json()["description"] is None
    assert r.json()["name"] == "Renamed"
    r = api.post(f"{PATH}/edit", json={"id": cc["id"], "code": "B", "deactivation_date": "2000-01-01"})
    assert r.json()["code"] == "B"
    assert r.json()["status"] == "inactive"
    r = api.post(f"{PATH}/edit", json={"id": cc["id"], "deactivation_date": None})
    assert r.json()["status"] == "active"
    assert api.get(f"{PATH}/{cc['id']}").json()["code"] == "B"


def test_edit_keeping_own_code_is_fine(api: ApiClient, tenant: Tenant) -> None:
    cc = create(api, tenant, code="SAME")
    r = api.post(f"{PATH}/edit", json={"id": cc["id"], "code": "SAME", "name": "N"})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "id"),
        ({"id": "abc"}, "id"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"code": 12}, "code"),
    ],
)
def test_edit_bad_input_is_422_and_unchanged(api: ApiClient, tenant: Tenant, body: dict, field: str) -> None:
    cc = create(api, tenant, code="K")
    payload = {"id": cc["id"], **body} if "id" not in body and field != "id" else body
    r = api.post(f"{PATH}/edit", json=payload)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert api.get(f"{PATH}/{cc['id']}").json() == cc


def test_edit_duplicate_code_is_409_and_unchanged(api: ApiClient, tenant: Tenant) -> None:
    create(api, tenant, code="TAKEN")
    cc = create(api, tenant, code="MINE")
    r = api.post(f"{PATH}/edit", json={"id": cc["id"], "code": "TAKEN", "name": "Changed"})
    assert r.status_code == 409
    assert api.get(f"{PATH}/{cc['id']}").json() == cc


def test_soft_delete(api: ApiClient, tenant: Tenant) -> None:
    keep = create(api, tenant, name="Keep")
    gone = create(api, tenant, name="Gone", code="G")
    assign(api, tenant, tenant.employee_ids[1], "2020-01-01", (gone["id"], 1))
    r = api.delete(f"{PATH}/{gone['id']}")
    assert r.status_code == 200
    assert r.json()["id"] == gone["id"]
    assert r.json()["name"] == "Gone"
    assert api.get(f"{PATH}/{gone['id']}").status_code == 404
    assert [c["id"] for c in api.list_all(PATH)] == [keep["id"]]
    assert api.get(PATH, params={"ids[]": [gone["id"]]}).json()["meta"]["total"] == 0
    assert api.delete(f"{PATH}/{gone['id']}").status_code == 404
    assert api.post(f"{PATH}/edit", json={"id": gone["id"], "name": "Back"}).status_code == 404
    listed = api.list_all("finance/cost_center_memberships", {"only_active": "false"})
    assert listed == []


def test_other_company_gets_404_everywhere_and_nothing_changes(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    cc = create(api, tenant, code="MINE")
    assert other_api.get(f"{PATH}/{cc['id']}").status_code == 404
    r = other_api.post(
        f"{PATH}/edit", json={"id": cc["id"], "name": "Hijack", "company_id": str(other_tenant.company_id)}
    )
    assert r.status_code == 404
    assert other_api.delete(f"{PATH}/{cc['id']}").status_code == 404
    assert api.get(f"{PATH}/{cc['id']}").json() == cc
    assert other_api.get(PATH, params={"ids[]": [cc["id"]]}).json()["data"] == []


def test_bad_path_ids_are_404(api: ApiClient) -> None:
    assert api.get(f"{PATH}/xyz").status_code == 404
    assert api.delete(f"{PATH}/0").status_code == 404


def test_list_filters(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    es = create(api, tenant, name="Madrid office", code="MAD", legal_entity_id=str(tenant.le_es))
    gb = create(api, tenant, name="London office", code="LON", legal_entity_id=str(tenant.le_gb))
    old = create(api, tenant, name="Closed shop", code="OLD", deactivation_date="2022-06-30")
    loose = create(api, tenant, name="Unassigned")

    def ids(params: dict) -> list[str]:
        return [c["id"] for c in api.list_all(PATH, params)]

    assert ids({}) == [es["id"], gb["id"], old["id"], loose["id"]]
    assert ids({"ids[]": [gb["id"], loose["id"]]}) == [gb["id"], loose["id"]]
    assert ids({"company_id": str(tenant.company_id)}) == ids({})
    assert ids({"company_id": str(other_tenant.company_id)}) == []
    assert ids({"legal_entity_ids[]": [tenant.le_gb]}) == [gb["id"]]
    assert ids({"legal_entity_ids[]": [tenant.le_gb, tenant.le_es]}) == [es["id"], gb["id"]]
    assert ids({"legal_entity_ids[]": [other_tenant.le_es]}) == []
    assert old["id"] in ids({"include_actives_on_date": "2022-06-29"})
    assert old["id"] not in ids({"include_actives_on_date": "2022-06-30"})
    assert old["id"] not in ids({"include_actives_on_date": "2024-01-01"})
    assert len(ids({"include_actives_on_date": "2024-01-01"})) == 3
    assert ids({"search": "OFFICE"}) == [es["id"], gb["id"]]
    assert ids({"search": "lon"}) == [gb["id"]]  # name
    assert ids({"search": "mad"}) == [es["id"]]  # name and code
    assert ids({"search": "old"}) == [old["id"]]  # code only
    assert ids({"search": "_"}) == []


def test_employee_counts(api: ApiClient, tenant: Tenant) -> None:
    boss, e1, e2 = tenant.employee_ids
    a = create(api, tenant, name="A")
    b = create(api, tenant, name="B")
    empty = create(api, tenant, name="Empty")
    # boss: A until 2021, then B; e1: A and B; e2: A only
    assign(api, tenant, boss, "2020-01-01", (a["id"], 1))
    assign(api, tenant, boss, "2022-01-01", (b["id"], 1))
    assign(api, tenant, e1, "2020-01-01", (a["id"], 0.5), (b["id"], 0.5))
    assign(api, tenant, e2, "2020-01-01", (a["id"], 1))
    by_id = {c["id"]: c for c in api.list_all(PATH)}
    assert (by_id[a["id"]]["active_employees_count"], by_id[a["id"]]["historical_employees_count"]) == (2, 3)
    assert (by_id[b["id"]]["active_employees_count"], by_id[b["id"]]["historical_employees_count"]) == (2, 2)
    assert (
        by_id[empty["id"]]["active_employees_count"],
        by_id[empty["id"]]["historical_employees_count"],
    ) == (0, 0)
    one = api.get(f"{PATH}/{a['id']}").json()
    assert (one["active_employees_count"], one["historical_employees_count"]) == (2, 3)
    # memberships that start in the future count as history, not as active today
    assign(api, tenant, e2, "2999-01-01", (b["id"], 1))
    one = api.get(f"{PATH}/{b['id']}").json()
    assert (one["active_employees_count"], one["historical_employees_count"]) == (2, 3)


def test_counts_cost_one_query_per_page(http: Any, api: ApiClient, tenant: Tenant) -> None:
    centers = [create(api, tenant, name=f"C{i}") for i in range(12)]
    for i, emp in enumerate(tenant.employee_ids):
        assign(api, tenant, emp, "2020-01-01", (centers[i]["id"], 1))
    with count_statements(http) as small:
        assert len(api.get(PATH, params={"limit": 2}).json()["data"]) == 2
    with count_statements(http) as large:
        assert len(api.get(PATH, params={"limit": 12}).json()["data"]) == 12
    assert len(large) == len(small)
