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

The same holds for writes: every write operation (POST, PUT, DELETE) of each document is called once with
a body built from the ``World`` (the body-ids sweep's builders, plus ``EXTRA_WRITES`` for the operations
whose body names no id), ids typed as that version types them, and its success response is validated
against that operation's response schema in that document. A write whose body names an object echoes it
(``company_id`` sent is ``company_id`` answered), and an object a create returns reads back the same.

Across versions, every list and get answers the same objects in every version: the same ids (JSON integers
where a version says so, the same numbers), the same values, up to the changes the version registry
declares for a resource (``expensehub.versions``); a list's ``ids[]`` filter takes the version's ids; and
a URL into the API that a response carries points into the caller's version.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.kit.pagination import PageRequest
from expensehub.models.webhooks import WebhookAttempt
from expensehub.versions import CURRENT, SUPPORTED, VERSIONS, ApiVersion, is_id_key
from expensehub.webhooks import service as webhooks
from expensehub.webhooks.rules import Author
from tests.api.test_allowances_simulations import mileage_body, per_diem_body
from tests.api.test_body_ids_sweep import OPERATIONS, Call, World, _send, furnish
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
    # An expense with a receipt (its `files` name the document).
    w.expense(document_ids=[w.document()])
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


def _unwrap(body: Any) -> Any:
    """A single object some versions wrap as ``{"data": {...}}``, unwrapped."""
    if isinstance(body, dict) and set(body) == {"data"} and isinstance(body["data"], dict):
        return body["data"]
    return body


API_URL = re.compile(r"/api/([^/]+)/")
# A signed download URL (``/files/{document}.{company}.{content}.{expires}.{signature}``) is minted per
# request, valid for a while from that moment: two reads of the same document differ in the last two.
SIGNED = re.compile(r"(/files/[^./?]+\.[^./?]+\.[^./?]+)\.\d+\.[^./?]+")


