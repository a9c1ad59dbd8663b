"""The trash purge and the blob garbage collection, on a real database and store; the CLI commands."""

from __future__ import annotations

import csv
import io
import os
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from expensehub.config import Settings
from expensehub.db.engine import transaction
from expensehub.documents import service
from expensehub.documents.context import DocumentsConfig
from expensehub.documents.storage import blob_key, stage_bytes
from expensehub.kit.clock import utcnow
from expensehub.models.documents import Document, StoredBlob
from expensehub.webhooks.rules import Author
from tests.api.test_documents_api import DOCS, PDF, uploaded
from tests.factories import ApiClient, Tenant
from tests.waiting import HANG_S, blocked_in_query, wait_for

runner = CliRunner()


def age(factory: sessionmaker[Session], document_id: str, *, trashed_days_ago: int) -> None:
    with transaction(factory) as s:
        s.execute(
            update(Document)
            .where(Document.id == int(document_id))
            .values(deleted_at=utcnow() - timedelta(days=trashed_days_ago))
        )


def blob_of(factory: sessionmaker[Session], document_id: str) -> str:
    with transaction(factory) as s:
        return str(s.scalar(select(Document.blob_sha256).where(Document.id == int(document_id))))


def make_blobs_old(factory: sessionmaker[Session], *hashes: str) -> None:
    with transaction(factory) as s:
        s.execute(
            update(StoredBlob)
            .where(StoredBlob.sha256.in_(hashes))
            .values(last_used_at=utcnow() - timedelta(hours=2))
        )


def test_purge_deletes_old_trash_and_unused_blobs_only(
    api: ApiClient, tenant: Tenant, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    config = DocumentsConfig.from_settings(settings)
    shared = PDF + b"% shared by two documents"
    old, fresh, kept = uploaded(api, PDF + b"% old"), uploaded(api, PDF + b"% fresh"), uploaded(api, shared)
    twin = uploaded(api, shared)
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [old["id"], fresh["id"], twin["id"]]})
    age(session_factory, old["id"], trashed_days_ago=31)
    age(session_factory, twin["id"], trashed_days_ago=45)
    age(session_factory, fresh["id"], trashed_days_ago=29)
    hashes = {d["id"]: blob_of(session_factory, d["id"]) for d in (old, fresh, kept, twin)}
    make_blobs_old(session_factory, *hashes.values())

    now = utcnow()
    with transaction(session_factory) as s:
        assert service.purge_trashed(s, now=now) >= 2
    with transaction(session_factory) as s:
        assert service.purge_blobs(s, store=config.store, now=now) >= 1

    assert api.get(f"{DOCS}/{old['id']}").status_code == 404
    assert api.get(f"{DOCS}/{twin['id']}").status_code == 404
    assert api.get(f"{DOCS}/{fresh['id']}").json()["deleted_at"] is not None
    assert not config.store.exists(blob_key(hashes[old["id"]]))
    assert config.store.exists(blob_key(hashes[fresh["id"]]))
    assert config.store.exists(blob_key(hashes[kept["id"]]))  # still used by `kept`


