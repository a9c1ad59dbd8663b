"""Every read of every version answers what that version's OpenAPI document says.

A demo company is seeded and furnished, through the API, with an object of every kind the demo lacks
(the ``World`` of the body-ids sweep: bank accounts, cards, card payments from a CAMT.053 import,
documents, folders, reconciliation runs and proposals, webhook subscriptions and deliveries). Then, for
each supported version, every list operation (GET without ``{id}``) and every get operation (GET with
``{id}``) found in ``/api/{version}/openapi.json`` is called and each response body is validated against
that operation's response schema in that document (JSON Schema 2020-12, ``$ref``s resolved into the
components, formats checked). Objects are *closed* for the check: a field the data carries but the
document does not list is a mismatch too.

Operations are discovered from the documents, so a new resource is covered without editing this test;
an operation that gave nothing to validate fails the test unless ``NOTHING_TO_VALIDATE`` names it with
the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.kit.pagination import PageRequest
from expensehub.models.webhooks import WebhookAttempt
from expensehub.versions import SUPPORTED
from expensehub.webhooks import service as webhooks
from expensehub.webhooks.rules import Author
from tests.api.test_body_ids_sweep import World, furnish
from tests.factories import ApiClient, Tenant

PREFIX = "/api/{version}/resources/"
JSON = "application/json"

# Reads whose success response is not JSON: there is no JSON schema to hold them to.
NOT_JSON: dict[str, str] = {
    "documents/receipt_bundles": "a ZIP archive of receipts",
    "exports/expenses": "a CSV (or XLSX, Parquet, JSONL) file",
    "exports/card_payments": "a CSV (or XLSX, Parquet, JSONL) file",
    "exports/transactions": "a CSV (or XLSX, Parquet, JSONL) file",
}

# The month of the World's per diem (2026-03-05 and 06), where the fixture adds a meal to flag.
RECEIPT_CHECKS = {"from": "2026-03-01", "to": "2026-03-31"}

# Reads that may give nothing to validate in the seeded data, with the reason.
NOTHING_TO_VALIDATE: dict[str, str] = {}


@pytest.fixture(scope="module")
def world(http: Any, session_factory: sessionmaker[Session]) -> Iterator[World]:
    """The demo company (8 employees, 80 claims), furnished with an object of every other kind."""
    from expensehub.demo.seed import seed_demo

    with transaction(session_factory) as session:
        summary = seed_demo(session, seed=11, employees=8, expensables=80, progress=None)
    api = ApiClient(http, summary.api_key)
    entities = api.list_all("companies/legal_entities")
    spanish = [e["id"] for e in entities if e["country"] == "es"]
    tenant = Tenant(
        company_id=summary.company_id,
        api_key=summary.api_key,
        api_key_id=0,
        legal_entity_ids=[int(i) for i in spanish + [e["id"] for e in entities if e["id"] not in spanish]],
        employee_ids=[int(e["id"]) for e in api.list_all("employees/employees")],
    )
    w = furnish(api, tenant, session_factory)
    _attempt(session_factory, tenant.company_id, int(w.ids["delivery"]))
    # A run over every card payment and claim: leaves unmatched items (the World's runs match all).
    assert api.post("reconciliation/runs", json={}).status_code == 201
    # A meal on a day the World's per diem covers (2026-03-05): a receipt check flags it.
    report = api.get("allowances/receipt_checks", params=RECEIPT_CHECKS).json()
    meals = report["meal_category_identifiers"]
    meal = next(c for c in api.list_all("finance/categories") if c["identifier"] in meals)
    w.expense(effective_on="2026-03-05", category_id=str(meal["id"]))
    yield w
    # The deliveries queued for the World's subscriptions (to hooks.example.com) are cancelled, so no
    # delivery worker of a later test in this database tries to send them.
    with transaction(session_factory) as s:
        page = webhooks.list_subscriptions(s, company_id=tenant.company_id, page=PageRequest(limit=100))
        for (sub,) in page.rows:
            webhooks.delete_subscription(
                s,
                company_id=tenant.company_id,
                subscription_id=sub.id,
                author=Author.company(tenant.company_id),
            )


def _attempt(factory: sessionmaker[Session], company_id: int, delivery_id: int) -> None:
    """A failed attempt of a delivery, as the delivery worker logs it (only the worker writes them, and
    running it here would send the World's deliveries off this machine)."""
    with transaction(factory) as s:
        s.add(
            WebhookAttempt(
                company_id=company_id,
                delivery_id=delivery_id,
                attempt=1,
                started_at=utcnow(),
                status_code=503,
                latency_ms=12,
                error="HTTP 503",
                response_body="busy",
            )
        )


def _query(api: ApiClient) -> dict[str, dict[str, str]]:
    """Values for the reads that require query parameters, chosen where the seeded data has claims."""
    payable = ("approved", "in_payroll", "sent_to_pay", "paid")
    months = sorted(
        x["effective_on"][:7]
        for x in api.list_all("expenses/expensables")
        if x["type"] in ("perdiem", "mileage") and x["status"] in payable
    )
    return {
        "allowances/receipt_checks": RECEIPT_CHECKS,
        "allowances/payroll_adjustments": {"month": max(set(months), key=months.count)},
    }


# --- the documents ---------------------------------------------------------------------------------


def _reads(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every GET operation under the versioned resources, by path (relative to the prefix)."""
    return {
        path[len(PREFIX) :]: ops["get"]
        for path, ops in doc["paths"].items()
        if path.startswith(PREFIX) and "get" in ops
    }


def _json_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    content = op["responses"]["200"].get("content", {})
    return content[JSON]["schema"] if JSON in content and content[JSON].get("schema") else None


def _closed(node: Any) -> Any:
    """``node`` with every object schema that lists properties closed to other properties."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/components/...`` references resolve into ``doc``."""
    root = {**_closed(schema), "components": _closed(doc["components"])}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _count(body: Any) -> int:
    """How many items a list or report holds: a list's ``data``, else the objects in a report's arrays."""
    if isinstance(body, dict) and "meta" in body and isinstance(body.get("data"), list):
        return len(body["data"])
    arrays = [v for v in body.values() if isinstance(v, list)] if isinstance(body, dict) else []
    return sum(isinstance(x, dict) for array in arrays for x in array)


# --- the test --------------------------------------------------------------------------------------


def test_every_document_names_its_version_and_serves_the_same_paths(http: Any) -> None:
    current = http.get("/openapi.json").json()
    for version in SUPPORTED:
        doc = http.get(f"/api/{version}/openapi.json").json()
        assert set(doc["paths"]) == set(current["paths"])
        pinned = [
            p["schema"]["enum"]
            for ops in doc["paths"].values()
            for op in ops.values()
            for p in op.get("parameters", [])
            if p["name"] == "version"
        ]
        assert pinned
        assert all(e == [version] for e in pinned)
    r = http.get("/api/2025-01-01/openapi.json")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_api_version"


@pytest.mark.parametrize("version", SUPPORTED)
def test_every_read_answers_what_its_version_documents(http: Any, world: World, version: str) -> None:
    doc = http.get(f"/api/{version}/openapi.json").json()
    api = ApiClient(http, world.tenant.api_key, version=version)
    reads = _reads(doc)
    query = _query(ApiClient(http, world.tenant.api_key))

    not_json = {path for path, op in reads.items() if _json_schema(op) is None}
    assert not_json == set(NOT_JSON)
    lists = sorted(p for p in reads if not p.endswith("/{id}") and p not in not_json)
    gets = sorted(p for p in reads if p.endswith("/{id}"))
    assert {p.removesuffix("/{id}") for p in gets} <= set(lists), "a get without its list"
    assert len(lists) >= 25
    assert len(gets) >= 20

    mismatches: list[str] = []
    validated: dict[str, int] = {}
    ids: dict[str, list[Any]] = {}

    def check(path: str, body: Any, where: str, count: int) -> None:
        schema = _json_schema(reads[path])
        assert schema is not None
        for error in _validator(doc, schema).iter_errors(body):
            mismatches.append(f"{version} GET {where}: at {error.json_path}: {error.message[:300]}")
        validated[path] = validated.get(path, 0) + count

    for path in lists:
        params: dict[str, Any] = {**query.get(path, {})}
        if "limit" in {p["name"] for p in reads[path].get("parameters", [])}:
            params["limit"] = 100
        for _page in range(20):
            r = api.get(path, params=params)
            assert r.status_code == 200, (version, path, r.text[:300])
            body = r.json()
            check(path, body, path, _count(body))
            if not (isinstance(body, dict) and "meta" in body):
                break
            if f"{path}/{{id}}" in reads:
                ids.setdefault(path, []).extend(item["id"] for item in body["data"])
            if not body["meta"]["has_next_page"]:
                break
            params["after_id"] = body["meta"]["end_cursor"]
        else:
            pytest.fail(f"{path}: more than 20 pages")
        validated.setdefault(path, 0)

    for path in gets:
        found = ids.get(path.removesuffix("/{id}"), [])
        sample = found[:: max(1, len(found) // 8)]
        validated[path] = 0
        for item_id in sample:
            r = api.get(path.replace("{id}", str(item_id)))
            assert r.status_code == 200, (version, path, item_id, r.text[:300])
            check(path, r.json(), path.replace("{id}", str(item_id)), 1)

    assert mismatches == []
    empty = {path for path, n in validated.items() if n == 0}
    assert empty == set(NOTHING_TO_VALIDATE), f"nothing validated for {sorted(empty)}"
    # A failing document fails: the check is not vacuous.
    broken = copy.deepcopy(doc)
    item = broken["components"]["schemas"]["ExpensableOut"]
    item["properties"]["id"] = {"type": "boolean"}
    expensables = ApiClient(http, world.tenant.api_key, version=version).get("expenses/expensables")
    schema = _json_schema(broken["paths"][PREFIX + "expenses/expensables"]["get"])
    assert schema is not None
    assert list(_validator(broken, schema).iter_errors(expensables.json()))
