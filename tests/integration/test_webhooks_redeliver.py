"""Redeliver is a compare-and-set: twenty identical requests at once through a real uvicorn server on
127.0.0.1 queue the event once; the others get 409 ``already_queued`` with the current state."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.config import Settings
from expensehub.db.engine import transaction
from expensehub.models.webhooks import WebhookAttempt, WebhookDelivery
from tests.factories import Tenant
from tests.integration.test_webhooks_delivery import Hooks, Receiver, deliver
from tests.integration.test_webhooks_delivery import receiver as receiver  # the fixture
from tests.live import serve
from tests.waiting import HANG_S

PARALLEL = 20


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    """The API served by uvicorn on 127.0.0.1:<free port> (one process, its thread pool)."""
    with serve(Settings(database_url=db_url)) as base_url:
        yield f"{base_url}/api/2026-10-01/resources"


def _rows(factory: sessionmaker[Session], sub_id: int) -> list[WebhookDelivery]:
    with transaction(factory) as s:
        return list(
            s.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.subscription_id == sub_id)
                .order_by(WebhookDelivery.id)
            )
        )


def _attempts(factory: sessionmaker[Session], delivery_id: int) -> int:
    with transaction(factory) as s:
        return int(s.scalar(select(func.count()).where(WebhookAttempt.delivery_id == delivery_id)) or 0)


def _at_once(url: str, api_key: str, body: dict[str, Any]) -> list[httpx.Response]:
    """``PARALLEL`` POSTs released together (one client and thread each)."""
    gate = threading.Barrier(PARALLEL, timeout=HANG_S)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def one() -> None:
        with httpx.Client(headers={"x-api-key": api_key}, timeout=HANG_S) as client:
            gate.wait()
            r = client.post(url, json=body)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=one) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(3 * HANG_S)  # the gate, then the request
    assert len(answers) == PARALLEL
    return answers


def test_twenty_redelivers_at_once_queue_the_event_once(
    server: str,
    hooks: Hooks,
    receiver: Receiver,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
) -> None:
    receiver.respond = lambda hit, n: 500 if n == 1 else 200  # the first attempt fails: parked
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers("race")
    deliver(session_factory, webhook_park_after_attempts=1)
    [parked] = _rows(session_factory, sub_id)
    assert parked.status == "parked"

    answers = _at_once(f"{server}/webhooks/deliveries/redeliver", tenant.api_key, {"id": str(parked.id)})

    assert Counter(r.status_code for r in answers) == {200: 1, 409: PARALLEL - 1}, [r.text for r in answers]
    [won] = [r.json() for r in answers if r.status_code == 200]
    assert won["status"] == "pending"
    assert won["redelivery_of_id"] == str(parked.id)
    for r in answers:
        if r.status_code == 409:
            body = r.json()
            assert body["code"] == "already_queued"
            assert body["details"]["delivery"]["id"] == str(parked.id)
            assert body["details"]["delivery"]["status"] == "parked"
            assert body["details"]["queued"] == won  # the current state: the one queued
    # one new row, one state change
    rows = _rows(session_factory, sub_id)
    assert [(d.id, d.status) for d in rows] == [(parked.id, "parked"), (int(won["id"]), "pending")]
    # and one new attempt when the worker runs
    deliver(session_factory)
    assert len(receiver.hits) == 2
    assert receiver.hits[0].webhook_id == receiver.hits[1].webhook_id
    assert _attempts(session_factory, int(won["id"])) == 1
    assert [d.status for d in _rows(session_factory, sub_id)] == ["parked", "delivered"]

    # delivered now: the next redelivery queues again (once), and the log keeps both
    again = _at_once(f"{server}/webhooks/deliveries/redeliver", tenant.api_key, {"id": str(parked.id)})
    assert Counter(r.status_code for r in again) == {200: 1, 409: PARALLEL - 1}
    assert len(_rows(session_factory, sub_id)) == 3


def test_a_pending_delivery_is_not_queued_twice(
    server: str, hooks: Hooks, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    sub_id, _ = hooks.subscribe("https://hooks.example.com/never-sent")  # no worker runs here
    hooks.cost_centers("queued")
    [pending] = _rows(session_factory, sub_id)
    with httpx.Client(headers={"x-api-key": tenant.api_key}, timeout=HANG_S) as client:
        r = client.post(f"{server}/webhooks/deliveries/redeliver", json={"id": str(pending.id)})
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "already_queued"
    assert body["details"]["delivery"]["status"] == "pending"
    assert body["details"]["queued"]["id"] == str(pending.id)
    assert len(_rows(session_factory, sub_id)) == 1
