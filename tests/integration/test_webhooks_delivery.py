"""Webhook delivery end to end: a real aiohttp receiver on 127.0.0.1, the real worker, a real database.

The worker runs in-process with ``once=True`` (deliver what is due, then return) and a retry scale of
0, so the 20-attempt schedule runs at once; nothing here waits on a clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.client import verify_webhook
from expensehub.config import Settings
from expensehub.db.engine import transaction
from expensehub.db.resources import get_object
from expensehub.finance import service as finance
from expensehub.kit.clock import utcnow
from expensehub.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from expensehub.webhooks import resources, rules, service
from expensehub.webhooks.delivery import Sender, SendResult
from expensehub.webhooks.rules import Author
from expensehub.webhooks.worker import WorkerBusy, WorkerStats, _sqlite_lock, run_delivery_worker
from tests.factories import ApiClient, Tenant
from tests.waiting import HANG_S, wait_for

HANG = -1  # a status that makes the receiver never answer (until it stops)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


Responder = Callable[["Hit", int], "int | tuple[int, bytes, dict[str, str]]"]


@dataclass
class Receiver:
    """An aiohttp server on 127.0.0.1 (own thread and loop) recording every request it gets.

    ``respond(hit, n)`` decides the answer; ``n`` counts the requests with this webhook-id so far.
    With ``hold_after=N``, requests after the N-th wait (unanswered) until ``release()``.
    """

    respond: Responder = lambda hit, n: 200
    hold_after: int | None = None
    hits: list[Hit] = field(default_factory=list)
    unique: set[str] = field(default_factory=set)
    port: int = 0
    waiting: int = 0
    _seen: Counter[str] = field(default_factory=Counter)
    _loop: asyncio.AbstractEventLoop | None = None
    _gate: asyncio.Event | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        hit = Hit(request.path, headers, body, time.time(), 0)
        self._seen[headers.get("webhook-id", "")] += 1
        n = self._seen[headers.get("webhook-id", "")]
        if self.hold_after is not None and len(self.hits) >= self.hold_after:
            assert self._gate is not None
            self.waiting += 1
            await self._gate.wait()
        answer = self.respond(hit, n)
        status, payload, extra = answer if isinstance(answer, tuple) else (answer, b"ok", {})
        hit.status = status
        self.hits.append(hit)
        self.unique.add(hit.headers.get("webhook-id", ""))
        if status == HANG:
            await asyncio.Event().wait()
        return web.Response(status=status, body=payload, headers=extra)

    def start(self) -> Receiver:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._gate = asyncio.Event()
            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name="webhook-receiver")
        self._thread.start()
        assert ready.wait(HANG_S), "receiver did not start"
        return self

    def release(self) -> None:
        assert self._loop is not None
        assert self._gate is not None
        self._loop.call_soon_threadsafe(self._gate.set)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def ok_hits(self) -> list[Hit]:
        return [h for h in list(self.hits) if 200 <= h.status < 300]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.release()
    r.stop()


def settings(**kw: Any) -> Settings:
    base: dict[str, Any] = {
        "webhook_allow_private_targets": True,
        "webhook_retry_scale": 0.0,
        # Bounds an attempt to a receiver that hangs; a healthy one on a loaded machine answers well
        # within it (tests of the time limit itself set their own).
        "webhook_timeout_seconds": 30.0,
        "webhook_poll_seconds": 0.05,
    }
    return Settings(**{**base, **kw})


def deliver(factory: sessionmaker[Session], **kw: Any) -> WorkerStats:
    return run_delivery_worker(factory, settings(**kw), once=True)


class Hooks:
    """Subscriptions of the test's company, made through the service; deleted at teardown."""

    def __init__(self, factory: sessionmaker[Session], tenant: Tenant) -> None:
        self.factory = factory
        self.tenant = tenant
        self.ids: list[int] = []

    def subscribe(self, url: str, type: str = "finance/cost_center/create", **kw: Any) -> tuple[int, str]:
        with transaction(self.factory) as s:
            sub, secret = service.create_subscription(
                s,
                company_id=self.tenant.company_id,
                subscription_type=type,
                target_url=url,
                allow_private=True,
                **{"author": self.tenant.author, **kw},
            )
            self.ids.append(sub.id)
            return sub.id, secret

    def cost_centers(self, *names: str) -> list[int]:
        """One committed transaction per name, in order."""
        ids = []
        for name in names:
            with transaction(self.factory) as s:
                cc = finance.create_cost_center(
                    s, company_id=self.tenant.company_id, name=name, author=self.tenant.author
                )
                ids.append(cc.id)
        return ids

    def subscription(self, sub_id: int) -> WebhookSubscription:
        with transaction(self.factory) as s:
            return get_object(
                s,
                resources.SUBSCRIPTIONS,
                WebhookSubscription,
                company_id=self.tenant.company_id,
                item_id=sub_id,
            )

    def deliveries(self, sub_id: int) -> list[WebhookDelivery]:
        with transaction(self.factory) as s:
            return list(
                s.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.subscription_id == sub_id)
                    .order_by(WebhookDelivery.id)
                )
            )

    def attempts(self, delivery_id: int) -> list[WebhookAttempt]:
        with transaction(self.factory) as s:
            return list(
                s.scalars(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id == delivery_id)
                    .order_by(WebhookAttempt.id)
                )
            )

    def close(self) -> None:
        with transaction(self.factory) as s:
            for sub_id in self.ids:
                with contextlib.suppress(Exception):
                    service.delete_subscription(
                        s,
                        company_id=self.tenant.company_id,
                        subscription_id=sub_id,
                        author=Author.company(self.tenant.company_id),
                    )


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


