"""`expensehub worker`: the background process (scheduled reports)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

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
) -> None:
    """Run scheduled reports when due (cron, UTC): write each file atomically into --reports-dir and
    record the run. Several workers may share a PostgreSQL database; run one on SQLite.
    Webhook deliveries run in `expensehub webhooks deliver`.
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
    finally:
        factory.kw["bind"].dispose()
    table = Table(title="Worker", show_header=False)
    table.add_row("polls", str(stats.polls))
    table.add_row("reports run", str(len(stats.runs)))
    table.add_row("succeeded", str(stats.succeeded))
    table.add_row("failed", str(stats.failed))
    console.print(table)
    if stats.failed:
        raise typer.Exit(1)