def test_recently_used_blobs_survive_the_purge(
    api: ApiClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    config = DocumentsConfig.from_settings(settings)
    doc = uploaded(api, PDF + b"% deleted just now")
    sha = blob_of(session_factory, doc["id"])
    api.delete(f"{DOCS}/{doc['id']}")
    with transaction(session_factory) as s:
        service.purge_blobs(s, store=config.store, now=utcnow())
    assert config.store.exists(blob_key(sha))  # an upload of the same bytes may be in flight
    make_blobs_old(session_factory, sha)
    with transaction(session_factory) as s:
        service.purge_blobs(s, store=config.store, now=utcnow())
    assert not config.store.exists(blob_key(sha))
    with transaction(session_factory) as s:
        assert s.get(StoredBlob, sha) is None


def test_orphan_files_are_swept(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    config = DocumentsConfig.from_settings(settings)
    staged = stage_bytes(config.staging_dir, b"bytes no row points at", limit=1000)
    key = blob_key(staged.sha256)
    config.store.put(key, staged.path)
    path = config.store.local_path(key)
    assert path is not None
    with transaction(session_factory) as s:
        service.sweep_orphan_files(s, store=config.store, now=utcnow())  # type: ignore[arg-type]
    assert path.exists()  # too recent: an upload may be about to commit its row
    os.utime(path, (0, 0))
    with transaction(session_factory) as s:
        assert service.sweep_orphan_files(s, store=config.store, now=utcnow()) >= 1  # type: ignore[arg-type]
    assert not path.exists()


@pytest.fixture
def env(db_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("EXPENSEHUB_STORAGE_DIR", settings.storage_dir)
    return settings


def test_cli_purge(env: Settings, api: ApiClient, session_factory: sessionmaker[Session]) -> None:
    doc = uploaded(api, PDF + b"% cli purge")
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [doc["id"]]})
    age(session_factory, doc["id"], trashed_days_ago=3)
    result = runner.invoke(app, ["documents", "purge", "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    assert api.get(f"{DOCS}/{doc['id']}").status_code == 200
    result = runner.invoke(app, ["documents", "purge", "--older-than-days", "2"])
    assert result.exit_code == 0, result.output
    assert "documents deleted" in result.output
    assert api.get(f"{DOCS}/{doc['id']}").status_code == 404


def test_cli_export_receipts(env: Settings, api: ApiClient, tenant: Tenant, tmp_path: Path) -> None:
    doc = uploaded(api, PDF + b"% cli export")
    body = {
        "employee_id": str(tenant.employee_ids[0]),
        "amount": 1999,
        "currency": "EUR",
        "effective_on": "2026-05-05",
        "document_ids": [doc["id"]],
    }
    e = api.post("expenses/expenses", json=body).json()
    out = tmp_path / "bundle.zip"
    args = ["export", "receipts", "--from", "2026-05-01", "--to", "2026-05-31", "--out", str(out)]
    result = runner.invoke(app, [*args, "--company", str(tenant.company_id)])
    assert result.exit_code == 0, result.output
    assert "Receipt bundle" in result.output
    with zipfile.ZipFile(out) as z:
        name = f"{e['expenses_expensable_id']}_1.pdf"
        assert z.namelist() == [name, "manifest.csv"]
        assert z.read(name) == PDF + b"% cli export"
        rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode())))
    assert rows[0]["amount"] == "19.99"
    assert rows[0]["employee_name"] == "Ana García"
    assert not out.with_name("bundle.zip.part").exists()
    # the same bytes as the API's bundle, entry for entry
    r = api.get("documents/receipt_bundles", params={"from": "2026-05-01", "to": "2026-05-31"})
    with zipfile.ZipFile(io.BytesIO(r.content)) as api_zip, zipfile.ZipFile(out) as cli_zip:
        assert api_zip.read(name) == cli_zip.read(name)


def test_cli_export_refuses_bad_input(env: Settings, tenant: Tenant, tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    base = ["export", "receipts", "--out", str(out), "--company", str(tenant.company_id)]
    for extra in (
        ["--from", "2026-05-02", "--to", "2026-05-01"],
        ["--from", "2026-05-01", "--to", "2026-05-31", "--status", "lost"],
        ["--from", "05/01/2026", "--to", "2026-05-31"],
    ):
        assert runner.invoke(app, [*base, *extra]).exit_code == 2, extra
    result = runner.invoke(
        app,
        [
            "export",
            "receipts",
            "--out",
            str(out),
            "--from",
            "2026-05-01",
            "--to",
            "2026-05-02",
            "--company",
            "987654321",
        ],
    )
    assert result.exit_code == 2
    assert not out.exists()


def test_purge_spares_a_document_restored_while_it_runs(
    api: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    doc = uploaded(api, PDF + b"% restored during the purge")
    api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [doc["id"]]})
    age(session_factory, doc["id"], trashed_days_ago=40)
    purged: list[int] = []

    def purge() -> None:
        with transaction(session_factory) as s:
            purged.append(service.purge_trashed(s, now=utcnow()))

    with transaction(session_factory) as restoring:
        service.change_trash_bin(
            restoring,
            company_id=tenant.company_id,
            ids=[int(doc["id"])],
            action="restore_from_trash_bin",
            author=Author.company(tenant.company_id),
        )
        purger = threading.Thread(target=purge)
        purger.start()
        # The purge reaches its locking read of the trash and waits there for the restore to end.
        wait_for(lambda: blocked_in_query(purger, "trashed_before"), what="the purge to wait for the lock")
    purger.join(HANG_S)
    assert not purger.is_alive()
    assert api.get(f"{DOCS}/{doc['id']}").json()["deleted_at"] is None
    assert purged == [0]
