"""The worker process: poll for due work, run it, sleep, repeat (``expensehub worker``).

This loop runs scheduled reports; ``expensehub worker`` runs the webhook delivery loop
(``webhooks.worker``) beside it in a thread. The command passes the folder, the query time limit and the
poll interval from the settings (``reports_dir``, ``report_query_timeout_seconds``,
``worker_interval_seconds``) or its options. Several workers may run against PostgreSQL (claims skip
locked rows); on SQLite run one.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from expensehub import logs
from expensehub.exports import service
from expensehub.exports.sandbox import SandboxConfig
from expensehub.worker.reports import ReportOutcome, run_due_reports

log = logs.get_logger("expensehub.worker")


@dataclass
class WorkerStats:
    """What a worker did since it started."""

    polls: int = 0
    runs: list[ReportOutcome] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.runs if r.ok)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.runs if not r.ok)


def run_worker(
    factory: sessionmaker[Session],
    *,
    reports_dir: Path,
    interval_s: float = 30.0,
    once: bool = False,
    query_timeout_s: float = service.DEFAULT_QUERY_TIMEOUT_S,
    sandbox: SandboxConfig | None = None,
    on_run: Callable[[ReportOutcome], None] | None = None,
    handle_signals: bool = False,
) -> WorkerStats:
    """Poll every ``interval_s`` seconds until stopped (SIGINT/SIGTERM), or once with ``once``."""
    stats = WorkerStats()
    stopping = {"flag": False}
    log.info("worker started", interval_s=interval_s, once=once, reports_dir=str(reports_dir))
    if handle_signals:

        def stop(_signum: int, _frame: Any) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    while True:
        stats.polls += 1
        try:
            outcomes = run_due_reports(
                factory, reports_dir=reports_dir, query_timeout_s=query_timeout_s, sandbox=sandbox
            )
        except Exception:  # the database went away, ...: log, wait, retry
            log.exception("worker poll failed")
            outcomes = []
        for outcome in outcomes:
            stats.runs.append(outcome)
            (log.info if outcome.ok else log.warning)(
                "report run",
                report_id=outcome.report_id,
                name=outcome.name,
                ok=outcome.ok,
                rows=outcome.rows,
                error=outcome.error,
            )
            if on_run is not None:
                on_run(outcome)
        if once or stopping["flag"]:
            break
        deadline = time.monotonic() + interval_s
        while time.monotonic() < deadline and not stopping["flag"]:
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        if stopping["flag"]:
            break
    log.info("worker stopped", polls=stats.polls, succeeded=stats.succeeded, failed=stats.failed)
    return stats
