"""GET exports/*: the same bytes as the command, streamed with the right type; bad input is a 4xx."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.exports import service
from tests.api.test_documents_api import PDF, uploaded
from tests.factories import ApiClient, Tenant

EXP = "exports/expenses"


def claim(api: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 4250,
        "currency": "EUR",
        "effective_on": "2026-03-10",
        "merchant_name": "Renfe",
    }
    body.update(overrides)
    r = api.post("expenses/expenses", json=body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def rows_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


@pytest.fixture
def claims(api: ApiClient, tenant: Tenant) -> list[dict[str, Any]]:
    return [
        claim(api, tenant),
        claim(api, tenant, amount=125, currency="GBP", exchange_rate=1.1, effective_on="2026-03-11"),
        claim(
            api,
            tenant,
            employee_id=str(tenant.employee_ids[2]),
            amount=990,
            currency="GBP",
            effective_on="2026-04-01",
        ),
    ]


def test_csv_stream(
    api: ApiClient, claims: list[dict[str, Any]], tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    r = api.get(EXP)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="expenses-')
    assert r.headers["content-disposition"].endswith('.csv"')
    found = rows_of(r.content)
    assert [r["expensable_id"] for r in found] == [c["expenses_expensable_id"] for c in claims]
    assert [r["base_amount"] for r in found] == ["42.50", "1.38", "9.90"]
    # The same bytes as the service (and so the command) writes.
    with transaction(session_factory) as s:
        plan = service.plan_export(s, company_id=tenant.company_id, dataset="expenses")
        assert b"".join(service.stream_export(s, plan)) == r.content


@pytest.mark.parametrize(
    ("fmt", "ctype"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("jsonl", "application/x-ndjson"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("parquet", "application/vnd.apache.parquet"),
    ],
)
def test_formats(api: ApiClient, claims: list[dict[str, Any]], fmt: str, ctype: str, tmp_path: Any) -> None:
    r = api.get(EXP, params={"format": fmt})
    assert r.status_code == 200
    assert r.headers["content-type"] == ctype
    assert r.headers["content-disposition"].endswith(f'.{fmt}"')
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(r.content)
    if fmt == "jsonl":
        assert [json.loads(x)["document_amount"] for x in r.content.splitlines()] == ["42.50", "1.25", "9.90"]
    elif fmt == "xlsx":
        ws = openpyxl.load_workbook(path).active
        assert ws.max_row == 4
    elif fmt == "parquet":
        assert pq.read_table(path).column("document_amount").to_pylist() == [4250, 125, 990]


def test_filters_and_columns(api: ApiClient, claims: list[dict[str, Any]], tenant: Tenant) -> None:
    def ids(params: Any) -> list[str]:
        r = api.get(EXP, params=params)
        assert r.status_code == 200, r.text
        return [row["expensable_id"] for row in rows_of(r.content)]

    x = [c["expenses_expensable_id"] for c in claims]
    assert ids({"from": "2026-03-11", "to": "2026-04-01"}) == x[1:]
    assert ids({"employee_ids[]": [str(tenant.employee_ids[2])]}) == x[2:]
    assert ids({"legal_entity_ids[]": [str(tenant.le_gb)]}) == x[2:]
    assert ids({"status[]": ["draft"], "type[]": ["expense"]}) == x
    assert ids({"status[]": ["paid"]}) == []
    assert ids({"updated_since": "2000-01-01T00:00:00Z"}) == x
    assert ids({"updated_since": "2999-01-01T00:00:00"}) == []
    r = api.get(EXP, params={"columns[]": ["currency", "expensable_id"]})
    assert r.content.decode().splitlines()[:2] == ["currency,expensable_id", f"EUR,{x[0]}"]
    r = api.get(EXP, params={"template": "datev-bookings"})
    assert r.status_code == 200
    assert r.content.startswith(b"Umsatz (ohne Soll/Haben-Kz);")
    assert api.get(EXP, params={"bom": "true"}).content.startswith(b"\xef\xbb\xbf")
    split = api.get(EXP, params={"cost_centers": "split", "columns[]": ["expensable_id", "cost_center"]})
    assert split.status_code == 200
    assert len(rows_of(split.content)) == 3


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"from": "2026-04-01", "to": "2026-03-01"}, "invalid_date_range", "to"),
        ({"columns[]": ["nope"]}, "unknown_column", "columns"),
        ({"format": "pdf"}, "validation_error", "format"),
        ({"from": "yesterday"}, "validation_error", "from"),
        ({"status[]": ["bogus"]}, "invalid_filter", "status"),
        ({"type[]": ["car"]}, "invalid_filter", "type"),
        ({"employee_ids[]": ["abc"]}, "validation_error", "employee_ids[].0"),
        ({"updated_since": "soon"}, "validation_error", "updated_since"),
        ({"template": "nope"}, "template_not_found", "template"),
        ({"template": "/etc/passwd"}, "template_not_found", "template"),
        ({"template": "src/expensehub/exports/templates/generic-erp.json"}, "template_not_found", "template"),
        ({"template": "generic-erp", "columns[]": ["currency"]}, "invalid_columns", "columns"),
        ({"cost_centers": "both"}, "validation_error", "cost_centers"),
    ],
)
def test_bad_input(api: ApiClient, params: dict[str, Any], code: str, field: str) -> None:
    r = api.get(EXP, params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code, body
    assert field in body["errors"], body


def test_dataset_specific_filters(api: ApiClient) -> None:
    assert (
        api.get("exports/transactions", params={"status[]": ["pending"]}).json()["code"]
        == "unsupported_filter"
    )
    assert api.get("exports/transactions", params={"employee_ids[]": ["1"]}).status_code == 422
    assert api.get("exports/card_payments", params={"status[]": ["paid"]}).json()["code"] == "invalid_filter"
    for path in ("exports/card_payments", "exports/transactions"):
        r = api.get(path)
        assert r.status_code == 200
        assert r.content.count(b"\r\n") == 1


def test_needs_credentials(http: TestClient) -> None:
    assert http.get(f"/api/2026-10-01/resources/{EXP}").status_code == 401


def test_tenancy(api: ApiClient, other_api: ApiClient, claims: list[dict[str, Any]], tenant: Tenant) -> None:
    theirs = other_api.get(EXP)
    assert theirs.status_code == 200
    assert rows_of(theirs.content) == []
    mine = {c["expenses_expensable_id"] for c in claims}
    assert not mine & {r["expensable_id"] for r in rows_of(other_api.get(EXP).content)}
    # Another company's employee or legal entity in a filter matches nothing.
    r = other_api.get(EXP, params={"employee_ids[]": [str(tenant.employee_ids[1])]})
    assert r.status_code == 200
    assert rows_of(r.content) == []


def test_versions_export_the_same_file(
    api: ApiClient, api_v0401: ApiClient, claims: list[dict[str, Any]]
) -> None:
    assert api.get(EXP).content.split(b"\r\n")[1:] == api_v0401.get(EXP).content.split(b"\r\n")[1:]


def test_catalogues(api: ApiClient, api_v0401: ApiClient) -> None:
    for client in (api, api_v0401):
        cols = client.get("exports/columns").json()
        names = [c["name"] for c in cols["data"]]
        assert names[:3] == ["expensable_id", "detail_id", "type"]
        assert cols["meta"]["total"] == len(names)
        base = next(c for c in cols["data"] if c["name"] == "base_amount")
        assert base["type"] == "money"
        assert base["currency_column"] == "base_currency"
        assert base["default"]
    tx = api.get("exports/columns", params={"dataset": "transactions"}).json()["data"]
    assert tx[0]["name"] == "transaction_id"
    assert api.get("exports/columns", params={"dataset": "payslips"}).status_code == 422
    templates = api.get("exports/templates").json()["data"]
    assert [t["name"] for t in templates] == ["datev-bookings", "generic-erp"]


def test_receipt_url_downloads_the_receipt(api: ApiClient, tenant: Tenant, http: TestClient) -> None:
    doc = uploaded(api, PDF + b"% export")
    e = claim(api, tenant, document_ids=[doc["id"]])
    found = rows_of(api.get(EXP, params={"columns[]": ["expensable_id", "receipt_url"]}).content)
    assert [r["expensable_id"] for r in found] == [e["expenses_expensable_id"]]
    url = urlsplit(found[0]["receipt_url"])
    r = http.get(url.path + (f"?{url.query}" if url.query else ""))
    assert r.status_code == 200
    assert r.content == PDF + b"% export"
