"""Delivery order per subscription: ``strict`` (in order, a refused event parked) or ``independent``.

A real receiver on 127.0.0.1 refuses one event only (chosen by its payload) and accepts the others;
the real worker delivers (retry scale 0: the schedule runs at once, unless a test sets real waits).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.client import verify_webhook
from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.webhooks import service
from expensehub.webhooks.worker import WorkerStats, run_delivery_worker
from tests.factories import ApiClient, Tenant
from tests.integration.test_webhooks_delivery import Hit, Hooks, Receiver, deliver, settings
from tests.integration.test_webhooks_delivery import receiver as receiver  # the fixture
from tests.waiting import HANG_S, wait_for

NAMES = [f"cc-{i:02d}" for i in range(8)]
POISON = "cc-03"


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


def refuse(name: str) -> object:
    """A responder that answers 500 to the event whose payload is named ``name``, 200 to the rest."""

    def respond(hit: Hit, n: int) -> int | tuple[int, bytes, dict[str, str]]:
        return (500, b"cannot process this one", {}) if json.loads(hit.body)["name"] == name else 200

    return respond


def names(hits: list[Hit], status: int | None = None) -> list[str]:
    return [json.loads(h.body)["name"] for h in hits if status is None or h.status == status]


def log(api: ApiClient, sub_id: int, **params: object) -> list[dict[str, object]]:
    return api.list_all("webhooks/deliveries", params={"subscription_ids[]": [str(sub_id)], **params})


# --- strict -------------------------------------------------------------------------------------


def test_strict_parks_the_refused_event_and_delivers_the_later_ones_in_order(
    hooks: Hooks, receiver: Receiver, api: ApiClient, session_factory: sessionmaker[Session]
) -> None:
    receiver.respond = refuse(POISON)  # type: ignore[assignment]
    sub_id, secret = hooks.subscribe(receiver.url())
    assert hooks.subscription(sub_id).delivery_order == "strict"  # the default
    hooks.cost_centers(*NAMES)
    stats = deliver(session_factory, webhook_park_after_attempts=3, webhook_batch_size=2)
    assert stats.parked == 1
    # every event before the refused one went before it; it was tried 3 times, and nothing after it
    # went before it was parked; then the later ones, in order
    assert names(receiver.hits) == [*NAMES[:3], POISON, POISON, POISON, *NAMES[4:]]
    assert names(receiver.hits, 200) == [n for n in NAMES if n != POISON]
    for h in receiver.hits:
        verify_webhook(h.body, h.headers, secret)
    sub = hooks.subscription(sub_id)
    assert sub.enabled is True  # one poisoned event never disables the subscription
    assert sub.failure_streak == 0

    # the parked delivery is in the log, with its own status
    [parked] = log(api, sub_id, **{"statuses[]": ["parked"]})
    assert parked["status"] == "parked"
    assert parked["attempts"] == 3
    assert parked["last_status_code"] == 500
    assert parked["next_attempt_at"] is None
    poisoned_id = receiver.hits[3].webhook_id
    assert parked["webhook_id"] == poisoned_id
    assert [d["status"] for d in log(api, sub_id)].count("delivered") == len(NAMES) - 1

    # redelivered once the receiver accepts it: same webhook-id, a new delivery, delivered
    receiver.respond = lambda hit, n: 200
    r = api.post("webhooks/deliveries/redeliver", json={"id": parked["id"]})
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["status"] == "pending"
    assert again["redelivery_of_id"] == parked["id"]
    deliver(session_factory, webhook_park_after_attempts=3)
    last = receiver.hits[-1]
    assert last.webhook_id == poisoned_id
    assert verify_webhook(last.body, last.headers, secret)["name"] == POISON
    assert api.get(f"webhooks/deliveries/{again['id']}").json()["status"] == "delivered"
    assert api.get(f"webhooks/deliveries/{parked['id']}").json()["status"] == "parked"  # the log keeps it


def test_strict_waits_for_the_refused_event_while_it_is_retried(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session]
) -> None:
    """With real waits, a strict lane holds the later events back while its head waits to retry."""
    receiver.respond = refuse(POISON)  # type: ignore[assignment]
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers(*NAMES)
    deliver(session_factory, webhook_retry_scale=1.0)
    assert names(receiver.hits) == NAMES[:4]  # the head failed; its retry is due in 15 s
    deliveries = hooks.deliveries(sub_id)
    assert [d.status for d in deliveries] == ["delivered"] * 3 + ["pending"] * 5
    assert deliveries[3].next_attempt_at is not None
    assert deliveries[3].next_attempt_at > utcnow()


def test_strict_with_the_receiver_down_parks_then_disables_after_twenty_failures(
    hooks: Hooks, session_factory: sessionmaker[Session]
) -> None:
    """A receiver that accepts nothing: the lane's failures count across events (8 + 8 + 4 attempts):
    Factorial's 20 attempts, then the subscription is disabled, the head event failed."""
    from tests.integration.test_webhooks_delivery import free_port

    sub_id, _ = hooks.subscribe(f"http://127.0.0.1:{free_port()}/down")
    hooks.cost_centers("a", "b", "c", "d")
    deliver(session_factory)  # default: parked after 8 attempts
    deliveries = hooks.deliveries(sub_id)
    assert [(d.status, d.attempts) for d in deliveries] == [
        ("parked", 8),
        ("parked", 8),
        ("failed", 4),
        ("pending", 0),
    ]
    sub = hooks.subscription(sub_id)
    assert sub.enabled is False
    assert sub.disabled_reason == "delivery_failed"
    assert sub.failure_streak == 20


