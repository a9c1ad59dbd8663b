"""A receipt bundle of 20,000 receipts (about 2 GB) builds with flat memory.

Builds a SQLite database and a file store under ``--dir`` (default /tmp/expensehub-bench-receipts)
holding one company with N receipts of ``--size-kb`` (default 100) each: random bytes behind a JPEG
or PDF header, every one distinct so content addressing stores each once, two receipts per expense.
Rows are bulk-inserted (Core); blobs are written straight into the store's layout.

Then, for each size (``--receipts``, default 20,000, and ``--also``, default 2,000: the same data
limited by date), it builds the bundle ``--repeat`` times (default 3), each in a fresh process, and
reports the median time and the largest peak RSS (VmHWM from
/proc/self/status) next to its RSS before bundling, the time and MB/s of receipt bytes:

* ``service``: the code path of ``expensehub export receipts`` (``documents.service.receipt_bundle``
  written to a file), in a subprocess;
* ``http``: ``GET documents/receipt_bundles`` on a uvicorn server subprocess, streamed by httpx to a
  file; the server process's VmHWM is read after the download.

Each ZIP is checked (entry count, manifest rows) and deleted; ``--keep`` keeps the data for reruns
with ``--reuse``. Everything is deleted at the end otherwise.

Usage::

    .venv/bin/python bench/receipts_bundle.py [--receipts 20000] [--also 2000] [--size-kb 100]
                                              [--dir /tmp/expensehub-bench-receipts] [--reuse] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXPENSES_PER_DAY = 50
RECEIPTS_PER_EXPENSE = 2
FIRST_DAY = date(2026, 1, 1)
DEFAULT_DIR = "/tmp/expensehub-bench-receipts"  # noqa: S108 (a benchmark's scratch space, removed after)


def log(message: str) -> None:
    print(message, flush=True)


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (kB) of a process."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


# --- build ---------------------------------------------------------------------------------------------


def build(directory: Path, receipts: int, size_kb: int) -> dict[str, Any]:
    from sqlalchemy import insert

    from expensehub.auth.service import create_api_key
    from expensehub.companies.service import create_company, create_employee, create_legal_entity
    from expensehub.db.engine import make_engine, make_session_factory, transaction
    from expensehub.db.migrate import upgrade
    from expensehub.documents.storage import blob_key
    from expensehub.models import Expensable, Expense
    from expensehub.models.documents import Document, ExpenseFile, StoredBlob

    if directory.exists():
        shutil.rmtree(directory)
    store = directory / "store"
    store.mkdir(parents=True)
    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    with transaction(factory) as s:
        company = create_company(s, name="Receipts bench SL")
        entity = create_legal_entity(
            s, company_id=company.id, country="es", legal_name="Bench SL", currency="EUR"
        )
        employees = [
            create_employee(
                s,
                company_id=company.id,
                first_name=f"Employee{i}",
                last_name="Bench",
                legal_entity_id=entity.id,
            ).id
            for i in range(20)
        ]
        _, api_key = create_api_key(s, company_id=company.id, name="bench")
        company_id = company.id

    size = size_kb * 1024
    now = datetime.now(UTC)
    expenses = (receipts + RECEIPTS_PER_EXPENSE - 1) // RECEIPTS_PER_EXPENSE
    days = (expenses + EXPENSES_PER_DAY - 1) // EXPENSES_PER_DAY
    written = 0
    batch = 1000
    doc_id = 0
    for first in range(0, expenses, batch):
        count = min(batch, expenses - first)
        expensables, details, blobs, docs, links = [], [], [], [], []
        for k in range(count):
            n = first + k
            x_id = n + 1
            effective = FIRST_DAY + timedelta(days=n // EXPENSES_PER_DAY)
            expensables.append(
                {
                    "id": x_id, "company_id": company_id, "legal_entity_id": entity.id,
                    "employee_id": employees[n % len(employees)], "type": "expense", "status": "approved",
                    "payment": "reimbursable", "currency": "EUR", "amount": 1000 + n % 9000,
                    "reimbursable_amount": 1000 + n % 9000, "reimbursable_currency": "EUR",
                    "effective_on": effective, "description": f"bench expense {n}",
                    "created_at": now, "updated_at": now, "status_updated_at": now,
                }
            )  # fmt: skip
            details.append(
                {"id": x_id, "company_id": company_id, "expensable_id": x_id, "creation_type": "manual"}
            )
            for position in range(RECEIPTS_PER_EXPENSE):
                if doc_id >= receipts:
                    break
                doc_id += 1
                pdf = doc_id % 3 == 0
                header = b"%PDF-1.7\n%" if pdf else b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
                data = header + os.urandom(size - len(header))
                sha = hashlib.sha256(data).hexdigest()
                path = store / blob_key(sha)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                written += len(data)
                kind = ("application/pdf", "pdf") if pdf else ("image/jpeg", "jpg")
                blobs.append(
                    {
                        "sha256": sha,
                        "byte_size": len(data),
                        "content_type": kind[0],
                        "created_at": now,
                        "last_used_at": now,
                    }
                )
                docs.append(
                    {
                        "id": doc_id, "company_id": company_id, "blob_sha256": sha,
                        "filename": f"receipt-{doc_id}.{kind[1]}", "extension": kind[1],
                        "content_type": kind[0],
                        "file_size": len(data), "public": False, "space": "company_internal",
                        "is_pending_assignment": False, "request_esignature": False,
                        "created_at": now, "updated_at": now,
                    }
                )  # fmt: skip
                links.append(
                    {
                        "expense_id": x_id,
                        "document_id": doc_id,
                        "company_id": company_id,
                        "position": position,
                    }
                )
        with transaction(factory) as s:
            s.execute(insert(Expensable), expensables)
            s.execute(insert(Expense), details)
            s.execute(insert(StoredBlob), blobs)
            s.execute(insert(Document), docs)
            s.execute(insert(ExpenseFile), links)
        log(f"  built {doc_id:,}/{receipts:,} receipts ({written / 1e9:.2f} GB)")
    engine.dispose()
    meta = {
        "url": url,
        "store": str(store),
        "company_id": company_id,
        "api_key": api_key,
        "receipts": doc_id,
        "bytes": written,
        "days": days,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (directory / "meta.json").write_text(json.dumps(meta))
    return meta


def window_for(receipts: int, total: int) -> tuple[date, date, int]:
    """The dates whose expenses hold (at least) the first ``receipts`` receipts, and how many they hold."""
    expenses = (receipts + RECEIPTS_PER_EXPENSE - 1) // RECEIPTS_PER_EXPENSE
    days = (expenses + EXPENSES_PER_DAY - 1) // EXPENSES_PER_DAY
    held = min(total, days * EXPENSES_PER_DAY * RECEIPTS_PER_EXPENSE)
    return FIRST_DAY, FIRST_DAY + timedelta(days=days - 1), held


# --- bundle in a fresh process (service path) -------------------------------------------------------------


def bundle_child(args: argparse.Namespace) -> None:
    """Runs in the subprocess: bundle to a file, print one JSON line of figures."""
    from expensehub.db.engine import make_engine, make_session_factory, transaction
    from expensehub.documents import service
    from expensehub.documents.bundles import BundleStats
    from expensehub.documents.storage import LocalFileStore

    meta = json.loads((Path(args.dir) / "meta.json").read_text())
    factory = make_session_factory(make_engine(meta["url"]))
    selection = service.BundleSelection(
        company_id=meta["company_id"],
        date_from=date.fromisoformat(args.date_from),
        date_to=date.fromisoformat(args.date_to),
    )
    store = LocalFileStore(meta["store"])
    before = proc_status()
    stats = BundleStats()
    started = time.perf_counter()
    with transaction(factory) as session, open(args.zip_out, "wb") as sink:
        for chunk in service.receipt_bundle(session, store=store, selection=selection, stats=stats):
            sink.write(chunk)
    seconds = time.perf_counter() - started
    after = proc_status()
    print(
        json.dumps(
            {
                "rss_before_kb": before["VmRSS"],
                "peak_kb": after["VmHWM"],
                "seconds": seconds,
                "files": stats.files,
                "bytes": stats.bytes_in,
            }
        ),
        flush=True,
    )


def run_service(directory: Path, window: tuple[date, date], zip_out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable, __file__, "--phase", "bundle", "--dir", str(directory),
        "--date-from", window[0].isoformat(), "--date-to", window[1].isoformat(), "--zip-out", str(zip_out),
    ]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# --- bundle over HTTP (uvicorn subprocess) ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_http(
    directory: Path, meta: dict[str, Any], window: tuple[date, date], zip_out: Path
) -> dict[str, Any]:
    import httpx

    port = _free_port()
    env = {
        **os.environ,
        "EXPENSEHUB_DATABASE_URL": meta["url"],
        "EXPENSEHUB_STORAGE_DIR": meta["store"],
        "EXPENSEHUB_PORT": str(port),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "expensehub.api.asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.1)
        before = proc_status(server.pid)
        params = {"from": window[0].isoformat(), "to": window[1].isoformat()}
        started = time.perf_counter()
        with (
            httpx.stream(
                "GET",
                f"{base}/api/2026-10-01/resources/documents/receipt_bundles",
                params=params,
                headers={"x-api-key": meta["api_key"]},
                timeout=600,
            ) as response,
            zip_out.open("wb") as sink,
        ):
            response.raise_for_status()
            for chunk in response.iter_raw(1024 * 1024):
                sink.write(chunk)
        seconds = time.perf_counter() - started
        after = proc_status(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"rss_before_kb": before["VmRSS"], "peak_kb": after["VmHWM"], "seconds": seconds}


def check_zip(path: Path, expected: int) -> tuple[int, int]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        manifest_rows = z.read("manifest.csv").decode().count("\n") - 1
    assert names[-1] == "manifest.csv", names[-1]
    assert len(names) - 1 == expected, (len(names), expected)
    assert manifest_rows == expected, (manifest_rows, expected)
    return len(names) - 1, path.stat().st_size


# --- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=20_000)
    parser.add_argument("--also", type=int, default=2_000, help="a smaller bundle from the same data")
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--dir", default=DEFAULT_DIR)
    parser.add_argument("--reuse", action="store_true", help="reuse the data a --keep run left")
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median time, max RSS)")
    parser.add_argument("--phase", default="all", choices=["all", "bundle"], help=argparse.SUPPRESS)
    parser.add_argument("--date-from", help=argparse.SUPPRESS)
    parser.add_argument("--date-to", help=argparse.SUPPRESS)
    parser.add_argument("--zip-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "bundle":
        bundle_child(args)
        return

    directory = Path(args.dir)
    free = shutil.disk_usage(directory.parent if directory.parent.exists() else "/").free
    need = args.receipts * args.size_kb * 1024 * 2.2
    if free < need:
        sys.exit(
            f"not enough disk under {directory.parent}: {free / 1e9:.1f} GB free, {need / 1e9:.1f} GB needed"
        )
    log(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    meta_path = directory / "meta.json"
    if args.reuse and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        log(f"reusing {meta['receipts']:,} receipts in {directory}")
    else:
        log(f"building {args.receipts:,} receipts of {args.size_kb} kB in {directory} ...")
        meta = build(directory, args.receipts, args.size_kb)
        log(f"built in {meta['build_seconds']} s")

    os.sync()  # flush the freshly written blobs, so their write-back does not slow the timings
    rows = []
    try:
        for size in sorted({args.also, meta["receipts"]}):
            first_day, last_day, size = window_for(size, meta["receipts"])
            window = (first_day, last_day)
            zip_out = directory / f"bundle-{size}.zip"
            modes = ["service"] if args.no_http else ["service", "http"]
            for mode in modes:
                runs = []
                for attempt in range(args.repeat):
                    log(
                        f"bundling {size:,} receipts ({window[0]}..{window[1]}) via {mode}, "
                        f"run {attempt + 1} ..."
                    )
                    if mode == "service":
                        result = run_service(directory, window, zip_out)
                    else:
                        result = run_http(directory, meta, window, zip_out)
                    files, zip_bytes = check_zip(zip_out, size)
                    zip_out.unlink()
                    os.sync()
                    runs.append(result)
                seconds = statistics.median(r["seconds"] for r in runs)
                receipt_bytes = size * args.size_kb * 1024
                rows.append(
                    {
                        "mode": mode,
                        "receipts": files,
                        "zip_gb": zip_bytes / 1e9,
                        "seconds": seconds,
                        "mb_s": receipt_bytes / 1e6 / seconds,
                        "rss_before_mb": max(r["rss_before_kb"] for r in runs) / 1024,
                        "peak_mb": max(r["peak_kb"] for r in runs) / 1024,
                    }
                )
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)

    log("")
    log(
        f"(median of {args.repeat} runs; RSS: the largest over the runs; "
        f"load average {os.getloadavg()[0]:.2f})"
    )
    log("| path | receipts | ZIP GB | seconds | MB/s | RSS before MB | peak RSS MB |")
    log("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        log(
            f"| {r['mode']} | {r['receipts']:,} | {r['zip_gb']:.2f} | {r['seconds']:.1f} | {r['mb_s']:.0f} "
            f"| {r['rss_before_mb']:.0f} | {r['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
