"""documents/download_urls/bulk_create and the signed ``/files/{token}`` route.

Expired URLs are minted with a signer whose clock is in the past (the app's own key), so no test waits.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from expensehub.config import Settings
from expensehub.documents.context import DocumentsConfig, UrlSigner
from tests.api.test_documents_api import DOCS, JPEG, PDF, uploaded
from tests.factories import ApiClient, Tenant

URLS = "documents/download_urls/bulk_create"


def urls(api: ApiClient, *ids: str) -> list[dict[str, Any]]:
    r = api.post(URLS, json={"ids": list(ids)})
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signer(settings: Settings, now: int) -> UrlSigner:
    return DocumentsConfig.from_settings(settings).signer("http://testserver", now)


def test_bulk_create_and_download_without_a_key(api: ApiClient, http: TestClient) -> None:
    a = uploaded(api, PDF + b"% a", filename="Factura café.pdf")
    b = uploaded(api, JPEG, filename="ticket.jpg", mime="image/jpeg")
    got = urls(api, b["id"], a["id"], b["id"])
    assert [u["id"] for u in got] == [b["id"], a["id"]]
    assert all(u["url"].startswith("http://testserver/files/") for u in got)
    r = http.get(path_of(got[1]["url"]))  # no x-api-key header
    assert r.status_code == 200
    assert r.content == PDF + b"% a"
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"Factura cafe.pdf\"; filename*=UTF-8''Factura%20caf%C3%A9.pdf"
    )
    r = http.get(path_of(got[0]["url"]), params={"disposition": "inline"})
    assert r.status_code == 200
    assert r.content == JPEG
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"].startswith("inline;")
    assert http.head(path_of(got[0]["url"])).status_code == 200
    r = http.get(path_of(got[1]["url"]), headers={"Range": "bytes=0-3"})
    assert r.status_code == 206
    assert r.content == b"%PDF"


def test_urls_follow_the_public_base_url_setting(api: ApiClient, settings: Settings) -> None:
    doc = uploaded(api)
    cfg = DocumentsConfig.from_settings(settings.model_copy(update={"public_base_url": "https://x.example/"}))
    assert (
        cfg.signer("http://testserver", 0)
        .url(document_id=1, company_id=1, sha256="a" * 64)
        .startswith("https://x.example/files/")
    )
    assert urls(api, doc["id"])[0]["url"].startswith("http://testserver/files/")


def test_expired_url_is_403_and_serves_nothing(
    api: ApiClient, tenant: Tenant, http: TestClient, settings: Settings
) -> None:
    doc = uploaded(api)
    old = signer(settings, now=1_000_000).url(
        document_id=int(doc["id"]), company_id=tenant.company_id, sha256=_sha(api, http, doc)
    )
    r = http.get(path_of(old))
    assert r.status_code == 403
    assert r.json()["code"] == "download_url_expired"
    assert PDF not in r.content


def _sha(api: ApiClient, http: TestClient, doc: dict[str, Any]) -> str:
    import hashlib

    url = urls(api, doc["id"])[0]["url"]
    return hashlib.sha256(http.get(path_of(url)).content).hexdigest()


def test_tampered_urls_are_403(api: ApiClient, tenant: Tenant, http: TestClient) -> None:
    mine = uploaded(api)
    other = uploaded(api, PDF + b"% other")
    token = path_of(urls(api, mine["id"])[0]["url"]).rsplit("/", 1)[-1]
    doc_id, company_id, prefix, expires, mac = token.split(".")
    tampered = [
        f"{other['id']}.{company_id}.{prefix}.{expires}.{mac}",  # another document
        f"{doc_id}.{int(company_id) + 1}.{prefix}.{expires}.{mac}",  # another company
        f"{doc_id}.{company_id}.{'0' * 16}.{expires}.{mac}",  # other content
        f"{doc_id}.{company_id}.{prefix}.{int(expires) + 10**6}.{mac}",  # a longer life
        f"{doc_id}.{company_id}.{prefix}.{expires}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        f"{doc_id}.{company_id}.{prefix}.{expires}",
        "not-a-token",
        "." * 20,
        "x" * 600,
    ]
    for bad in tampered:
        r = http.get(f"/files/{bad}")
        assert r.status_code == 403, bad
        assert r.json()["code"] == "invalid_download_url"
        assert PDF not in r.content


def test_another_companys_documents_are_never_served(
    api: ApiClient, other_api: ApiClient, other_tenant: Tenant, http: TestClient, settings: Settings
) -> None:
    theirs = uploaded(other_api, PDF + b"% confidential")
    mine = uploaded(api)
    assert api.post(URLS, json={"ids": [theirs["id"]]}).status_code == 404
    assert api.post(URLS, json={"ids": [mine["id"], theirs["id"]]}).status_code == 404
    # a validly signed URL naming their document under my company is still not theirs
    forged = signer(settings, now=2**31).url(
        document_id=int(theirs["id"]), company_id=int(mine["company_id"]), sha256="0" * 64
    )
    r = http.get(path_of(forged))
    assert r.status_code in (403, 404)
    assert b"confidential" not in r.content


def test_deleted_document_url_is_404(api: ApiClient, http: TestClient) -> None:
    doc = uploaded(api)
    url = urls(api, doc["id"])[0]["url"]
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [doc["id"]]})
    assert http.get(path_of(url)).status_code == 200  # trashed documents can still be looked at
    assert urls(api, doc["id"])  # and get URLs
    assert api.delete(f"{DOCS}/{doc['id']}").status_code == 200
    r = http.get(path_of(url))
    assert r.status_code == 404
    assert r.json()["code"] == "document_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": ["x"]},
        {"ids": "1"},
        {"ids": [str(i) for i in range(1, 102)]},
        {"ids": [None]},
    ],
)
def test_bad_bulk_create_bodies_are_422(api: ApiClient, body: dict[str, Any]) -> None:
    r = api.post(URLS, json=body)
    assert r.status_code == 422, r.text


def test_unknown_id_is_404(api: ApiClient) -> None:
    doc = uploaded(api)
    r = api.post(URLS, json={"ids": [doc["id"], "999999999"]})
    assert r.status_code == 404
    assert "999999999" in r.json()["message"]
    assert api.post(URLS, content=b"{", headers={"content-type": "application/json"}).status_code == 400
