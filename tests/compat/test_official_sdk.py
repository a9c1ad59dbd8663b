"""The official SDK (factorial-api-client 3.0.0, API 2026-10-01) against a live expensehub.

For every resource: ``.all()`` follows the cursors through every page, every item parses, and the
parsed model serialises back to exactly the JSON we sent (so no field was dropped, mistyped or
mangled). Single GETs parse too. Fields the SDK does not know are only our documented extensions.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from factorial_api_client import FactorialClient

from tests.compat.conftest import LiveServer

# (namespace, resource, has GET by id)
RESOURCES = [
    ("expenses", "expensables", True),
    ("expenses", "expenses", True),
    ("expenses", "mileages", True),
    ("expenses", "per_diems", True),
    ("finance", "categories", True),
    ("finance", "cost_centers", True),
    ("finance", "cost_center_memberships", False),
    ("finance", "accounts", True),
    ("finance", "ledger_account_resources", True),
    ("project_management", "projects", True),
    ("companies", "legal_entities", True),
    ("employees", "employees", True),
    ("api_public", "credentials", False),
]

# Extension fields documented in docs/api.md; anything else unknown to the SDK is a bug.
EXTENSIONS = {
    "duplicate_of_id",
    "is_possible_duplicate",
    # per diems: totals of the statutory breakdown
    "gross_amount",
    "deductions_amount",
    "statutory_amount",
    "tax_free_amount",
    "taxable_amount",
    # per diems: the trip inputs stored with them
    "start_at",
    "end_at",
    "timezone",
    "destination_country",
    "destination_city",
    "meals_provided",
    "overnight_stays",
    "locality_mie",
    # mileages: the inputs of the statutory rules
    "vehicle",
    "passengers",
    "fiscal_horsepower",
    "electric",
    # per diems and mileages: what set the amount (statutory rules, company rate, given amount)
    "pricing",
}


def sdk_filters(resource: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """SDK keyword arguments a list needs, and the same filters as raw query parameters.

    The SDK makes the three category enums mandatory (the spec marks them required).
    """
    if resource != "categories":
        return {}, {}
    from factorial_api_client.generated.models import (
        get_api_20261001_resources_finance_categories_category_level as level,
    )
    from factorial_api_client.generated.models import (
        get_api_20261001_resources_finance_categories_statuses as statuses,
    )
    from factorial_api_client.generated.models import (
        get_api_20261001_resources_finance_categories_type as kind,
    )

    kwargs = {
        "category_level": level.GetApi20261001ResourcesFinanceCategoriesCategoryLevel.ALL,
        "type_": kind.GetApi20261001ResourcesFinanceCategoriesType.ALL,
        "statuses": statuses.GetApi20261001ResourcesFinanceCategoriesStatuses.ENABLED,
    }
    return kwargs, {"category_level": "all", "type": "all", "statuses[]": "enabled"}


def raw_all(server: LiveServer, path: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {**(query or {}), "limit": 100}
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": server.api_key}, timeout=60) as http:
        while True:
            body = http.get(f"/api/2026-10-01/resources/{path}", params=params).json()
            items.extend(body["data"])
            if not body["meta"]["has_next_page"]:
                return items
            params["after_id"] = body["meta"]["end_cursor"]


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> FactorialClient:
    return FactorialClient(api_key=live_server.api_key, base_url=live_server.base_url)


@pytest.mark.parametrize(("namespace", "resource", "has_get"), RESOURCES)
def test_lists_every_page_and_parses(
    client: FactorialClient, live_server: LiveServer, namespace: str, resource: str, has_get: bool
) -> None:
    endpoint = getattr(getattr(client, namespace), resource)
    kwargs, query = sdk_filters(resource)
    parsed = endpoint.all(limit=40, **kwargs)
    raw = raw_all(live_server, f"{namespace}/{resource}", query)
    assert raw, f"the demo company has no {namespace}/{resource}"
    assert len(parsed) == len(raw)
    ids = [item.to_dict().get("id") for item in parsed]
    if resource != "credentials":
        assert ids == sorted(ids, key=int)
        assert len(set(ids)) == len(ids)
    for model, sent in zip(parsed, raw, strict=True):
        assert model.to_dict() == sent
        unknown = set(model.additional_properties) - EXTENSIONS
        assert not unknown, f"{namespace}/{resource}: fields the SDK does not know: {sorted(unknown)}"
    if has_get:
        for sent in raw[:: max(1, len(raw) // 15)]:
            one = endpoint.get(id=sent["id"])
            assert one.to_dict() == sent


def test_unknown_id_raises_404(client: FactorialClient) -> None:
    from factorial_api_client.generated.errors import UnexpectedStatus

    with pytest.raises(UnexpectedStatus) as info:
        client.expenses.expensables.get(id="999999999")
    assert info.value.status_code == 404


def test_filters_through_sdk(client: FactorialClient, live_server: LiveServer) -> None:
    from factorial_api_client.generated.models.get_api_20261001_resources_expenses_expensables_status import (
        GetApi20261001ResourcesExpensesExpensablesStatus as Status,
    )

    approved = client.expenses.expensables.all(status=Status.APPROVED)
    assert approved
    assert {e.status.value for e in approved} == {"approved"}
    raw = raw_all(live_server, "expenses/expensables")
    assert len(approved) == sum(1 for e in raw if e["status"] == "approved")
