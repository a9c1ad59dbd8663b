"""Receipt bundles: one streamed ZIP of receipts plus a ``manifest.csv`` an ERP import can follow.

``zip_stream`` turns an iterable of ``BundleEntry`` into the bytes of a ZIP file as they are produced,
1 MB at a time, through ``zipstream.ZipWriter``: memory stays flat whatever the number and size of the
files (entries use data descriptors, so nothing seeks; the central directory is spooled to a temporary
file; ZIP64 past 4 GiB or 65,535 entries). Already-compressed formats (JPEG, PNG, PDF, Office XML...)
are STORED; the rest DEFLATED. The manifest rows are spooled to a temporary file too (on disk past
1 MB) and written as the last entry, ``manifest.csv``.

Names inside the archive are ours: ``<expensable id>_<n>.<ext>``, n counting each expense's receipts
from 1, so no user file name ever becomes a path.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from expensehub.documents.storage import FileStore
from expensehub.documents.zipstream import ZipWriter

READ_CHUNK = 1024 * 1024
OUT_CHUNK = 1024 * 1024
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = (
    "file",
    "expensable_id",
    "expense_id",
    "document_id",
    "receipt_number",
    "original_filename",
    "content_type",
    "byte_size",
    "sha256",
    "effective_on",
    "amount",
    "amount_minor",
    "currency",
    "employee_id",
    "employee_name",
    "status",
    "merchant",
    "description",
    "note",
)
# Cells an ERP or spreadsheet could read as a formula are prefixed with a quote (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEXT_COLUMNS = frozenset({"original_filename", "employee_name", "merchant", "description", "note"})


@dataclass(frozen=True)
class BundleEntry:
    """One receipt to put in the bundle, and its manifest row."""

    name: str
    key: str
    size: int
    compress: bool
    modified: datetime
    manifest: dict[str, Any]


@dataclass
class BundleStats:
    """What a finished bundle holds."""

    files: int = 0
    bytes_in: int = 0
    missing: int = 0
    expenses: int = 0


def safe_cell(column: str, value: Any) -> str:
    """A manifest cell: text columns never start like a formula."""
    text = "" if value is None else str(value)
    if column in _TEXT_COLUMNS and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def zip_stream(
    entries: Iterable[BundleEntry],
    store: FileStore,
    *,
    stats: BundleStats | None = None,
    on_entry: Callable[[BundleEntry, bool], None] | None = None,
    force_zip64: bool = False,
) -> Iterator[bytes]:
    """The bytes of a ZIP of ``entries`` (read from ``store``) followed by ``manifest.csv``.

    An entry whose bytes are missing from the store is left out and flagged in the manifest's ``note``.
    ``on_entry(entry, written)`` is called after each entry (for progress bars).
    """
    stats = stats if stats is not None else BundleStats()
    writer = ZipWriter(force_zip64=force_zip64)
    with tempfile.SpooledTemporaryFile(
        max_size=1024 * 1024, mode="w+", newline="", encoding="utf-8"
    ) as manifest:
        try:
            yield from _coalesce(_write(entries, store, writer, manifest, stats, on_entry))
        finally:
            writer.abort()


def _coalesce(parts: Iterator[bytes], size: int = OUT_CHUNK) -> Iterator[bytes]:
    """Join small pieces (headers, descriptors, small files) into chunks of about ``size`` bytes:
    one write or one ASGI message per chunk instead of three per receipt."""
    pending: list[bytes] = []
    held = 0
    for part in parts:
        pending.append(part)
        held += len(part)
        if held >= size:
            yield b"".join(pending)
            pending.clear()
            held = 0
    if pending:
        yield b"".join(pending)


def _write(
    entries: Iterable[BundleEntry],
    store: FileStore,
    writer: ZipWriter,
    manifest: Any,
    stats: BundleStats,
    on_entry: Callable[[BundleEntry, bool], None] | None,
) -> Iterator[bytes]:
    rows = csv.DictWriter(manifest, fieldnames=MANIFEST_COLUMNS, lineterminator="\r\n")
    rows.writeheader()
    last_expense: Any = None
    latest = datetime(1980, 1, 1)
    for entry in entries:
        row = dict(entry.manifest)
        if row.get("expense_id") != last_expense:
            stats.expenses += 1
            last_expense = row.get("expense_id")
        try:
            source = store.open(entry.key)
        except FileNotFoundError:
            stats.missing += 1
            row["file"] = ""
            row["note"] = "missing from storage"
            rows.writerow({c: safe_cell(c, row.get(c)) for c in MANIFEST_COLUMNS})
            if on_entry is not None:
                on_entry(entry, False)
            continue
        latest = max(latest, entry.modified.replace(tzinfo=None))
        with source:
            yield writer.start(
                entry.name, modified=entry.modified, deflate=entry.compress, size_hint=entry.size
            )
            while chunk := source.read(READ_CHUNK):
                stats.bytes_in += len(chunk)
                if out := writer.write(chunk):
                    yield out
            yield writer.finish()
        stats.files += 1
        row["file"] = entry.name
        rows.writerow({c: safe_cell(c, row.get(c)) for c in MANIFEST_COLUMNS})
        if on_entry is not None:
            on_entry(entry, True)
    manifest.seek(0)
    yield writer.start(MANIFEST_NAME, modified=latest, deflate=True)
    while text := manifest.read(256 * 1024):
        if out := writer.write(text.encode("utf-8")):
            yield out
    yield writer.finish()
    yield from writer.close()
