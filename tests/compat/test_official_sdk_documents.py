"""The official SDK (factorial-api-client 3.0.0) uploads, lists, updates, trashes, restores, deletes
documents, gets download URLs and manages folders against a live expensehub (uvicorn on loopback).

Every parsed model serialises back to exactly the JSON the server sent (``to_dict() == raw``), and
carries no field the SDK does not know. The test works in its own company, so the demo company the
other compat tests list is left as it was.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from factorial_api_client import FactorialClient
from factorial_api_client.generated.api.documents_document import (
    get_api_2026_10_01_resources_documents_documents_id as get_document,
)
from factorial_api_client.generated.api.expenses_expense import (
    get_api_2026_10_01_resources_expenses_expenses_id as get_expense,
)
from factorial_api_client.generated.models.post_api_20261001_resources_documents_documents_body import (
    PostApi20261001ResourcesDocumentsDocumentsBody as UploadBody,
)
from factorial_api_client.generated.models.post_api_20261001_resources_documents_documents_body_space import (
    PostApi20261001ResourcesDocumentsDocumentsBodySpace as Space,
)
from factorial_api_client.generated.models.post_api_20261001_resources_documents_documents_move_to_trash_bin_body import (  # noqa: E501
    PostApi20261001ResourcesDocumentsDocumentsMoveToTrashBinBody as TrashBody,
)
from factorial_api_client.generated.models.post_api_20261001_resources_documents_documents_restore_from_trash_bin_body import (  # noqa: E501
    PostApi20261001ResourcesDocumentsDocumentsRestoreFromTrashBinBody as RestoreBody,
)
from factorial_api_client.generated.models.post_api_20261001_resources_documents_download_urls_bulk_create_body import (  # noqa: E501
    PostApi20261001ResourcesDocumentsDownloadUrlsBulkCreateBody as UrlsBody,
)
from factorial_api_client.generated.models.post_api_20261001_resources_documents_folders_body import (
    PostApi20261001ResourcesDocumentsFoldersBody as FolderBody,
)
from factorial_api_client.generated.models.put_api_20261001_resources_documents_documents_id_body import (
    PutApi20261001ResourcesDocumentsDocumentsIdBody as UpdateBody,
)
from factorial_api_client.generated.models.put_api_20261001_resources_documents_folders_id_body import (
    PutApi20261001ResourcesDocumentsFoldersIdBody as FolderUpdateBody,
)
from factorial_api_client.generated.types import File
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.models import Employee
from tests.compat.conftest import LiveServer
from tests.factories import Tenant, make_tenant
from tests.waiting import HANG_S

PDF = b"%PDF-1.7\n% uploaded by the official SDK\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x42" * 300 + b"\xff\xd9"


@pytest.fixture(scope="module")
def tenant(live_server: LiveServer, session_factory: sessionmaker[Session]) -> Tenant:
    return make_tenant(session_factory, name="SDK Documents SL")


@pytest.fixture(scope="module")
def access_id(tenant: Tenant, session_factory: sessionmaker[Session]) -> str:
    with transaction(session_factory) as s:
        return str(s.scalar(select(Employee.access_id).where(Employee.id == tenant.employee_ids[1])))


@pytest.fixture(scope="module")
def client(live_server: LiveServer, tenant: Tenant) -> FactorialClient:
    return FactorialClient(api_key=tenant.api_key, base_url=live_server.base_url)


@pytest.fixture(scope="module")
def raw(live_server: LiveServer, tenant: Tenant) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{live_server.base_url}/api/2026-10-01/resources",
        headers={"x-api-key": tenant.api_key},
        timeout=HANG_S,  # the suite runs on loaded 2-core machines; speed is not under test here
    ) as http:
        yield http


def upload(
    client: FactorialClient, tenant: Tenant, access_id: str, data: bytes, name: str, **extra: Any
) -> Any:
    body = UploadBody(
        public=False,
        space=Space.COMPANY_INTERNAL,
        is_pending_assignment=False,
        file=File(payload=io.BytesIO(data), file_name=name),
        author_id=access_id,
        company_id=str(tenant.company_id),
        signee_ids=[access_id],
        request_esignature=False,
        **extra,
    )
    return client.documents.documents.create(body=body)


def check(model: Any, sent: dict[str, Any]) -> None:
    assert model.to_dict() == sent
    assert not model.additional_properties, (
        f"fields the SDK does not know: {sorted(model.additional_properties)}"
    )


def test_documents_through_the_sdk(
    client: FactorialClient, raw: httpx.Client, tenant: Tenant, access_id: str, live_server: LiveServer
) -> None:
    folder = client.documents.folders.create(
        body=FolderBody(company_id=str(tenant.company_id), name="SDK receipts", space="employee_my_documents")
    )
    check(folder, raw.get(f"/documents/folders/{folder.id}").json())
    renamed = client.documents.folders.update(
        id=folder.id,
        body=FolderUpdateBody(company_id=str(tenant.company_id), id=folder.id, name="SDK tickets"),
    )
    assert renamed.name == "SDK tickets"
    assert [f.id for f in client.documents.folders.all(name="SDK tickets")] == [folder.id]

    created = upload(
        client, tenant, access_id, PDF, "receipt.pdf", folder_id=folder.id, file_filename="Ticket.pdf"
    )
    assert (created.filename, created.content_type, created.file_size) == (
        "Ticket.pdf",
        "application/pdf",
        len(PDF),
    )
    assert created.signees == [access_id]
    assert created.folder_id == folder.id
    check(created, raw.get(f"/documents/documents/{created.id}").json())
    photo = upload(client, tenant, access_id, JPEG, "photo.jpg")

    listed = client.documents.documents.all(limit=1)
    assert [d.id for d in listed] == [created.id, photo.id]
    raw_items = raw.get("/documents/documents").json()["data"]
    for model, sent in zip(listed, raw_items, strict=True):
        check(model, sent)
    assert [d.id for d in client.documents.documents.all(folder_id=folder.id)] == [created.id]

    updated = client.documents.documents.update(
        id=photo.id,
        body=UpdateBody(id=photo.id, public=True, request_esignature=True, signee_ids=[access_id]),
    )
    assert updated.public is True
    assert updated.signature_status.value == "pending"
    one = get_document.sync_detailed(photo.id, client=client._client)
    check(one.parsed, json.loads(one.content))

    trashed = client.documents.documents.move_to_trash_bin(body=TrashBody(document_ids=[photo.id]))
    assert [d.id for d in trashed] == [photo.id]
    assert trashed[0].deleted_at
    assert [d.id for d in client.documents.documents.all()] == [created.id]
    assert [d.id for d in client.documents.documents.all(by_trash_bin=True)] == [photo.id]
    restored = client.documents.documents.restore_from_trash_bin(body=RestoreBody(document_ids=[photo.id]))
    assert restored[0].deleted_at is None
    assert [d.id for d in client.documents.documents.all()] == [created.id, photo.id]

    urls = client.documents.download_urls.bulk_create(body=UrlsBody(ids=[created.id, photo.id]))
    assert [u.id for u in urls] == [created.id, photo.id]
    assert all(u.url.startswith(f"{live_server.base_url}/files/") for u in urls)
    assert httpx.get(urls[0].url, timeout=HANG_S).content == PDF  # no API key
    assert httpx.get(urls[1].url, timeout=HANG_S).content == JPEG
    tampered = urls[0].url[:-2] + ("AA" if not urls[0].url.endswith("AA") else "BB")
    assert httpx.get(tampered, timeout=HANG_S).status_code == 403

    deleted = client.documents.documents.delete(id=photo.id)
    assert deleted.id == photo.id
    assert httpx.get(urls[1].url, timeout=HANG_S).status_code == 404
    assert [d.id for d in client.documents.documents.all()] == [created.id]


def test_expense_files_parse_in_the_sdk(
    client: FactorialClient, raw: httpx.Client, tenant: Tenant, access_id: str
) -> None:
    doc = upload(client, tenant, access_id, PDF + b"% for an expense", "ticket.pdf")
    body = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 2500,
        "currency": "EUR",
        "effective_on": "2026-06-01",
        "document_ids": [doc.id],
    }
    e = raw.post("/expenses/expenses", json=body).json()
    response = get_expense.sync_detailed(e["id"], client=client._client)
    sent = json.loads(response.content)
    parsed = response.parsed
    assert parsed is not None
    assert parsed.to_dict() == sent
    assert parsed.document_id == doc.id
    [receipt] = parsed.files
    assert (receipt.id, receipt.filename, receipt.content_type) == (doc.id, "ticket.pdf", "application/pdf")
    assert httpx.get(receipt.download_url, timeout=HANG_S).content == PDF + b"% for an expense"