# --- the happy path -----------------------------------------------------------------------------


def test_signed_delivery_is_the_api_object_and_verifies(
    hooks: Hooks, receiver: Receiver, api: ApiClient, session_factory: sessionmaker[Session]
) -> None:
    sub_id, secret = hooks.subscribe(receiver.url("/erp"), challenge="ch-123")
    r = api.post("finance/cost_centers", json={"name": "Sales", "company_id": str(hooks.tenant.company_id)})
    assert r.status_code == 201
    cc = r.json()
    stats = deliver(session_factory)
    assert stats.delivered >= 1
    [hit] = receiver.hits
    assert hit.path == "/erp"
    assert verify_webhook(hit.body, hit.headers, secret) == api.get(f"finance/cost_centers/{cc['id']}").json()
    assert hit.headers["content-type"] == "application/json"
    assert hit.headers["x-factorial-wh-challenge"] == "ch-123"
    assert hit.headers["x-expensehub-event-type"] == "finance/cost_center/create"
    assert hit.headers["x-factorial-author-type"] == "company"  # an API key acts for the company
    assert hit.headers["x-factorial-author-id"] == str(hooks.tenant.company_id)
    assert abs(int(hit.headers["webhook-timestamp"]) - time.time()) < 300
    [d] = hooks.deliveries(sub_id)
    assert d.status == "delivered"
    assert d.attempts == 1
    assert d.last_status_code == 200
    assert d.next_attempt_at is None
    assert d.delivered_at is not None
    [attempt] = hooks.attempts(d.id)
    assert attempt.status_code == 200
    assert attempt.response_body == "ok"
    assert attempt.error is None
    assert attempt.latency_ms >= 0
    with transaction(session_factory) as s:
        assert s.scalar(select(WebhookEvent.msg_id).where(WebhookEvent.id == d.event_id)) == hit.webhook_id
    # Nothing is due any more: a second run sends nothing.
    deliver(session_factory)
    assert len(receiver.hits) == 1


def test_author_headers(
    hooks: Hooks, receiver: Receiver, api: ApiClient, session_factory: sessionmaker
) -> None:
    hooks.subscribe(receiver.url(), type="api_public/webhook_subscription/update")
    other, _ = hooks.subscribe(receiver.url(), type="finance/cost_center/edit")
    assert api.put(f"api_public/webhook_subscriptions/{other}", json={"name": "x"}).status_code == 200
    deliver(session_factory)
    [hit] = receiver.hits
    assert hit.headers["x-factorial-author-id"] == str(hooks.tenant.company_id)
    assert hit.headers["x-factorial-author-type"] == "company"
    assert "whsec_" not in hit.body.decode()
    assert '"secret"' not in hit.body.decode()


