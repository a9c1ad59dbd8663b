"""documents/documents and documents/folders over HTTP: uploads, reads, filters, writes, trash, tenancy.

Upload safety (size, type, names) has its own file: test_documents_uploads.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.models import Employee
from expensehub.models.documents import Document, Folder
from tests.factories import ApiClient, Tenant

DOCS = "documents/documents"
FOLDERS = "documents/folders"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

PDF = b"%PDF-1.7\n% a small receipt\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


def upload(
    api: ApiClient,
    data: bytes = PDF,
    filename: str | None = "receipt.pdf",
    mime: str | None = "application/pdf",
    **fields: Any,
) -> Any:
    """POST a multipart upload; ``fields`` are text parts (lists repeat the part)."""
    return api.post(DOCS, files={"file": (filename, data, mime)}, data=fields)


def uploaded(api: ApiClient, data: bytes = PDF, **kw: Any) -> dict[str, Any]:
    r = upload(api, data, **kw)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def access_of(session_factory: sessionmaker[Session], employee_id: int) -> int:
    with transaction(session_factory) as s:
        return int(s.scalar(select(Employee.access_id).where(Employee.id == employee_id)) or 0)


def document_count(session_factory: sessionmaker[Session], company_id: int) -> int:
    with transaction(session_factory) as s:
        return int(s.scalar(select(func.count()).where(Document.company_id == company_id)) or 0)


def folder(api: ApiClient, name: str = "Receipts 2026", **extra: Any) -> dict[str, Any]:
    r = api.post(FOLDERS, json={"name": name, "space": "employee_my_documents", **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


# --- create ------------------------------------------------------------------------------------------


def test_upload_returns_the_document(api: ApiClient, tenant: Tenant) -> None:
    r = upload(api)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert set(doc) == {
        "id", "filename", "public", "space", "created_at", "updated_at", "author_id", "company_id",
        "content_type", "employee_id", "extension", "file_size", "folder_id", "is_company_document",
        "is_management_document", "is_pending_assignment", "leave_id", "signature_status", "signees",
        "deleted_at",
    }  # fmt: skip
    assert isinstance(doc["id"], str)
    assert doc["company_id"] == str(tenant.company_id)
    assert (doc["filename"], doc["content_type"], doc["extension"], doc["file_size"]) == (
        "receipt.pdf",
        "application/pdf",
        "pdf",
        len(PDF),
    )
    assert doc["public"] is False
    assert doc["space"] == "company_internal"
    assert TS.match(doc["created_at"])
    assert TS.match(doc["updated_at"])
    assert doc["deleted_at"] is None
    assert doc["signees"] == []
    assert doc["signature_status"] is None
    assert doc["is_company_document"] is True
    assert doc["is_management_document"] is True
    assert api.get(f"{DOCS}/{doc['id']}").json() == doc


def test_upload_with_every_field_as_the_sdk_sends_them(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    f = folder(api)
    boss, e1, _ = tenant.employee_ids
    author = access_of(session_factory, boss)
    signees = [access_of(session_factory, e1), author]
    doc = uploaded(
        api,
        JPEG,
        filename="IMG_0001.jpg",
        mime="image/jpeg",
        public="True",
        space="employee_my_documents",
        is_pending_assignment="False",
        author_id=str(author),
        company_id=str(tenant.company_id),
        request_esignature="True",
        folder_id=f["id"],
        file_filename="Taxi Madrid.jpg",
        leave_id="77",
        employee_id=str(e1),
        **{"signee_ids[]": [str(s) for s in signees]},
    )
    assert doc["public"] is True
    assert doc["space"] == "employee_my_documents"
    assert doc["author_id"] == str(author)
    assert doc["employee_id"] == str(e1)
    assert doc["folder_id"] == f["id"]
    assert doc["leave_id"] == "77"
    assert doc["filename"] == "Taxi Madrid.jpg"
    assert doc["extension"] == "jpg"
    assert doc["signees"] == [str(s) for s in signees]
    assert doc["signature_status"] == "pending"
    assert doc["is_company_document"] is False
    assert doc["is_management_document"] is False


def test_identical_uploads_are_two_documents_on_one_blob(
    api: ApiClient, settings: Any, session_factory: sessionmaker[Session]
) -> None:
    data = PDF + b"% unique to this test: dedupe\n"
    a, b = uploaded(api, data), uploaded(api, data, filename="copy.pdf")
    assert a["id"] != b["id"]
    with transaction(session_factory) as s:
        hashes = set(
            s.scalars(select(Document.blob_sha256).where(Document.id.in_([int(a["id"]), int(b["id"])])))
        )
    assert len(hashes) == 1
    from pathlib import Path

    sha = hashes.pop()
    assert Path(settings.storage_dir, "blobs", sha[:2], sha[2:4], sha).read_bytes() == data


# --- list filters ------------------------------------------------------------------------------------


def test_list_filters(api: ApiClient, tenant: Tenant) -> None:
    boss, e1, e2 = tenant.employee_ids
    f = folder(api)
    plain = uploaded(api)
    mine = uploaded(api, employee_id=str(e1), folder_id=f["id"])
    pending = uploaded(api, is_pending_assignment="true", employee_id=str(e2), leave_id="5")
    trashed = uploaded(api)
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [trashed["id"]]})

    def ids(**params: Any) -> list[str]:
        return [d["id"] for d in api.list_all(DOCS, params=params)]

    assert ids() == [plain["id"], mine["id"], pending["id"]]
    assert ids(by_trash_bin="false") == ids()
    assert ids(by_trash_bin="true") == [trashed["id"]]
    assert ids(**{"ids[]": [plain["id"], trashed["id"], "999999"]}) == [plain["id"]]
    assert ids(**{"employee_ids[]": [str(e1), str(e2)]}) == [mine["id"], pending["id"]]
    assert ids(**{"employee_ids[]": [str(boss)]}) == []
    assert ids(folder_id=f["id"]) == [mine["id"]]
    assert ids(by_without_folder="true") == [plain["id"], pending["id"]]
    assert ids(by_without_folder="false") == ids()
    assert ids(by_pending_assignment="true") == [pending["id"]]
    assert ids(by_pending_assignment="false") == [plain["id"], mine["id"]]
    assert ids(leave_id="5") == [pending["id"]]
    assert ids(by_bookkeeper_documents="true") == []
    r = api.post(
        "expenses/expenses",
        json={
            "employee_id": str(e1),
            "amount": 100,
            "currency": "EUR",
            "effective_on": "2026-03-01",
            "document_ids": [plain["id"]],
        },
    )
    assert r.status_code == 201, r.text
    assert ids(by_bookkeeper_documents="true") == [plain["id"]]
    page = api.get(DOCS, params={"limit": 2}).json()
    assert len(page["data"]) == 2
    assert page["meta"]["total"] == 3
    assert page["meta"]["has_next_page"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"ids[]": "abc"},
        {"employee_ids[]": "-1"},
        {"folder_id": "x"},
        {"by_trash_bin": "maybe"},
        {"by_pending_assignment": "2"},
        {"limit": "many"},
    ],
)
def test_bad_list_filters_are_422(api: ApiClient, params: dict[str, str]) -> None:
    r = api.get(DOCS, params=params)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


# --- update, delete, trash ---------------------------------------------------------------------------


def test_update_is_partial(api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]) -> None:
    doc = uploaded(api)
    f = folder(api)
    signee = access_of(session_factory, tenant.employee_ids[2])
    r = api.put(
        f"{DOCS}/{doc['id']}",
        json={"id": doc["id"], "public": True, "request_esignature": True, "signee_ids": [str(signee)]},
    )
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["public"] is True
    assert u["signees"] == [str(signee)]
    assert u["signature_status"] == "pending"
    u = api.put(
        f"{DOCS}/{doc['id']}", json={"folder_id": f["id"], "employee_id": str(tenant.employee_ids[1])}
    ).json()
    assert u["folder_id"] == f["id"]
    assert u["employee_id"] == str(tenant.employee_ids[1])
    assert u["public"] is True
    u = api.put(f"{DOCS}/{doc['id']}", json={"folder_id": None, "request_esignature": False}).json()
    assert u["folder_id"] is None
    assert u["signature_status"] is None
    assert u["signees"] == [str(signee)]
    assert api.get(f"{DOCS}/{doc['id']}").json() == u


def test_update_bad_input_changes_nothing(
    api: ApiClient,
    tenant: Tenant,
    other_api: ApiClient,
    other_tenant: Tenant,
    session_factory: sessionmaker[Session],
) -> None:
    doc = uploaded(api)
    before = api.get(f"{DOCS}/{doc['id']}").json()
    path = f"{DOCS}/{doc['id']}"
    other_folder = folder(other_api)
    other_access = access_of(session_factory, other_tenant.employee_ids[0])
    for body in (
        {"folder_id": other_folder["id"]},
        {"employee_id": str(other_tenant.employee_ids[1])},
        {"signee_ids": [str(other_access)]},
        {"folder_id": "999999999"},
    ):
        assert api.put(path, json=body).status_code == 404, body
    for body in (
        {"id": str(int(doc["id"]) + 1000)},
        {"public": "perhaps"},
        {"signee_ids": "1"},
        {"folder_id": 1.5},
    ):
        assert api.put(path, json=body).status_code == 422, body
    r = api.http.put(
        api.url(path), content=b"{nope", headers={**api.headers, "content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"
    assert api.get(path).json() == before
    assert api.put(f"{DOCS}/999999999", json={"public": True}).status_code == 404


def test_trash_restore_and_delete(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    a, b = uploaded(api), uploaded(api)
    r = api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [b["id"], a["id"]]})
    assert r.status_code == 200, r.text
    trashed = r.json()
    assert [d["id"] for d in trashed] == [b["id"], a["id"]]
    assert all(TS.match(d["deleted_at"]) for d in trashed)
    # Trashing a trashed document again is refused, and keeps the date.
    again = api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [a["id"]]})
    assert again.status_code == 409
    assert again.json()["code"] == "already_in_trash_bin"
    assert again.json()["details"] == {"resource": "document", "id": a["id"], "status": "trashed"}
    assert api.get(f"{DOCS}/{a['id']}").json()["deleted_at"] == trashed[1]["deleted_at"]
    restored = api.post(f"{DOCS}/restore_from_trash_bin", json={"document_ids": [a["id"]]}).json()
    assert restored[0]["deleted_at"] is None
    twice = api.post(f"{DOCS}/restore_from_trash_bin", json={"document_ids": [a["id"]]})
    assert twice.status_code == 409
    assert twice.json()["code"] == "not_in_trash_bin"
    # All or nothing: b stays in the trash when a is not there to restore.
    both = api.post(f"{DOCS}/restore_from_trash_bin", json={"document_ids": [b["id"], a["id"]]})
    assert both.status_code == 409
    assert api.get(f"{DOCS}/{b['id']}").json()["deleted_at"] is not None
    assert [d["id"] for d in api.list_all(DOCS)] == [a["id"]]

    gone = api.delete(f"{DOCS}/{a['id']}")
    assert gone.status_code == 200
    assert gone.json()["id"] == a["id"]
    assert api.get(f"{DOCS}/{a['id']}").status_code == 404
    assert api.delete(f"{DOCS}/{a['id']}").status_code == 404
    assert document_count(session_factory, tenant.company_id) == 1


def test_trash_is_all_or_nothing(api: ApiClient) -> None:
    doc = uploaded(api)
    for body in ({"document_ids": [doc["id"], "999999999"]}, {"document_ids": []}, {"document_ids": "1"}, {}):
        r = api.post(f"{DOCS}/move_to_trash_bin", json=body)
        assert r.status_code in (404, 422), body
    r = api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [doc["id"]] * 101})
    assert r.status_code == 422
    assert api.get(f"{DOCS}/{doc['id']}").json()["deleted_at"] is None
    assert api.post(f"{DOCS}/restore_from_trash_bin", json={"document_ids": ["999999999"]}).status_code == 404


# --- folders -----------------------------------------------------------------------------------------


def test_folders(api: ApiClient, api_v0401: ApiClient, tenant: Tenant) -> None:
    a = folder(api, "Receipts", company_id=str(tenant.company_id))
    assert a["active"] is True
    assert a["space"] == "employee_my_documents"
    assert a["parent_folder_id"] is None
    assert a["company_id"] == str(tenant.company_id)
    b = folder(api, "Invoices", parent_folder_id=a["id"])
    assert b["parent_folder_id"] == a["id"]
    assert api.get(f"{FOLDERS}/{a['id']}").json() == a
    r = api.put(
        f"{FOLDERS}/{a['id']}", json={"id": a["id"], "company_id": str(tenant.company_id), "name": "Tickets"}
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Tickets"
    r = api.put(f"{FOLDERS}/{b['id']}", json={"active": False})
    assert r.status_code == 200
    assert r.json()["active"] is False
    uploaded(api, employee_id=str(tenant.employee_ids[1]), folder_id=a["id"])

    def names(**params: Any) -> list[str]:
        return [f["name"] for f in api.list_all(FOLDERS, params=params)]

    assert names() == ["Tickets", "Invoices"]
    assert names(active="true") == ["Tickets"]
    assert names(active="false") == ["Invoices"]
    assert names(name="Invoices") == ["Invoices"]
    assert names(name="invoices") == []
    assert names(**{"ids[]": [b["id"]]}) == ["Invoices"]
    assert names(employee_id=str(tenant.employee_ids[1])) == ["Tickets"]
    assert names(employee_id=str(tenant.employee_ids[2])) == []


def test_folder_bad_input(api: ApiClient, other_api: ApiClient, other_tenant: Tenant, tenant: Tenant) -> None:
    a = folder(api, "A")
    b = folder(api, "B", parent_folder_id=a["id"])
    foreign = folder(other_api, "Theirs")
    for body in (
        {"name": "", "space": "employee_my_documents"},
        {"name": "   ", "space": "employee_my_documents"},
        {"name": "x", "space": "attic"},
        {"name": "x"},
        {"name": 5, "space": "employee_my_documents"},
        {"name": "x" * 256, "space": "employee_my_documents"},
    ):
        assert api.post(FOLDERS, json=body).status_code == 422, body
    for body in (
        {"name": "x", "space": "company_internal", "company_id": str(other_tenant.company_id)},
        {"name": "x", "space": "company_internal", "parent_folder_id": foreign["id"]},
    ):
        assert api.post(FOLDERS, json=body).status_code == 404, body
    assert api.put(f"{FOLDERS}/{a['id']}", json={"parent_folder_id": b["id"]}).status_code == 422  # a cycle
    assert api.put(f"{FOLDERS}/{a['id']}", json={"parent_folder_id": a["id"]}).status_code == 422
    assert api.put(f"{FOLDERS}/{a['id']}", json={"id": b["id"], "name": "z"}).status_code == 422
    assert api.put(f"{FOLDERS}/{a['id']}", json={"parent_folder_id": foreign["id"]}).status_code == 404
    r = api.http.post(
        api.url(FOLDERS), content=b'{"name": ', headers={**api.headers, "content-type": "application/json"}
    )
    assert r.status_code == 400
    assert [f["name"] for f in api.list_all(FOLDERS)] == ["A", "B"]
    assert api.get(f"{FOLDERS}/{a['id']}").json()["parent_folder_id"] is None


# --- tenancy -----------------------------------------------------------------------------------------


def test_another_company_gets_404_everywhere(
    api: ApiClient, other_api: ApiClient, session_factory: sessionmaker[Session]
) -> None:
    doc = uploaded(api)
    f = folder(api)
    path = f"{DOCS}/{doc['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.put(path, json={"public": True}).status_code == 404
    assert other_api.delete(path).status_code == 404
    for action in ("move_to_trash_bin", "restore_from_trash_bin"):
        assert other_api.post(f"{DOCS}/{action}", json={"document_ids": [doc["id"]]}).status_code == 404
    assert other_api.post("documents/download_urls/bulk_create", json={"ids": [doc["id"]]}).status_code == 404
    assert other_api.get(f"{FOLDERS}/{f['id']}").status_code == 404
    assert other_api.put(f"{FOLDERS}/{f['id']}", json={"name": "mine now"}).status_code == 404
    assert other_api.get(DOCS, params={"ids[]": [doc["id"]]}).json()["data"] == []
    assert other_api.get(FOLDERS, params={"ids[]": [f["id"]]}).json()["data"] == []
    assert api.get(path).json() == doc
    assert api.get(f"{FOLDERS}/{f['id']}").json() == f
    with transaction(session_factory) as s:
        assert s.get(Folder, int(f["id"])).name == f["name"]  # type: ignore[union-attr]
