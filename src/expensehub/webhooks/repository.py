"""SQL of the webhooks domain: subscriptions, the outbox, deliveries, attempts, and the worker's lanes.

Every API-facing query is scoped by company. The worker's queries (claiming lanes, loading a lane's
batch, recording results) run across companies: the worker serves every tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, and_, bindparam, exists, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

S = WebhookSubscription
D = WebhookDelivery
E = WebhookEvent
A = WebhookAttempt

NOTIFY_CHANNEL = "expensehub_webhooks"


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- subscriptions ------------------------------------------------------------------------------


def enabled_subscription_ids(session: Session, *, company_id: int, event_type: str) -> list[int]:
    """The company's enabled subscriptions to ``event_type``, in id order."""
    return list(
        session.scalars(
            select(S.id)
            .where(
                S.company_id == company_id,
                S.type == event_type,
                S.enabled.is_(True),
                S.deleted_at.is_(None),
            )
            .order_by(S.id)
        )
    )


def cancel_pending(session: Session, *, subscription_id: int) -> None:
    """Pending deliveries of a deleted subscription will never be sent."""
    session.execute(
        update(D)
        .where(D.subscription_id == subscription_id, D.status == "pending")
        .values(status="cancelled", next_attempt_at=None),
        execution_options={"synchronize_session": False},
    )


# --- the outbox ---------------------------------------------------------------------------------


