"""Webhooks: subscriptions, the outbox of events, deliveries (one per event and subscription), attempts.

The outbox: a domain change calls ``webhooks.service.emit`` in its own transaction, which writes one
``WebhookEvent`` (the payload in the current shape, integer ids) and one pending ``WebhookDelivery``
per enabled subscription of that type. The delivery worker sends pending deliveries in id order per
subscription (a "lane"), claiming a lane with a lease on the subscription row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class WebhookSubscription(Base):
    """A subscription (``api_public/webhook_subscriptions``); deleting sets ``deleted_at``.

    Besides Factorial's fields it holds the signing secret (and the previous one during a rotation
    overlap), ``delivery_order`` (``strict``: one at a time in order, a failing event parked after some
    attempts; ``independent``: each delivery retries on its own) and the delivery lane's state, which
    only the worker writes: ``lease_owner`` and ``lease_until`` (a worker is sending this lane's
    deliveries), ``retry_at`` (strict: the lane's head delivery failed; nothing of the lane is sent
    before then), ``claimed_at`` (fair rotation), ``failure_streak`` and ``failing_since`` (failed
    attempts since the last success, and when the first of them was: what disables a subscription).
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        Index("ix_webhook_subscriptions_company_id_id", "company_id", "id"),
        Index("ix_webhook_subscriptions_company_type", "company_id", "type", "enabled"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(120))
    target_url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    challenge: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    api_version: Mapped[str] = mapped_column(String(10))
    delivery_order: Mapped[str] = mapped_column(String(16), default="strict", server_default="strict")
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(40))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure_streak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEvent(Base):
    """One change that subscribers may hear about, written in the transaction of the change.

    ``payload`` is JSON text of the resource in the current shape with integer ids; it is rendered
    in each subscription's ``api_version`` at delivery time. ``msg_id`` is the Standard Webhooks
    ``webhook-id``: random, so that a receiver's dedupe store never confuses two installations.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(120))
    resource: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    # Who made the change (``x-factorial-author-*``): ``employee`` or ``company`` and its id. ``emit``
    # requires it, and migration 0002 filled in the rows written before; the columns stay nullable in
    # the schema only because making them NOT NULL rebuilds the table on SQLite.
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    author_type: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """The sending of one event to one subscription: ``pending`` until ``delivered`` or ``failed``.

    ``parked`` when a strict-order lane went on without it (after ``webhook_park_after_attempts``
    failures); ``cancelled`` when the subscription is deleted first. A redelivery is a new row for the
    same event and subscription (``redelivery_of_id`` points at the original), so the log keeps every
    attempt.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_company_id_id", "company_id", "id"),
        Index("ix_webhook_deliveries_company_event", "company_id", "event_id"),
        # The lanes: pending deliveries of a subscription in order. Small, whatever the history.
        Index(
            "ix_webhook_deliveries_pending_lane",
            "subscription_id",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # An event is queued at most once per subscription (redeliver's compare-and-set).
        Index(
            "ix_webhook_deliveries_one_pending",
            "subscription_id",
            "event_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # Independent lanes: the pending deliveries that are due.
        Index(
            "ix_webhook_deliveries_pending_due",
            "subscription_id",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    redelivery_of_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: the delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_company_id_id", "company_id", "id"),
        Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    response_body: Mapped[str | None] = mapped_column(Text)
