"""Keyset pagination keeps a page deep in a 1,000,000-row table as cheap as the first page.

Builds (or, with --reuse, reuses) a database holding one company with N expensables (default
1,000,000) on SQLite (bench/out/pagination.db) and/or PostgreSQL (database ``expensehub_bench`` on
127.0.0.1:5432, dropped and re-created), migrated by ``expensehub.db.migrate.upgrade``. Then it times,
each ``--repeat`` times (median and p95):

* HTTP: ``GET /api/2026-10-01/resources/expenses/expensables?limit=100`` through the real app
  (``create_app`` + TestClient): first page, ``after_id`` = cursor of row N/2 and of row N-200 (deep),
  and page mode ``page=1`` / ``page=N/200`` / ``page=(N-200)/100+1`` for contrast (OFFSET grows);
* the expensables description's statement alone (``expenses/resources.py:EXPENSABLES``, paginated
  as ``list_page`` does, without the views), no HTTP;
* ``db.pagination.paginate`` on a plain ``select(Expensable).where(company_id == ...)``;
* the pieces: the COUNT behind ``meta.total`` alone, and the page query alone (no COUNT).

Usage::

    .venv/bin/python bench/pagination.py [--rows 1000000] [--backend sqlite|postgresql|both]
                                         [--repeat 20] [--reuse]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from expensehub.auth.service import create_api_key
from expensehub.companies.service import create_company, create_employee, create_legal_entity
from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.db.migrate import upgrade
from expensehub.db.pagination import count, paginate
from expensehub.kit.cursors import encode_cursor
from expensehub.kit.pagination import PageRequest
from expensehub.models import Company, Expensable

OUT = Path(__file__).resolve().parent / "out"
SQLITE_PATH = OUT / "pagination.db"
PG_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_DB = "expensehub_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
COMPANY = "pagination-bench"
LIST_PATH = "/api/2026-10-01/resources/expenses/expensables"
CHUNK = 20_000
LIMIT = 100
STATUSES = ["paid"] * 6 + ["approved", "pending", "draft", "rejected", "in_payroll", "sent_to_pay"]


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Target:
    backend: str
    url: str
    company_id: int
    rows: int
    build_seconds: float | None
    factory: sessionmaker[Session]
    engine: Engine
    ids: dict[int, int] = field(default_factory=dict)  # 1-based row position -> id
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after the timings


# --- build ---------------------------------------------------------------------------------------


def _existing(url: str, rows: int) -> int | None:
    """Company id of a reusable bench company holding exactly ``rows`` expensables."""
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            company_id = conn.scalar(select(Company.id).where(Company.name == COMPANY).order_by(Company.id))
            if company_id is None:
                return None
            n = conn.scalar(
                select(func.count()).select_from(Expensable).where(Expensable.company_id == company_id)
            )
        engine.dispose()
    except Exception as exc:  # no database, not migrated, ...: rebuild
        log(f"  cannot reuse ({type(exc).__name__}); rebuilding")
        return None
    return int(company_id) if n == rows else None


def _fresh_database(backend: str) -> str:
    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    import psycopg

    with psycopg.connect(**PG_SERVER, dbname="postgres", autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_URL


def build(backend: str, rows: int) -> tuple[str, int, float]:
    url = _fresh_database(backend)
    log(f"  migrating {url}")
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        company = create_company(s, name=COMPANY)
        entity = create_legal_entity(
            s, company_id=company.id, country="es", legal_name="Bench SL", currency="EUR"
        )
        employee = create_employee(
            s, company_id=company.id, first_name="Bench", last_name="Runner", legal_entity_id=entity.id
        )
        company_id, le_id, employee_id = company.id, entity.id, employee.id
    started = time.perf_counter()
    base_day = date(2025, 1, 1)
    base_ts = datetime(2025, 1, 1, tzinfo=UTC)
    table = Expensable.__table__
    stmt = insert(table)
    with engine.begin() as conn:
        for start in range(0, rows, CHUNK):
            batch = []
            for i in range(start, min(rows, start + CHUNK)):
                ts = base_ts + timedelta(seconds=30 * i)
                amount = 100 + (i * 7919) % 50_000
                batch.append(
                    {
                        "company_id": company_id,
                        "legal_entity_id": le_id,
                        "employee_id": employee_id,
                        "type": "expense",
                        "status": STATUSES[i % len(STATUSES)],
                        "payment": "reimbursable",
                        "currency": "EUR",
                        "amount": amount,
                        "reimbursable_amount": amount,
                        "reimbursable_currency": "EUR",
                        "description": f"bench claim {i}",
                        "effective_on": base_day + timedelta(days=i % 540),
                        "created_at": ts,
                        "updated_at": ts,
                        "status_updated_at": ts,
                    }
                )
            conn.execute(stmt, batch)
            done = min(rows, start + CHUNK)
            if done % 100_000 == 0 or done == rows:
                elapsed = time.perf_counter() - started
                log(f"  {done:>9,} rows  {elapsed:6.1f} s  ({done / elapsed:,.0f} rows/s)")
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    return url, company_id, time.perf_counter() - started


def prepare(backend: str, rows: int, reuse: bool) -> Target:
    url = f"sqlite:///{SQLITE_PATH}" if backend == "sqlite" else PG_URL
    company_id = _existing(url, rows) if reuse else None
    build_seconds = None
    if company_id is None:
        log(f"[{backend}] building {rows:,} expensables")
        url, company_id, build_seconds = build(backend, rows)
        log(f"[{backend}] built in {build_seconds:.1f} s")
    else:
        log(f"[{backend}] reusing company {company_id} with {rows:,} expensables")
    engine = make_engine(url)
    target = Target(backend, url, company_id, rows, build_seconds, make_session_factory(engine), engine)
    with engine.connect() as conn:
        base = select(Expensable.id).where(Expensable.company_id == company_id).order_by(Expensable.id)
        for position in (1, rows // 2, rows - 200):
            target.ids[position] = int(conn.scalar(base.offset(position - 1).limit(1)) or 0)
    return target


# --- measure -------------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    layer: str
    mode: str
    position: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def interleaved(cases: list[tuple[str, str, str, Callable[[], Any]]], repeat: int) -> list[list[float]]:
    """Time every case ``repeat`` times, round-robin, so background load hits all cases alike."""
    for _, _, _, fn in cases:  # two warm-ups each: caches, prepared statements
        fn()
        fn()
    samples: list[list[float]] = [[] for _ in cases]
    for round_no in range(repeat):
        for i, (_, _, _, fn) in enumerate(cases):
            started = time.perf_counter()
            fn()
            samples[i].append((time.perf_counter() - started) * 1000)
        if (round_no + 1) % 5 == 0:
            log(f"  round {round_no + 1}/{repeat}")
    return samples


def _positions(t: Target) -> list[tuple[str, PageRequest, PageRequest]]:
    """(label, cursor request, page request) for the first page, the middle and the deep end."""
    mid, deep = t.rows // 2, t.rows - 200
    return [
        ("first", PageRequest(limit=LIMIT), PageRequest(limit=LIMIT, page=1)),
        (
            f"row {mid:,}",
            PageRequest(limit=LIMIT, after_id=t.ids[mid]),
            PageRequest(limit=LIMIT, page=mid // LIMIT),
        ),
        (
            f"row {deep:,}",
            PageRequest(limit=LIMIT, after_id=t.ids[deep]),
            PageRequest(limit=LIMIT, page=deep // LIMIT + 1),
        ),
    ]


def _params(req: PageRequest) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": req.limit}
    if req.after_id is not None:
        params["after_id"] = encode_cursor(req.after_id)
    if req.page is not None:
        params["page"] = req.page
    return params


def _repository() -> tuple[Select[Any], Callable[[Session, PageRequest, int], Any]] | None:
    """The expensables' prebuilt statement and its pagination (what ``list_page`` runs before the views)."""
    try:
        from expensehub.expenses.resources import EXPENSABLES
    except ImportError:
        return None

    def page_fn(s: Session, req: PageRequest, company_id: int) -> Any:
        return paginate(
            s, EXPENSABLES.select, EXPENSABLES.id_column, req, EXPENSABLES.id_of, {"company_id": company_id}
        )

    return EXPENSABLES.select, page_fn


