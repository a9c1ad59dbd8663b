"""Every object endpoint, discovered from the OpenAPI document, is invisible to another company.

A demo company is seeded; for each ``GET /{resource}/{id}`` route, every listed id of the company is
readable with its own key and a 404 with another company's key. ``DELETE /{id}`` routes answer 404 to
the other company and leave the object in place. New endpoints are covered without editing this test.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from tests.factories import ApiClient

PREFIX = "/api/{version}/resources/"


@pytest.fixture(scope="module")
def demo_api(http: Any, session_factory: sessionmaker[Session]) -> ApiClient:
    """One demo company per module and backend: the other company's reads and deletes change nothing."""
    from expensehub.demo.seed import seed_demo

    with transaction(session_factory) as session:
        summary = seed_demo(session, seed=11, employees=8, expensables=80, progress=None)
    return ApiClient(http, summary.api_key)


def _object_routes(http: Any, method: str) -> list[str]:
    spec = http.get("/openapi.json").json()
    return sorted(
        path[len(PREFIX) : -len("/{id}")]
        for path, ops in spec["paths"].items()
        if path.startswith(PREFIX) and path.endswith("/{id}") and method in ops
    )


def _some_ids(api: ApiClient, resource: str) -> list[str]:
    body = api.get(resource, params={"limit": 100}).json()
    ids = [str(item["id"]) for item in body["data"]]
    return ids[:: max(1, len(ids) // 5)]


def test_get_by_id_is_404_for_another_company(http: Any, demo_api: ApiClient, other_api: ApiClient) -> None:
    resources = _object_routes(http, "get")
    assert len(resources) >= 11
    checked = 0
    for resource in resources:
        for item_id in _some_ids(demo_api, resource):
            mine = demo_api.get(f"{resource}/{item_id}")
            assert mine.status_code == 200, (resource, item_id, mine.text)
            theirs = other_api.get(f"{resource}/{item_id}")
            assert theirs.status_code == 404, (resource, item_id, theirs.text)
            assert theirs.json()["code"] == "not_found"
            checked += 1
    assert checked >= 40


def test_delete_is_404_for_another_company_and_changes_nothing(
    http: Any, demo_api: ApiClient, other_api: ApiClient
) -> None:
    resources = _object_routes(http, "delete")
    assert resources
    for resource in resources:
        for item_id in _some_ids(demo_api, resource):
            before = demo_api.get(f"{resource}/{item_id}").json()
            r = other_api.delete(f"{resource}/{item_id}")
            assert r.status_code == 404, (resource, item_id, r.text)
            assert demo_api.get(f"{resource}/{item_id}").json() == before
