"""Use cases of webhooks: ``emit`` (the outbox, called by every domain), subscriptions, the delivery log.

``emit`` is THE function other domains call, inside the transaction of their change::

    from expensehub.webhooks import service as webhooks

    webhooks.emit(
        session,
        company_id=company_id,
        event_type="finance/cost_center/create",
        payload=lambda: schemas.cost_center_out(cc, counts, today),  # or a dict
        author=author,        # webhooks.Author: who made the change (required)
    )

It writes one event row and one pending delivery per enabled subscription of that type, with the
session it is given, so the event commits or rolls back with the change. When nobody subscribes it
writes nothing (one indexed SELECT) and never calls a ``payload`` callable. Functions here flush,
never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from expensehub.db.resources import get_object, get_row, get_scoped, list_page, views_of
from expensehub.errors import InvalidState, NotFound, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.pagination import Page, PageRequest
from expensehub.models.webhooks import WebhookDelivery, WebhookSubscription
from expensehub.webhooks import repository, resources, rules, schemas, signing

Payload = Mapping[str, object] | Callable[[], Mapping[str, object]]
Author = rules.Author  # re-exported: every domain that emits names its author with it


# --- the outbox ---------------------------------------------------------------------------------


def emit(
    session: Session,
    *,
    company_id: int,
    event_type: str,
    payload: Payload,
    author: Author,
) -> int | None:
    """Queue ``event_type`` for the company's subscribers, in the caller's transaction.

    ``payload`` is the resource exactly as the REST API builds it for the current version (integer
    ids; the same dict the router renders), or a callable returning it, called only when someone
    subscribes. ``author`` is who made the change (``x-factorial-author-*`` of every delivery).
    Returns the event id, or ``None`` when no enabled subscription listens.
    Raises ``ValueError`` for an event type not in the catalog or a missing author (programming
    errors).
    """
    ids = emit_many(session, company_id=company_id, event_type=event_type, payloads=[payload], author=author)
    return ids[0] if ids else None


def emit_many(
    session: Session,
    *,
    company_id: int,
    event_type: str,
    payloads: Sequence[Payload],
    author: Author,
) -> list[int]:
    """One event per payload, in order (bulk actions: Factorial sends one delivery per record)."""
    kind = rules.EVENT_TYPES.get(event_type)
    if kind is None:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not isinstance(author, rules.Author):
        raise ValueError(f"emit needs the change's author (a webhooks.Author), not {author!r}")
    if not payloads:
        return []
    subscription_ids = repository.enabled_subscription_ids(
        session, company_id=company_id, event_type=event_type
    )
    if not subscription_ids:
        return []
    now = utcnow()
    rows = []
    for payload in payloads:
        data = payload() if callable(payload) else payload
        rows.append(
            {
                "company_id": company_id,
                "msg_id": f"msg_{uuid.uuid4().hex}",
                "type": event_type,
                "resource": kind.resource,
                "payload": orjson.dumps(dict(data)).decode(),
                "author_id": author.id,
                "author_type": author.type,
                "created_at": now,
            }
        )
    event_ids = repository.insert_events(session, rows)
    repository.insert_deliveries(
        session,
        [
            {
                "company_id": company_id,
                "subscription_id": sub_id,
                "event_id": event_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event_id in event_ids
            for sub_id in subscription_ids
        ],
    )
    repository.notify(session)
    return event_ids


# --- subscriptions ------------------------------------------------------------------------------


def _check_url(url: str, allow_private: bool) -> str:
    url = url.strip()
    problem = rules.url_problem(url, allow_private=allow_private)
    if problem:
        raise ValidationFailed(
            "invalid target_url", fields={"target_url": [problem]}, code="invalid_target_url"
        )
    return url


def _check_order(order: str) -> str:
    if order not in rules.DELIVERY_ORDERS:
        raise ValidationFailed(
            "invalid delivery_order",
            fields={"delivery_order": [f"must be one of {', '.join(rules.DELIVERY_ORDERS)} (got {order!r})"]},
            code="invalid_delivery_order",
        )
    return order


def _subscription_view(session: Session, sub: WebhookSubscription) -> schemas.SubscriptionOut:
    """The subscription as its resource shows it (the payload of its own events)."""
    return views_of(session, resources.SUBSCRIPTIONS, company_id=sub.company_id, rows=[(sub,)])[0]


def _emit_subscription(session: Session, sub: WebhookSubscription, action: str, author: Author) -> None:
    emit(
        session,
        company_id=sub.company_id,
        event_type=f"api_public/webhook_subscription/{action}",
        payload=lambda: _subscription_view(session, sub),
        author=author,
    )


def create_subscription(
    session: Session,
    *,
    company_id: int,
    subscription_type: str,
    target_url: str,
    allow_private: bool,
    name: str | None = None,
    challenge: str | None = None,
    enabled: bool = True,
    api_version: str = rules.DEFAULT_API_VERSION,
    delivery_order: str = rules.DEFAULT_DELIVERY_ORDER,
    author: Author,
) -> tuple[WebhookSubscription, str]:
    """A subscription and its signing secret (returned once; keep it).

    ``delivery_order``: ``strict`` (one at a time in order; a failing event is parked after
    ``webhook_park_after_attempts``) or ``independent`` (each delivery retries on its own).
    """
    fields: dict[str, list[str]] = {}
    if subscription_type not in rules.EVENT_TYPES:
        fields["subscription_type"] = [f"unknown subscription type {subscription_type!r}"]
    if api_version not in rules.API_VERSIONS:
        fields["api_version"] = [f"must be one of {', '.join(rules.API_VERSIONS)}"]
    if fields:
        raise ValidationFailed("invalid webhook subscription", fields=fields)
    url = _check_url(target_url, allow_private)
    order = _check_order(delivery_order)
    secret = signing.generate_secret()
    now = utcnow()
    sub = repository.add(
        session,
        WebhookSubscription(
            company_id=company_id,
            type=subscription_type,
            target_url=url,
            name=name,
            challenge=challenge,
            enabled=enabled,
            api_version=api_version,
            delivery_order=order,
            failure_streak=0,
            secret=secret,
            created_at=now,
            updated_at=now,
        ),
    )
    _emit_subscription(session, sub, "create", author)
    return sub, secret


def list_subscriptions(session: Session, *, company_id: int, page: PageRequest) -> Page:
    """A page of the company's subscriptions (rows ``(subscription,)``), for callers outside HTTP; the
    route is ``resources.SUBSCRIPTIONS``."""
    return list_page(session, resources.SUBSCRIPTIONS, company_id=company_id, values={}, page=page).page


def update_subscription(
    session: Session,
    *,
    company_id: int,
    subscription_id: int,
    changes: Mapping[str, Any],
    allow_private: bool,
    author: Author,
) -> WebhookSubscription:
    """Change the given fields (``target_url``, ``subscription_type``, ``name``, ``challenge``,
    ``enabled``, ``api_version``, ``delivery_order``). Enabling a subscription lets its queued
    deliveries go at once, with a fresh retry schedule."""
    sub = get_object(
        session, resources.SUBSCRIPTIONS, WebhookSubscription, company_id=company_id, item_id=subscription_id
    )
    fields: dict[str, list[str]] = {}
    for key in ("target_url", "subscription_type", "enabled", "api_version", "delivery_order"):
        if key in changes and changes[key] is None:
            fields[key] = ["cannot be null"]
    stype = changes.get("subscription_type")
    if stype is not None and stype not in rules.EVENT_TYPES:
        fields["subscription_type"] = [f"unknown subscription type {stype!r}"]
    version = changes.get("api_version")
    if version is not None and version not in rules.API_VERSIONS:
        fields["api_version"] = [f"must be one of {', '.join(rules.API_VERSIONS)}"]
    if fields:
        raise ValidationFailed("invalid webhook subscription", fields=fields)
    url = _check_url(changes["target_url"], allow_private) if changes.get("target_url") is not None else None
    order = _check_order(changes["delivery_order"]) if changes.get("delivery_order") is not None else None
    if url is not None:
        sub.target_url = url
    if order is not None and order != sub.delivery_order:
        sub.delivery_order = order
        sub.retry_at = None  # a strict head's wait does not hold an independent lane (nor the reverse)
    if stype is not None:
        sub.type = stype
    if version is not None:
        sub.api_version = version
    if "name" in changes:
        sub.name = changes["name"]
    if "challenge" in changes:
        sub.challenge = changes["challenge"]
    enabled = changes.get("enabled")
    if enabled is True and not sub.enabled:
        sub.enabled = True
        sub.disabled_reason = None
        sub.disabled_at = None
        sub.retry_at = None
        sub.failure_streak = 0  # a fresh retry schedule
        sub.failing_since = None
    elif enabled is False:
        sub.enabled = False
    sub.updated_at = utcnow()
    session.flush()
    _emit_subscription(session, sub, "update", author)
    return sub


def delete_subscription(
    session: Session,
    *,
    company_id: int,
    subscription_id: int,
    author: Author,
) -> WebhookSubscription:
    """Soft delete: no more deliveries; queued ones are cancelled; the delivery log stays readable."""
    sub = get_object(
        session, resources.SUBSCRIPTIONS, WebhookSubscription, company_id=company_id, item_id=subscription_id
    )
    now = utcnow()
    sub.deleted_at = now
    sub.updated_at = now
    sub.enabled = False
    session.flush()
    repository.cancel_pending(session, subscription_id=sub.id)
    _emit_subscription(session, sub, "delete", author)
    return sub


def rotate_secret(
    session: Session, *, company_id: int, subscription_id: int, overlap_seconds: int
) -> tuple[WebhookSubscription, str]:
    """A new signing secret; for ``overlap_seconds`` deliveries are signed with both (old and new)."""
    sub = get_object(
        session, resources.SUBSCRIPTIONS, WebhookSubscription, company_id=company_id, item_id=subscription_id
    )
    now = utcnow()
    new = signing.generate_secret()
    if overlap_seconds > 0:
        sub.previous_secret = sub.secret
        sub.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
    else:
        sub.previous_secret = None
        sub.previous_secret_expires_at = None
    sub.secret = new
    sub.updated_at = now
    session.flush()
    return sub, new


# --- deliveries --------------------------------------------------------------------------------


def _delivery_view(session: Session, *, company_id: int, delivery_id: int) -> schemas.DeliveryOut:
    return get_scoped(session, resources.DELIVERIES, company_id=company_id, item_id=delivery_id)


def redeliver(session: Session, *, company_id: int, delivery_id: int) -> schemas.DeliveryOut:
    """Queue the delivery's event again for its subscription, with the same ``webhook-id``.

    A new delivery row (the log keeps the old one), sent after what is already queued for the
    subscription, at once even if the lane is waiting to retry. The subscription must exist and be
    enabled (409 ``subscription_disabled`` otherwise; enable it with PUT first). An event is queued
    at most once per subscription: while a delivery of it is pending (the original, or a redelivery
    made a moment ago by a concurrent request), 409 ``already_queued``, whose ``details`` hold the
    current state (``delivery``: the one asked for; ``queued``: the pending one). The check and the
    insert are one statement, so of concurrent calls exactly one queues.
    """
    original: WebhookDelivery = get_row(
        session, resources.DELIVERIES, company_id=company_id, item_id=delivery_id
    )[0]
    try:
        sub = get_object(
            session,
            resources.SUBSCRIPTIONS,
            WebhookSubscription,
            company_id=company_id,
            item_id=original.subscription_id,
        )
    except NotFound:
        raise InvalidState(
            f"the subscription of delivery {delivery_id} was deleted", code="subscription_deleted"
        ) from None
    if not sub.enabled:
        raise InvalidState(
            f"subscription {sub.id} is disabled; enable it first", code="subscription_disabled"
        )
    new_id = repository.queue_redelivery(
        session,
        company_id=company_id,
        subscription_id=sub.id,
        event_id=original.event_id,
        redelivery_of_id=original.id,
        now=utcnow(),
    )
    if new_id is None:
        queued = repository.pending_delivery_of(
            session, company_id=company_id, subscription_id=sub.id, event_id=original.event_id
        )
        session.refresh(original)
        raise InvalidState(
            f"event {original.event_id} is already queued for subscription {sub.id}"
            + (f" (delivery {queued[0].id})" if queued is not None else ""),
            code="already_queued",
            details={
                "delivery": _delivery_view(session, company_id=company_id, delivery_id=delivery_id),
                "queued": None
                if queued is None
                else views_of(session, resources.DELIVERIES, company_id=company_id, rows=[queued])[0],
            },
        )
    repository.clear_lane_wait(session, subscription_id=sub.id)
    repository.notify(session)
    return _delivery_view(session, company_id=company_id, delivery_id=new_id)
