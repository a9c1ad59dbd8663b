"""Webhook delivery: deliveries per second to a loopback receiver, and latency from commit to delivery.

For each scenario (SQLite with one worker; PostgreSQL with one and with two workers):

1. a fresh database (``bench/out/webhooks.db``, or the PostgreSQL database ``expensehub_bench_webhooks``
   on 127.0.0.1:5432, dropped and re-created), migrated; one company with ``--lanes`` subscriptions
   (one per event type) pointing at a receiver on 127.0.0.1 (an aiohttp server in its own process
   that answers 200 and records each ``webhook-id`` with its arrival time);
2. **throughput**: ``--events`` events are queued in one transaction (``emit_many``), then the workers
   (``expensehub webhooks deliver`` subprocesses) start; deliveries/s = events / (last arrival - first
   arrival);
3. **latency**: with the workers idle and running, ``--latency-events`` events are committed one per
   transaction at about ``--rate`` per second, round-robin over the lanes; latency = arrival time at the
   receiver - time right after the commit returned (same clock); p50 and p99.

Usage::

    .venv/bin/python bench/webhooks.py [--backend sqlite|postgresql|both] [--events 20000]
                                       [--lanes 8] [--latency-events 1000] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from expensehub.webhooks.rules import Author

OUT = Path(__file__).resolve().parent / "out"
SQLITE_PATH = OUT / "webhooks.db"
PG_DB = "expensehub_bench_webhooks"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"


def log(message: str) -> None:
    print(message, flush=True)


# --- the receiver (runs in its own process: `bench/webhooks.py --receiver`) ----------------------


def run_receiver() -> None:
    from aiohttp import web

    arrivals: dict[str, float] = {}
    total = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal total
        await request.read()
        total += 1
        arrivals.setdefault(request.headers["webhook-id"], time.time())
        return web.Response(text="ok")

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({"unique": len(arrivals), "total": total})

    async def dump(_: web.Request) -> web.Response:
        return web.json_response(arrivals)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook/{lane}", hook)
        app.router.add_get("/stats", stats)
        app.router.add_get("/dump", dump)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        print(server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the benchmark -------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    workers: int
    events: int
    deliveries_per_s: float
    wall_s: float
    lat_events: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def fresh_database(backend: str) -> str:
    from expensehub.db.migrate import upgrade

    if backend == "sqlite":
        OUT.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm", ".webhook-worker.lock"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{SQLITE_PATH}"
    else:
        import psycopg

        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        url = PG_URL
    upgrade(url)
    return url


def start_receiver() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--receiver"], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def start_workers(url: str, n: int, lanes: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "EXPENSEHUB_DATABASE_URL": url,
        "EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "EXPENSEHUB_WEBHOOK_CONCURRENCY": str(lanes),
    }
    script = str(Path(sys.executable).with_name("expensehub"))
    return [
        subprocess.Popen(
            [script, "webhooks", "deliver"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(n)
    ]


def wait_unique(base: str, target: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(f"{base}/stats").json()["unique"] < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {target} deliveries")
        time.sleep(0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def scenario(backend: str, workers: int, args: argparse.Namespace) -> Result:
    from sqlalchemy import select

    from expensehub.companies.service import create_company
    from expensehub.db.engine import make_engine, make_session_factory, transaction
    from expensehub.models.webhooks import WebhookEvent
    from expensehub.webhooks import rules, service

    url = fresh_database(backend)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    receiver, base = start_receiver()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        types = sorted(t for t in rules.EVENT_TYPES if not t.startswith("api_public/"))[: args.lanes]
        with transaction(factory) as s:
            company_id = create_company(s, name="webhook-bench").id
            for i, event_type in enumerate(types):
                service.create_subscription(
                    s,
                    company_id=company_id,
                    subscription_type=event_type,
                    target_url=f"{base}/hook/{i}",
                    allow_private=True,
                    author=Author.company(company_id),
                )
        per_lane = args.events // len(types)
        payload = {"id": 1, "name": "Sales", "company_id": company_id, "code": "S-1", "status": "active"}
        t0 = time.perf_counter()
        with transaction(factory) as s:
            for event_type in types:
                service.emit_many(
                    s,
                    company_id=company_id,
                    event_type=event_type,
                    payloads=[payload] * per_lane,
                    author=Author.company(company_id),
                )
        queued = per_lane * len(types)
        log(f"  queued {queued} events in {time.perf_counter() - t0:.2f} s")
        started = time.time()
        procs = start_workers(url, workers, args.lanes)
        wait_unique(base, queued)
        wall = time.time() - started
        arrivals: dict[str, float] = httpx.get(f"{base}/dump", timeout=60).json()
        first, last = min(arrivals.values()), max(arrivals.values())
        rate = queued / (last - first)
        log(f"  throughput: {rate:,.0f} deliveries/s ({queued} in {last - first:.2f} s; {wall:.2f} s in all)")

        # latency: one event per transaction, paced
        committed: dict[str, float] = {}
        interval = 1.0 / args.rate
        next_at = time.perf_counter()
        for n in range(args.latency_events):
            with transaction(factory) as s:
                event_id = service.emit(
                    s,
                    company_id=company_id,
                    event_type=types[n % len(types)],
                    payload=payload,
                    author=Author.company(company_id),
                )
                msg_id = s.scalar(select(WebhookEvent.msg_id).where(WebhookEvent.id == event_id))
            committed[str(msg_id)] = time.time()
            next_at += interval
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        wait_unique(base, queued + args.latency_events)
        arrivals = httpx.get(f"{base}/dump", timeout=60).json()
        lat = [(arrivals[m] - c) * 1000 for m, c in committed.items()]
        result = Result(
            backend=backend,
            workers=workers,
            events=queued,
            deliveries_per_s=rate,
            wall_s=wall,
            lat_events=len(lat),
            p50_ms=statistics.median(lat),
            p99_ms=percentile(lat, 0.99),
            max_ms=max(lat),
        )
        log(f"  latency: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.1f} ms")
        return result
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        receiver.kill()
        receiver.wait()
        engine.dispose()


def main() -> None:
    if "--receiver" in sys.argv:
        run_receiver()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--latency-events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second in the latency phase")
    args = parser.parse_args()
    plan: list[tuple[str, int]] = []
    if args.backend in ("sqlite", "both"):
        plan.append(("sqlite", 1))
    if args.backend in ("postgresql", "both"):
        plan += [("postgresql", 1), ("postgresql", 2)]
    log(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )
    results: list[Result] = []
    for backend, workers in plan:
        log(f"{backend}, {workers} worker(s):")
        results.append(scenario(backend, workers, args))
    log("")
    log("| backend | workers | events | deliveries/s | latency p50 ms | p99 ms | max ms |")
    log("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        log(
            f"| {r.backend} | {r.workers} | {r.events:,} | {r.deliveries_per_s:,.0f} | {r.p50_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.max_ms:.1f} |"
        )


if __name__ == "__main__":
    main()
