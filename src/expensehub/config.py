"""Settings, read from the environment (prefix ``EXPENSEHUB_``).

One ``Settings`` object is built in each entrypoint (API app, CLI command, worker) and passed down.
"""

from __future__ import annotations

from pydantic import Field
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
