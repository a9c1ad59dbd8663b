"""`expensehub worker`: the background process (scheduled reports)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from expensehub.cli.apps import app, console, err, session_factory, settings
from expensehub.worker.reports import ReportOutcome


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between polls")] = 30.0,
    reports_dir: Annotated[
        Path, typer.Option("--reports-dir", help="Folder scheduled report files are written to")
    ] = Path("reports"),
    query_timeout: Annotated[
        float, typer.Option("--query-timeout", min=0.1, help="Seconds a report's SQL query may run")
    ] = 60.0,
    webhooks: Annotated[
        bool, typer.Option("--webhooks/--no-webhooks", help="Also deliver queued webhooks (in a thread)")
    ] = True,
) -> None:
    """Run scheduled reports when due (cron, UTC): write each file atomically into --reports-dir and
    record the run. Several workers may share a PostgreSQL database; run one on SQLite.
    With --webhooks (the default) the same process also delivers queued webhooks
    (the loop of `expensehub webhooks deliver`) in a second thread.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from expensehub.worker.loop import run_worker

    cfg = settings()
    factory = session_factory(cfg)

    def report(outcome: ReportOutcome) -> None:
        if outcome.ok:
            err.print(f"report {outcome.report_id} {outcome.name!r}: {outcome.rows:,} rows -> {outcome.path}")
        else:
            err.print(f"[red]report {outcome.report_id} {outcome.name!r} failed:[/red] {outcome.error}")

    err.print(
        f"worker: reports into {reports_dir.resolve()}"
        + (" (once)" if once else f", polling every {interval:g} s")
    )
    stop_deliveries = threading.Event()
    delivery_thread: threading.Thread | None = None
    if webhooks and not once:
        delivery_thread = threading.Thread(
            target=_deliver, args=(factory, once, stop_deliveries), name="webhook-delivery", daemon=True
        )
        delivery_thread.start()
    try:
        stats = run_worker(
            factory,
            reports_dir=reports_dir,
            interval_s=interval,
            once=once,
            query_timeout_s=query_timeout,
            on_run=report,
            handle_signals=not once,
        )
        if webhooks and once:
            _deliver(factory, True, stop_deliveries)
    finally:
        stop_deliveries.set()
        if delivery_thread is not None:
            delivery_thread.join(timeout=60)
        factory.kw["bind"].dispose()
    table = Table(title="Worker", show_header=False)
    table.add_row("polls", str(stats.polls))
    table.add_row("reports run", str(len(stats.runs)))
    table.add_row("succeeded", str(stats.succeeded))
    table.add_row("failed", str(stats.failed))
    console.print(table)
    if stats.failed:
        raise typer.Exit(1)


def _deliver(factory: Any, once: bool, stop: threading.Event) -> None:
    """The webhook delivery loop, until ``stop`` is set (or, with ``once``, until nothing is due)."""
    from expensehub.webhooks.worker import WorkerBusy, run_delivery_worker

    try:
        run_delivery_worker(factory, once=once, stop_event=stop)
    except WorkerBusy as exc:
        err.print(f"[yellow]webhooks:[/yellow] not delivering here: {exc}")