def measure(t: Target, repeat: int) -> list[Result]:
    cid = t.company_id
    simple = select(Expensable).where(Expensable.company_id == cid)
    cases: list[tuple[str, str, str, Callable[[], Any]]] = []

    def session_call(fn: Callable[[Session], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with t.factory() as s:
                return fn(s)

        return run

    from fastapi.testclient import TestClient

    from expensehub.api.app import create_app
    from expensehub.config import Settings

    with transaction(t.factory) as s:
        _, api_key = create_api_key(s, company_id=cid, name="bench")
    app = create_app(Settings(database_url=t.url))
    with TestClient(app) as client:
        # HTTP through the real app, when the endpoint answers.
        headers = {"x-api-key": api_key}
        probe = client.get(LIST_PATH, params={"limit": 1}, headers=headers)
        if probe.status_code != 200 or "data" not in probe.json():
            log(f"  HTTP: {LIST_PATH} answers {probe.status_code}; skipping the HTTP rows")
        else:
            for label, cursor_req, page_req in _positions(t):
                body = client.get(LIST_PATH, params=_params(cursor_req), headers=headers).json()
                assert len(body["data"]) == LIMIT, body["meta"]
                assert body["meta"]["total"] == t.rows, body["meta"]
                if cursor_req.after_id is not None:
                    assert int(body["data"][0]["id"]) > cursor_req.after_id
                for mode, req in (("cursor", cursor_req), ("page", page_req)):
                    params = _params(req)
                    call = lambda p=params: client.get(LIST_PATH, params=p, headers=headers)  # noqa: E731
                    cases.append(("http", mode, label, call))

        # The repository query alone (what the endpoint runs), when the expenses domain has it.
        repo = _repository()
        if repo is None:
            log("  expenses.resources is not importable; skipping the repository rows")
        else:
            query, page_fn = repo
            for label, cursor_req, page_req in _positions(t):
                for mode, req in (("cursor", cursor_req), ("page", page_req)):
                    call = session_call(lambda s, r=req: page_fn(s, r, cid))
                    cases.append(("repository", mode, label, call))
            cases.append(
                (
                    "repository COUNT only",
                    "-",
                    "-",
                    session_call(lambda s: count(s, query, {"company_id": cid})),
                )
            )

        # db.pagination.paginate on the plain company-scoped SELECT.
        for label, cursor_req, page_req in _positions(t):
            for mode, req in (("cursor", cursor_req), ("page", page_req)):
                call = session_call(
                    lambda s, r=req: paginate(s, simple, Expensable.id, r, lambda row: row[0].id)
                )
                cases.append(("paginate(select)", mode, label, call))
        cases.append(("select COUNT only", "-", "-", session_call(lambda s: count(s, simple))))

        # The page query alone: keyset vs OFFSET, no COUNT.
        for label, cursor_req, page_req in _positions(t):
            after = cursor_req.after_id
            keyset = simple if after is None else simple.where(Expensable.id > after)
            keyset = keyset.order_by(Expensable.id).limit(LIMIT + 1)
            offset = simple.order_by(Expensable.id).offset(((page_req.page or 1) - 1) * LIMIT).limit(LIMIT)
            cases.append(
                ("page SQL, no COUNT", "cursor", label, session_call(lambda s, q=keyset: s.execute(q).all()))
            )
            cases.append(
                ("page SQL, no COUNT", "page", label, session_call(lambda s, q=offset: s.execute(q).all()))
            )

        load_before = os.getloadavg()[0]
        samples = interleaved(cases, repeat)
        t.load = (load_before, os.getloadavg()[0])
    app.state.engine.dispose()
    results = [
        Result(t.backend, layer, mode, position, times)
        for (layer, mode, position, _), times in zip(cases, samples, strict=True)
    ]
    for r in results:
        log(f"  {r.layer:<22} {r.mode:<6} {r.position:<12} median {r.median:8.2f} ms   p95 {r.p95:8.2f} ms")
    return results


# --- report --------------------------------------------------------------------------------------


def machine(targets: list[Target]) -> list[str]:
    lines = [
        f"- CPU: {os.cpu_count()} logical CPUs (`nproc`); {platform.processor() or platform.machine()}",
        f"- Python {platform.python_version()} ({sys.executable}); SQLite {sqlite3.sqlite_version}",
    ]
    if shutil.which("free"):
        free = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout.splitlines()
        if len(free) > 1:
            lines.append(f"- Memory (`free -g`): {' '.join(free[1].split())}")
    for t in targets:
        if t.backend == "postgresql":
            with t.engine.connect() as conn:
                lines.append(f"- {conn.scalar(text('SELECT version()'))}")
    return lines


def report(results: list[Result], targets: list[Target]) -> None:
    first: dict[tuple[str, str, str], float] = {}
    for r in results:
        if r.position == "first":
            first[(r.backend, r.layer, r.mode)] = r.median
    print()
    print("| backend | layer | mode | position | median ms | p95 ms | ratio to first |")
    print("|---|---|---|---|---:|---:|---:|")
    for r in results:
        base = first.get((r.backend, r.layer, r.mode))
        ratio = "" if base is None or r.position == "-" else f"{r.median / base:.2f}"
        print(
            f"| {r.backend} | {r.layer} | {r.mode} | {r.position} | {r.median:.2f} | {r.p95:.2f} | {ratio} |"
        )
    print()
    for t in targets:
        built = "reused" if t.build_seconds is None else f"built in {t.build_seconds:.1f} s"
        print(
            f"- {t.backend}: {t.rows:,} expensables in one company ({built}); "
            f"1-min load average {t.load[0]:.2f} before the timings, {t.load[1]:.2f} after"
        )
    print("\n".join(machine(targets)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="expensables in the company")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed rounds over all cases (after 2 warm-ups)"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse a database built by an earlier run")
    args = parser.parse_args()
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    targets: list[Target] = []
    for backend in backends:
        target = prepare(backend, args.rows, args.reuse)
        targets.append(target)
        log(f"[{backend}] timing ({args.repeat} runs per case)")
        results.extend(measure(target, args.repeat))
    report(results, targets)
    for t in targets:
        t.engine.dispose()


if __name__ == "__main__":
    main()
