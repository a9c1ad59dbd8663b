"""HTTP endpoints of the webhooks domain.

Factorial's ``api_public/webhook_subscriptions`` (list, get, create, update, delete), plus expensehub
extensions: ``rotate_secret``, the outbox (``webhooks/events``), the delivery log
(``webhooks/deliveries``, ``webhooks/delivery_attempts``) and ``webhooks/deliveries/redeliver``.
"""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, path_id
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount
from expensehub.api.responses import object_response
from expensehub.db.resources import views_of
from expensehub.errors import InvalidState, ValidationFailed, check_company
from expensehub.models.webhooks import WebhookSubscription
from expensehub.versions import ApiVersion
from expensehub.webhooks import resources, schemas, service

router = APIRouter()

SUB = "api_public/webhook_subscriptions"
DLV = "webhooks/deliveries"
TAGS: list[str | Enum] = ["api_public"]
EXT: list[str | Enum] = ["webhooks (extension)"]


def _allow_private(request: Request) -> bool:
    """``EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS`` of the app's settings."""
    return bool(request.app.state.settings.webhook_allow_private_targets)


# --- subscriptions (Factorial) ------------------------------------------------------------------


def _subscription_out(
    ctx: Ctx, sub: WebhookSubscription, secret: str | None = None
) -> schemas.SubscriptionOut:
    view = views_of(ctx.session, resources.SUBSCRIPTIONS, company_id=ctx.company_id, rows=[(sub,)])[0]
    return schemas.with_secret(view, secret)


mount(router, resources.SUBSCRIPTIONS)


@router.post(
    f"/{SUB}",
    tags=TAGS,
    status_code=201,
    summary="Create a webhook subscription",
    description="Events of `subscription_type` are POSTed to `target_url` (the bare resource object, "
    "rendered in `api_version`). The response carries the signing `secret` (`whsec_…`, expensehub "
    "extension) once: deliveries carry Standard Webhooks `webhook-signature` headers made with it. "
    "`target_url` must be http(s); private, loopback and link-local addresses are 422 "
    "`invalid_target_url` unless the server allows them, in any numeric form (`127.1`, `2130706433`, "
    "`0x7f.1`, `0177.0.0.1`, `127.0.0.1.`, `[::ffff:127.0.0.1]`, ...): hosts are normalised first. "
    "`delivery_order` (extension): `strict` (default; in order, an event refused "
    "`EXPENSEHUB_WEBHOOK_PARK_AFTER_ATTEMPTS` times is parked so the later ones go on) or `independent` "
    "(each delivery retried on its own); another value is 422 `invalid_delivery_order`.",
    responses=doc_write(schemas.SubscriptionOut, 201),
)
def create_subscription(ctx: Ctx, request: Request, body: schemas.SubscriptionCreate) -> Response:
    check_company(ctx.company_id, body.company_id)
    sub, secret = service.create_subscription(
        ctx.session,
        company_id=ctx.company_id,
        subscription_type=body.subscription_type,
        target_url=body.target_url,
        allow_private=_allow_private(request),
        name=body.name,
        challenge=body.challenge,
        enabled=body.enabled,
        api_version=body.api_version,
        delivery_order=body.delivery_order,
        author=ctx.author,
    )
    return object_response(ctx.version, SUB, _subscription_out(ctx, sub, secret), 201)


