"""``expensehub employees import``: a company's employees from a CSV roster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from expensehub.cli.apps import app, company_or_only, console, err, fail, session_factory

employees_app = typer.Typer(help="Employees: import a CSV roster.", no_args_is_help=True)
app.add_typer(employees_app, name="employees")


@employees_app.command("import")
def import_employees(
    file: Annotated[Path, typer.Argument(help="CSV roster, one employee a row", exists=True, dir_okay=False)],
    company: Annotated[int | None, typer.Option("--company", help="Company id (needed when several)")] = None,
    keep_valid: Annotated[
        bool, typer.Option("--keep-valid", help="Import the rows that pass even if others are refused")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and report; write nothing")
    ] = False,
) -> None:
    """Create or update employees from FILE, keyed by their identifier: importing it again changes nothing.

    Columns (a header row; comma, semicolon or tab separated; UTF-8): identifier, first_name, last_name,
    email (all required), then optionally legal_entity (id or country code; needed when the company has
    several), manager_identifier, preferred_name, phone_number, birthday_on, bank_number, swift_bic,
    terminated_on. A refused row is reported with its line; then nothing is imported unless --keep-valid.
    """
    from expensehub.companies import roster
    from expensehub.errors import AppError

    company_id = company_or_only(company)
    data = file.read_bytes()
    factory = session_factory()
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    try:
        with bar:
            task = bar.add_task(f"importing {file.name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, 1))

            report = roster.import_file(
                factory,
                company_id=company_id,
                data=data,
                keep_valid=keep_valid,
                dry_run=dry_run,
                progress=progress,
            )
    except AppError as exc:
        raise fail(exc) from exc
    verb = "would be" if dry_run or not report.written else "were"
    table = Table(title=f"Employees from {file.name} (company {company_id})", show_header=False)
    for label, count in (
        ("rows read", report.rows),
        (f"new employees ({verb} created)", len(report.created)),
        (f"changed employees ({verb} updated)", len(report.updated)),
        ("unchanged", len(report.unchanged)),
        ("refused rows", len(report.refused)),
    ):
        table.add_row(label, str(count))
    console.print(table)
    if report.refused:
        refused = Table("line", "identifier", "reason", title="Refused rows")
        for row in report.refused[:200]:
            refused.add_row(str(row.line), row.identifier, row.reason)
        console.print(refused)
        if len(report.refused) > 200:
            console.print(f"... and {len(report.refused) - 200} more refused rows")
    console.print(
        f"{file.name}: {report.rows} rows, {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.refused)} refused",
        highlight=False,
    )
    if dry_run:
        err.print("dry run: nothing was written", highlight=False)
    elif not report.written:
        err.print(
            f"[red]error:[/red] {len(report.refused)} rows refused, so nothing was imported: fix them and "
            "run again, or pass --keep-valid to import the other rows",
            highlight=False,
        )
        raise typer.Exit(1)
