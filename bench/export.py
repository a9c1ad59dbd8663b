"""Exports at size: seconds and peak RSS per format, next to the database's own CSV dump.

Builds (or, with --reuse, reuses) one database per backend holding two companies: "export-bench-small"
with N/10 expensables and "export-bench" with N (default 1,000,000), of every type: 70 % expenses
(half with a VAT line, 15 % in a foreign currency with an exchange rate, a third paid by card),
20 % mileages, 10 % per diems; 30 % charged to cost centres (a third of those split over two);
categories mapped to ledger accounts; projects. SQLite: bench/out/export.db; PostgreSQL: database
``expensehub_export_bench`` on 127.0.0.1:5432 (dropped and re-created).

Every measurement runs in a fresh subprocess (clean peak RSS, ``ru_maxrss``), writing into bench/out:

* ``expensehub`` exports of the default expense columns in CSV, JSON Lines, Parquet, XLSX
  (``exports.service.plan_export`` + ``stream_export`` + ``write_file_atomically``, as the command does),
  and ``csv-python``: the same CSV shaped row by row in Python instead of rendered by the database;
* the baseline: the database's own dump of the same columns (the export's query with each column's raw
  value, tax totals and cost-centre codes included, no formatting): ``COPY (...) TO STDOUT WITH CSV
  HEADER`` through psycopg on PostgreSQL, the ``sqlite3`` command line's ``.mode csv`` on SQLite.

Rounds are interleaved (every case once per round) and the median is reported.

Usage::

    .venv/bin/python bench/export.py [--rows 1000000] [--backend sqlite|postgresql|both]
                                     [--formats csv,csv-python,jsonl,parquet,xlsx] [--repeat 3] [--reuse]
    .venv/bin/python bench/export.py --profile sqlite|postgresql   # where a CSV export's time goes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from expensehub.companies.service import create_company, create_employee, create_legal_entity
from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.db.migrate import upgrade
from expensehub.finance import service as finance
from expensehub.models import (
    Company,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    Mileage,
    PerDiem,
)
from expensehub.projects.service import create_project
from expensehub.webhooks.rules import Author

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
SQLITE_PATH = OUT / "export.db"
PG_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_DB = "expensehub_export_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
BIG, SMALL = "export-bench", "export-bench-small"
CHUNK = 20_000
STATUSES = ["paid"] * 5 + ["approved", "pending", "draft", "rejected", "in_payroll", "sent_to_pay"]
FOREIGN = [("GBP", "1.1637"), ("USD", "0.9214"), ("JPY", "0.0061"), ("CHF", "1.0432")]
MERCHANTS = ["Renfe", "Iberia", "Hotel Arts, Barcelona", 'Café "El Molino"', "Uber", "Amazon Business"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def url_for(backend: str) -> str:
    return f"sqlite:///{SQLITE_PATH}" if backend == "sqlite" else PG_URL


# --- build ---------------------------------------------------------------------------------------


def _companies(url: str) -> dict[str, tuple[int, int]]:
    """name -> (company id, expensables) of the bench companies in the database, if any."""
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            found = {}
            for cid, name in conn.execute(
                select(Company.id, Company.name).where(Company.name.in_([BIG, SMALL]))
            ):
                n = conn.scalar(
                    select(func.count()).select_from(Expensable).where(Expensable.company_id == cid)
                )
                found[name] = (int(cid), int(n or 0))
        engine.dispose()
        return found
    except Exception as exc:  # not built, not migrated: rebuild
        log(f"  cannot reuse ({type(exc).__name__})")
        return {}


def _fresh(backend: str) -> str:
    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return url_for(backend)
    import psycopg

    with psycopg.connect(**PG_SERVER, dbname="postgres", autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return url_for(backend)


def _company(url: str, name: str, rows: int, next_ids: dict[str, int], rng: random.Random) -> int:
    """One company with reference data and ``rows`` expensables (Core executemany, explicit ids)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        company = create_company(s, name=name)
        es = create_legal_entity(
            s, company_id=company.id, country="es", legal_name="Bench España SL", currency="EUR"
        )
        gb = create_legal_entity(
            s, company_id=company.id, country="gb", legal_name="Bench UK Ltd", currency="GBP"
        )
        employees = [
            create_employee(
                s,
                company_id=company.id,
                first_name=f"Emp{i}",
                last_name="Bench",
                legal_entity_id=(es if i % 4 else gb).id,
                company_identifier=f"E{i:04d}",
            )
            for i in range(50)
        ]
        categories = []
        for i in range(10):
            cat = finance.create_category(
                s, company_id=company.id, identifier=f"cat{i}", default_label=f"Category {i}"
            )
            finance.upsert_ledger_account_resource(
                s,
                company_id=company.id,
                legal_entity_id=es.id,
                resource_type="customcategory",
                resource_id=cat.id,
                number=f"62{i:02d}00",
            )
            categories.append(cat.id)
        projects = [
            create_project(
                s, company_id=company.id, name=f"Project {i}", code=f"P-{i}", legal_entity_id=es.id
            ).id
            for i in range(5)
        ]
        centres = [
            finance.create_cost_center(
                s,
                company_id=company.id,
                name=f"Centre {i}",
                code=f"CC-{i}",
                author=Author.company(company.id),
            ).id
            for i in range(8)
        ]
        emp = [(e.id, e.legal_entity_id) for e in employees]
        le_currency = {es.id: "EUR", gb.id: "GBP"}
        company_id = company.id
    started = time.perf_counter()
    day0, ts0 = date(2025, 1, 1), datetime(2025, 1, 1, tzinfo=UTC)
    tables: dict[str, list[dict[str, Any]]] = {k: [] for k in ("x", "ex", "tax", "mi", "pd", "cc")}
    stmts = {
        "x": insert(Expensable.__table__),
        "ex": insert(Expense.__table__),
        "tax": insert(ExpenseTax.__table__),
        "mi": insert(Mileage.__table__),
        "pd": insert(PerDiem.__table__),
        "cc": insert(ExpensableCostCenter.__table__),
    }
    with engine.begin() as conn:

        def flush(force: bool = False) -> None:
            for key in ("x", "ex", "tax", "mi", "pd", "cc"):
                if tables[key] and (force or len(tables["x"]) >= CHUNK):
                    conn.execute(stmts[key], tables[key])
                    tables[key] = []

        for i in range(rows):
            xid = next_ids["x"]
            next_ids["x"] += 1
            employee_id, le_id = emp[i % len(emp)]
            base = le_currency[le_id]
            kind = "expense" if i % 10 < 7 else ("mileage" if i % 10 < 9 else "perdiem")
            currency, rate = base, "1"
            if kind == "expense" and i % 7 == 3:
                currency, rate = FOREIGN[i % len(FOREIGN)]
                if currency == base:
                    currency, rate = "USD", "0.9214"
            amount = 100 + (i * 7919) % 50_000
            ts = ts0 + timedelta(seconds=30 * i)
            status = STATUSES[i % len(STATUSES)]
            tables["x"].append(
                {
                    "id": xid,
                    "company_id": company_id,
                    "legal_entity_id": le_id,
                    "employee_id": employee_id,
                    "type": kind,
                    "status": status,
                    "payment": "reimbursable",
                    "currency": currency,
                    "amount": amount,
                    "reimbursable_amount": amount,
                    "reimbursable_currency": currency,
                    "description": f"Bench claim {i}, trip {i % 97}",
                    "effective_on": day0 + timedelta(days=i % 540),
                    "category_id": categories[i % len(categories)],
                    "project_id": projects[i % 5] if i % 3 == 0 else None,
                    "created_at": ts,
                    "updated_at": ts,
                    "status_updated_at": ts,
                    "approved_at": ts + timedelta(days=2)
                    if status in ("approved", "paid", "in_payroll", "sent_to_pay")
                    else None,
                    "paid_at": ts + timedelta(days=9) if status == "paid" else None,
                }
            )
            if kind == "expense":
                eid = next_ids["ex"]
                next_ids["ex"] += 1
                tables["ex"].append(
                    {
                        "id": eid,
                        "company_id": company_id,
                        "expensable_id": xid,
                        "creation_type": "manual",
                        "merchant_name": MERCHANTS[i % len(MERCHANTS)],
                        "exchange_rate": Decimal(rate),
                        "card_type": "virtual" if i % 3 == 0 else None,
                        "card_last4": f"{i % 10000:04d}" if i % 3 == 0 else None,
                    }
                )
                if i % 2 == 0:
                    tax = amount * 21 // 121
                    tables["tax"].append(
                        {
                            "expense_id": eid,
                            "type": "vat",
                            "amount": tax,
                            "percentage": Decimal("0.21"),
                            "base_amount": amount - tax,
                        }
                    )
            elif kind == "mileage":
                tables["mi"].append(
                    {
                        "id": next_ids["mi"],
                        "company_id": company_id,
                        "expensable_id": xid,
                        "distance": 10 + i % 300,
                        "units": "km",
                        "rate": Decimal("0.26"),
                        "rate_measurement_unit": "km",
                        "round_trip": False,
                        "origin": "Madrid",
                        "destination": "Toledo",
                    }
                )
                next_ids["mi"] += 1
            else:
                tables["pd"].append(
                    {
                        "id": next_ids["pd"],
                        "company_id": company_id,
                        "expensable_id": xid,
                        "start_date": day0 + timedelta(days=i % 540),
                        "end_date": day0 + timedelta(days=i % 540 + 2),
                        "trip_name": f"Trip {i % 97}",
                    }
                )
                next_ids["pd"] += 1
            if i % 10 < 3:
                if i % 30 < 10:
                    a, b = rng.sample(centres, 2)
                    tables["cc"] += [
                        {
                            "expensable_id": xid,
                            "cost_center_id": a,
                            "percentage": Decimal("0.6"),
                            "position": 0,
                        },
                        {
                            "expensable_id": xid,
                            "cost_center_id": b,
                            "percentage": Decimal("0.4"),
                            "position": 1,
                        },
                    ]
                else:
                    tables["cc"].append(
                        {
                            "expensable_id": xid,
                            "cost_center_id": centres[i % 8],
                            "percentage": Decimal(1),
                            "position": 0,
                        }
                    )
            if len(tables["x"]) >= CHUNK:
                flush()
                if (i + 1) % 100_000 == 0:
                    log(f"  {name}: {i + 1:>9,} expensables  {time.perf_counter() - started:6.1f} s")
        flush(force=True)
    engine.dispose()
    return company_id


