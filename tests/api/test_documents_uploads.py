"""Upload safety over HTTP: size limit (413), file types (415), names, other companies' ids, bad forms.

Every refused upload leaves nothing behind: no document row, no stored blob, no staging file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from expensehub.api.app import create_app
from expensehub.config import Settings
from tests.api.test_documents_api import DOCS, EXE, JPEG, PDF, PNG, access_of, document_count, folder, upload
from tests.factories import ApiClient, Tenant, make_tenant

LIMIT = 100_000


def stored_files(root: str | Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file() and p.name != ".secret_key"]


@pytest.fixture(scope="module")
def small(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    """An app whose upload limit is 100 kB (and JSON limit 64 kB), with its own empty store."""
    cfg = Settings(
        database_url=db_url,
        max_body_bytes=64 * 1024,
        max_upload_bytes=LIMIT,
        storage_dir=str(tmp_path_factory.mktemp("small-store")),
    )
    app = create_app(cfg)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, cfg
    app.state.engine.dispose()


@pytest.fixture
def small_api(
    small: tuple[TestClient, Settings], session_factory: sessionmaker[Session]
) -> tuple[ApiClient, Tenant]:
    tenant = make_tenant(session_factory)
    return ApiClient(small[0], tenant.api_key), tenant


def assert_nothing_stored(api: ApiClient, tenant: Tenant, factory: sessionmaker[Session], root: str) -> None:
    assert document_count(factory, tenant.company_id) == 0
    assert stored_files(root) == []


def test_upload_at_the_limit_is_accepted(
    small_api: tuple[ApiClient, Tenant], small: tuple[TestClient, Settings]
) -> None:
    api, _ = small_api
    data = PDF + b"0" * (LIMIT - len(PDF))
    r = upload(api, data)
    assert r.status_code == 201, r.text
    assert r.json()["file_size"] == LIMIT


def test_oversized_upload_is_413_and_stores_nothing(
    small_api: tuple[ApiClient, Tenant],
    small: tuple[TestClient, Settings],
    session_factory: sessionmaker[Session],
) -> None:
    api, tenant = small_api
    root = small[1].storage_dir
    before = stored_files(root)
    r = upload(api, PDF + b"0" * LIMIT)
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "file_too_large"
    # way past the limit: refused from Content-Length, before the app reads anything
    r = upload(api, PDF + b"0" * (LIMIT * 8))
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    assert document_count(session_factory, tenant.company_id) == 0
    assert stored_files(root) == before


def test_chunked_oversized_upload_is_413_and_stores_nothing(
    small_api: tuple[ApiClient, Tenant],
    small: tuple[TestClient, Settings],
    session_factory: sessionmaker[Session],
) -> None:
    api, tenant = small_api
    root = small[1].storage_dir
    before = stored_files(root)
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the guard counts as the app reads
        yield head + PDF
        for _ in range(20):
            yield b"0" * 16_384
        yield f"\r\n--{boundary}--\r\n".encode()

    r = api.http.post(
        api.url(DOCS),
        content=chunks(),
        headers={**api.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "file_too_large"

    def ignored_part() -> Iterator[bytes]:  # a part the route ignores: only the guard's count stops it
        disposition = 'form-data; name="junk"; filename="j.bin"'
        yield f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        for _ in range(50):
            yield b"0" * 16_384
        yield f"\r\n--{boundary}--\r\n".encode()

    r = api.http.post(
        api.url(DOCS),
        content=ignored_part(),
        headers={**api.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "payload_too_large"
    assert document_count(session_factory, tenant.company_id) == 0
    assert stored_files(root) == before


def test_json_limit_does_not_apply_to_uploads(small_api: tuple[ApiClient, Tenant]) -> None:
    api, _ = small_api
    assert upload(api, PDF + b"1" * 80_000).status_code == 201  # > 64 kB JSON limit, < upload limit
    # ...but it still applies to multipart bodies of other routes
    r = api.post(
        "documents/download_urls/bulk_create",
        files={"file": ("a.pdf", PDF + b"1" * 80_000, "application/pdf")},
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("data", "filename", "mime"),
    [
        (EXE, "setup.exe", "application/x-msdownload"),
        (EXE, "invoice.pdf", "application/pdf"),  # a renamed executable
        (EXE, "receipt", None),
        (b"#!/bin/sh\necho pwned\n", "receipt.pdf", "application/pdf"),
        (b"<html><script>alert(1)</script></html>", "receipt.html", "text/html"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "logo.xml", "text/xml"),
        (JPEG, "invoice.pdf", "application/pdf"),  # bytes and name disagree
        (PDF, "invoice.pdf", "image/png"),  # bytes and declared type disagree
        (PDF, "invoice.pdf.exe", None),
        (b"", "empty.pdf", "application/pdf"),
        (b"GIF89a" + b"\x00" * 50, "anim.gif", "image/gif"),
    ],
)
def test_wrong_file_types_are_415_and_store_nothing(
    api: ApiClient,
    tenant: Tenant,
    settings: Settings,
    session_factory: sessionmaker[Session],
    data: bytes,
    filename: str,
    mime: str | None,
) -> None:
    before = (
        stored_files(Path(settings.storage_dir) / "blobs")
        if (Path(settings.storage_dir) / "blobs").exists()
        else []
    )
    r = upload(api, data, filename=filename, mime=mime)
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_file_type"
    assert document_count(session_factory, tenant.company_id) == 0
    after = (
        stored_files(Path(settings.storage_dir) / "blobs")
        if (Path(settings.storage_dir) / "blobs").exists()
        else []
    )
    assert after == before


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\win.pdf", "win.pdf"),
        ("re\u202efdp.exe.pdf", "refdp.exe.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("..", "document.pdf"),
        ("Factura nº 7 – café.pdf", "Factura nº 7 – café.pdf"),
    ],
)
def test_names_are_metadata_only(
    api: ApiClient, settings: Settings, http: TestClient, filename: str, expected: str
) -> None:
    doc = upload(api, PDF + filename.encode(), filename=filename).json()
    assert doc["filename"] == expected
    for name in ("passwd.pdf", "win.pdf"):
        assert not (Path(settings.storage_dir) / name).exists()
    url = api.post("documents/download_urls/bulk_create", json={"ids": [doc["id"]]}).json()[0]["url"]
    r = http.get(url)
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "/" not in disposition


def test_file_filename_overrides_and_is_cleaned(api: ApiClient) -> None:
    r = upload(api, PNG, filename="x.png", mime="image/png", file_filename="../../scans/ticket.png")
    assert r.status_code == 201
    assert r.json()["filename"] == "ticket.png"
    r = upload(api, PNG, filename="x.png", mime="image/png", file_filename="ticket.pdf")
    assert r.status_code == 415  # the name given must agree with the bytes too


def test_other_company_ids_are_404_and_store_nothing(
    api: ApiClient,
    tenant: Tenant,
    other_api: ApiClient,
    other_tenant: Tenant,
    session_factory: sessionmaker[Session],
) -> None:
    other_folder = folder(other_api)
    other_access = access_of(session_factory, other_tenant.employee_ids[0])
    for fields in (
        {"company_id": str(other_tenant.company_id)},
        {"folder_id": other_folder["id"]},
        {"employee_id": str(other_tenant.employee_ids[1])},
        {"author_id": str(other_access)},
        {"signee_ids[]": [str(other_access)]},
        {"folder_id": "999999999"},
    ):
        r = upload(api, **fields)
        assert r.status_code == 404, (fields, r.text)
    assert document_count(session_factory, tenant.company_id) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"space": "attic"},
        {"public": "maybe"},
        {"request_esignature": "2"},
        {"employee_id": "abc"},
        {"signee_ids[]": ["1", "x"]},
        {"space": "employee_my_documents"},  # needs employee_id
        {"file_filename": "x" * 1001},
    ],
)
def test_bad_fields_are_422(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session], fields: dict[str, Any]
) -> None:
    r = upload(api, **fields)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert document_count(session_factory, tenant.company_id) == 0


def test_malformed_requests(api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]) -> None:
    r = api.post(DOCS, data={"public": "true"}, files={"other": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 422
    assert "file" in r.json()["errors"]
    r = api.post(DOCS, json={"file": "JVBERi0xLjcK", "space": "company_internal"})
    assert r.status_code == 415
    r = api.http.post(
        api.url(DOCS),
        content=b"--abc\r\nnot a part\r\n",
        headers={**api.headers, "content-type": "multipart/form-data; boundary=abc"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_multipart"
    r = api.http.post(
        api.url(DOCS), content=b"x", headers={**api.headers, "content-type": "multipart/form-data"}
    )
    assert r.status_code == 400
    r = api.post(
        DOCS, files=[("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF, "application/pdf"))]
    )
    assert r.status_code == 422
    assert document_count(session_factory, tenant.company_id) == 0


def test_expense_with_an_oversized_receipt_is_413_and_stores_nothing(
    small_api: tuple[ApiClient, Tenant],
    small: tuple[TestClient, Settings],
    session_factory: sessionmaker[Session],
) -> None:
    api, tenant = small_api
    root = small[1].storage_dir
    before = stored_files(root)
    body = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 500,
        "currency": "EUR",
        "effective_on": "2026-02-02",
    }
    r = api.post(
        "expenses/expenses",
        files=[
            ("expense", (None, json.dumps(body), "application/json")),
            ("file", ("big.pdf", PDF + b"0" * LIMIT, "application/pdf")),
        ],
    )
    assert r.status_code == 413, r.text
    assert api.get("expenses/expenses").json()["meta"]["total"] == 0
    assert document_count(session_factory, tenant.company_id) == 0
    assert stored_files(root) == before