def test_strict_lane_idle_after_parking_is_not_disabled_by_one_later_failure(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session]
) -> None:
    """Failures are counted in attempts: days after its head was parked, a lane's next failure is
    retried (on the lane's grown schedule), not a reason to disable the subscription."""
    from datetime import timedelta

    from sqlalchemy import update

    from expensehub.models.webhooks import WebhookSubscription

    receiver.respond = lambda hit, n: 500
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers("poisoned")
    deliver(session_factory, webhook_park_after_attempts=3)
    assert [d.status for d in hooks.deliveries(sub_id)] == ["parked"]
    with transaction(session_factory) as s:  # the parking happened four days ago
        s.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == sub_id)
            .values(failing_since=utcnow() - timedelta(days=4))
        )
    hooks.cost_centers("days later")
    deliver(session_factory, webhook_park_after_attempts=3, webhook_retry_scale=1.0)
    sub = hooks.subscription(sub_id)
    assert sub.enabled is True
    assert sub.failure_streak == 4
    later = hooks.deliveries(sub_id)[-1]
    assert (later.status, later.attempts) == ("pending", 1)
    assert later.next_attempt_at is not None
    assert later.next_attempt_at - utcnow() > timedelta(minutes=1)  # the lane's 4th wait: 2 minutes


# --- independent --------------------------------------------------------------------------------


def test_independent_delivers_the_later_events_without_waiting(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session]
) -> None:
    receiver.respond = refuse(POISON)  # type: ignore[assignment]
    sub_id, _ = hooks.subscribe(receiver.url(), delivery_order="independent")
    hooks.cost_centers(*NAMES)
    deliver(session_factory, webhook_retry_scale=1.0)  # real waits: the refused one waits 15 s
    assert names(receiver.hits) == NAMES  # one pass: the refused event held nothing back
    assert names(receiver.hits, 500) == [POISON]
    deliveries = hooks.deliveries(sub_id)
    poisoned = deliveries[NAMES.index(POISON)]
    assert poisoned.status == "pending"
    assert poisoned.next_attempt_at is not None
    assert poisoned.next_attempt_at > utcnow()
    assert [d.status for d in deliveries].count("delivered") == len(NAMES) - 1
    assert hooks.subscription(sub_id).retry_at is None


def test_independent_gives_up_on_the_refused_event_only(
    hooks: Hooks, receiver: Receiver, api: ApiClient, session_factory: sessionmaker[Session]
) -> None:
    receiver.respond = refuse(POISON)  # type: ignore[assignment]
    sub_id, secret = hooks.subscribe(receiver.url(), delivery_order="independent")
    hooks.cost_centers(*NAMES)
    stats = deliver(session_factory)
    assert stats.gave_up == 1
    assert stats.parked == 0
    assert names(receiver.hits, 200) == [n for n in NAMES if n != POISON]
    assert names(receiver.hits).count(POISON) == 20
    [failed] = log(api, sub_id, **{"statuses[]": ["failed"]})
    assert failed["attempts"] == 20
    assert hooks.subscription(sub_id).enabled is True  # the others were accepted meanwhile
    receiver.respond = lambda hit, n: 200
    assert api.post("webhooks/deliveries/redeliver", json={"id": failed["id"]}).status_code == 200
    deliver(session_factory)
    assert verify_webhook(receiver.hits[-1].body, receiver.hits[-1].headers, secret)["name"] == POISON


