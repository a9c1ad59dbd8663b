"""The community client (factorialhr 7.0.0, API 2026-04-01, integer ids) against a live expensehub.

It pages with ``page=1..ceil(total/limit)`` concurrently and validates every item with its pydantic
models, so a wrong type, a missing required field or an unknown enum value fails here.
"""

from __future__ import annotations

import anyio
import factorialhr
import pytest

from tests.compat.conftest import LiveServer

ENDPOINTS = [
    ("ExpensablesEndpoint", True),
    ("ExpensesEndpoint", True),
    ("MileagesEndpoint", True),
    ("PerDiemsEndpoint", True),
    ("FinanceCategoriesEndpoint", True),
    ("CostCentersEndpoint", True),
    ("CostCenterMembershipsEndpoint", False),
    ("AccountsEndpoint", True),
    ("LedgerAccountResourcesEndpoint", True),
    ("ProjectEndpoint", True),
    ("LegalEntitiesEndpoint", True),
    ("EmployeesEndpoint", True),
    ("CredentialsEndpoint", False),
]


@pytest.mark.parametrize(("name", "has_get"), ENDPOINTS)
def test_lists_all_pages_and_validates(live_server: LiveServer, name: str, has_get: bool) -> None:
    async def run() -> None:
        auth = factorialhr.ApiKeyAuth(live_server.api_key)
        # A generous timeout: the suite runs on loaded 2-core machines, and speed is not under test here.
        async with factorialhr.ApiClient(live_server.base_url, auth=auth, timeout=60) as api:
            endpoint = getattr(factorialhr, name)(api)
            listed = await endpoint.all()
            items = list(listed.data())
            first = await endpoint.get(params={"limit": 100})
            assert len(items) == first.meta.total
            assert items, f"the demo company has no items for {name}"
            ids = [getattr(i, "id", None) for i in items]
            if name != "CredentialsEndpoint":
                assert all(isinstance(i, int) for i in ids)
                assert len(set(ids)) == len(ids)
            if has_get:
                for item in items[:: max(1, len(items) // 10)]:
                    one = await endpoint.get_by_id(item.id)
                    assert one == item

    anyio.run(run)
