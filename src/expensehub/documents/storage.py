"""The file store: content-addressed blobs behind a narrow interface, plus upload staging.

* ``FileStore`` is all the domain needs from a store: put a staged local file under a key, open a key
  for reading, delete a key, and (optionally) a local path to serve from. Keys are ours
  (``blobs/ab/cd/<sha256>``), never a user's file name. An S3-compatible store implements the same five
  methods (``put`` = upload, ``open`` = a streaming GET, ``local_path`` = ``None``).
* ``LocalFileStore`` keeps blobs on the local filesystem under ``storage_dir``. A blob is written once:
  identical bytes share one key, and ``put`` of a key that exists only drops the staged copy.
* ``Staging`` receives an upload chunk by chunk into a temporary file under ``<storage_dir>/tmp``,
  hashing (SHA-256) and counting as it goes, and refuses it as soon as it passes the size limit. The
  upload never sits in memory.
* ``signing_secret`` returns the URL-signing key: the configured one, else a random key generated once
  and kept in ``<storage_dir>/.secret_key`` (mode 0600), shared by every process using that directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from expensehub.errors import PayloadTooLarge

CHUNK = 1024 * 1024
SECRET_FILE = ".secret_key"  # noqa: S105 (a file name, not a secret)


class FileStore(Protocol):
    """Where document bytes live. Keys are opaque, ours, and never reused for other bytes."""

    def put(self, key: str, source: Path) -> None:
        """Store the bytes of the local file ``source`` under ``key``; ``source`` is consumed."""

    def open(self, key: str) -> BinaryIO:
        """A binary file object reading the bytes of ``key``; ``FileNotFoundError`` when absent."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds bytes."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is already gone)."""

    def local_path(self, key: str) -> Path | None:
        """A local path to serve ``key`` from, or ``None`` when the store is not local."""


def blob_key(sha256: str) -> str:
    """The store key of the blob whose SHA-256 (lowercase hex) is ``sha256``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class LocalFileStore:
    """Blobs as files under ``root`` (created on first use), written atomically (rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
            raise ValueError(f"invalid store key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, source: Path) -> None:
        target = self._path(key)
        if target.exists():
            source.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source, 0o640)
        os.replace(source, target)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def iter_blob_keys(self) -> Iterator[tuple[str, float]]:
        """Every blob key with its modification time (for the orphan sweep of ``documents purge``)."""
        base = self.root / "blobs"
        if not base.is_dir():
            return
        for path in base.glob("*/*/*"):
            if path.is_file():
                yield f"blobs/{path.parent.parent.name}/{path.parent.name}/{path.name}", path.stat().st_mtime

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def sweep_tmp(self, older_than_seconds: float) -> int:
        """Delete staging files left behind by interrupted uploads; returns how many."""
        if not self.tmp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.tmp_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed


@dataclass
class StagedFile:
    """An upload received in full: where it is, its SHA-256, its size and the client's metadata."""

    path: Path
    sha256: str
    size: int
    filename: str | None = None
    content_type: str | None = None

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class Staging:
    """Receives one upload chunk by chunk; 413 (``PayloadTooLarge``) as soon as it passes ``limit``."""

    directory: Path
    limit: int
    filename: str | None = None
    content_type: str | None = None
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, init=False, repr=False)
    _size: int = field(default=0, init=False)
    _file: IO[bytes] | None = field(default=None, init=False, repr=False)
    _path: Path | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=self.directory)
        self._file = os.fdopen(fd, "wb")
        self._path = Path(name)

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("staging is closed")
        self._size += len(chunk)
        if self._size > self.limit:
            self.abort()
            raise PayloadTooLarge(
                f"the file exceeds the upload limit of {self.limit} bytes", code="file_too_large"
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StagedFile:
        if self._file is None or self._path is None:
            raise ValueError("staging is closed")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        return StagedFile(
            path=self._path,
            sha256=self._hash.hexdigest(),
            size=self._size,
            filename=self.filename,
            content_type=self.content_type,
        )

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)


def stage_bytes(directory: Path, data: bytes, *, limit: int, filename: str | None = None) -> StagedFile:
    """Stage ``data`` (small payloads built in code: tests, imports)."""
    staging = Staging(directory, limit, filename=filename)
    for start in range(0, max(len(data), 1), CHUNK):
        staging.write(data[start : start + CHUNK])
    return staging.finish()


def stage_batch(directory: Path, payloads: Sequence[bytes], *, limit: int) -> list[StagedFile]:
    """Stage many small payloads built in code (the demo's receipts), each synced to disk as an upload
    is (``Staging.finish``). The files are written first and then synced by a few threads at once: the
    disk groups concurrent syncs into one journal commit, where one sync after each file costs about a
    millisecond apiece on this machine (docs/benchmarks.md)."""
    for data in payloads:
        if len(data) > limit:
            raise PayloadTooLarge(
                f"the file exceeds the upload limit of {limit} bytes", code="file_too_large"
            )
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[StagedFile] = []
    batch = secrets.token_hex(8)
    try:
        for number, data in enumerate(payloads):
            path = directory / f"batch-{batch}-{number}.part"
            with path.open("xb") as fp:
                staged.append(StagedFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
                fp.write(data)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_fsync, [f.path for f in staged]))
    except BaseException:
        for f in staged:
            f.discard()
        raise
    return staged


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def signing_secret(configured: str | None, storage_dir: str | Path) -> bytes:
    """The URL-signing key: ``configured``, else the one kept in the storage directory (created once)."""
    if configured:
        return configured.encode()
    root = Path(storage_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another process may be writing it right now
        value = path.read_text().strip()
        if value:
            return value.encode()
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty; delete it or set EXPENSEHUB_SECRET_KEY")
