"""`expensehub worker`: the background process (scheduled reports)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from expensehub.cli.apps import app, console, err, session_factory, settings
from expensehub.config import Settings

if TYPE_CHECKING:
    from expensehub.worker.reports import ReportOutcome


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit")] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            min=0.1,
            help="Seconds between polls (default: EXPENSEHUB_WORKER_INTERVAL_SECONDS, else 30)",
        ),
    ] = None,
    reports_dir: Annotated[
        Path | None,
        typer.Option(
            "--reports-dir",
            help="Folder scheduled report files are written to "
            "(default: EXPENSEHUB_REPORTS_DIR, else <storage_dir>/reports)",
        ),
    ] = None,
    query_timeout: Annotated[
        float | None,
        typer.Option(
            "--query-timeout",
            min=0.1,
            help="Seconds a report's SQL query may run "
            "(default: EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS, else 60)",
        ),
    ] = None,
    webhooks: Annotated[
        bool, typer.Option("--webhooks/--no-webhooks", help="Also deliver queued webhooks (in a thread)")
    ] = True,
) -> None:
    """Run scheduled reports when due (cron, UTC): write each file atomically into the reports folder and
    record the run. Several workers may share a PostgreSQL database; run one on SQLite.
    With --webhooks (the default) the same process also delivers queued webhooks
    (the loop of `expensehub webhooks deliver`, settings EXPENSEHUB_WEBHOOK_*) in a second thread.
    Options override the settings EXPENSEHUB_WORKER_INTERVAL_SECONDS, EXPENSEHUB_REPORTS_DIR and
    EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS.
    """
    from expensehub.exports.sandbox import SandboxConfig
    from expensehub.worker.loop import run_worker

    cfg = settings()
    interval = interval if interval is not None else cfg.worker_interval_seconds
    reports_dir = reports_dir if reports_dir is not None else Path(cfg.reports_dir)
    query_timeout = query_timeout if query_timeout is not None else cfg.report_query_timeout_seconds
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
            target=_deliver,
            args=(factory, cfg, once, stop_deliveries),
            name="webhook-delivery",
            daemon=True,
        )
        delivery_thread.start()
    try:
        stats = run_worker(
            factory,
            reports_dir=reports_dir,
            interval_s=interval,
            once=once,
            query_timeout_s=query_timeout,
            sandbox=SandboxConfig.from_settings(cfg),
            on_run=report,
            handle_signals=not once,
        )
        if webhooks and once:
            _deliver(factory, cfg, True, stop_deliveries)
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


def _deliver(factory: Any, cfg: Settings, once: bool, stop: threading.Event) -> None:
    """The webhook delivery loop, until ``stop`` is set (or, with ``once``, until nothing is due)."""
    from expensehub.webhooks.worker import WorkerBusy, run_delivery_worker

    try:
        run_delivery_worker(factory, cfg, once=once, stop_event=stop)
    except WorkerBusy as exc:
        err.print(f"[yellow]webhooks:[/yellow] not delivering here: {exc}")
