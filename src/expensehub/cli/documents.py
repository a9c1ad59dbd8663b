"""Document commands: ``documents purge`` and ``export receipts``."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from expensehub.cli.apps import (
    app,
    company_or_only,
    console,
    err,
    export_app,
    fail,
    session_factory,
    settings,
)
from expensehub.documents.rules import TRASH_RETENTION_DAYS

if TYPE_CHECKING:
    from expensehub.documents.bundles import BundleEntry


documents_app = typer.Typer(help="Documents: purge the trash bin and unused files.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")


@documents_app.command("purge")
def purge(
    older_than_days: Annotated[
        int, typer.Option("--older-than-days", min=0, help="Purge documents trashed at least this long ago")
    ] = TRASH_RETENTION_DAYS,
) -> None:
    """Delete documents trashed more than N days ago (default 30), then files no document uses."""
    from expensehub.db.engine import transaction
    from expensehub.documents import service
    from expensehub.documents.context import DocumentsConfig
    from expensehub.documents.storage import LocalFileStore
    from expensehub.kit.clock import utcnow

    cfg = settings()
    config = DocumentsConfig.from_settings(cfg)
    factory = session_factory(cfg)
    summary = service.PurgeSummary()
    now = utcnow()
    with transaction(factory) as session:
        summary.documents = service.purge_trashed(session, now=now, older_than_days=older_than_days)
    with transaction(factory) as session:
        summary.blobs = service.purge_blobs(session, store=config.store, now=now)
    if isinstance(config.store, LocalFileStore):
        with transaction(factory) as session:
            summary.orphan_files = service.sweep_orphan_files(session, store=config.store, now=now)
        summary.staging_files = config.store.sweep_tmp(older_than_seconds=24 * 3600)
    table = Table(title="Documents purge", show_header=False)
    table.add_row(f"documents deleted (trashed ≥ {older_than_days} days)", str(summary.documents))
    table.add_row("stored files deleted (no longer used)", str(summary.blobs))
    table.add_row("orphan files deleted", str(summary.orphan_files))
    table.add_row("stale upload staging files deleted", str(summary.staging_files))
    console.print(table)


@export_app.command("receipts")
def export_receipts(
    date_from: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First effective date")],
    date_to: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last effective date")],
    out: Annotated[Path, typer.Option("--out", help="The ZIP file to write")],
    company: Annotated[int | None, typer.Option("--company", help="Company id (needed when several)")] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only expenses in this status (repeatable)")
    ] = None,
    employee: Annotated[
        list[int] | None, typer.Option("--employee", help="Only expenses of this employee id (repeatable)")
    ] = None,
) -> None:
    """Write every receipt of the expenses dated FROM..TO (inclusive) to a ZIP with a manifest.csv.

    Files are named <expensable id>_<n>.<ext>; manifest.csv maps each to its expense, amount, currency,
    employee and date. Same content as GET documents/receipt_bundles.
    """
    from expensehub.db.engine import transaction
    from expensehub.documents import service
    from expensehub.documents.bundles import BundleStats
    from expensehub.documents.context import DocumentsConfig
    from expensehub.errors import AppError
    from expensehub.expenses.rules import STATUSES

    for value in status or []:
        if value not in STATUSES:
            err.print(f"[red]error:[/red] unknown status {value!r}; one of {', '.join(STATUSES)}")
            raise typer.Exit(2)
    cfg = settings()
    config = DocumentsConfig.from_settings(cfg)
    selection = service.BundleSelection(
        company_id=company_or_only(company),
        date_from=date_from.date(),
        date_to=date_to.date(),
        statuses=tuple(status) if status else None,
        employee_ids=tuple(employee) if employee else None,
    )
    try:
        service.check_bundle_selection(selection)
    except AppError as exc:
        raise fail(exc) from exc
    factory = session_factory(cfg)
    with transaction(factory) as session:
        receipts, total_bytes = service.bundle_totals(session, selection)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    stats = BundleStats()
    started = time.perf_counter()
    columns = (
        TextColumn("[bold]receipts {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        files_task = progress.add_task(f"0/{receipts}", total=max(total_bytes, 1))
        counted = 0

        def advance(entry: BundleEntry, _written: bool) -> None:
            nonlocal counted
            counted += 1
            progress.update(files_task, advance=entry.size, description=f"{counted}/{receipts}")

        try:
            with transaction(factory) as session, partial.open("wb") as sink:
                for chunk in service.receipt_bundle(
                    session, store=config.store, selection=selection, stats=stats, on_entry=advance
                ):
                    sink.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, out)
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    table = Table(title="Receipt bundle", show_header=False)
    table.add_row("file", str(out))
    table.add_row("period", f"{selection.date_from} .. {selection.date_to}")
    table.add_row("expenses", str(stats.expenses))
    table.add_row("receipts written", str(stats.files))
    table.add_row("receipts missing from storage", str(stats.missing))
    table.add_row("receipt bytes", f"{stats.bytes_in:,}")
    table.add_row("ZIP size", f"{size:,}")
    table.add_row("time", f"{seconds:.1f} s ({stats.bytes_in / 1e6 / max(seconds, 1e-9):.0f} MB/s)")
    console.print(table)
