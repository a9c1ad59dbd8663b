"""The delivery worker: claims lanes (one per subscription), sends their deliveries in order, records.

* A lane is a subscription with pending deliveries. A worker leases up to ``webhook_concurrency``
  lanes at once (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never share a lane) and
  sends each lane's deliveries one after the other, in id order.
* ``strict`` lanes keep the order of the changes: a failed attempt stops the lane until its retry
  is due, and an event that failed ``webhook_park_after_attempts`` times is parked so the lane goes
  on. ``independent`` lanes send what is due; a failed delivery waits for its own retry without
  holding the others back. ``rules.after_failure`` decides, and when a subscription is disabled.
* Results (attempts, delivery states, the lane's lease) are written in one transaction per batch.
  A worker killed mid-batch has sent deliveries it did not record: they are sent again, with the
  same ``webhook-id``, once its lease expires (at-least-once; receivers dedupe on ``webhook-id``).
* On SQLite a single worker runs (a lock file next to the database enforces it) and takes over the
  leases a dead worker left at start. On PostgreSQL workers wake on ``NOTIFY`` at commit, and poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from expensehub.config import Settings, load_settings
from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.webhooks import repository, rules
from expensehub.webhooks.delivery import Sender, SendResult, build_headers, render_body, signing_keys
from expensehub.webhooks.repository import LaneItem, LaneSubscription

log = logging.getLogger("expensehub.webhooks")
T = TypeVar("T")
LEASE_MARGIN = 1.0  # seconds kept free at the end of a lease


class WorkerBusy(RuntimeError):
    """Another delivery worker already runs on this SQLite database."""


@dataclass
class WorkerStats:
    """What a worker did."""

    delivered: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    parked: int = 0
    batches: int = 0


@dataclass(frozen=True)
class _Attempt:
    item: LaneItem
    attempt: int
    first_attempt_at: datetime
    result: SendResult
    outcome: rules.Outcome


@dataclass
class _Lane:
    """What sending a lane's batch did: the attempts, and the lane's failures since its last success."""

    done: list[_Attempt] = field(default_factory=list)
    streak: int = 0
    failing_since: datetime | None = None


@contextlib.contextmanager
def _sqlite_lock(factory: sessionmaker[Session]) -> Iterator[IO[str] | None]:
    """Hold an exclusive lock file beside a SQLite database for the worker's life (released on exit,
    even on ``kill -9``): one worker per SQLite file."""
    import fcntl

    bind = factory.kw["bind"]
    database = bind.url.database
    if not database or database == ":memory:":
        yield None
        return
    path = f"{database}.webhook-worker.lock"
    handle = open(path, "a")  # noqa: SIM115 (held open for the worker's life)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WorkerBusy(
                f"another webhook worker runs on {database}; SQLite supports one (use PostgreSQL for more)"
            ) from exc
        yield handle
    finally:
        handle.close()


class DeliveryWorker:
    """One worker process's delivery loop (async). Most callers use ``run_delivery_worker``."""

    def __init__(self, factory: sessionmaker[Session], cfg: Settings) -> None:
        self.factory = factory
        self.cfg = cfg
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.dialect = factory.kw["bind"].dialect.name
        self.stats = WorkerStats()
        self._stopping = False

    # -- database calls, each its own short transaction, run in a thread ------------------------

    def _tx(self, fn: Callable[[Session], T]) -> T:
        with transaction(self.factory) as session:
            return fn(session)

    async def _db(self, fn: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._tx, fn)

    async def _claim(self, limit: int) -> list[int]:
        now = utcnow()
        until = now + timedelta(seconds=self.cfg.webhook_lease_seconds)
        return await self._db(
            lambda s: repository.claim_lanes(s, now=now, owner=self.owner, lease_until=until, limit=limit)
        )

    # -- one lane -------------------------------------------------------------------------------

    async def _run_lane(self, sender: Sender, subscription_id: int) -> None:
        budget_end = time.monotonic() + max(
            self.cfg.webhook_lease_seconds - self.cfg.webhook_timeout_seconds - LEASE_MARGIN, 0.0
        )
        now = utcnow()
        sub, items = await self._db(
            lambda s: repository.lane_batch(
                s,
                subscription_id=subscription_id,
                owner=self.owner,
                limit=self.cfg.webhook_batch_size,
                now=now,
            )
        )
        lane: _Lane | None = None
        if sub is not None and items:
            lane = await self._send_lane(sender, sub, items, budget_end)
        await self._db(lambda s: self._record(s, subscription_id, sub, lane))
        self.stats.batches += 1

    async def _send_lane(
        self, sender: Sender, sub: LaneSubscription, items: list[LaneItem], budget_end: float
    ) -> _Lane:
        lane = _Lane(streak=sub.failure_streak, failing_since=sub.failing_since)
        strict = sub.delivery_order == rules.STRICT
        keys = signing_keys(sub, utcnow())
        for item in items:
            if lane.done and (self._stopping or time.monotonic() > budget_end):
                break
            started = utcnow()
            attempt = item.attempts + 1
            body = render_body(sub, item)
            headers = build_headers(sub, item, body, keys, int(time.time()), attempt)
            result = await sender.post(sub.target_url, body, headers, started)
            first = item.first_attempt_at or started
            if result.ok:
                outcome = rules.Outcome("delivered")
                lane.streak, lane.failing_since = 0, None
                self.stats.delivered += 1
            else:
                lane.streak += 1
                lane.failing_since = lane.failing_since or started
                outcome = rules.after_failure(
                    order=sub.delivery_order,
                    attempts_made=attempt,
                    first_attempt_at=first,
                    streak=lane.streak,
                    failing_since=lane.failing_since,
                    now=utcnow(),
                    draw=random.random(),
                    scale=self.cfg.webhook_retry_scale,
                    park_after=self.cfg.webhook_park_after_attempts,
                )
                self.stats.failed_attempts += 1
                self.stats.gave_up += outcome.status == "failed"
                self.stats.parked += outcome.status == "parked"
            lane.done.append(_Attempt(item, attempt, first, result, outcome))
            if outcome.disable or (strict and outcome.status == "pending"):
                break  # disabled; or the strict lane waits for its head's retry
        return lane

    def _record(
        self, session: Session, subscription_id: int, sub: LaneSubscription | None, lane: _Lane | None
    ) -> None:
        now = utcnow()
        attempts: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        done = lane.done if lane is not None else []
        for a in done:
            r = a.result
            assert sub is not None
            attempts.append(
                {
                    "company_id": sub.company_id,
                    "delivery_id": a.item.delivery_id,
                    "attempt": a.attempt,
                    "started_at": r.started_at,
                    "status_code": r.status_code,
                    "latency_ms": r.latency_ms,
                    "error": r.error,
                    "response_body": r.body,
                }
            )
            deliveries.append(
                {
                    "id": a.item.delivery_id,
                    "status": a.outcome.status,
                    "attempts": a.attempt,
                    "next_attempt_at": a.outcome.next_attempt_at,
                    "first_attempt_at": a.first_attempt_at,
                    "last_attempt_at": r.started_at,
                    "last_status_code": r.status_code,
                    "last_latency_ms": r.latency_ms,
                    "last_error": r.error,
                    "delivered_at": now if a.outcome.status == "delivered" else None,
                }
            )
        repository.record_attempts(session, attempts, deliveries)
        last = done[-1].outcome if done else None
        strict = sub is not None and sub.delivery_order == rules.STRICT
        repository.release_lane(
            session,
            subscription_id=subscription_id,
            owner=self.owner,
            retry_at=last.next_attempt_at
            if strict and last is not None and last.status == "pending"
            else None,
            disable_reason="delivery_failed" if any(a.outcome.disable for a in done) else None,
            now=now,
            streak=(lane.streak, lane.failing_since) if lane is not None and done else None,
        )

    # -- the loop -------------------------------------------------------------------------------

    async def _listen(self, wake: asyncio.Event) -> None:
        """PostgreSQL: set ``wake`` on every NOTIFY (sent by ``emit`` at commit)."""
        import psycopg

        url = self.factory.kw["bind"].url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {repository.NOTIFY_CHANNEL}")
                async for _ in conn.notifies():
                    wake.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the listener is an optimisation: polling goes on without it
            log.warning("webhook NOTIFY listener stopped (%s); polling only", exc)

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> WorkerStats:
        """Deliver until ``stop`` is set (or, with ``once``, until nothing is due)."""
        stop = stop or asyncio.Event()
        wake = asyncio.Event()
        listener = asyncio.create_task(self._listen(wake)) if self.dialect == "postgresql" else None
        if self.dialect == "sqlite":
            released = await self._db(repository.release_all_leases)
            if released:
                log.info("took over %d lane lease(s) left by a stopped worker", released)
        running: set[asyncio.Task[None]] = set()
        stop_wait = asyncio.create_task(stop.wait())
        try:
            async with Sender(
                timeout=self.cfg.webhook_timeout_seconds,
                max_response_bytes=self.cfg.webhook_max_response_bytes,
                allow_private=self.cfg.webhook_allow_private_targets,
                limit=self.cfg.webhook_concurrency * 2,
            ) as sender:
                while not stop.is_set():
                    wake.clear()  # before claiming: a NOTIFY from now on ends the wait below
                    claimed: list[int] = []
                    free = self.cfg.webhook_concurrency - len(running)
                    if free > 0:
                        try:
                            claimed = await self._claim(free)
                        except Exception:
                            log.exception("claiming webhook lanes failed; retrying")
                    for sid in claimed:
                        task = asyncio.create_task(self._run_lane(sender, sid))
                        running.add(task)
                    if once and not running:
                        break
                    if claimed and len(running) < self.cfg.webhook_concurrency:
                        continue
                    wake_wait = asyncio.create_task(wake.wait())
                    finished, _ = await asyncio.wait(
                        {*running, wake_wait, stop_wait},
                        timeout=self.cfg.webhook_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    wake_wait.cancel()
                    self._reap(finished, running)
                self._stopping = True
                if running:
                    finished, _ = await asyncio.wait(running)
                    self._reap(finished, running)
        finally:
            stop_wait.cancel()
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
        return self.stats

    def _reap(self, finished: set[Any], running: set[asyncio.Task[None]]) -> None:
        for task in finished:
            if task in running:
                running.discard(task)
                exc = task.exception()
                if exc is not None:
                    log.error("a webhook lane failed; its lease expires and it is retried", exc_info=exc)


def run_delivery_worker(
    factory: sessionmaker[Session],
    settings: Settings | None = None,
    *,
    once: bool = False,
    stop_event: threading.Event | None = None,
    handle_signals: bool = False,
) -> WorkerStats:
    """Run the delivery loop in this thread until ``stop_event`` is set (or, ``once``, nothing is due).

    ``settings`` supplies the ``webhook_*`` fields (read from the environment when omitted).
    ``handle_signals`` makes SIGINT/SIGTERM stop the loop gracefully: in-flight requests finish and
    are recorded. On SQLite raises ``WorkerBusy`` when a worker already runs.
    """
    cfg = settings if settings is not None else load_settings()
    worker = DeliveryWorker(factory, cfg)

    async def main() -> WorkerStats:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        bridge: threading.Thread | None = None
        if stop_event is not None:

            def relay() -> None:
                stop_event.wait()
                with contextlib.suppress(RuntimeError):  # the loop already ended (``once``): nothing to stop
                    loop.call_soon_threadsafe(stop.set)

            bridge = threading.Thread(target=relay, daemon=True, name="webhook-stop-relay")
            bridge.start()
        return await worker.run(once=once, stop=stop)

    if worker.dialect == "sqlite":
        with _sqlite_lock(factory):
            return asyncio.run(main())
    return asyncio.run(main())
