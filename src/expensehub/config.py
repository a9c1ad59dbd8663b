"""Settings, read from the environment (prefix ``EXPENSEHUB_``).

One ``Settings`` object is built in each entrypoint (API app, CLI command, worker) and passed down.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration of an expensehub process."""

    model_config = SettingsConfigDict(env_prefix="EXPENSEHUB_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///expensehub.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    host: str = Field(default="127.0.0.1", description="Address the API server binds to")
    port: int = Field(default=8000, description="Port the API server listens on")
    max_body_bytes: int = Field(
        default=1_048_576, description="Largest JSON request body accepted (413 beyond it)"
    )
    sql_echo: bool = Field(default=False, description="Log every SQL statement")
    storage_dir: str = Field(
        default="./expensehub-files",
        description="Directory of the file store (documents and receipts, content-addressed) and of "
        "upload staging files",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        description="Largest uploaded file accepted (413 beyond it, nothing stored)",
    )
    download_url_ttl_seconds: int = Field(
        default=900, ge=1, le=7 * 24 * 3600, description="Lifetime of signed document download URLs"
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Secret that signs download URLs. When unset, a random one is generated on first use "
        "and kept in <storage_dir>/.secret_key (set it explicitly when several hosts serve the API)",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Base URL put in front of download URLs, e.g. https://expenses.example.com. When unset, "
        "the API uses the URL the request came in on, and commands use http://{host}:{port}",
    )

    def base_url(self) -> str:
        """``public_base_url``, else ``http://{host}:{port}`` (for contexts without a request)."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")
