"""The webhooks resources served by the generic list/get (``db/resources.py``): Factorial's subscriptions
and the expensehub extensions' outbox and delivery log."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Select

from expensehub.db.resources import (
    COMPANY,
    Doc,
    Filter,
    Resource,
    any_of,
    company_select,
    equals,
    own_company,
    per_object,
    per_row,
)
from expensehub.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from expensehub.webhooks import schemas
from expensehub.webhooks.repository import DELIVERY_ROWS
from expensehub.webhooks.schemas import DeliveryStatus

S = WebhookSubscription
E = WebhookEvent
D = WebhookDelivery
A = WebhookAttempt

EXT = "webhooks (extension)"

SUBSCRIPTIONS: Resource[schemas.SubscriptionOut] = Resource(
    key="api_public/webhook_subscriptions",
    noun="webhook subscription",
    tag="api_public",
    select=company_select(S, S.deleted_at.is_(None)),
    id_column=S.id,
    view=per_object(schemas.subscription_out),
    out=schemas.SubscriptionOut,
    list_doc=Doc(
        "List webhook subscriptions",
        "The company's subscriptions (deleted ones excluded), in ascending id order.",
    ),
    get_doc=Doc(
        "Get a webhook subscription",
        "One subscription of the company. The signing secret is never returned here.",
    ),
    filters=(
        equals("id", S.id, "Only this subscription"),
        own_company("company_id", "Only subscriptions of this company (yours or nothing)"),
        equals("type", S.type, "Only this event type, e.g. `finance/cost_center/create`", str),
        Filter(
            "enabled",
            bool,
            "Only enabled (true) or disabled (false) subscriptions",
            where=lambda enabled, _s: S.enabled.is_(enabled),
        ),
    ),
)

EVENTS: Resource[schemas.EventOut] = Resource(
    key="webhooks/events",
    noun="webhook event",
    tag=EXT,
    select=company_select(E),
    id_column=E.id,
    view=per_object(schemas.event_out),
    out=schemas.EventOut,
    list_doc=Doc(
        "List webhook events",
        "expensehub extension: the outbox. Events are recorded only when a subscription "
        "listened to their type at the time of the change. The payload is rendered in the request's version.",
    ),
    get_doc=Doc("Get a webhook event", "expensehub extension: one event of the outbox."),
    filters=(
        any_of("ids", E.id, "Only these event ids"),
        any_of("types", E.type, "Only these event types", list[str]),
    ),
)

DELIVERIES: Resource[schemas.DeliveryOut] = Resource(
    key="webhooks/deliveries",
    noun="webhook delivery",
    tag=EXT,
    # Resource.select is typed for one entity; these rows are (delivery, msg_id, event_type).
    select=cast("Select[Any]", DELIVERY_ROWS.where(D.company_id == COMPANY)),
    id_column=D.id,
    view=per_row(lambda row: schemas.delivery_out(*row)),
    out=schemas.DeliveryOut,
    list_doc=Doc(
        "List webhook deliveries",
        "expensehub extension: the delivery log, one row per event and subscription (and per "
        "redelivery), with the outcome of its last attempt. `statuses[]=parked` lists the events a "
        "strict-order subscription went on without (redeliver them).",
    ),
    get_doc=Doc(
        "Get a webhook delivery",
        "expensehub extension: one delivery; its attempts are at `webhooks/delivery_attempts`.",
    ),
    filters=(
        any_of("ids", D.id, "Only these deliveries"),
        any_of("subscription_ids", D.subscription_id, "Only deliveries to these subscriptions"),
        any_of("event_ids", D.event_id, "Only these events"),
        any_of("statuses", D.status, "Only these statuses", list[DeliveryStatus]),
        any_of("event_types", E.type, "Only these event types", list[str]),
        equals("webhook_id", E.msg_id, "Only deliveries with this `webhook-id`", str),
    ),
)

ATTEMPTS: Resource[schemas.AttemptOut] = Resource(
    key="webhooks/delivery_attempts",
    noun="delivery attempt",
    tag=EXT,
    select=company_select(A),
    id_column=A.id,
    view=per_object(schemas.attempt_out),
    out=schemas.AttemptOut,
    list_doc=Doc(
        "List delivery attempts",
        "expensehub extension: every HTTP attempt: status code, latency, error and the start of "
        "the response body.",
    ),
    filters=(
        any_of("ids", A.id, "Only these attempts"),
        any_of("delivery_ids", A.delivery_id, "Only attempts of these deliveries"),
    ),
)
