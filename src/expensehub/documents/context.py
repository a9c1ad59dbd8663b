"""What the documents domain needs from the process: the file store, limits, and URL signing.

``DocumentsConfig`` is built once per process from the settings (``from_settings``). ``UrlSigner``
mints download URLs for one request: absolute (``{base_url}/files/{token}``), bound to the document,
its company and the first 16 hex digits of its content hash (so a URL never serves other bytes, even
if an id is ever reused), and valid for ``ttl`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from expensehub.config import Settings
from expensehub.documents.storage import FileStore, LocalFileStore, signing_secret
from expensehub.kit.signing import TokenError, make_token, read_token

DOWNLOAD_PURPOSE = "expensehub/document-download/v1"
FILES_PATH = "/files"


@dataclass(frozen=True)
class DocumentsConfig:
    """The file store and the knobs of uploads and download URLs."""

    store: FileStore
    staging_dir: Path
    secret: bytes
    url_ttl_seconds: int
    max_upload_bytes: int
    public_base_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentsConfig:
        store = LocalFileStore(settings.storage_dir)
        configured = settings.secret_key.get_secret_value() if settings.secret_key else None
        return cls(
            store=store,
            staging_dir=store.tmp_dir,
            secret=signing_secret(configured, settings.storage_dir),
            url_ttl_seconds=settings.download_url_ttl_seconds,
            max_upload_bytes=settings.max_upload_bytes,
            public_base_url=settings.public_base_url,
        )

    def signer(self, request_base_url: str, now: int) -> UrlSigner:
        """A signer for URLs handed out now, on ``public_base_url`` or else the request's base URL."""
        base = (self.public_base_url or request_base_url).rstrip("/")
        return UrlSigner(secret=self.secret, base_url=base, ttl=self.url_ttl_seconds, now=now)


@dataclass(frozen=True)
class UrlSigner:
    """Mints signed download URLs valid until ``now + ttl``."""

    secret: bytes
    base_url: str
    ttl: int
    now: int

    @property
    def expires_at(self) -> int:
        return self.now + self.ttl

    def token(self, *, document_id: int, company_id: int, sha256: str) -> str:
        fields = [str(document_id), str(company_id), sha256[:16]]
        return make_token(self.secret, DOWNLOAD_PURPOSE, fields, self.expires_at)

    def url(self, *, document_id: int, company_id: int, sha256: str, inline: bool = False) -> str:
        token = self.token(document_id=document_id, company_id=company_id, sha256=sha256)
        return f"{self.base_url}{FILES_PATH}/{token}" + ("?disposition=inline" if inline else "")


@dataclass(frozen=True)
class DownloadGrant:
    """What a valid download token allows: one document of one company, with this content."""

    document_id: int
    company_id: int
    sha256_prefix: str


def read_download_token(secret: bytes, token: str, now: int) -> DownloadGrant:
    """Decode a download token; raises ``kit.signing.TokenError`` / ``TokenExpired``."""
    document_id, company_id, prefix = read_token(secret, DOWNLOAD_PURPOSE, token, now=now, arity=3)
    if not document_id.isdigit() or not company_id.isdigit() or len(prefix) != 16:
        raise TokenError("malformed token")
    return DownloadGrant(int(document_id), int(company_id), prefix)
