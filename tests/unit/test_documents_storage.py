"""The file store, upload staging, the multipart receiver and the streamed ZIP writer (no database)."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from expensehub.documents.bundles import MANIFEST_NAME, BundleEntry, BundleStats, safe_cell, zip_stream
from expensehub.documents.storage import LocalFileStore, Staging, blob_key, signing_secret, stage_bytes
from expensehub.documents.uploads import MultipartReceiver
from expensehub.errors import BadRequest, PayloadTooLarge, ValidationFailed

# --- store and staging -------------------------------------------------------------------------------


def test_identical_bytes_are_stored_once(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    a = stage_bytes(store.tmp_dir, b"same bytes", limit=100)
    b = stage_bytes(store.tmp_dir, b"same bytes", limit=100)
    assert a.sha256 == b.sha256
    assert a.path != b.path
    key = blob_key(a.sha256)
    store.put(key, a.path)
    store.put(key, b.path)
    blobs = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1
    assert blobs[0].name == a.sha256  # the stored name is ours, never the user's
    assert not a.path.exists()
    assert not b.path.exists()
    with store.open(key) as fp:
        assert fp.read() == b"same bytes"
    store.delete(key)
    store.delete(key)  # idempotent
    assert not store.exists(key)


@pytest.mark.parametrize("key", ["", "../x", "blobs/../../etc/passwd", "a//b", "a/./b", "a\\b", "a\x00b"])
def test_store_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        LocalFileStore(tmp_path).open(key)


def test_blob_key_needs_a_digest() -> None:
    with pytest.raises(ValueError):
        blob_key("../../etc/passwd")
    assert blob_key("ab" * 32).startswith("blobs/ab/ab/")


def test_staging_refuses_past_the_limit_and_leaves_nothing(tmp_path: Path) -> None:
    staging = Staging(tmp_path, limit=10)
    staging.write(b"12345")
    with pytest.raises(PayloadTooLarge):
        staging.write(b"123456")
    assert list(tmp_path.iterdir()) == []


def test_staging_hashes_and_counts(tmp_path: Path) -> None:
    import hashlib

    staging = Staging(tmp_path, limit=1000)
    for part in (b"abc", b"", b"def"):
        staging.write(part)
    staged = staging.finish()
    assert staged.size == 6
    assert staged.sha256 == hashlib.sha256(b"abcdef").hexdigest()
    assert staged.path.read_bytes() == b"abcdef"


def test_signing_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    first = signing_secret(None, tmp_path)
    assert len(first) >= 32
    assert signing_secret(None, tmp_path) == first
    assert os.stat(tmp_path / ".secret_key").st_mode & 0o077 == 0
    assert signing_secret("configured", tmp_path) == b"configured"


def test_sweep_tmp_removes_only_stale_files(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    staged = stage_bytes(store.tmp_dir, b"x", limit=10)
    assert store.sweep_tmp(older_than_seconds=3600) == 0
    os.utime(staged.path, (0, 0))
    assert store.sweep_tmp(older_than_seconds=3600) == 1


# --- multipart ---------------------------------------------------------------------------------------

BOUNDARY = "b0undary"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def receiver(tmp_path: Path, limit: int = 1000, max_files: int = 1) -> MultipartReceiver:
    return MultipartReceiver(
        CTYPE, staging_dir=tmp_path, max_file_bytes=limit, file_names={"file"}, max_files=max_files
    )


@pytest.mark.parametrize("chunk", [1, 7, 64, 10_000])
def test_multipart_in_any_chunking(tmp_path: Path, chunk: int) -> None:
    raw = body(
        ("public", None, b"True"),
        ("signee_ids[]", None, b"1"),
        ("signee_ids[]", None, b"2"),
        ("file", "reçu.pdf", b"%PDF-1.7 data"),
        ("file_filename", None, "caf\u00e9.pdf".encode()),
    )
    r = receiver(tmp_path)
    for start in range(0, len(raw), chunk):
        r.feed(raw[start : start + chunk])
    form = r.finish()
    assert form.fields == {"public": ["True"], "signee_ids[]": ["1", "2"], "file_filename": ["café.pdf"]}
    [(name, staged)] = form.files
    assert name == "file"
    assert staged.filename == "reçu.pdf"
    assert staged.path.read_bytes() == b"%PDF-1.7 data"
    form.discard()
    assert list(tmp_path.iterdir()) == []


def test_multipart_file_over_the_limit_is_413_and_nothing_stays(tmp_path: Path) -> None:
    r = receiver(tmp_path, limit=10)
    with pytest.raises(PayloadTooLarge):
        r.feed(body(("file", "a.pdf", b"x" * 11)))
    assert list(tmp_path.iterdir()) == []


def test_multipart_too_many_files(tmp_path: Path) -> None:
    r = receiver(tmp_path, max_files=1)
    with pytest.raises(ValidationFailed):
        r.feed(body(("file", "a.pdf", b"1"), ("file", "b.pdf", b"2")))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"not multipart at all",
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'.encode(),
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nabc\r\n--{BOUNDARY}--\r\n".encode(),
    ],
)
def test_malformed_multipart_is_400(tmp_path: Path, raw: bytes) -> None:
    r = receiver(tmp_path)

    def parse() -> None:
        r.feed(raw)
        r.finish()

    with pytest.raises(BadRequest):
        parse()
    assert list(tmp_path.iterdir()) == []


def test_non_utf8_field_is_422(tmp_path: Path) -> None:
    r = receiver(tmp_path)
    with pytest.raises(ValidationFailed):
        r.feed(body(("space", None, b"\xff\xfe")))


def test_unexpected_files_are_ignored(tmp_path: Path) -> None:
    r = receiver(tmp_path)
    r.feed(body(("other", "x.bin", b"zzz"), ("file", "a.pdf", b"%PDF-")))
    form = r.finish()
    assert [n for n, _ in form.files] == ["file"]
    assert "other" not in form.fields
    form.discard()


# --- streamed ZIP ------------------------------------------------------------------------------------


def _entry(store: LocalFileStore, tmp: Path, name: str, data: bytes, **manifest: object) -> BundleEntry:
    staged = stage_bytes(tmp, data, limit=10**9)
    key = blob_key(staged.sha256)
    store.put(key, staged.path)
    return BundleEntry(
        name=name,
        key=key,
        size=len(data),
        compress=name.endswith(".xml"),
        modified=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        manifest={"file": name, "expense_id": manifest.pop("expense_id", 1), **manifest},
    )


def test_zip_stream_is_a_valid_zip_with_manifest(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "store")
    entries = [
        _entry(store, store.tmp_dir, "10_1.pdf", b"%PDF-1" * 400_000, expense_id=1, merchant="=HYPERLINK(1)"),
        _entry(store, store.tmp_dir, "10_2.xml", b"<?xml?>" * 1000, expense_id=1),
        _entry(store, store.tmp_dir, "11_1.pdf", b"%PDF-2", expense_id=2),
    ]
    missing = BundleEntry(
        name="12_1.pdf",
        key=blob_key("cd" * 32),
        size=5,
        compress=False,
        modified=datetime(2026, 1, 1, tzinfo=UTC),
        manifest={"file": "12_1.pdf", "expense_id": 3},
    )
    stats = BundleStats()
    chunks = list(zip_stream([*entries, missing], store, stats=stats))
    assert len(chunks) > 1  # produced as it goes (about 1 MB at a time), not at the end
    assert max(len(c) for c in chunks) < 3 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as z:
        assert z.testzip() is None
        assert z.namelist() == ["10_1.pdf", "10_2.xml", "11_1.pdf", MANIFEST_NAME]
        assert z.read("10_1.pdf") == b"%PDF-1" * 400_000
        assert z.getinfo("10_1.pdf").compress_type == zipfile.ZIP_STORED
        assert z.getinfo("10_2.xml").compress_type == zipfile.ZIP_DEFLATED
        rows = list(csv.DictReader(io.StringIO(z.read(MANIFEST_NAME).decode())))
    assert [r["file"] for r in rows] == ["10_1.pdf", "10_2.xml", "11_1.pdf", ""]
    assert rows[0]["merchant"] == "'=HYPERLINK(1)"
    assert rows[3]["note"] == "missing from storage"
    assert (stats.files, stats.missing, stats.expenses) == (3, 1, 3)


def test_empty_bundle_holds_only_the_manifest(tmp_path: Path) -> None:
    data = b"".join(zip_stream([], LocalFileStore(tmp_path)))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == [MANIFEST_NAME]
        assert z.read(MANIFEST_NAME).decode().startswith("file,expensable_id,")


def test_safe_cell_only_guards_text_columns() -> None:
    assert safe_cell("description", "+34 600") == "'+34 600"
    assert safe_cell("amount", "-12.00") == "-12.00"
    assert safe_cell("merchant", None) == ""
