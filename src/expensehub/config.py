"""Settings, read from the environment (prefix ``EXPENSEHUB_``).

One ``Settings`` object is built in each entrypoint (API app, CLI command, worker) and passed down.
``load_settings`` builds it from the environment and turns a bad value into a ``SettingsError`` whose
message names the variable.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "EXPENSEHUB_"
# Values never repeated in an error message (they may hold passwords or keys).
_SECRET_FIELDS = frozenset({"database_url", "report_database_url", "secret_key"})


class SettingsError(ValueError):
    """The environment holds invalid settings; the message names each ``EXPENSEHUB_*`` variable."""


def default_data_dir() -> str:
    """``$XDG_DATA_HOME/expensehub``, else ``~/.local/share/expensehub``: the same folder whatever the
    current directory, so the server, the CLI, the worker and the demo find the same database."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "expensehub")


def _default_database_url(data: dict[str, Any]) -> str:
    return "sqlite:///" + os.path.join(data.get("data_dir") or default_data_dir(), "expensehub.db")


def _default_storage_dir(data: dict[str, Any]) -> str:
    return os.path.join(data.get("data_dir") or default_data_dir(), "files")


def _default_reports_dir(data: dict[str, Any]) -> str:
    return os.path.join(data.get("storage_dir") or _default_storage_dir(data), "reports")


class Settings(BaseSettings):
    """Runtime configuration of an expensehub process."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: str = Field(
        default_factory=default_data_dir,
        min_length=1,
        description="Folder of the default SQLite database (expensehub.db) and file store (files/): "
        "$XDG_DATA_HOME/expensehub, else ~/.local/share/expensehub",
    )
    database_url: str = Field(
        default_factory=_default_database_url,
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db (default: "
        "<data_dir>/expensehub.db)",
    )
    host: str = Field(default="127.0.0.1", description="Address the API server binds to")
    port: int = Field(default=8000, description="Port the API server listens on")
    max_body_bytes: int = Field(
        default=1_048_576, description="Largest JSON request body accepted (413 beyond it)"
    )
    sql_echo: bool = Field(default=False, description="Log every SQL statement")
    sqlite_busy_timeout_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        allow_inf_nan=False,
        description="SQLite only: how long a write waits for another writer to finish before the request "
        "answers 503 database_busy",
    )
    storage_dir: str = Field(
        default_factory=_default_storage_dir,
        description="Directory of the file store (documents and receipts, content-addressed) and of "
        "upload staging files (default: <data_dir>/files)",
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

    # --- scheduled reports (`expensehub worker`, `expensehub reports`) ---------------------------
    reports_dir: str = Field(
        default_factory=_default_reports_dir,
        min_length=1,
        description="Folder scheduled and manual report files are written to (default: "
        "<storage_dir>/reports); the --reports-dir option overrides it",
    )
    report_query_timeout_seconds: float = Field(
        default=60.0,
        ge=0.1,
        allow_inf_nan=False,
        description="Seconds a SQL report query may run (sql_timeout beyond it); the --query-timeout "
        "option overrides it",
    )
    report_database_url: str | None = Field(
        default=None,
        description="PostgreSQL: URL SQL reports log in with, as the report role (no rights but reading "
        "the report views; docs/exports.md), e.g. postgresql+psycopg://expensehub_report_login:PASSWORD@"
        "host/db. Default: the database URL with the user replaced by expensehub_report_login and no "
        "password (enough with trust or certificate authentication)",
    )
    report_memory_limit_mb: int = Field(
        default=512,
        ge=64,
        le=1024 * 1024,
        description="SQLite: memory (address space) of the process a SQL report query runs in; past it "
        "the query stops with sql_too_large",
    )
    worker_interval_seconds: float = Field(
        default=30.0,
        ge=0.1,
        allow_inf_nan=False,
        description="Seconds `expensehub worker` waits between looks for due reports; the --interval "
        "option overrides it",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe log level written (stderr)"
    )
    log_format: Literal["json", "console"] = Field(
        default="json",
        description="`json`: one JSON object per line (for log collectors); `console`: key=value lines",
    )

    # --- webhook delivery (docs/webhooks.md) ------------------------------------------------------
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Allow target URLs on loopback, private and link-local addresses (development, tests)",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="Time limit of one delivery attempt (connect and response)"
    )
    webhook_max_response_bytes: int = Field(
        default=64 * 1024, ge=0, le=1024 * 1024, description="Most bytes of a response body read"
    )
    webhook_concurrency: int = Field(
        default=32, ge=1, le=1000, description="Subscriptions (lanes) one worker delivers to at once"
    )
    webhook_batch_size: int = Field(
        default=50, ge=1, le=1000, description="Deliveries of one lane sent per claim"
    )
    webhook_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=60,
        description="Idle wait between looks for work (PostgreSQL also wakes on NOTIFY at commit)",
    )
    webhook_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long a worker owns a lane it claimed; a crashed worker's lanes are free after it",
    )
    webhook_retry_scale: float = Field(
        default=1.0, ge=0, le=100, description="Multiplier of the retry waits (0 in tests: retry at once)"
    )
    webhook_park_after_attempts: int = Field(
        default=8,
        ge=1,
        le=20,
        description="Strict-order subscriptions: failed attempts after which an event is parked and the "
        "lane goes on with the next one (20: never park, the subscription is disabled instead)",
    )

    def base_url(self) -> str:
        """``public_base_url``, else ``http://{host}:{port}`` (for contexts without a request)."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment (and ``overrides``); ``SettingsError`` naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line per invalid setting: ``EXPENSEHUB_NAME: what is wrong (got 'value')``."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        line = f"{ENV_PREFIX}{field.upper()}: {error['msg']}"
        if field not in _SECRET_FIELDS and "input" in error and not isinstance(error["input"], dict):
            line += f" (got {error['input']!r})"
        lines.append(line)
    if len(lines) == 1:
        return f"invalid setting {lines[0]}"
    return f"{len(lines)} invalid settings:\n  " + "\n  ".join(lines)
