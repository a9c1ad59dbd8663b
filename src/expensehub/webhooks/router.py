"""HTTP endpoints of the webhooks domain.

Factorial's ``api_public/webhook_subscriptions`` (list, get, create, update, delete), plus expensehub
extensions: ``rotate_secret``, the outbox (``webhooks/events``), the delivery log
(``webhooks/deliveries``, ``webhooks/delivery_attempts``) and ``webhooks/deliveries/redeliver``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import doc_list, doc_one, doc_write
from expensehub.api.responses import list_response, object_response
from expensehub.errors import InvalidState, NotFound, ValidationFailed
from expensehub.webhooks import schemas, service

router = APIRouter()

SUB = "api_public/webhook_subscriptions"
EVT = "webhooks/events"
DLV = "webhooks/deliveries"
ATT = "webhooks/delivery_attempts"
TAGS: list[str | Any] = ["api_public"]
EXT: list[str | Any] = ["webhooks (extension)"]


def _allow_private(request: Request) -> bool:
    """``EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS`` of the app's settings."""
    return bool(request.app.state.settings.webhook_allow_private_targets)


def _own_company(ctx: Ctx, company_id: int) -> None:
    if company_id != ctx.company_id:
        raise NotFound(f"company {company_id} not found")


# --- subscriptions (Factorial) ------------------------------------------------------------------


@router.get(
    f"/{SUB}",
    tags=TAGS,
    summary="List webhook subscriptions",
    description="The company's subscriptions (deleted ones excluded), in ascending id order.",
    responses=doc_list(schemas.SubscriptionOut),
)
def list_subscriptions(
    ctx: Ctx, paging: Paging, f: Annotated[schemas.SubscriptionFilters, Query()]
) -> Response:
    page = service.list_subscriptions(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        id=f.id,
        company_filter=f.company_id,
        type=f.type,
        enabled=f.enabled,
    )
    return list_response(ctx.version, SUB, page, [schemas.subscription_out(r[0]) for r in page.rows])


@router.get(
    f"/{SUB}/{{id}}",
    tags=TAGS,
    summary="Get a webhook subscription",
    description="One subscription of the company. The signing secret is never returned here.",
    responses=doc_one(schemas.SubscriptionOut),
)
def get_subscription(ctx: Ctx, id: ItemId) -> Response:
    sub = service.get_subscription(ctx.session, company_id=ctx.company_id, subscription_id=path_id(id))
    return object_response(ctx.version, SUB, schemas.subscription_out(sub))


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
    _own_company(ctx, body.company_id)
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
    return object_response(ctx.version, SUB, schemas.subscription_out(sub, secret), 201)


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
    return object_response(ctx.version, SUB, schemas.subscription_out(sub))


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
    return object_response(ctx.version, SUB, schemas.subscription_out(sub))


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
    return object_response(ctx.version, SUB, schemas.subscription_out(sub, secret))


# --- the outbox and the delivery log (extension) ------------------------------------------------


def _event_out(ctx: Ctx, event: Any) -> dict[str, Any]:
    out = schemas.event_out(event)
    out["payload"] = ctx.version.render(out["payload"], event.resource)
    return out


@router.get(
    f"/{EVT}",
    tags=EXT,
    summary="List webhook events",
    description="expensehub extension: the outbox. Events are recorded only when a subscription "
    "listened to their type at the time of the change. The payload is rendered in the request's version.",
    responses=doc_list(schemas.EventOut),
)
def list_events(ctx: Ctx, paging: Paging, f: Annotated[schemas.EventFilters, Query()]) -> Response:
    page = service.list_events(ctx.session, company_id=ctx.company_id, page=paging, ids=f.ids, types=f.types)
    return list_response(ctx.version, EVT, page, [_event_out(ctx, r[0]) for r in page.rows])


@router.get(
    f"/{EVT}/{{id}}",
    tags=EXT,
    summary="Get a webhook event",
    description="expensehub extension: one event of the outbox.",
    responses=doc_one(schemas.EventOut),
)
def get_event(ctx: Ctx, id: ItemId) -> Response:
    event = service.get_event(ctx.session, company_id=ctx.company_id, event_id=path_id(id))
    return object_response(ctx.version, EVT, _event_out(ctx, event))


@router.get(
    f"/{DLV}",
    tags=EXT,
    summary="List webhook deliveries",
    description="expensehub extension: the delivery log, one row per event and subscription (and per "
    "redelivery), with the outcome of its last attempt. `statuses[]=parked` lists the events a "
    "strict-order subscription went on without (redeliver them).",
    responses=doc_list(schemas.DeliveryOut),
)
def list_deliveries(ctx: Ctx, paging: Paging, f: Annotated[schemas.DeliveryFilters, Query()]) -> Response:
    page = service.list_deliveries(
        ctx.session,
        company_id=ctx.company_id,
        page=paging,
        ids=f.ids,
        subscription_ids=f.subscription_ids,
        event_ids=f.event_ids,
        statuses=f.statuses,
        event_types=f.event_types,
        webhook_id=f.webhook_id,
    )
    return list_response(ctx.version, DLV, page, [schemas.delivery_out(*r) for r in page.rows])


@router.get(
    f"/{DLV}/{{id}}",
    tags=EXT,
    summary="Get a webhook delivery",
    description="expensehub extension: one delivery; its attempts are at `webhooks/delivery_attempts`.",
    responses=doc_one(schemas.DeliveryOut),
)
def get_delivery(ctx: Ctx, id: ItemId) -> Response:
    row = service.get_delivery(ctx.session, company_id=ctx.company_id, delivery_id=path_id(id))
    return object_response(ctx.version, DLV, schemas.delivery_out(*row))


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
        row = service.redeliver(ctx.session, company_id=ctx.company_id, delivery_id=body.id)
    except InvalidState as exc:
        if exc.code == "already_queued" and isinstance(exc.details, dict):
            exc.details = {
                key: None if found is None else ctx.version.render(schemas.delivery_out(*found), DLV)
                for key, found in exc.details.items()
            }
        raise
    return object_response(ctx.version, DLV, schemas.delivery_out(*row))


@router.get(
    f"/{ATT}",
    tags=EXT,
    summary="List delivery attempts",
    description="expensehub extension: every HTTP attempt: status code, latency, error and the start of "
    "the response body.",
    responses=doc_list(schemas.AttemptOut),
)
def list_attempts(ctx: Ctx, paging: Paging, f: Annotated[schemas.AttemptFilters, Query()]) -> Response:
    page = service.list_attempts(
        ctx.session, company_id=ctx.company_id, page=paging, ids=f.ids, delivery_ids=f.delivery_ids
    )
    return list_response(ctx.version, ATT, page, [schemas.attempt_out(r[0]) for r in page.rows])
