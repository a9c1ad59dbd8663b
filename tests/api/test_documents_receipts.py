"""Receipts on expenses (files, document_id, uploads with a create) and receipt bundles over HTTP."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.test_documents_api import DOCS, EXE, JPEG, PDF, PNG, document_count, uploaded
from tests.factories import ApiClient, Tenant

EXPS = "expenses/expenses"
BUNDLES = "documents/receipt_bundles"


def expense_body(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 4250,
        "currency": "EUR",
        "effective_on": "2026-03-10",
        "merchant_name": "Renfe",
    }
    body.update(overrides)
    return body


def create(api: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    r = api.post(EXPS, json=expense_body(tenant, **overrides))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def create_with_uploads(
    api: ApiClient, tenant: Tenant, files: list[tuple[str, bytes, str]], **overrides: Any
) -> Any:
    parts: list[Any] = [
        ("expense", (None, json.dumps(expense_body(tenant, **overrides)), "application/json"))
    ]
    parts += [("file", f) for f in files]
    return api.post(EXPS, files=parts)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def expense_count(api: ApiClient) -> int:
    return int(api.get(EXPS).json()["meta"]["total"])


# --- receipts on expenses ----------------------------------------------------------------------------


def test_create_with_existing_documents(api: ApiClient, tenant: Tenant, http: TestClient) -> None:
    a, b = uploaded(api, PDF + b"% a"), uploaded(api, PNG, filename="b.png", mime="image/png")
    e = create(api, tenant, document_ids=[b["id"], a["id"]])
    assert [f["id"] for f in e["files"]] == [b["id"], a["id"]]
    assert e["document_id"] == b["id"]
    first = e["files"][0]
    assert set(first) == {"id", "filename", "byte_size", "url", "download_url", "content_type"}
    assert (first["filename"], first["byte_size"], first["content_type"]) == ("b.png", len(PNG), "image/png")
    r = http.get(path_of(first["download_url"]))
    assert r.status_code == 200
    assert r.content == PNG
    assert r.headers["content-disposition"].startswith("attachment")
    assert http.get(path_of(first["url"])).headers["content-disposition"].startswith("inline")
    assert api.get(f"{EXPS}/{e['id']}").json()["files"][0]["id"] == b["id"]
    listed = api.get(EXPS, params={"ids[]": [e["id"]]}).json()["data"][0]
    assert [f["id"] for f in listed["files"]] == [b["id"], a["id"]]
    single = create(api, tenant, document_id=a["id"], amount=100)
    assert [f["id"] for f in single["files"]] == [a["id"]]
    assert single["document_id"] == a["id"]


def test_create_with_uploaded_receipts(
    api: ApiClient, tenant: Tenant, http: TestClient, session_factory: sessionmaker[Session]
) -> None:
    existing = uploaded(api)
    r = create_with_uploads(
        api,
        tenant,
        [("ticket.jpg", JPEG, "image/jpeg"), ("../../invoice.pdf", PDF + b"% up", "application/pdf")],
        document_ids=[existing["id"]],
    )
    assert r.status_code == 201, r.text
    e = r.json()
    assert [f["filename"] for f in e["files"]] == ["receipt.pdf", "ticket.jpg", "invoice.pdf"]
    assert e["document_id"] == existing["id"]
    new_doc = api.get(f"{DOCS}/{e['files'][1]['id']}").json()
    assert new_doc["employee_id"] == str(tenant.employee_ids[1])  # a document of the expense's owner
    assert http.get(path_of(e["files"][2]["download_url"])).content == PDF + b"% up"
    assert document_count(session_factory, tenant.company_id) == 3


@pytest.mark.parametrize(
    ("parts", "status"),
    [
        ([("file", ("a.pdf", PDF, "application/pdf"))], 422),  # no expense part
        ([("expense", (None, '{"employee_id": ', "application/json"))], 400),
        ([("expense", (None, '{"amount": -1}', "application/json"))], 422),
        ([("expense", (None, "BODY", "application/json")), ("file", ("x.pdf", EXE, "application/pdf"))], 415),
        (
            [("expense", (None, "BODY", "application/json")), ("file", ("x.pdf", JPEG, "application/pdf"))],
            415,
        ),
    ],
)
def test_bad_multipart_creates_store_nothing(
    api: ApiClient,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
    parts: list[Any],
    status: int,
) -> None:
    body = json.dumps(expense_body(tenant))
    parts = [(n, (f[0], body if f[1] == "BODY" else f[1], f[2])) for n, f in parts]
    r = api.post(EXPS, files=parts)
    assert r.status_code == status, r.text
    assert expense_count(api) == 0
    assert document_count(session_factory, tenant.company_id) == 0


def test_other_company_or_trashed_documents_are_404(
    api: ApiClient, tenant: Tenant, other_api: ApiClient, session_factory: sessionmaker[Session]
) -> None:
    theirs = uploaded(other_api)
    trashed = uploaded(api)
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [trashed["id"]]})
    mine = uploaded(api)
    for receipts in (
        {"document_ids": [theirs["id"]]},
        {"document_id": theirs["id"]},
        {"document_ids": [mine["id"], "999999999"]},
        {"document_ids": [trashed["id"]]},
    ):
        r = api.post(EXPS, json=expense_body(tenant, **receipts))
        assert r.status_code == 404, (receipts, r.text)
    r = create_with_uploads(api, tenant, [("t.jpg", JPEG, "image/jpeg")], document_ids=[theirs["id"]])
    assert r.status_code == 404
    assert expense_count(api) == 0
    assert document_count(session_factory, tenant.company_id) == 2
    for receipts, field in (
        ({"document_ids": ["abc"]}, "document_ids"),
        ({"document_ids": [mine["id"]] * 21}, "document_ids"),
        ({"document_id": mine["id"], "document_ids": [trashed["id"], mine["id"]]}, "document_id"),
    ):
        r = api.post(EXPS, json=expense_body(tenant, **receipts))
        assert r.status_code == 422, receipts
        assert any(k.startswith(field) for k in r.json()["errors"]), r.json()


def test_update_replaces_receipts_while_editable(api: ApiClient, tenant: Tenant) -> None:
    a, b = uploaded(api), uploaded(api, JPEG, filename="b.jpg", mime="image/jpeg")
    e = create(api, tenant, document_ids=[a["id"]])
    path = f"{EXPS}/{e['id']}"
    u = api.put(path, json={"description": "no receipt change"}).json()
    assert [f["id"] for f in u["files"]] == [a["id"]]
    u = api.put(path, json={"document_ids": [b["id"], a["id"]]}).json()
    assert [f["id"] for f in u["files"]] == [b["id"], a["id"]]
    assert u["document_id"] == b["id"]
    u = api.put(path, json={"document_id": None}).json()
    assert u["files"] == []
    assert u["document_id"] is None
    u = api.put(path, json={"document_ids": [a["id"]]}).json()
    assert u["document_id"] == a["id"]
    api.post("expenses/expensables/submit", json={"ids": [e["expenses_expensable_id"]]})
    r = api.put(path, json={"document_ids": []})
    assert r.status_code == 409
    assert [f["id"] for f in api.get(path).json()["files"]] == [a["id"]]


def test_trashed_receipts_leave_files_and_come_back(api: ApiClient, tenant: Tenant) -> None:
    a, b = uploaded(api), uploaded(api, PNG, filename="b.png", mime="image/png")
    e = create(api, tenant, document_ids=[a["id"], b["id"]])
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [a["id"]]})
    got = api.get(f"{EXPS}/{e['id']}").json()
    assert [f["id"] for f in got["files"]] == [b["id"]]
    assert got["document_id"] == b["id"]
    api.post(f"{DOCS}/restore_from_trash_bin", json={"document_ids": [a["id"]]})
    assert [f["id"] for f in api.get(f"{EXPS}/{e['id']}").json()["files"]] == [a["id"], b["id"]]
    api.delete(f"{DOCS}/{a['id']}")
    got = api.get(f"{EXPS}/{e['id']}").json()
    assert [f["id"] for f in got["files"]] == [b["id"]]
    assert got["document_id"] == b["id"]


def test_deleting_a_draft_keeps_its_documents(api: ApiClient, tenant: Tenant) -> None:
    a = uploaded(api)
    e = create(api, tenant, document_ids=[a["id"]])
    assert api.delete(f"expenses/expensables/{e['expenses_expensable_id']}").status_code == 200
    assert api.get(f"{DOCS}/{a['id']}").status_code == 200
    assert api.get(DOCS, params={"by_bookkeeper_documents": "true"}).json()["data"] == []


def test_json_create_still_refuses_other_content_types(api: ApiClient, tenant: Tenant) -> None:
    r = api.http.post(
        api.url(EXPS),
        content=b"employee_id=1",
        headers={**api.headers, "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    r = api.http.post(api.url(EXPS), content=b"", headers={**api.headers, "content-type": "application/json"})
    assert r.status_code == 422
    assert expense_count(api) == 0


# --- receipt bundles ---------------------------------------------------------------------------------


def bundle(api: ApiClient, **params: Any) -> tuple[zipfile.ZipFile, list[dict[str, str]]]:
    r = api.get(BUNDLES, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode("utf-8"))))
    return z, rows


def test_bundle_holds_every_receipt_with_a_manifest(
    api: ApiClient, tenant: Tenant, other_api: ApiClient, other_tenant: Tenant
) -> None:
    a, b = uploaded(api, PDF + b"% a"), uploaded(api, JPEG, filename="=cmd.jpg", mime="image/jpeg")
    c = uploaded(api, PNG, filename="c.png", mime="image/png")
    e1 = create(api, tenant, document_ids=[a["id"], b["id"]], effective_on="2026-03-01", amount=1234)
    e2 = create(
        api, tenant, document_ids=[c["id"]], effective_on="2026-03-31", currency="GBP",
        employee_id=str(tenant.employee_ids[2]), amount=99,
    )  # fmt: skip
    create(api, tenant, document_ids=[a["id"]], effective_on="2026-04-01")  # outside the window
    create(api, tenant, effective_on="2026-03-15")  # no receipt
    theirs = uploaded(other_api)
    create(other_api, other_tenant, document_ids=[theirs["id"]], effective_on="2026-03-15")

    z, rows = bundle(api, **{"from": "2026-03-01", "to": "2026-03-31"})
    x1, x2 = e1["expenses_expensable_id"], e2["expenses_expensable_id"]
    assert z.namelist() == [f"{x1}_1.pdf", f"{x1}_2.jpg", f"{x2}_1.png", "manifest.csv"]
    assert z.read(f"{x1}_1.pdf") == PDF + b"% a"
    assert z.read(f"{x2}_1.png") == PNG
    assert [r["file"] for r in rows] == z.namelist()[:3]
    first, second, third = rows
    assert first["expensable_id"] == x1
    assert first["expense_id"] == e1["id"]
    assert first["document_id"] == a["id"]
    assert (first["amount"], first["amount_minor"], first["currency"]) == ("12.34", "1234", "EUR")
    assert (first["effective_on"], first["status"], first["merchant"]) == ("2026-03-01", "draft", "Renfe")
    assert first["employee_name"] == "Luis Pérez"
    assert first["employee_id"] == str(tenant.employee_ids[1])
    assert second["original_filename"] == "'=cmd.jpg"  # never a formula in a spreadsheet
    assert (third["currency"], third["amount"], third["employee_name"]) == ("GBP", "0.99", "Emma Smith")

    _, only_emma = bundle(
        api, **{"from": "2026-03-01", "to": "2026-03-31", "employee_ids[]": [str(tenant.employee_ids[2])]}
    )
    assert [r["expensable_id"] for r in only_emma] == [x2]
    api.post("expenses/expensables/submit", json={"ids": [x1]})
    _, pending = bundle(api, **{"from": "2026-03-01", "to": "2026-03-31", "status[]": ["pending"]})
    assert {r["expensable_id"] for r in pending} == {x1}
    _, single_day = bundle(api, **{"from": "2026-03-31", "to": "2026-03-31"})
    assert [r["expensable_id"] for r in single_day] == [x2]
    z, none = bundle(api, **{"from": "2025-01-01", "to": "2025-01-31"})
    assert none == []
    assert z.namelist() == ["manifest.csv"]
    _, theirs_only = bundle(other_api, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert [r["document_id"] for r in theirs_only] == [theirs["id"]]


def test_bundle_leaves_out_trashed_receipts(api: ApiClient, tenant: Tenant) -> None:
    a, b = uploaded(api), uploaded(api, PNG, filename="b.png", mime="image/png")
    create(api, tenant, document_ids=[a["id"], b["id"]])
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [a["id"]]})
    _, rows = bundle(api, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert [r["document_id"] for r in rows] == [b["id"]]
    assert rows[0]["file"].endswith("_1.png")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "validation_error"),
        ({"from": "2026-03-01"}, "validation_error"),
        ({"to": "2026-03-01"}, "validation_error"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "invalid_date_range"),
        ({"from": "03/01/2026", "to": "2026-03-31"}, "validation_error"),
        ({"from": "2026-03-01", "to": "2026-03-31", "status[]": "lost"}, "validation_error"),
        ({"from": "2026-03-01", "to": "2026-03-31", "employee_ids[]": "x"}, "validation_error"),
    ],
)
def test_bad_bundle_filters_are_422(api: ApiClient, params: dict[str, str], code: str) -> None:
    r = api.get(BUNDLES, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


def test_bundle_needs_a_key(api: ApiClient, http: TestClient) -> None:
    r = http.get(api.url(BUNDLES), params={"from": "2026-03-01", "to": "2026-03-31"})
    assert r.status_code == 401