@router.put(
    f"/{SUB}/{{id}}",
    tags=TAGS,
    summary="Update a webhook subscription",
    description="Changes only the keys sent; `id` in the body, when sent, must equal the path id. "
    "`enabled: true` re-enables a subscription disabled after failed deliveries: the deliveries queued "
    "meanwhile are sent at once, in order, with a fresh retry schedule. A new `target_url` is checked as "
    "on create (422 `invalid_target_url` for private addresses in any numeric form); a new "
    "`delivery_order` applies to the queued deliveries (422 `invalid_delivery_order` for unknown values).",
    responses=doc_write(schemas.SubscriptionOut),
)
def update_subscription(ctx: Ctx, request: Request, id: ItemId, body: schemas.SubscriptionUpdate) -> Response:
    subscription_id = path_id(id)
    if body.id is not None and body.id != subscription_id:
        raise ValidationFailed("id mismatch", fields={"id": [f"must equal the id in the path ({id})"]})
    names = (
        "target_url",
        "subscription_type",
        "name",
        "challenge",
        "enabled",
        "api_version",
        "delivery_order",
    )
    changes = {name: getattr(body, name) for name in names if name in body.model_fields_set}
    sub = service.update_subscription(
        ctx.session,
        company_id=ctx.company_id,
        subscription_id=subscription_id,
        changes=changes,
        allow_private=_allow_private(request),
        author=ctx.author,
    )
    return object_response(ctx.version, SUB, _subscription_out(ctx, sub))


@router.delete(
    f"/{SUB}/{{id}}",
    tags=TAGS,
    summary="Delete a webhook subscription",
    description="Returns the subscription. Deliveries still queued for it are cancelled; its delivery "
    "log stays readable.",
    responses=doc_write(schemas.SubscriptionOut),
)
def delete_subscription(ctx: Ctx, id: ItemId) -> Response:
    sub = service.delete_subscription(
        ctx.session, company_id=ctx.company_id, subscription_id=path_id(id), author=ctx.author
    )
    return object_response(ctx.version, SUB, _subscription_out(ctx, sub))


@router.post(
    f"/{SUB}/rotate_secret",
    tags=EXT,
    summary="Rotate a subscription's signing secret",
    description="expensehub extension. Returns the subscription with its new `secret` (shown once). For "
    "`overlap_seconds` (default 24 h) deliveries carry two signatures, one per secret, so receivers can "
    "switch without losing events.",
    responses=doc_write(schemas.SubscriptionOut),
)
def rotate_secret(ctx: Ctx, body: schemas.RotateSecretIn) -> Response:
    sub, secret = service.rotate_secret(
        ctx.session, company_id=ctx.company_id, subscription_id=body.id, overlap_seconds=body.overlap_seconds
    )
    return object_response(ctx.version, SUB, _subscription_out(ctx, sub, secret))


# --- the outbox and the delivery log (extension) ------------------------------------------------


def _payload_in_version(version: ApiVersion, event: schemas.EventOut) -> schemas.EventOut:
    """The event with its payload rendered in the request's version (as deliveries render it)."""
    return {**event, "payload": version.render(event["payload"], event["_resource"])}


mount(router, resources.EVENTS, adapt=_payload_in_version)
mount(router, resources.DELIVERIES)


@router.post(
    f"/{DLV}/redeliver",
    tags=EXT,
    summary="Redeliver an event",
    description="expensehub extension. Queues the delivery's event again for the same subscription "
    "(a new delivery, same `webhook-id`, sent after what is already queued; a lane waiting to retry "
    "retries at once); works on `parked`, `failed` and `delivered` deliveries alike. An event is queued at "
    "most once per subscription: while a delivery of it is pending (the original, or a redelivery made "
    "a moment ago, e.g. by a concurrent request), 409 `already_queued` with the current state in "
    "`details` (`delivery`: the one asked for; `queued`: the pending one); of concurrent requests exactly "
    "one queues. 409 `subscription_disabled` or `subscription_deleted` when it cannot be sent.",
    responses=doc_write(schemas.DeliveryOut),
)
def redeliver(ctx: Ctx, body: schemas.RedeliverIn) -> Response:
    try:
        delivery = service.redeliver(ctx.session, company_id=ctx.company_id, delivery_id=body.id)
    except InvalidState as exc:
        if exc.code == "already_queued" and isinstance(exc.details, dict):
            exc.details = {key: ctx.version.render(view, DLV) for key, view in exc.details.items()}
        raise
    return object_response(ctx.version, DLV, delivery)


mount(router, resources.ATTEMPTS)
