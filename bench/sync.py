"""How long `expensehub sync` takes to mirror the demo company, and what it adds over the API itself.

A source database (SQLite, bench/out/sync-source.db) is seeded with the demo company (``expensehub demo
--seed 42``: 50 employees, 5,000 claims) and served by ``expensehub serve`` on loopback. Then, in
alternating rounds (``--rounds``, default 3):

* **sync**: ``expensehub sync --from URL --api-key KEY`` into a fresh target database (a new SQLite file
  each round): wall time, the requests it reports, and the peak resident memory of the process;
* **baseline**: the same lists walked with plain ``httpx`` GETs (limit 100, following the cursors), the
  same number of pages, nothing written: what the API alone costs;
* **incremental**: after 50 changes on the source (renamed cost centres and projects, claims paid), the
  same command again into the round's target: wall time and requests.

The medians, the ratio sync / baseline, and the machine's load are printed as a Markdown table.

    .venv/bin/python bench/sync.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
EXE = str(Path(sys.executable).parent / "expensehub")
RESOURCES = (
    "companies/legal_entities",
    "employees/employees",
    "finance/categories",
    "finance/accounts",
    "finance/cost_centers",
    "project_management/projects",
    "expenses/expenses",
    "expenses/mileages",
    "expenses/per_diems",
)


def _env(db: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPENSEHUB_")}
    env.update(
        EXPENSEHUB_DATABASE_URL=f"sqlite:///{db}",
        EXPENSEHUB_DATA_DIR=str(data),
        EXPENSEHUB_LOG_LEVEL="WARNING",
    )
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str, int]:
    """Wall seconds, stdout, and the peak RSS (KiB) of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, done.stdout, max(peak, before)


def _requests(stdout: str) -> int:
    found = re.search(r"requests: (\d+)", stdout)
    return int(found.group(1)) if found else -1


def _baseline(base: str, key: str) -> tuple[float, int]:
    started = time.perf_counter()
    pages = 0
    with httpx.Client(
        base_url=f"{base}/api/2026-10-01/resources/", headers={"x-api-key": key}, timeout=60
    ) as http:
        http.get("api_public/credentials").raise_for_status()
        pages += 1
        for name in RESOURCES:
            params: dict[str, object] = {"limit": 100}
            while True:
                body = http.get(name, params=params).json()
                pages += 1
                if not body["meta"]["has_next_page"]:
                    break
                params["after_id"] = body["meta"]["end_cursor"]
    return time.perf_counter() - started, pages


def _change(base: str, key: str, n: int = 50) -> None:
    """50 changes on the source: 10 cost centres and 10 projects renamed, 30 approved claims paid."""
    headers = {"x-api-key": key}
    with httpx.Client(base_url=f"{base}/api/2026-10-01/resources/", headers=headers, timeout=60) as http:
        centres = http.get("finance/cost_centers", params={"limit": 10}).json()["data"]
        for c in centres:
            http.post(
                "finance/cost_centers/edit", json={"id": c["id"], "name": c["name"] + " *"}
            ).raise_for_status()
        projects = http.get("project_management/projects", params={"limit": 10}).json()["data"]
        for p in projects:
            http.put(
                f"project_management/projects/{p['id']}", json={"name": p["name"] + " *"}
            ).raise_for_status()
        left = n - len(centres) - len(projects)
        claims = http.get(
            "expenses/expensables", params={"limit": left, "status[]": "approved", "type[]": "expense"}
        )
        ids = [x["id"] for x in claims.json()["data"]][:left]
        if ids:
            http.post("expenses/expensables/bulk_set_to_paid", json={"ids": ids}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    work = OUT / "sync"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    source_env = _env(work / "source.db", work / "source-data")
    seeded = subprocess.run(
        [EXE, "demo", "--seed", "42"], env=source_env, capture_output=True, text=True, check=True
    )
    key = next(w for w in seeded.stdout.split() if w.startswith("ehk_"))  # the demo prints its API key
    port = _free_port()
    server = subprocess.Popen(
        [EXE, "serve", "--port", str(port)],
        env=source_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        full: list[float] = []
        plain: list[float] = []
        incremental: list[float] = []
        requests: list[int] = []
        inc_requests: list[int] = []
        pages = 0
        peaks: list[int] = []
        for n in range(args.rounds):
            target_env = _env(work / f"target-{n}.db", work / f"target-{n}")
            subprocess.run([EXE, "db", "upgrade"], env=target_env, capture_output=True, check=True)
            command = [EXE, "sync", "--from", base, "--api-key", key]
            seconds, out, peak = _timed(command, target_env)
            full.append(seconds)
            requests.append(_requests(out))
            peaks.append(peak)
            seconds, pages = _baseline(base, key)
            plain.append(seconds)
            _change(base, key)
            seconds, out, _ = _timed([*command, "--into", "1"], target_env)
            incremental.append(seconds)
            inc_requests.append(_requests(out))
        load = os.getloadavg()
        med = statistics.median

        def rounds(values: list[float]) -> str:
            return ", ".join(f"{x:.2f}" for x in values)

        print(f"machine: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"rounds: {args.rounds}")
        print("| measure | median | all rounds |")
        print("|---|---|---|")
        print(f"| full sync, seconds | {med(full):.2f} | {rounds(full)} |")
        print(f"| full sync, requests | {med(requests):.0f} | {', '.join(map(str, requests))} |")
        print(f"| full sync, peak RSS MiB (max over rounds) | {max(peaks) / 1024:.0f} | |")
        print(
            f"| plain GETs of the same lists ({pages} pages), seconds | {med(plain):.2f} | {rounds(plain)} |"
        )
        print(f"| full sync / plain GETs | {med(full) / med(plain):.1f}x | |")
        print(f"| incremental after 50 changes, seconds | {med(incremental):.2f} | {rounds(incremental)} |")
        print(f"| incremental, requests | {med(inc_requests):.0f} | {', '.join(map(str, inc_requests))} |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
