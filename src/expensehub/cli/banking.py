"""Banking commands: `import feed`, `reconcile`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from expensehub.cli.apps import app, company_or_only, console, err, fail, session_factory

import_app = typer.Typer(help="Import data: card and bank feeds (CAMT.053, OFX, CSV).", no_args_is_help=True)
app.add_typer(import_app, name="import")


def _print_counts(title: str, counts: Iterable[tuple[str, int]]) -> None:
    """A two-column table of what a command did: a label and a count a row."""
    table = Table(title=title, show_header=False)
    for label, count in counts:
        table.add_row(label, str(count))
    console.print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@import_app.command("feed")
def import_feed(
    file: Annotated[
        Path, typer.Argument(help="Statement or feed file", exists=True, dir_okay=False, readable=True)
    ],
    account: Annotated[int, typer.Option("--account", help="Bank account id to import into")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, camt053 or ofx (detected from the content when absent)"),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            help="CSV only: a shipped mapping (card-issuer-export, bank-debit-credit-eu) or a JSON/YAML file",
        ),
    ] = None,
) -> None:
    """Import card payments and bank transactions from FILE; re-imports add nothing twice."""
    from sqlalchemy.exc import DBAPIError

    from expensehub.banking import schemas, service
    from expensehub.db.engine import transaction
    from expensehub.db.errors import translate
    from expensehub.errors import AppError
    from expensehub.webhooks.rules import Author

    if fmt is not None and fmt not in ("csv", "camt053", "ofx"):
        err.print("[red]error:[/red] --format must be csv, camt053 or ofx")
        raise typer.Exit(2)
    mapping_text = mapping
    if mapping is not None and Path(mapping).is_file():
        mapping_text = Path(mapping).read_text(encoding="utf-8")
    data = file.read_bytes()
    factory = session_factory()
    try:
        with transaction(factory) as session, _progress() as bar:
            company_id = service.company_of_bank_account(session, bank_account_id=account)
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    label = "reading " + file.name if stage == "parse" else "importing"
                    tasks[stage] = bar.add_task(label, total=max(total, 1))
                bar.update(tasks[stage], completed=done, total=max(total, 1))

            record = service.import_feed(
                session,
                company_id=company_id,
                bank_account_id=account,
                data=data,
                fmt=fmt,
                mapping=mapping_text,
                filename=file.name,
                progress=report,
                author=Author.company(company_id),  # the CLI acts for the company
            )
            view = schemas.feed_import_out(record)
    except AppError as exc:
        raise fail(exc) from exc
    except DBAPIError as exc:  # the database stayed locked too long (SQLite), or a write collided
        translated = translate(exc)
        if translated is None:
            raise
        raise fail(translated) from exc
    _print_counts(
        f"Imported {file.name} ({view['format']}) into account {account}",
        (
            ("entries read", view["entries"]),
            ("new card payments", view["new_card_payments"]),
            ("new bank transactions", view["new_transactions"]),
            ("updated (pending booked, settlements linked)", view["updated"]),
            ("duplicates (already imported)", view["duplicates"]),
            ("rejected rows", view["rejected"]),
        ),
    )
    if view["rejections"]:
        rejected = Table("line", "reason", title="Rows not imported")
        for row in view["rejections"][:50]:
            rejected.add_row(str(row["line"]), row["reason"])
        console.print(rejected)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        err.print(f"[red]error:[/red] {name} must be a date YYYY-MM-DD")
        raise typer.Exit(2) from None


@app.command()
def reconcile(
    start: Annotated[str | None, typer.Option("--from", help="First card payment date (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last card payment date (YYYY-MM-DD)")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report: report.xlsx (one sheet per section) or report.csv"),
    ] = None,
    company: Annotated[
        int | None, typer.Option("--company", help="Company id (needed when there are several)")
    ] = None,
) -> None:
    """Match card payments with card expenses; store the run; print (and optionally write) what it found."""
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError, check_date_range
    from expensehub.reconciliation import report, schemas, service
    from expensehub.webhooks.rules import Author

    first, last = _day(start, "--from"), _day(end, "--to")
    try:
        check_date_range(first, last)
    except AppError as exc:
        raise fail(exc) from exc
    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        err.print(f"[red]error:[/red] cannot write {out.name}: the report is .xlsx or .csv", highlight=False)
        raise typer.Exit(2)
    company_id = company_or_only(company)
    factory = session_factory()
    try:
        with transaction(factory) as session, _progress() as bar:
            task = bar.add_task("reconciling", total=3)

            def progress(_stage: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = service.create_run(
                session,
                company_id=company_id,
                start=first,
                end=last,
                progress=progress,
                author=Author.company(company_id),  # the CLI acts for the company
            )
            run_view = service.run_view(session, company_id=company_id, run=run)
            proposals: list[schemas.ProposalOut] = []
            items: list[schemas.ItemOut] = []
            if out is not None:
                contents = service.run_contents(session, company_id=company_id, run_id=run.id)
                proposals, items = contents.proposals, contents.items
    except AppError as exc:
        raise fail(exc) from exc
    period = f"{run_view['from'] or 'start'} .. {run_view['to'] or 'today'}"
    _print_counts(
        f"Reconciliation run {run_view['id']} ({period})",
        (
            ("card payments considered", run_view["card_payments"]),
            ("card expenses considered", run_view["expenses"]),
            ("already reconciled", run_view["already_reconciled"]),
            ("matched (confident)", run_view["matched"]),
            ("ambiguous (to review)", run_view["ambiguous"]),
            ("low confidence (to review)", run_view["low_confidence"]),
            ("missing receipts (payment without expense)", run_view["missing_receipts"]),
            ("card expenses without payment", run_view["expenses_without_payment"]),
            ("refunds", run_view["refunds"]),
            ("FX differences", run_view["fx_differences"]),
            ("matcher time (ms)", run_view["duration_ms"]),
        ),
    )
    if out is not None:
        report.write_report(out, run_view, proposals, items)
        console.print(f"report written to {out}")