def _stable(body: Any) -> Any:
    """``body`` without what changes from one read to the next (the expiry and signature of URLs)."""
    if isinstance(body, dict):
        return {k: _stable(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_stable(v) for v in body]
    if isinstance(body, str):
        return SIGNED.sub(r"\1.<expires>.<signature>", body)
    return body


def _urls_outside(body: Any, version: str) -> list[str]:
    """The URLs into the API that ``body`` carries and that point into another version than ``version``."""
    if isinstance(body, dict):
        return [m for v in body.values() for m in _urls_outside(v, version)]
    if isinstance(body, list):
        return [m for v in body for m in _urls_outside(v, version)]
    if isinstance(body, str):
        return [f"{body!r} is not in {version}" for found in API_URL.findall(body) if found != version]
    return []


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
        mismatches.extend(f"{version} GET {where}: {m}" for m in _urls_outside(body, version))
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
            # the object asked for, its id typed as the list typed it
            assert _unwrap(r.json())["id"] == item_id, (version, path, item_id)

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


# --- writes ----------------------------------------------------------------------------------------

# Builders for the write operations whose body names no id (so the body-ids sweep has none).
EXTRA_WRITES: dict[tuple[str, str], Callable[[World], Call]] = {
    ("post", "allowances/mileage_simulations"): lambda w: Call(
        "post", "allowances/mileage_simulations", mileage_body()
    ),
    ("post", "allowances/per_diem_simulations"): lambda w: Call(
        "post", "allowances/per_diem_simulations", per_diem_body()
    ),
    ("post", "reconciliation/runs"): lambda w: Call("post", "reconciliation/runs", {}),
    ("delete", "api_public/webhook_subscriptions/{id}"): lambda w: Call(
        "delete", f"api_public/webhook_subscriptions/{w.subscription()}", {}
    ),
    ("delete", "documents/documents/{id}"): lambda w: Call(
        "delete", f"documents/documents/{w.document()}", {}
    ),
    ("delete", "expenses/expensables/{id}"): lambda w: Call(
        "delete", f"expenses/expensables/{w.claim('draft')}", {}
    ),
    ("put", "companies/legal_entities/{id}"): lambda w: Call(
        "put",
        f"companies/legal_entities/{w.ids['legal_entity']}",
        {"legal_name": "Renamed S.L.", "city": "Vic"},
    ),
    ("delete", "project_management/projects/{id}"): lambda w: Call(
        "delete", f"project_management/projects/{w.project()}", {}
    ),
    ("delete", "finance/cost_centers/{id}"): lambda w: Call(
        "delete", f"finance/cost_centers/{w.cost_center('Doomed')}", {}
    ),
}


def _writes(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every write operation under the versioned resources, by (method, path relative to the prefix)."""
    return {
        (method, path[len(PREFIX) :]): op
        for path, ops in doc["paths"].items()
        if path.startswith(PREFIX)
        for method, op in ops.items()
        if method in ("post", "put", "patch", "delete")
    }


def _success(op: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The documented success status of ``op`` and its JSON schema."""
    [(status, response)] = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
    return int(status), response["content"][JSON]["schema"]


def _typed(value: Any, integer_ids: bool, key: str | None = None) -> Any:
    """``value`` (a body built with ids as strings) with ids as JSON integers where the version says so."""
    if isinstance(value, dict):
        return {k: _typed(v, integer_ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, integer_ids, key) for v in value]
    if integer_ids and key is not None and is_id_key(key) and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _send_in(api: ApiClient, call: Call, body: dict[str, Any]) -> Any:
    if call.method == "delete":
        return api.delete(call.path)
    return _send(api, call, body)


def _sent_ids(
    body: Any, key: str | None = None, out: dict[str, set[Any]] | None = None
) -> dict[str, set[Any]]:
    """Every id a body names, by the key that names it, at any depth (``memberships[].cost_center_id``
    under ``cost_center_id``, each of ``ids`` under ``ids``)."""
    out = {} if out is None else out
    if isinstance(body, dict):
        for k, v in body.items():
            _sent_ids(v, k, out)
    elif isinstance(body, list):
        for v in body:
            _sent_ids(v, key, out)
    elif key is not None and is_id_key(key) and body is not None:
        out.setdefault(key, set()).add(body)
    return out


def _objects(body: Any) -> list[dict[str, Any]]:
    """The objects a write answered: one object (unwrapped), a list's items, or a bare list's items."""
    body = _unwrap(body)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        body = body["data"]
    if isinstance(body, list):
        return [x for x in body if isinstance(x, dict)]
    return [body] if isinstance(body, dict) else []


# Echoes a write does not make, with the reason: the id answered under the same key is another object.
NOT_ECHOED: dict[tuple[str, str], str] = {
    ("post", "webhooks/deliveries/redeliver"): "a redelivery is a new delivery (it names the old one)",
}
# Writes whose answer is an object that is gone afterwards (deleted, so reads 404), with the reason.
GONE_AFTER: dict[tuple[str, str], str] = {
    ("post", "project_management/projects/soft_delete"): "answers the project it deleted",
}
# Fields a write answers that a read of the same object does not, with the reason.
WRITE_ONLY: dict[tuple[str, str], dict[str, str]] = {
    ("post", "api_public/webhook_subscriptions"): {"secret": "the signing secret is shown once"},
    ("post", "api_public/webhook_subscriptions/rotate_secret"): {"secret": "the new secret is shown once"},
}


@pytest.mark.parametrize("version", SUPPORTED)
def test_every_write_answers_what_its_version_documents(http: Any, world: World, version: str) -> None:
    doc = http.get(f"/api/{version}/openapi.json").json()
    api = ApiClient(http, world.tenant.api_key, version=version)
    integer_ids = not VERSIONS[version].string_ids
    reads = _reads(doc)
    writes = _writes(doc)
    builders = {op: spec.build for op, spec in OPERATIONS.items()} | EXTRA_WRITES
    assert set(writes) == set(builders), "a write operation without a builder (EXTRA_WRITES)"
    assert len(writes) >= 40

    mismatches: list[str] = []
    echoed = read_back = 0
    for (method, path), op in sorted(writes.items()):
        status, schema = _success(op)
        call = builders[(method, path)](world)
        body = call.body if call.multipart else _typed(call.body, integer_ids)
        r = _send_in(api, call, body)
        where = f"{version} {method.upper()} {call.path}"
        assert r.status_code == status, (where, r.status_code, r.text[:300])
        answer = r.json()
        for error in _validator(doc, schema).iter_errors(answer):
            mismatches.append(f"{where}: at {error.json_path}: {error.message[:300]}")
        mismatches += [f"{where}: {m}" for m in _urls_outside(answer, version)]
        objects = _objects(answer)

        # What the body names, the answer names alike: the same ids, typed as the version types them
        # (a form's too); the objects of a bulk operation are those its ``ids`` name.
        sent = _sent_ids(_typed(call.body, integer_ids))
        if "ids" in sent and "id" not in sent:
            sent["id"] = sent["ids"]
        if (method, path) in NOT_ECHOED:
            sent = {}
        for obj in objects:
            for key, value in obj.items():
                if key in sent and value is not None and not isinstance(value, (dict, list)):
                    echoed += 1
                    if value not in sent[key]:
                        mismatches.append(f"{where}: sent {key} {sorted(sent[key])}, answered {value!r}")

        # The object a create, an update or an action answers reads back the same in the version.
        if (method, path) in GONE_AFTER:
            one = None
            gone = api.get(f"{path.rsplit('/', 1)[0]}/{objects[0]['id']}")
            assert gone.status_code == 404, (where, "still found after it", gone.text[:300])
        elif method == "put":
            one = call.path
        elif method == "post" and len(objects) == 1 and "id" in objects[0]:
            resource = path if path in reads else path.rsplit("/", 1)[0]
            one = f"{resource}/{objects[0]['id']}" if f"{resource}/{{id}}" in reads else None
        else:
            one = None
        if one is not None:
            [obj] = objects
            written = {k: v for k, v in obj.items() if k not in WRITE_ONLY.get((method, path), {})}
            got = api.get(one)
            assert got.status_code == 200, (where, "read back", one, got.text[:300])
            if _stable(_unwrap(got.json())) != _stable(written):
                mismatches.append(f"{where}: reads back as {_unwrap(got.json())}, not as written {written}")
            read_back += 1
    assert mismatches == []
    assert echoed >= 60
    assert read_back >= 25
    assert read_back >= 15


# --- across versions -------------------------------------------------------------------------------


def _disagreements(old: Any, new: Any, version: ApiVersion, resource: str, at: str = "") -> list[str]:
    """Where ``old`` (a body in ``version``) and ``new`` (the same read in the current version) disagree.

    They agree when equal, ids aside: where ``version`` types ids as integers, an integer there is the same
    number as the string here. For a resource the version registry declares changes of (fields dropped,
    added or reshaped), only ids are compared: a value may differ, an id may not.
    """
    changed = any(resource in v.changes for v in version.lineage)
    integer_ids = not version.string_ids
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            if set(a) != set(b) and not changed:
                out.append(f"{where}: the keys {sorted(set(a) ^ set(b))} are in one version only")
            for key in a.keys() & b.keys():
                walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{where}: {len(a)} items, {len(b)} in {CURRENT}")
            for i, (x, y) in enumerate(zip(a, b, strict=False)):
                walk(x, y, f"{where}[{i}]")
        elif type(a) is type(b) and a == b:
            return
        elif integer_ids and type(a) is int and isinstance(b, str) and b == str(a):
            return  # an id, typed as each version types it
        elif changed and not (type(a) is int and isinstance(b, str) and b.isdigit()):
            return  # a value of a resource the version changes (not an id)
        else:
            out.append(f"{where}: {a!r} in {version.name}, {b!r} in {CURRENT}")

    walk(_stable(_unwrap(old)), _stable(_unwrap(new)), at or "$")
    return out


def _typed_id(item_id: Any, version: ApiVersion) -> Any:
    return str(item_id) if version.string_ids else int(item_id)


def test_every_version_answers_the_same_objects(http: Any, world: World) -> None:
    doc = http.get(f"/api/{CURRENT}/openapi.json").json()
    reads = _reads(doc)
    query = _query(ApiClient(http, world.tenant.api_key))
    clients = {v: ApiClient(http, world.tenant.api_key, version=v) for v in SUPPORTED}
    older = [VERSIONS[v] for v in SUPPORTED if v != CURRENT]
    assert older, "one version only: nothing to compare"
    lists = sorted(p for p in reads if not p.endswith("/{id}") and _json_schema(reads[p]) is not None)
    gets = sorted(p for p in reads if p.endswith("/{id}"))

    def read(version: str, path: str, params: dict[str, Any] | None = None) -> Any:
        r = clients[version].get(path, params=params)
        assert r.status_code == 200, (version, path, params, r.text[:300])
        return r.json()

    disagreements: list[str] = []
    ids: dict[str, list[str]] = {}
    for path in lists:
        params: dict[str, Any] = {**query.get(path, {})}
        if "limit" in {p["name"] for p in reads[path].get("parameters", [])}:
            params["limit"] = 100
        new = read(CURRENT, path, params)
        for version in older:
            disagreements += _disagreements(read(version.name, path, params), new, version, path, path)
        if f"{path}/{{id}}" in reads:
            found = [item["id"] for item in new["data"]]
            ids[path] = found[:: max(1, len(found) // 4)]
    for path in gets:
        resource = path.removesuffix("/{id}")
        for item_id in ids[resource]:
            url = path.replace("{id}", item_id)
            new = read(CURRENT, url)
            for version in older:
                old = read(version.name, url)
                disagreements += _disagreements(old, new, version, resource, url)
                # Not vacuous: the same object with another id disagrees.
                other = copy.deepcopy(old)
                _unwrap(other)["id"] = _typed_id(int(item_id) + 1, version)
                assert _disagreements(other, new, version, resource, url), (version.name, url)
    # A list's ids[] filter takes the ids as the version types them, and lists what a get answers.
    filtered = 0
    for path in gets:
        resource = path.removesuffix("/{id}")
        if "ids[]" not in {p["name"] for p in reads[resource].get("parameters", [])} or not ids[resource]:
            continue
        for version in (VERSIONS[CURRENT], *older):
            wanted = [_typed_id(i, version) for i in ids[resource][:2]]
            listed = read(version.name, resource, {"ids[]": wanted, **query.get(resource, {})})["data"]
            got = {item["id"]: item for item in listed}
            assert set(got) == set(wanted), (version.name, resource, wanted, list(got))
            for item_id in wanted:
                one = _unwrap(read(version.name, f"{resource}/{item_id}"))
                if _stable(got[item_id]) != _stable(one):
                    disagreements.append(f"{version.name} {resource}: listed {got[item_id]}, got {one}")
            filtered += 1
    assert disagreements == []
    assert filtered >= 40
