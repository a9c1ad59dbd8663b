"""Allowance commands: `export payroll-adjustments`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from expensehub.cli.apps import console, err, export_app, session_factory


@export_app.command("payroll-adjustments")
def export_payroll_adjustments(
    month: Annotated[str, typer.Option("--month", help="Month of the claims, YYYY-MM")],
    company: Annotated[int, typer.Option("--company", help="Company id (see `expensehub companies`)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV file to write (default: CSV on standard output)")
    ] = None,
) -> None:
    """Taxable excess of per diems and mileages per employee for MONTH, as CSV for payroll.

    Amounts are in major units (12.34) with their currency; claims whose statutory amount cannot be
    computed are counted in `not_computed_claims` (the API report lists them with the reason).
    """
    from expensehub.allowances import service
    from expensehub.companies import service as companies
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError

    factory = session_factory()
    try:
        with transaction(factory) as session:
            companies.get_company(session, company)
            report = service.payroll_adjustments(session, company_id=company, month=month)
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    rows = service.payroll_csv_rows(report)
    if out is None:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(service.CSV_COLUMNS)
        writer.writerows(rows)
    else:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(service.CSV_COLUMNS)
            writer.writerows(rows)
    table = Table(title=f"Payroll adjustments {report['month']} (company {company})")
    for col in (
        "employee",
        "currency",
        "per diem taxable",
        "mileage taxable",
        "taxable total",
        "not computed",
    ):
        table.add_column(col, justify="left" if col in ("employee", "currency") else "right")
    for e, row in zip(report["employees"], rows, strict=True):
        table.add_row(f"{e['employee_name']} ({e['employee_id']})", row[3], row[6], row[9], row[10], row[11])
    # The summary goes to stderr when the CSV goes to stdout, so the CSV stays clean.
    (console if out is not None else err).print(table)
    if out is not None:
        console.print(f"wrote {len(rows)} row(s) to {out}")
