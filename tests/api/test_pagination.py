"""Cursor and page pagination over 1,000+ items: each item exactly once, in id order, both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.companies import service as companies
from expensehub.db.engine import transaction
from tests.factories import ApiClient, Tenant

N_EXTRA = 1_050  # plus the tenant's 3 employees


@pytest.fixture
def many(session_factory: sessionmaker[Session], tenant: Tenant) -> list[str]:
    with transaction(session_factory) as s:
        for i in range(N_EXTRA):
            companies.create_employee(
                s,
                company_id=tenant.company_id,
                first_name=f"P{i:04d}",
                last_name="Bulk",
                legal_entity_id=None,
            )
    return []


def _ids(items: list[dict]) -> list[int]:
    return [int(i["id"]) for i in items]


def test_cursor_forward_visits_each_item_once(api: ApiClient, many: list[str]) -> None:
    pages = 0
    seen: list[int] = []
    params: dict[str, object] = {"limit": 37}
    previous_has_prev = None
    while True:
        body = api.get("employees/employees", params=params).json()
        pages += 1
        meta = body["meta"]
        assert meta["total"] == N_EXTRA + 3
        assert meta["limit"] == 37
        seen.extend(_ids(body["data"]))
        previous_has_prev = meta["has_previous_page"]
        if pages == 1:
            assert previous_has_prev is False
        else:
            assert previous_has_prev is True
        if not meta["has_next_page"]:
            break
        params["after_id"] = meta["end_cursor"]
    assert len(seen) == N_EXTRA + 3
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)
    assert pages == -(-(N_EXTRA + 3) // 37)


def test_cursor_backward_from_the_end(api: ApiClient, many: list[str]) -> None:
    everything = _ids(api.list_all("employees/employees"))
    assert len(everything) == N_EXTRA + 3
    # Start beyond the last id and walk back with before_id = start_cursor.
    params: dict[str, object] = {"limit": 100, "before_id": str(everything[-1] + 1)}
    seen: list[int] = []
    while True:
        body = api.get("employees/employees", params=params).json()
        # Nothing lies after the first page we fetch; something does after every later one.
        assert body["meta"]["has_next_page"] is bool(seen)
        seen = _ids(body["data"]) + seen
        assert _ids(body["data"]) == sorted(_ids(body["data"]))
        if not body["meta"]["has_previous_page"]:
            break
        params["before_id"] = body["meta"]["start_cursor"]
    assert seen == everything


def test_page_mode_visits_each_item_once(api: ApiClient, many: list[str]) -> None:
    first = api.get("employees/employees", params={"page": 1, "limit": 100}).json()
    total, limit = first["meta"]["total"], first["meta"]["limit"]
    pages = -(-total // limit)  # what the community client computes
    seen = _ids(first["data"])
    for page in range(2, pages + 1):
        body = api.get("employees/employees", params={"page": page, "limit": 100}).json()
        assert body["meta"]["has_previous_page"] is True
        assert body["meta"]["has_next_page"] is (page < pages)
        seen.extend(_ids(body["data"]))
    assert seen == sorted(set(seen))
    assert len(seen) == total == N_EXTRA + 3
    beyond = api.get("employees/employees", params={"page": pages + 1}).json()
    assert beyond["data"] == []
    assert beyond["meta"]["has_next_page"] is False


def test_cursors_are_base64_of_ids(api: ApiClient, tenant: Tenant) -> None:
    import base64

    body = api.get("employees/employees", params={"limit": 2}).json()
    start = base64.b64decode(body["meta"]["start_cursor"]).decode()
    end = base64.b64decode(body["meta"]["end_cursor"]).decode()
    assert [start, end] == [d["id"] for d in body["data"]]
    # A plain id works as after_id too.
    nxt = api.get("employees/employees", params={"after_id": end}).json()
    assert _ids(nxt["data"]) == [tenant.employee_ids[2]]


def test_empty_page_has_no_cursors(api: ApiClient) -> None:
    body = api.get("employees/employees", params={"ids[]": ["999999999"]}).json()
    assert body == {
        "data": [],
        "meta": {
            "limit": 100,
            "total": 0,
            "has_next_page": False,
            "has_previous_page": False,
            "start_cursor": None,
            "end_cursor": None,
        },
    }


def test_filters_combine_with_cursor(api: ApiClient, tenant: Tenant, many: list[str]) -> None:
    params = {"name_starts_with": "P1", "limit": 50}
    items = api.list_all("employees/employees", params=params, limit=50)
    assert len(items) == 50  # P1000..P1049
    assert all(i["first_name"].startswith("P1") for i in items)