def build(backend: str, rows: int) -> tuple[dict[str, int], float]:
    url = _fresh(backend)
    log(f"[{backend}] migrating {url}")
    upgrade(url)
    started = time.perf_counter()
    rng = random.Random(7)
    next_ids = {"x": 1, "ex": 1, "mi": 1, "pd": 1}
    ids = {
        SMALL: _company(url, SMALL, rows // 10, next_ids, rng),
        BIG: _company(url, BIG, rows, next_ids, rng),
    }
    engine = make_engine(url)
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    return ids, time.perf_counter() - started


# --- one measurement (run in a subprocess) -------------------------------------------------------


def _plan(session: Any, company_id: int, case: str) -> Any:
    """The plan of a case: a format, or ``csv-python`` (CSV shaped row by row in Python, for comparison)."""
    from expensehub.exports import service

    fmt, render = ("csv", "python") if case == "csv-python" else (case, "database")
    return service.plan_export(session, company_id=company_id, dataset="expenses", fmt=fmt, render=render)


def baseline_sql(backend: str, company_id: int) -> str:
    """The database's own query for the export's columns, raw: every column the export writes, with the
    tax sums and cost-centre codes the export's query aggregates, and no text formatting (literal SQL)."""
    from expensehub.exports import repository, service

    engine = make_engine(url_for(backend))
    with transaction(make_session_factory(engine)) as s:
        plan = _plan(s, company_id, "csv")
        columns = service.database_text_columns(plan)
        assert columns is not None, "the default CSV export is rendered by the database"
        stmt, _ = repository.csv_lines_query(
            "expenses",
            company_id,
            plan.filters,
            columns,
            delimiter=",",
            receipts=False,
            dialect=backend,
            raw=True,
        )
        sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    engine.dispose()
    return sql


def peak_rss_kb() -> int:
    """This process's own peak RSS (``VmHWM``; ``ru_maxrss`` would include the parent's pages at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_one(backend: str, company_id: int, case: str) -> dict[str, Any]:
    """Run one case in this (fresh) process; seconds, peak RSS, rows, bytes."""
    out = OUT / f"export-{backend}-{company_id}-{case}.out"
    if case.startswith("baseline"):
        sql = (OUT / f"export-baseline-{backend}-{company_id}.sql").read_text()
        started = time.perf_counter()
        if backend == "postgresql":
            import psycopg

            copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
            with (
                psycopg.connect(**PG_SERVER, dbname=PG_DB) as conn,
                conn.cursor() as cur,
                open(out, "wb") as fh,
                cur.copy(copy_sql) as copy,
            ):
                for chunk in copy:
                    fh.write(chunk)
            peak = peak_rss_kb()
        else:
            query = OUT / f"export-baseline-{backend}-{company_id}.sql"
            with open(query, "rb") as stdin, open(out, "wb") as stdout:
                proc = subprocess.run(
                    ["/usr/bin/time", "-f", "%M", "sqlite3", "-csv", "-header", str(SQLITE_PATH)],
                    stdin=stdin,
                    stdout=stdout,
                    stderr=subprocess.PIPE,
                    text=True,
                    check=True,
                )
            peak = int(proc.stderr.strip().splitlines()[-1])
        seconds = time.perf_counter() - started
        with open(out, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return {"seconds": seconds, "peak_rss_kb": peak, "rows": lines - 1, "bytes": out.stat().st_size}
    from expensehub.exports import service

    engine = make_engine(url_for(backend))
    started = time.perf_counter()
    with transaction(make_session_factory(engine)) as s:
        plan = _plan(s, company_id, case)
        summary = service.ExportSummary()
        size = service.write_file_atomically(service.stream_export(s, plan, summary=summary), out)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "peak_rss_kb": peak_rss_kb(),
        "rows": summary.rows,
        "bytes": size,
    }


def profile_csv(backend: str) -> None:
    """Where the CSV export's time goes: the database driver's calls (the query, run by the database)
    against the rest (Python), with the top functions by own time."""
    import cProfile
    import pstats

    from expensehub.exports import service

    company_id = _companies(url_for(backend))[BIG][0]
    engine = make_engine(url_for(backend))
    profiler = cProfile.Profile()
    with transaction(make_session_factory(engine)) as s:
        plan = _plan(s, company_id, "csv")
        profiler.enable()
        size = sum(len(chunk) for chunk in service.stream_export(s, plan))
        profiler.disable()
    engine.dispose()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    driver = sum(
        row[2]
        for (filename, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name
        in (
            "<method 'fetchmany' of 'sqlite3.Cursor' objects>",
            "<method 'execute' of 'sqlite3.Cursor' objects>",
        )
        or "psycopg" in filename
    )
    print(f"[{backend}] {size:,} bytes; {total:.1f} s profiled, {driver:.1f} s in the database driver")
    stats.sort_stats("tottime").print_stats(12)


def run_case(backend: str, company_id: int, case: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", backend, str(company_id), case],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{backend} {case} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --- main ----------------------------------------------------------------------------------------


def machine() -> str:
    mem = ""
    if shutil.which("free"):
        mem = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout.split("\n")[
            1
        ]
    sqlite_version = subprocess.run(
        ["sqlite3", "--version"], capture_output=True, text=True, check=False
    ).stdout.split()[:1]
    return (
        f"{os.cpu_count()} CPUs ({platform.machine()}), RAM (free -g): {' '.join(mem.split()[1:4])}; "
        f"Python {platform.python_version()}; sqlite3 CLI {' '.join(sqlite_version)}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="expensables of the big company")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--formats",
        default="csv,csv-python,jsonl,parquet,xlsx",
        help="comma-separated formats (csv-python: CSV shaped in Python instead of by the database)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--reuse", action="store_true", help="reuse databases built by an earlier run")
    parser.add_argument("--measure", nargs=3, metavar=("BACKEND", "COMPANY", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile",
        metavar="BACKEND",
        choices=["sqlite", "postgresql"],
        help="profile the CSV export of the big company on an existing dataset (cProfile, by own time)",
    )
    args = parser.parse_args()
    if args.profile:
        profile_csv(args.profile)
        return
    if args.measure:
        backend, company, case = args.measure
        print(json.dumps(measure_one(backend, int(company), case)))
        return
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"machine: {machine()}")
    results: list[tuple[str, str, str, list[dict[str, Any]]]] = []
    for backend in backends:
        found = _companies(url_for(backend)) if args.reuse else {}
        small_rows = args.rows // 10
        if found.get(BIG, (0, -1))[1] == args.rows and found.get(SMALL, (0, -1))[1] == small_rows:
            ids = {name: cid for name, (cid, _) in found.items()}
            log(f"[{backend}] reusing the bench companies")
        else:
            log(f"[{backend}] building {args.rows:,} + {small_rows:,} expensables")
            ids, seconds = build(backend, args.rows)
            print(f"[{backend}] built in {seconds:.1f} s")
        for cid in ids.values():
            sql = baseline_sql(backend, cid) + (";\n" if backend == "sqlite" else "")
            (OUT / f"export-baseline-{backend}-{cid}.sql").write_text(sql)
        cases = [(size, case) for size in (SMALL, BIG) for case in ["baseline", *formats]]
        samples: dict[tuple[str, str], list[dict[str, Any]]] = {c: [] for c in cases}
        for round_no in range(args.repeat):
            for size, case in cases:
                if case == "xlsx" and round_no > 0:
                    continue  # minutes per run at 1M rows: one sample
                r = run_case(backend, ids[size], case)
                samples[(size, case)].append(r)
                rss_mb = r["peak_rss_kb"] / 1024
                log(f"[{backend}] round {round_no + 1} {size} {case}: {r['seconds']:.2f} s, {rss_mb:.0f} MB")
        for (size, case), runs in samples.items():
            results.append((backend, size, case, runs))
    print()
    print("| backend | rows | case | s (median) | × baseline | peak RSS MB | RSS 1M ÷ 100k | rows | bytes |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    by_key = {(b, s, c): runs for b, s, c, runs in results}
    for backend, size, case, runs in results:
        med = statistics.median(r["seconds"] for r in runs)
        base = statistics.median(r["seconds"] for r in by_key[(backend, size, "baseline")])
        rss = statistics.median(r["peak_rss_kb"] for r in runs) / 1024
        ratio = ""
        if size == BIG:
            small_rss = statistics.median(r["peak_rss_kb"] for r in by_key[(backend, SMALL, case)]) / 1024
            ratio = f"{rss / small_rss:.2f}"
        rows = runs[0]["rows"]
        times = "" if case == "baseline" else f"{med / base:.2f}"
        label = "1M" if size == BIG else "100k"
        size_bytes = runs[0]["bytes"]
        cells = [
            backend,
            label,
            case,
            f"{med:.2f}",
            times,
            f"{rss:.0f}",
            ratio,
            f"{rows:,}",
            f"{size_bytes:,}",
        ]
        print("| " + " | ".join(cells) + " |")
    print(f"\nmachine after: {machine()}")


if __name__ == "__main__":
    main()
