"""Export commands: `export expenses`, `export card-payments`, `export transactions`, `reports ...`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from expensehub.cli.apps import app, console, err, export_app, fail, session_factory, settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from expensehub.exports import service


reports_app = typer.Typer(
    help="Saved reports: a template or a read-only SQL query, run by hand or on a cron schedule by "
    "`expensehub worker`.",
    no_args_is_help=True,
)
app.add_typer(reports_app, name="reports")

QueryTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--query-timeout",
        min=0.1,
        help="Seconds a query may run (default: EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS, else 60)",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", help="csv, xlsx, parquet or jsonl (default: from --out's extension, else csv)"
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="File to write (written whole or not at all)")]
CompanyOpt = Annotated[int | None, typer.Option("--company", help="Company id (needed when several exist)")]
FromOpt = Annotated[
    datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First date, inclusive (YYYY-MM-DD)")
]
ToOpt = Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last date, inclusive")]
StatusOpt = Annotated[list[str] | None, typer.Option("--status", help="Only this status (repeatable)")]
TypeOpt = Annotated[list[str] | None, typer.Option("--type", help="Only this type (repeatable)")]
EmployeeOpt = Annotated[
    list[int] | None, typer.Option("--employee", help="Only this employee id (repeatable)")
]
EntityOpt = Annotated[
    list[int] | None, typer.Option("--legal-entity", help="Only this legal entity id (repeatable)")
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--updated-since", help="Only rows changed at or after this ISO time (UTC if no offset)"),
]
CheckpointOpt = Annotated[
    str | None,
    typer.Option(
        "--checkpoint",
        help="Incremental export: only rows changed since the last export with this checkpoint name; the "
        "checkpoint moves on once the file is written",
    ),
]
TemplateOpt = Annotated[
    str | None,
    typer.Option("--template", "-t", help="A template file (JSON/YAML) or a shipped template name"),
]
ColumnsOpt = Annotated[
    str | None, typer.Option("--columns", help="Comma-separated columns, in order (see `export columns`)")
]
CostOpt = Annotated[
    str | None,
    typer.Option("--cost-centers", help="join (one row, codes joined by |) or split (one row per share)"),
]
BomOpt = Annotated[bool | None, typer.Option("--bom/--no-bom", help="CSV: UTF-8 byte-order mark for Excel")]


@contextmanager
def _company_transaction(
    company: int | None, factory: sessionmaker[Session] | None = None
) -> Iterator[tuple[Session, int]]:
    """A transaction and the company of a command (``--company``, else the only one); an application
    error ends the command (exit 2, the message on stderr)."""
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError
    from expensehub.exports import service

    factory = factory or session_factory()
    try:
        with transaction(factory) as session:
            yield session, service.default_company(session, company)
    except AppError as exc:
        raise fail(exc) from exc


_SUFFIX_FORMATS = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}


def _format_of(fmt: str | None, out: Path) -> str | None:
    """The format asked for (``--format``), else the one ``out``'s extension names; a file name whose
    extension names no format we write (``x.docx``) is refused rather than filled with CSV."""
    from expensehub.errors import ValidationFailed

    suffix = out.suffix.lower().lstrip(".")
    if fmt:
        return fmt.lower()
    if suffix and suffix not in _SUFFIX_FORMATS:
        known = ", ".join(f".{s}" for s in _SUFFIX_FORMATS)
        raise fail(
            ValidationFailed(
                f"cannot write {out.name}: its extension names no export format ({known}); "
                "rename it or pass --format",
                code="invalid_option",
            )
        )
    return _SUFFIX_FORMATS.get(suffix)


def _since(value: str | None) -> datetime | None:
    from expensehub.errors import ValidationFailed

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(
            f"--updated-since {value!r} is not an ISO 8601 time",
            fields={"updated_since": ["not an ISO 8601 time"]},
            code="invalid_filter",
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _receipt_url() -> service.ReceiptUrl | None:
    """Signed receipt URLs on ``EXPENSEHUB_PUBLIC_BASE_URL`` (else http://host:port), when configured."""
    try:
        from expensehub.documents.context import DocumentsConfig
    except ImportError:
        return None
    cfg = settings()
    signer = DocumentsConfig.from_settings(cfg).signer(cfg.base_url(), int(time.time()))

    def url(company_id: int, document_id: int, sha256: str) -> str:
        return str(signer.url(document_id=document_id, company_id=company_id, sha256=sha256))

    return url


def run_export(
    dataset: str,
    *,
    out: Path,
    fmt: str | None,
    company: int | None,
    date_from: datetime | None,
    date_to: datetime | None,
    status: list[str] | None,
    types: list[str] | None,
    employee: list[int] | None,
    legal_entity: list[int] | None,
    updated_since: str | None,
    checkpoint: str | None,
    template: str | None,
    columns: str | None,
    cost_centers: str | None,
    bom: bool | None,
) -> None:
    """Plan (all checks, nothing written), stream into a temporary file, rename, print the summary."""
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError
    from expensehub.exports import service
    from expensehub.exports.templates import load_template

    factory = session_factory()
    started = time.perf_counter()
    try:
        tmpl = load_template(template) if template else None
        chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
        with transaction(factory) as session:
            company_id = service.default_company(session, company)
            after = (
                service.checkpoint_since(session, company_id=company_id, dataset=dataset, name=checkpoint)
                if checkpoint
                else None
            )
            plan = service.plan_export(
                session,
                company_id=company_id,
                dataset=dataset,
                fmt=_format_of(fmt, out),
                template=tmpl,
                columns=chosen,
                date_from=date_from.date() if date_from else None,
                date_to=date_to.date() if date_to else None,
                statuses=status or None,
                types=types or None,
                employee_ids=employee or None,
                legal_entity_ids=legal_entity or None,
                updated_since=_since(updated_since),
                updated_after=after,
                cost_centers=cost_centers,
                bom=bom,
            )
            total = service.count_rows(session, plan)
            summary = service.ExportSummary()
            columns_bar = (
                TextColumn(f"[bold]{dataset}[/bold] → {out.name}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns_bar, console=err, transient=False) as progress:
                task = progress.add_task(dataset, total=max(total, 1))
                chunks = service.stream_export(
                    session,
                    plan,
                    summary=summary,
                    receipt_url=_receipt_url() if "receipt_url" in plan.derived else None,
                    progress=lambda n: progress.advance(task, n),
                )
                size = service.write_file_atomically(chunks, out)
                progress.update(task, completed=max(total, 1))
            session.rollback()
        if checkpoint:
            with transaction(factory) as session:
                cp = service.save_checkpoint(
                    session, company_id=company_id, dataset=dataset, name=checkpoint, summary=summary
                )
                next_since = cp.updated_since
    except AppError as exc:
        raise fail(exc) from exc
    table = Table(title=f"Export of {dataset}", show_header=False)
    table.add_row("file", f"{out} ({plan.format}, {size:,} bytes)")
    split_note = f" ({summary.source_rows:,} before splits)" if summary.rows != summary.source_rows else ""
    table.add_row("rows", f"{summary.rows:,}{split_note}")
    for currency, amount in summary.totals_text().items():
        table.add_row(f"total {currency}", amount)
    if checkpoint:
        table.add_row("checkpoint", f"{checkpoint}: next export from changes after {next_since or '(start)'}")
    table.add_row("seconds", f"{time.perf_counter() - started:.2f}")
    console.print(table)


def _export_command(dataset: str, noun: str) -> Any:
    def command(
        out: OutOpt,
        fmt: FormatOpt = None,
        company: CompanyOpt = None,
        date_from: FromOpt = None,
        date_to: ToOpt = None,
        status: StatusOpt = None,
        type_: TypeOpt = None,
        employee: EmployeeOpt = None,
        legal_entity: EntityOpt = None,
        updated_since: SinceOpt = None,
        checkpoint: CheckpointOpt = None,
        template: TemplateOpt = None,
        columns: ColumnsOpt = None,
        cost_centers: CostOpt = None,
        bom: BomOpt = None,
    ) -> None:
        run_export(
            dataset,
            out=out,
            fmt=fmt,
            company=company,
            date_from=date_from,
            date_to=date_to,
            status=status,
            types=type_,
            employee=employee,
            legal_entity=legal_entity,
            updated_since=updated_since,
            checkpoint=checkpoint,
            template=template,
            columns=columns,
            cost_centers=cost_centers,
            bom=bom,
        )

    command.__doc__ = (
        f"Export {noun} to CSV, XLSX, Parquet or JSON Lines, streamed with flat memory.\n\n"
        "Columns: the defaults, --columns, or a --template. Prints rows and totals per currency."
    )
    return command


def _register(name: str, dataset: str, noun: str) -> None:
    fn = _export_command(dataset, noun)
    fn.__name__ = f"export_{dataset}"
    export_app.command(name)(fn)


_register("expenses", "expenses", "expenses (one row per expensable: expenses, mileages, per diems)")
_register("card-payments", "card_payments", "card payments")
_register("transactions", "transactions", "bank transactions")


@export_app.command("columns")
def export_columns(
    dataset: Annotated[str, typer.Argument(help="expenses, card_payments or transactions")] = "expenses",
) -> None:
    """List the columns a dataset can export: name, type, meaning (* = exported by default)."""
    from expensehub.exports.columns import DATASETS

    if dataset.replace("-", "_") not in DATASETS:
        err.print(f"[red]error:[/red] unknown dataset {dataset!r}; one of {', '.join(DATASETS)}")
        raise typer.Exit(2)
    table = Table("column", "type", "default", "meaning")
    for c in DATASETS[dataset.replace("-", "_")]:
        table.add_row(c.name, c.kind, "*" if c.default else "", c.description)
    console.print(table)


# --------------------------------------------------------------------------------------------------
# reports
# --------------------------------------------------------------------------------------------------


@reports_app.command("create")
def reports_create(
    name: Annotated[str, typer.Option("--name", help="Report name (unique in the company)")],
    company: CompanyOpt = None,
    template: TemplateOpt = None,
    sql: Annotated[str | None, typer.Option("--sql", help="A read-only query over the report views")] = None,
    sql_file: Annotated[Path | None, typer.Option("--sql-file", help="File holding the query")] = None,
    fmt: FormatOpt = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Cron expression, UTC, e.g. '0 6 * * 1' (Mondays 06:00)")
    ] = None,
    query_timeout: QueryTimeoutOpt = None,
) -> None:
    """Save a report: a template, or a read-only SQL query (see docs/exports.md for the views).

    A SQL report's query is tried once (its first row) within the query time limit.
    """
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError, ValidationFailed
    from expensehub.exports import service
    from expensehub.exports.sandbox import SandboxConfig
    from expensehub.exports.templates import load_template

    cfg = settings()
    timeout = query_timeout if query_timeout is not None else cfg.report_query_timeout_seconds
    factory = session_factory(cfg)
    try:
        if sql_file is not None:
            if sql is not None:
                raise ValidationFailed("give --sql or --sql-file, not both", code="invalid_report")
            sql = sql_file.read_text(encoding="utf-8")
        tmpl = load_template(template) if template else None
        with transaction(factory) as session:
            company_id = service.default_company(session, company)
            report = service.create_report(
                session,
                company_id=company_id,
                name=name,
                fmt=fmt,
                template=tmpl,
                sql=sql,
                schedule=schedule,
                query_timeout_s=timeout,
                config=SandboxConfig.from_settings(cfg),
            )
            console.print(
                f"report [bold]{report.id}[/bold] {report.name!r} saved ({report.kind}, {report.format}"
                + (f", next run {report.next_run_at:%Y-%m-%d %H:%M} UTC" if report.next_run_at else "")
                + ")"
            )
    except AppError as exc:
        raise fail(exc) from exc


@reports_app.command("list")
def reports_list(company: CompanyOpt = None) -> None:
    """List the company's reports, their schedules and last runs."""
    from expensehub.exports import service

    with _company_transaction(company) as (session, company_id):
        table = Table("id", "name", "kind", "format", "schedule (UTC)", "next run", "last run", "enabled")
        for r in service.list_reports(session, company_id=company_id):
            table.add_row(
                str(r.id),
                r.name,
                r.kind + (f" ({r.dataset})" if r.dataset else ""),
                r.format,
                r.schedule or "",
                f"{r.next_run_at:%Y-%m-%d %H:%M}" if r.next_run_at else "",
                f"{r.last_run_at:%Y-%m-%d %H:%M}" if r.last_run_at else "",
                "yes" if r.enabled else "no",
            )
    console.print(table)


@reports_app.command("run")
def reports_run(
    report: Annotated[str, typer.Argument(help="Report id or name")],
    company: CompanyOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: in the reports folder)")
    ] = None,
    reports_dir: Annotated[
        Path | None,
        typer.Option(
            "--reports-dir",
            help="Folder of report files (default: EXPENSEHUB_REPORTS_DIR, else <storage_dir>/reports)",
        ),
    ] = None,
    query_timeout: QueryTimeoutOpt = None,
) -> None:
    """Run a report now and write its file (recorded as a manual run)."""
    from expensehub.errors import ValidationFailed
    from expensehub.exports import service
    from expensehub.exports.sandbox import SandboxConfig
    from expensehub.worker.reports import run_report

    cfg = settings()
    folder = reports_dir if reports_dir is not None else Path(cfg.reports_dir)
    timeout = query_timeout if query_timeout is not None else cfg.report_query_timeout_seconds
    factory = session_factory(cfg)
    with _company_transaction(company, factory) as (session, company_id):
        found = service.find_report(session, company_id=company_id, ref=report)
        report_id, fmt = found.id, found.format
    if out is not None and _format_of(None, out) not in (None, fmt):
        raise fail(ValidationFailed(f"the report writes {fmt}, not {out.suffix}", code="invalid_option"))
    outcome = run_report(
        factory,
        report_id,
        trigger="manual",
        reports_dir=folder,
        out=out,
        query_timeout_s=timeout,
        sandbox=SandboxConfig.from_settings(cfg),
    )
    if not outcome.ok:
        err.print(f"[red]error:[/red] report {outcome.name!r} failed: {outcome.error}")
        raise typer.Exit(1)
    console.print(f"report {outcome.name!r}: {outcome.rows:,} rows written to {outcome.path}")


@reports_app.command("delete")
def reports_delete(
    report: Annotated[str, typer.Argument(help="Report id or name")],
    company: CompanyOpt = None,
) -> None:
    """Delete a report and its run history (files already written stay)."""
    from expensehub.exports import service

    with _company_transaction(company) as (session, company_id):
        deleted = service.delete_report(session, company_id=company_id, ref=report)
        console.print(f"report {deleted.id} {deleted.name!r} deleted")


@reports_app.command("runs")
def reports_runs(
    report: Annotated[str, typer.Argument(help="Report id or name")],
    company: CompanyOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many, newest first")] = 20,
) -> None:
    """Show a report's latest runs."""
    from expensehub.exports import service

    with _company_transaction(company) as (session, company_id):
        found = service.find_report(session, company_id=company_id, ref=report)
        table = Table("run", "trigger", "status", "started (UTC)", "rows", "file / error")
        for run in service.report_runs(session, company_id=company_id, report_id=found.id, limit=limit):
            table.add_row(
                str(run.id),
                run.trigger,
                run.status,
                f"{run.started_at:%Y-%m-%d %H:%M:%S}",
                "" if run.rows is None else f"{run.rows:,}",
                run.path or run.error or "",
            )
    console.print(table)