def test_independent_with_the_receiver_down_disables_the_subscription(
    hooks: Hooks, session_factory: sessionmaker[Session]
) -> None:
    from tests.integration.test_webhooks_delivery import free_port

    sub_id, _ = hooks.subscribe(f"http://127.0.0.1:{free_port()}/down", delivery_order="independent")
    hooks.cost_centers("a", "b")
    deliver(session_factory)
    first, _second = hooks.deliveries(sub_id)
    assert (first.status, first.attempts) == ("failed", 20)
    sub = hooks.subscription(sub_id)
    assert sub.enabled is False
    assert sub.disabled_reason == "delivery_failed"


def test_switching_the_order_takes_effect_on_the_queued_deliveries(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session], tenant: Tenant
) -> None:
    receiver.respond = refuse(POISON)  # type: ignore[assignment]
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers(*NAMES)
    deliver(session_factory, webhook_retry_scale=1.0)
    assert names(receiver.hits) == NAMES[:4]  # strict: held back behind the refused event
    with transaction(session_factory) as s:
        service.update_subscription(
            s,
            company_id=tenant.company_id,
            subscription_id=sub_id,
            changes={"delivery_order": "independent"},
            allow_private=True,
            author=tenant.author,
        )
    deliver(session_factory, webhook_retry_scale=1.0)
    assert names(receiver.hits) == [*NAMES[:4], *NAMES[4:]]  # the rest go; the refused one waits
    assert hooks.deliveries(sub_id)[3].status == "pending"


# --- several workers (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.parametrize("order", ["strict", "independent"])
def test_two_workers_with_a_poisoned_event_send_everything_else_once(
    db_url: str, hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session], order: str
) -> None:
    """SKIP LOCKED lanes keep their guarantees with parking and independent retries: no event is sent
    twice by two workers, every accepted event arrives, and strict lanes keep their order."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers run on PostgreSQL only (SQLite allows one)")
    poison = "n0042"

    def respond(hit: Hit, n: int) -> int:
        return 500 if json.loads(hit.body)["name"] == poison else 200

    receiver.respond = respond
    subs = [hooks.subscribe(receiver.url(f"/s{i}"), delivery_order=order)[0] for i in range(4)]
    with transaction(session_factory) as s:
        service.emit_many(
            s,
            company_id=hooks.tenant.company_id,
            event_type="finance/cost_center/create",
            payloads=[{"id": i + 1, "name": f"n{i:04d}"} for i in range(150)],
            author=hooks.tenant.author,
        )
    expected = [f"n{k:04d}" for k in range(150) if f"n{k:04d}" != poison]
    stops = [threading.Event(), threading.Event()]
    results: list[WorkerStats] = []
    cfg = settings(webhook_concurrency=2, webhook_batch_size=5, webhook_park_after_attempts=3)
    threads = [
        threading.Thread(
            target=lambda e=e: results.append(run_delivery_worker(session_factory, cfg, stop_event=e))
        )
        for e in stops
    ]
    for t in threads:
        t.start()
    refusals = 3 if order == "strict" else 20
    try:
        wait_for(
            lambda: (
                len(receiver.ok_hits()) >= len(expected) * len(subs)
                and sum(1 for h in list(receiver.hits) if h.status == 500) >= refusals * len(subs)
            ),
            what="every delivery",
        )
    finally:
        for e in stops:
            e.set()
        for t in threads:
            t.join(HANG_S)
    ok = [(h.path, h.webhook_id) for h in receiver.ok_hits()]
    assert len(ok) == len(set(ok)) == len(expected) * len(subs)  # nothing accepted was sent twice
    for i in range(len(subs)):
        got = [json.loads(h.body)["name"] for h in receiver.ok_hits() if h.path == f"/s{i}"]
        if order == "strict":
            assert got == expected  # in order, the parked one left out
        else:
            assert sorted(got) == expected
        tries = [h for h in receiver.hits if h.path == f"/s{i}" and h.status == 500]
        assert [h.headers["x-expensehub-attempt"] for h in tries] == [str(n) for n in range(1, refusals + 1)]
    status = "parked" if order == "strict" else "failed"
    for sub_id in subs:
        assert [d.status for d in hooks.deliveries(sub_id)].count(status) == 1
        assert hooks.subscription(sub_id).enabled is True
