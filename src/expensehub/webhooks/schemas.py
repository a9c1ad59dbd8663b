"""Wire shapes of webhook subscriptions (Factorial) and of the delivery log (expensehub extension).

Each ``*Out`` shape (``kit/shapes.py``) is both the typed view the ``*_out`` functions build (integer
ids; the version registry renders them) and the OpenAPI component documenting it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

import orjson
from pydantic import Field, field_validator
from pydantic.config import JsonDict

from expensehub.kit.bodies import WriteBody
from expensehub.kit.clock import format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, NotRequired, Private, TypedDict
from expensehub.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from expensehub.webhooks import rules

ApiVersionName = Literal["2025-10-01", "2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]
DeliveryStatus = Literal["pending", "delivered", "failed", "parked", "cancelled"]

_EVENT_ENUM: JsonDict = {"enum": [*sorted(rules.EVENT_TYPES)]}
_ORDER_ENUM: JsonDict = {"enum": list(rules.DELIVERY_ORDERS)}
_ORDER_DOC = (
    "expensehub extension. `strict` (default): deliveries are sent one at a time in the order of the "
    "changes; an event refused `EXPENSEHUB_WEBHOOK_PARK_AFTER_ATTEMPTS` times (default 8, about 32 "
    "minutes) is `parked` and the later ones go on. `independent`: each delivery is retried on its own "
    "schedule and a failing one holds back nothing. Other values: 422 `invalid_delivery_order`."
)


JsonObject = dict[str, Any]
"""A JSON object as stored (an event's payload): its shape is the resource's, not this module's."""


def _check_event_type(value: str | None) -> str | None:
    if value is not None and value not in rules.EVENT_TYPES:
        raise ValueError(f"unknown subscription type {value!r}; see docs/webhooks.md for the list")
    return value


class _Body(WriteBody):
    pass


# --- subscriptions ------------------------------------------------------------------------------


class SubscriptionOut(TypedDict):
    """A webhook subscription (``api_public/webhook_subscriptions``)."""

    id: Annotated[IdOut, Field(description="Subscription id")]
    target_url: Annotated[str, Field(description="URL the events are POSTed to")]
    type: Annotated[
        str, Field(description="The event type subscribed to (the `subscription_type` of the create body)")
    ]
    company_id: Annotated[IdOut, Field(description="Company the subscription belongs to")]
    enabled: Annotated[
        bool,
        Field(
            description="Whether events are delivered; false after the receiver accepted nothing for a "
            "whole retry schedule (see `disabled_reason`)"
        ),
    ]
    api_version: Annotated[str, Field(description="API version the payloads are rendered in")]
    delivery_order: Annotated[str, Field(description=_ORDER_DOC, json_schema_extra=_ORDER_ENUM)]
    name: Annotated[str | None, Field(description="A label")]
    challenge: Annotated[str | None, Field(description="Echoed in the `x-factorial-wh-challenge` header")]
    secret: NotRequired[
        Annotated[
            str,
            Field(
                description="expensehub extension: the signing secret (`whsec_…`), present only in the "
                "responses of create and rotate_secret; store it then, it is never shown again"
            ),
        ]
    ]
    previous_secret_expires_at: Annotated[
        str | None,
        Field(
            description="expensehub extension: until then deliveries also carry a signature made with the "
            "previous secret (after rotate_secret)"
        ),
    ]
    disabled_reason: Annotated[
        str | None,
        Field(
            description="expensehub extension: `delivery_failed` when the receiver accepted nothing for a "
            "whole retry schedule (20 attempts or 48 h), else null"
        ),
    ]
    disabled_at: Annotated[str | None, Field(description="expensehub extension: when it was disabled")]
    created_at: Annotated[str, Field(description="expensehub extension: creation time")]
    updated_at: Annotated[str, Field(description="expensehub extension: last change")]


def subscription_out(s: WebhookSubscription) -> SubscriptionOut:
    return {
        "id": s.id,
        "target_url": s.target_url,
        "type": s.type,
        "company_id": s.company_id,
        "enabled": s.enabled,
        "api_version": s.api_version,
        "delivery_order": s.delivery_order,
        "name": s.name,
        "challenge": s.challenge,
        "previous_secret_expires_at": format_ts(s.previous_secret_expires_at),
        "disabled_reason": s.disabled_reason,
        "disabled_at": format_ts(s.disabled_at),
        "created_at": format_ts(s.created_at),
        "updated_at": format_ts(s.updated_at),
    }


def with_secret(view: SubscriptionOut, secret: str | None) -> SubscriptionOut:
    """``view`` showing the signing secret (the responses of create and rotate_secret)."""
    if secret is not None:
        view["secret"] = secret
    return view


class SubscriptionCreate(_Body):
    """Body of ``POST api_public/webhook_subscriptions``."""

    subscription_type: str = Field(
        description="Event type to receive (see docs/webhooks.md)", json_schema_extra=_EVENT_ENUM
    )
    target_url: str = Field(
        min_length=1,
        max_length=rules.MAX_URL_LENGTH,
        description="http(s) URL receiving the POSTs; private, loopback and link-local addresses (in any "
        "numeric form: `127.1`, `2130706433`, `[::ffff:127.0.0.1]`, ...) are refused with "
        "`invalid_target_url` unless EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS is set",
    )
    company_id: IdIn = Field(description="Your company's id (any other company's id is 404)")
    name: str | None = Field(None, max_length=200, description="A label")
    challenge: str | None = Field(
        None, max_length=255, description="Free string echoed in the `x-factorial-wh-challenge` header"
    )
    enabled: bool = Field(True, description="Deliver events (default true)")
    api_version: ApiVersionName = Field(
        rules.DEFAULT_API_VERSION,  # type: ignore[arg-type]  # the registry's CURRENT, one of the enum (tested)
        description="API version the payloads are rendered in (default newest)",
    )
    delivery_order: str = Field(
        rules.DEFAULT_DELIVERY_ORDER, description=_ORDER_DOC, json_schema_extra=_ORDER_ENUM
    )

    _type = field_validator("subscription_type")(_check_event_type)


class SubscriptionUpdate(_Body):
    """Body of ``PUT api_public/webhook_subscriptions/{id}``: only the keys sent change."""

    id: IdIn | None = Field(None, description="Id of the subscription; when sent, must equal the path id")
    target_url: str | None = Field(
        None, min_length=1, max_length=rules.MAX_URL_LENGTH, description="New target URL (cannot be null)"
    )
    subscription_type: str | None = Field(
        None, description="New event type (cannot be null)", json_schema_extra=_EVENT_ENUM
    )
    name: str | None = Field(None, max_length=200, description="New label; null removes it")
    challenge: str | None = Field(None, max_length=255, description="New challenge; null removes it")
    enabled: bool | None = Field(
        None, description="Enable or disable; enabling sends queued deliveries at once, in order"
    )
    api_version: ApiVersionName | None = Field(None, description="New payload version (cannot be null)")
    delivery_order: str | None = Field(
        None, description="New delivery order (cannot be null). " + _ORDER_DOC, json_schema_extra=_ORDER_ENUM
    )

    _type = field_validator("subscription_type")(_check_event_type)


class RotateSecretIn(_Body):
    """Body of ``POST api_public/webhook_subscriptions/rotate_secret``."""

    id: IdIn = Field(description="Id of the subscription")
    overlap_seconds: int = Field(
        86_400,
        ge=0,
        le=30 * 86_400,
        description="For how long deliveries also carry a signature made with the old secret "
        "(default 24 h, at most 30 days; 0 drops the old secret at once)",
    )


# --- events, deliveries, attempts (extension) ---------------------------------------------------


class EventOut(TypedDict):
    """An event of the outbox (``webhooks/events``, expensehub extension)."""

    id: Annotated[IdOut, Field(description="Event id")]
    company_id: Annotated[IdOut, Field(description="Company the event belongs to")]
    webhook_id: Annotated[str, Field(description="The `webhook-id` header of every delivery of this event")]
    type: Annotated[str, Field(description="Event type (a `subscription_type`)")]
    author_id: Annotated[
        IdOut | None,
        Field(description="Who made the change (`x-factorial-author-id`): the employee or company id"),
    ]
    author_type: Annotated[
        str | None,
        Field(description="`employee` or `company` (`x-factorial-author-type`); `company` for API keys"),
    ]
    payload: Annotated[
        JsonObject, Field(description="The resource as delivered, rendered in this API version")
    ]
    created_at: Annotated[str, Field(description="When the change was committed")]
    # The payload is built in the current shape; this names its resource, for rendering it in the
    # request's version (router.py).
    _resource: Private[str]


def event_out(e: WebhookEvent) -> EventOut:
    return {
        "id": e.id,
        "company_id": e.company_id,
        "webhook_id": e.msg_id,
        "type": e.type,
        "author_id": e.author_id,
        "author_type": e.author_type,
        "payload": orjson.loads(e.payload),
        "created_at": format_ts(e.created_at),
        "_resource": e.resource,
    }


class DeliveryOut(TypedDict):
    """The sending of one event to one subscription (``webhooks/deliveries``, expensehub extension)."""

    id: Annotated[IdOut, Field(description="Delivery id")]
    company_id: Annotated[IdOut, Field(description="Company the delivery belongs to")]
    subscription_id: Annotated[IdOut, Field(description="Subscription delivered to")]
    event_id: Annotated[IdOut, Field(description="Event delivered")]
    webhook_id: Annotated[
        str, Field(description="The `webhook-id` header: the same on every attempt and redelivery")
    ]
    event_type: Annotated[str, Field(description="Event type")]
    status: Annotated[
        DeliveryStatus,
        Field(
            description="`pending` (queued or waiting to retry), `delivered` (a 2xx answer), `failed` (20 "
            "attempts or 48 h without one, or its subscription was disabled), `parked` (a strict-order "
            "subscription went on without it after `EXPENSEHUB_WEBHOOK_PARK_AFTER_ATTEMPTS` failures; "
            "redeliver it), `cancelled` (the subscription was deleted first)"
        ),
    ]
    attempts: Annotated[int, Field(description="Attempts made so far")]
    next_attempt_at: Annotated[str | None, Field(description="When the next retry is due (pending only)")]
    first_attempt_at: Annotated[str | None, Field(description="Time of the first attempt")]
    last_attempt_at: Annotated[str | None, Field(description="Time of the last attempt")]
    last_status_code: Annotated[
        int | None, Field(description="HTTP status of the last attempt; null if none")
    ]
    last_latency_ms: Annotated[int | None, Field(description="Duration of the last attempt in ms")]
    last_error: Annotated[
        str | None, Field(description="Why the last attempt failed (timeout, refused, ...)")
    ]
    delivered_at: Annotated[str | None, Field(description="When a 2xx answer arrived")]
    redelivery_of_id: Annotated[
        IdOut | None, Field(description="The delivery this one repeats, for redeliveries")
    ]
    created_at: Annotated[str, Field(description="When the delivery was queued")]


def delivery_out(d: WebhookDelivery, msg_id: str, event_type: str) -> DeliveryOut:
    return {
        "id": d.id,
        "company_id": d.company_id,
        "subscription_id": d.subscription_id,
        "event_id": d.event_id,
        "webhook_id": msg_id,
        "event_type": event_type,
        "status": cast(DeliveryStatus, d.status),
        "attempts": d.attempts,
        "next_attempt_at": format_ts(d.next_attempt_at) if d.status == "pending" else None,
        "first_attempt_at": format_ts(d.first_attempt_at),
        "last_attempt_at": format_ts(d.last_attempt_at),
        "last_status_code": d.last_status_code,
        "last_latency_ms": d.last_latency_ms,
        "last_error": d.last_error,
        "delivered_at": format_ts(d.delivered_at),
        "redelivery_of_id": d.redelivery_of_id,
        "created_at": format_ts(d.created_at),
    }


class AttemptOut(TypedDict):
    """One HTTP attempt of a delivery (``webhooks/delivery_attempts``, expensehub extension)."""

    id: Annotated[IdOut, Field(description="Attempt id")]
    company_id: Annotated[IdOut, Field(description="Company the attempt belongs to")]
    delivery_id: Annotated[IdOut, Field(description="Delivery attempted")]
    attempt: Annotated[int, Field(description="1 for the first attempt of the delivery, then 2, 3, ...")]
    started_at: Annotated[str, Field(description="When the request started")]
    status_code: Annotated[int | None, Field(description="HTTP status answered; null when none came")]
    latency_ms: Annotated[int, Field(description="Time until the answer (or the failure) in ms")]
    error: Annotated[
        str | None, Field(description="Why it failed: timeout, connection refused, redirect, ...")
    ]
    response_body: Annotated[
        str | None, Field(description="The start of the response body (at most 1,024 characters)")
    ]


def attempt_out(a: WebhookAttempt) -> AttemptOut:
    return {
        "id": a.id,
        "company_id": a.company_id,
        "delivery_id": a.delivery_id,
        "attempt": a.attempt,
        "started_at": format_ts(a.started_at),
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "error": a.error,
        "response_body": a.response_body,
    }


class RedeliverIn(_Body):
    """Body of ``POST webhooks/deliveries/redeliver``."""

    id: IdIn = Field(description="Delivery to send again (any status)")
