"""Settings of webhook delivery, read from the environment (prefix ``EXPENSEHUB_``).

Kept apart from ``expensehub.config.Settings`` until they are merged into it under the same names;
everything here reads them through the ``WebhookConfig`` protocol, so either object works.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookConfig(Protocol):
    """What the webhook code reads from a settings object."""

    @property
    def webhook_allow_private_targets(self) -> bool: ...
    @property
    def webhook_timeout_seconds(self) -> float: ...
    @property
    def webhook_max_response_bytes(self) -> int: ...
    @property
    def webhook_concurrency(self) -> int: ...
    @property
    def webhook_batch_size(self) -> int: ...
    @property
    def webhook_poll_seconds(self) -> float: ...
    @property
    def webhook_lease_seconds(self) -> float: ...
    @property
    def webhook_retry_scale(self) -> float: ...


class WebhookSettings(BaseSettings):
    """Webhook delivery settings (``EXPENSEHUB_WEBHOOK_*``)."""

    model_config = SettingsConfigDict(env_prefix="EXPENSEHUB_", extra="ignore")

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