def test_payload_is_rendered_in_the_subscriptions_version(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    _, old = hooks.subscribe(receiver.url("/old"), api_version="2026-04-01")
    _, new = hooks.subscribe(receiver.url("/new"), api_version="2026-07-01")
    [cc_id] = hooks.cost_centers("Ops")
    deliver(session_factory)
    by_path = {h.path: h for h in receiver.hits}
    assert verify_webhook(by_path["/old"].body, by_path["/old"].headers, old)["id"] == cc_id
    assert verify_webhook(by_path["/new"].body, by_path["/new"].headers, new)["id"] == str(cc_id)
    # one event, one webhook-id, delivered to both subscriptions
    assert by_path["/old"].webhook_id == by_path["/new"].webhook_id


# --- failures, retries, giving up ---------------------------------------------------------------


def test_fails_three_times_then_succeeds_with_the_same_webhook_id(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    receiver.respond = lambda hit, n: (500, b"boom", {}) if n <= 3 else 200
    sub_id, secret = hooks.subscribe(receiver.url())
    hooks.cost_centers("Retry")
    deliver(session_factory)
    assert len(receiver.hits) == 4
    assert len({h.webhook_id for h in receiver.hits}) == 1
    assert [h.headers["x-expensehub-attempt"] for h in receiver.hits] == ["1", "2", "3", "4"]
    for h in receiver.hits:
        assert verify_webhook(h.body, h.headers, secret)["name"] == "Retry"
    [d] = hooks.deliveries(sub_id)
    assert d.status == "delivered"
    assert d.attempts == 4
    attempts = hooks.attempts(d.id)
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert [a.attempt for a in attempts] == [1, 2, 3, 4]
    assert attempts[0].error == "HTTP 500"
    assert attempts[0].response_body == "boom"
    assert hooks.subscription(sub_id).enabled is True


def test_receiver_down_past_the_last_retry_disables_the_subscription(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    sub_id, secret = hooks.subscribe(f"http://127.0.0.1:{free_port()}/down")
    hooks.cost_centers("first", "second")
    stats = deliver(session_factory, webhook_park_after_attempts=20)  # never park: Factorial's behaviour
    assert stats.gave_up >= 1
    first, second = hooks.deliveries(sub_id)
    assert first.status == "failed"
    assert first.attempts == 20
    attempts = hooks.attempts(first.id)
    assert len(attempts) == 20
    assert {a.error for a in attempts} == {"connection refused"}
    assert all(a.status_code is None for a in attempts)
    # the lane stops at the failed head: the later delivery waits, untouched
    assert second.status == "pending"
    assert second.attempts == 0
    sub = hooks.subscription(sub_id)
    assert sub.enabled is False
    assert sub.disabled_reason == "delivery_failed"
    assert sub.disabled_at is not None
    # a disabled subscription gets no new deliveries
    hooks.cost_centers("third")
    assert len(hooks.deliveries(sub_id)) == 2
    # re-enabled on a working URL: the queued delivery goes, in order
    with transaction(session_factory) as s:
        service.update_subscription(
            s,
            company_id=hooks.tenant.company_id,
            subscription_id=sub_id,
            changes={"enabled": True, "target_url": receiver.url()},
            allow_private=True,
            author=Author.company(hooks.tenant.company_id),
        )
    deliver(session_factory)
    assert [verify_webhook(h.body, h.headers, secret)["name"] for h in receiver.hits] == ["second"]
    assert hooks.subscription(sub_id).disabled_reason is None
    # and the failed one can be redelivered, same webhook-id
    with transaction(session_factory) as s:
        service.redeliver(s, company_id=hooks.tenant.company_id, delivery_id=first.id)
    deliver(session_factory)
    assert [verify_webhook(h.body, h.headers, secret)["name"] for h in receiver.hits] == ["second", "first"]
    assert receiver.hits[-1].webhook_id != receiver.hits[0].webhook_id
    assert hooks.deliveries(sub_id)[-1].redelivery_of_id == first.id


def test_nothing_is_sent_for_a_rolled_back_change(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session]
) -> None:
    hooks.subscribe(receiver.url())

    def count_events() -> int:
        with transaction(session_factory) as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(WebhookEvent)
                    .where(WebhookEvent.company_id == hooks.tenant.company_id)
                )
                or 0
            )

    before = count_events()
    seen_inside: list[int] = []

    def failing_request() -> None:
        with transaction(session_factory) as s:
            finance.create_cost_center(
                s,
                company_id=hooks.tenant.company_id,
                name="ghost",
                author=Author.company(hooks.tenant.company_id),
            )
            s.flush()
            seen_inside.append(count_events())  # another connection: not visible before commit
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        failing_request()
    assert seen_inside == [before]
    assert count_events() == before
    deliver(session_factory)
    assert receiver.hits == []
    hooks.cost_centers("real")
    deliver(session_factory)
    assert [h.body.count(b'"real"') for h in receiver.hits] == [1]