def insert_events(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert events (one statement); their ids in the order of ``rows``."""
    result = session.execute(insert(E).returning(E.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(D), rows)


def notify(session: Session) -> None:
    """Wake PostgreSQL workers when this transaction commits (PostgreSQL only; a no-op elsewhere)."""
    if is_postgres(session):
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


# --- deliveries and attempts --------------------------------------------------------------------

DELIVERY_ROWS: Select[WebhookDelivery, str, str] = select(D, E.msg_id, E.type).join(E, E.id == D.event_id)
"""``(delivery, msg_id, event_type)`` rows, built once: the delivery log's statement before scoping."""


def queue_redelivery(
    session: Session,
    *,
    company_id: int,
    subscription_id: int,
    event_id: int,
    redelivery_of_id: int,
    now: datetime,
) -> int | None:
    """Queue the event again for the subscription, unless it is queued already: the new delivery's id,
    or ``None`` when a pending delivery of that event and subscription exists.

    One statement, ``INSERT ... ON CONFLICT DO NOTHING`` on the unique index of pending deliveries
    (``ix_webhook_deliveries_one_pending``): of concurrent callers exactly one inserts, whatever they
    read before (PostgreSQL makes the others wait for its commit; SQLite serialises writers).
    """
    table = cast(Table, D.__table__)
    insert_fn = pg_insert if is_postgres(session) else sqlite_insert
    stmt = (
        insert_fn(table)
        .values(
            company_id=company_id,
            subscription_id=subscription_id,
            event_id=event_id,
            redelivery_of_id=redelivery_of_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[table.c.subscription_id, table.c.event_id],
            index_where=table.c.status == "pending",
        )
        .returning(table.c.id)
    )
    found = session.execute(stmt).scalar()
    return None if found is None else int(found)


def pending_delivery_of(
    session: Session, *, company_id: int, subscription_id: int, event_id: int
) -> Row[WebhookDelivery, str, str] | None:
    """``(delivery, msg_id, event_type)`` of the event's pending delivery to the subscription, or ``None``."""
    return session.execute(
        DELIVERY_ROWS.where(
            D.company_id == company_id,
            D.subscription_id == subscription_id,
            D.event_id == event_id,
            D.status == "pending",
        )
    ).first()


def clear_lane_wait(session: Session, *, subscription_id: int) -> None:
    """Let the lane's head delivery go at once (re-enabled subscription, redelivery)."""
    session.execute(
        update(S).where(S.id == subscription_id).values(retry_at=None),
        execution_options={"synchronize_session": False},
    )


# --- the worker's lanes -------------------------------------------------------------------------


def claim_lanes(
    session: Session, *, now: datetime, owner: str, lease_until: datetime, limit: int
) -> list[int]:
    """Lease up to ``limit`` subscriptions that have pending deliveries and may send now.

    A strict lane may send when its head is not waiting to retry (``retry_at``); an independent lane
    when one of its pending deliveries is due (``next_attempt_at``). ``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL: concurrent workers never claim the same lane, and never wait for each other. The lease
    makes the claim outlive this short transaction; a crashed worker's lanes are free again once
    ``lease_until`` passes. Least recently claimed lanes come first.
    """
    pending = exists().where(
        D.subscription_id == S.id,
        D.status == "pending",
        or_(S.delivery_order == "strict", D.next_attempt_at <= now),
    )
    stmt = (
        select(S.id)
        .where(
            S.enabled.is_(True),
            S.deleted_at.is_(None),
            or_(S.retry_at.is_(None), S.retry_at <= now),
            or_(S.lease_until.is_(None), S.lease_until <= now),
            pending,
        )
        .order_by(S.claimed_at.asc().nulls_first(), S.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=S)
    )
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(
            update(S).where(S.id.in_(ids)).values(lease_owner=owner, lease_until=lease_until, claimed_at=now),
            execution_options={"synchronize_session": False},
        )
    return ids


def release_all_leases(session: Session) -> int:
    """Drop every lease (SQLite, where a single worker runs: leases left are a dead worker's)."""
    result = session.execute(
        update(S).where(S.lease_owner.is_not(None)).values(lease_owner=None, lease_until=None),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class LaneSubscription:
    """What the worker needs of a subscription."""

    id: int
    company_id: int
    target_url: str
    challenge: str | None
    api_version: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    delivery_order: str
    failure_streak: int
    failing_since: datetime | None


@dataclass(frozen=True)
class LaneItem:
    """A pending delivery with its event."""

    delivery_id: int
    attempts: int
    first_attempt_at: datetime | None
    msg_id: str
    type: str
    resource: str
    payload: str
    author_id: int | None
    author_type: str | None


def lane_batch(
    session: Session, *, subscription_id: int, owner: str, limit: int, now: datetime
) -> tuple[LaneSubscription | None, list[LaneItem]]:
    """The leased subscription and its first ``limit`` pending deliveries in id order (independent
    lanes: the ones due at ``now``).

    ``(None, [])`` when the lease is not ours any more, or the subscription was disabled or deleted.
    """
    sub = session.execute(
        select(
            S.id,
            S.company_id,
            S.target_url,
            S.challenge,
            S.api_version,
            S.secret,
            S.previous_secret,
            S.previous_secret_expires_at,
            S.delivery_order,
            S.failure_streak,
            S.failing_since,
        ).where(S.id == subscription_id, S.lease_owner == owner, S.enabled.is_(True), S.deleted_at.is_(None))
    ).first()
    if sub is None:
        return None, []
    lane = LaneSubscription(*sub)
    due = [] if lane.delivery_order == "strict" else [D.next_attempt_at <= now]
    rows = session.execute(
        select(
            D.id,
            D.attempts,
            D.first_attempt_at,
            E.msg_id,
            E.type,
            E.resource,
            E.payload,
            E.author_id,
            E.author_type,
        )
        .join(E, E.id == D.event_id)
        .where(D.subscription_id == subscription_id, D.status == "pending", *due)
        .order_by(D.id)
        .limit(limit)
    ).all()
    return lane, [LaneItem(*row) for row in rows]


def record_attempts(
    session: Session, attempts: list[dict[str, Any]], deliveries: list[dict[str, Any]]
) -> None:
    """Log attempts and update their deliveries.

    A success is recorded whatever the row's status (it was delivered); a failure only on a row still
    pending (not on one cancelled meanwhile by a deleted subscription).
    """
    if attempts:
        session.execute(insert(A), attempts)
    table = cast(Table, D.__table__)
    for delivered in (True, False):
        rows = [d for d in deliveries if (d["status"] == "delivered") is delivered]
        if not rows:
            continue
        guard = table.c.status != "delivered" if delivered else table.c.status == "pending"
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), guard)
            .values(
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_next_attempt_at"),
                first_attempt_at=bindparam("b_first_attempt_at"),
                last_attempt_at=bindparam("b_last_attempt_at"),
                last_status_code=bindparam("b_last_status_code"),
                last_latency_ms=bindparam("b_last_latency_ms"),
                last_error=bindparam("b_last_error"),
                delivered_at=bindparam("b_delivered_at"),
            )
        )
        session.connection().execute(stmt, [{f"b_{k}": v for k, v in d.items()} for d in rows])


def release_lane(
    session: Session,
    *,
    subscription_id: int,
    owner: str,
    retry_at: datetime | None,
    disable_reason: str | None,
    now: datetime,
    streak: tuple[int, datetime | None] | None = None,
) -> None:
    """End our lease; set when the lane may send again and (``streak``, when attempts were made) its
    failed attempts since the last success and when the first was; disable the subscription when
    giving up."""
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "retry_at": retry_at}
    if streak is not None:
        values.update(failure_streak=streak[0], failing_since=streak[1])
    if disable_reason is not None:
        values.update(enabled=False, disabled_reason=disable_reason, disabled_at=now, updated_at=now)
    session.execute(
        update(S).where(and_(S.id == subscription_id, S.lease_owner == owner)).values(**values),
        execution_options={"synchronize_session": False},
    )