def test_order_is_kept_per_subscription_through_a_failure(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    def respond(hit: Hit, n: int) -> int:
        return 503 if b'"cc-07"' in hit.body and n <= 2 else 200

    receiver.respond = respond
    _, secret = hooks.subscribe(receiver.url())
    names = [f"cc-{i:02d}" for i in range(25)]
    hooks.cost_centers(*names)
    deliver(session_factory, webhook_batch_size=4)
    order = [verify_webhook(h.body, h.headers, secret)["name"] for h in receiver.hits]
    assert [n for n, h in zip(order, receiver.hits, strict=True) if h.status == 200] == names
    # cc-07 was tried three times, and nothing after it went before it succeeded
    assert order[7:10] == ["cc-07", "cc-07", "cc-07"]


def test_redirects_are_not_followed(hooks: Hooks, receiver: Receiver, session_factory: sessionmaker) -> None:
    receiver.respond = lambda hit, n: (302, b"", {"Location": receiver.url("/elsewhere")}) if n == 1 else 200
    sub_id, _ = hooks.subscribe(receiver.url("/hook"))
    hooks.cost_centers("moved")
    deliver(session_factory)
    assert [h.path for h in receiver.hits] == ["/hook", "/hook"]
    [d] = hooks.deliveries(sub_id)
    first, second = hooks.attempts(d.id)
    assert first.status_code == 302
    assert first.error == "redirect (302) not followed"
    assert second.status_code == 200
    assert d.status == "delivered"


def test_response_bodies_are_capped(hooks: Hooks, receiver: Receiver, session_factory: sessionmaker) -> None:
    receiver.respond = lambda hit, n: (200, b"x" * 5_000_000, {})
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers("big answer")
    deliver(session_factory, webhook_max_response_bytes=2000)
    [d] = hooks.deliveries(sub_id)
    assert d.status == "delivered"
    [attempt] = hooks.attempts(d.id)
    assert attempt.response_body is not None
    assert len(attempt.response_body) == 1024
    assert attempt.response_body.endswith("…")


def test_a_receiver_that_never_answers_times_out(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    receiver.respond = lambda hit, n: HANG if n == 1 else 200
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers("slow")
    deliver(session_factory, webhook_timeout_seconds=1.0)
    [d] = hooks.deliveries(sub_id)
    attempts = hooks.attempts(d.id)
    assert attempts[0].error == "timeout"
    assert attempts[0].status_code is None
    assert attempts[0].latency_ms >= 1000
    assert attempts[-1].status_code == 200
    assert d.status == "delivered"


def test_private_targets_are_refused_at_delivery_unless_allowed(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    sub_id, _ = hooks.subscribe(receiver.url())
    hooks.cost_centers("internal")
    deliver(session_factory, webhook_allow_private_targets=False, webhook_park_after_attempts=20)
    assert receiver.hits == []
    [d] = hooks.deliveries(sub_id)
    assert d.status == "failed"
    assert d.last_error is not None
    assert d.last_error.startswith("blocked")
    assert "loopback" in d.last_error
    assert hooks.subscription(sub_id).enabled is False


@pytest.mark.parametrize(
    "host", ["127.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.0.0.1.", "[::ffff:127.0.0.1]"]
)
def test_numeric_loopback_forms_are_refused_at_delivery_before_connecting(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker, host: str
) -> None:
    """A target stored while private targets were allowed is judged by the same normaliser when sent:
    refused before any connection, with the subscription check's reason (every DNS answer is also
    checked again by the resolver; aiohttp itself refuses non-canonical IPv4 forms)."""
    sub_id, _ = hooks.subscribe(f"http://{host}:{receiver.port}/x")
    hooks.cost_centers("numeric")
    deliver(session_factory, webhook_allow_private_targets=False)
    assert receiver.hits == []
    [d] = hooks.deliveries(sub_id)
    assert d.last_error == "blocked: target_url must not point at a loopback address"


def test_secret_rotation_signs_with_both_secrets_during_the_overlap(
    hooks: Hooks, receiver: Receiver, session_factory: sessionmaker
) -> None:
    sub_id, old = hooks.subscribe(receiver.url())
    with transaction(session_factory) as s:
        _, new = service.rotate_secret(
            s, company_id=hooks.tenant.company_id, subscription_id=sub_id, overlap_seconds=3600
        )
    hooks.cost_centers("overlap")
    deliver(session_factory)
    hit = receiver.hits[-1]
    assert len(hit.headers["webhook-signature"].split(" ")) == 2
    assert verify_webhook(hit.body, hit.headers, old)["name"] == "overlap"
    assert verify_webhook(hit.body, hit.headers, new)["name"] == "overlap"
    with transaction(session_factory) as s:
        _, newest = service.rotate_secret(
            s, company_id=hooks.tenant.company_id, subscription_id=sub_id, overlap_seconds=0
        )
    hooks.cost_centers("after")
    deliver(session_factory)
    hit = receiver.hits[-1]
    assert len(hit.headers["webhook-signature"].split(" ")) == 1
    assert verify_webhook(hit.body, hit.headers, newest)["name"] == "after"
    with pytest.raises(Exception, match="no signature matches"):
        verify_webhook(hit.body, hit.headers, new)


def test_names_resolving_to_private_addresses_are_refused_at_connect(receiver: Receiver) -> None:
    host = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        pytest.skip(f"{host} does not resolve")
    if not addresses or any(rules.address_problem(str(a)) is None for a in addresses):
        pytest.skip(f"{host} resolves to a public address here")
    assert rules.url_problem(f"http://{host}/", allow_private=False) is None  # only DNS tells

    async def post(allow: bool) -> SendResult:
        async with Sender(timeout=30, max_response_bytes=100, allow_private=allow, limit=2) as sender:
            return await sender.post(f"http://{host}:{receiver.port}/x", b"{}", {}, utcnow())

    refused = asyncio.run(post(False))
    assert refused.error is not None
    assert refused.error.startswith("blocked"), refused.error
    assert refused.status_code is None
    assert receiver.hits == []
    assert asyncio.run(post(True)).status_code == 200


# --- several workers ----------------------------------------------------------------------------


def test_two_workers_on_postgresql_never_send_an_event_twice(
    db_url: str, hooks: Hooks, receiver: Receiver, session_factory: sessionmaker[Session]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers run on PostgreSQL only (SQLite allows one)")
    subs = [hooks.subscribe(receiver.url(f"/s{i}"))[0] for i in range(4)]
    with transaction(session_factory) as s:
        for i in range(300):
            service.emit(
                s,
                company_id=hooks.tenant.company_id,
                event_type="finance/cost_center/create",
                payload={"id": i + 1, "name": f"n{i:04d}"},
                author=Author.company(hooks.tenant.company_id),
            )
    total = 300 * len(subs)
    stops = [threading.Event(), threading.Event()]
    results: list[WorkerStats] = []
    cfg = settings(webhook_concurrency=2, webhook_batch_size=5)
    threads = [
        threading.Thread(
            target=lambda e=e: results.append(run_delivery_worker(session_factory, cfg, stop_event=e))
        )
        for e in stops
    ]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(receiver.hits) >= total, what=f"{total} deliveries")
    finally:
        for e in stops:
            e.set()
        for t in threads:
            t.join(HANG_S)
    keys = [(h.path, h.webhook_id) for h in receiver.hits]
    assert len(keys) == total
    assert len(set(keys)) == total  # nothing sent twice
    for i in range(len(subs)):
        names = [json.loads(h.body)["name"] for h in receiver.hits if h.path == f"/s{i}"]
        assert names == [f"n{k:04d}" for k in range(300)]  # all, in order, per subscription
    assert sum(r.delivered for r in results) == total


def test_sqlite_allows_one_worker(db_url: str, session_factory: sessionmaker[Session]) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the single-worker lock is for SQLite")
    with _sqlite_lock(session_factory), pytest.raises(WorkerBusy):
        run_delivery_worker(session_factory, settings(), once=True)
    # once the first worker is gone, the next one starts
    run_delivery_worker(session_factory, settings(), once=True)
