"""``expensehub sync``: mirror a remote Factorial-compatible account (Factorial, or another expensehub)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from expensehub.cli.apps import app, console, err, fail, session_factory


@app.command("sync")
def sync_command(
    source: Annotated[
        str, typer.Option("--from", help="Base URL of the remote API, e.g. https://api.factorialhr.com")
    ],
    api_key: Annotated[
        str, typer.Option("--api-key", envvar="EXPENSEHUB_SYNC_API_KEY", help="The remote API key")
    ],
    into: Annotated[
        int | None,
        typer.Option("--into", help="Local company to mirror into (default: a new one, named as the remote)"),
    ] = None,
    version: Annotated[str, typer.Option(help="API version to speak to the remote")] = "2026-10-01",
    page_size: Annotated[
        int, typer.Option(min=1, max=100, help="Objects per remote page (and per commit)")
    ] = 100,
) -> None:
    """Mirror the remote account's legal entities, employees, cost centres and projects into a local company.

    Running it again changes only what changed on the remote (deletions included); a sync that was
    interrupted resumes where it stopped. The remote key can come from EXPENSEHUB_SYNC_API_KEY."""
    from expensehub.client import Client, ClientError
    from expensehub.companies import service as companies
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError
    from expensehub.sync import service

    factory = session_factory()
    with Client(source, api_key=api_key, version=version) as client:
        try:
            [credential] = list(client.api_public.credentials.list())
        except (ClientError, ValueError) as exc:
            err.print(f"[red]error:[/red] cannot read the remote account at {source}: {exc}", highlight=False)
            raise typer.Exit(2) from None
        origin = f"{source.rstrip('/')}#{credential['company_id']}"
        try:
            with transaction(factory) as session:
                if into is None:
                    company = companies.create_company(
                        session, name=str(credential.get("name") or "Mirrored company")
                    )
                    into = company.id
                    err.print(f"mirroring into a new company {into} ({company.name})", highlight=False)
                else:
                    companies.get_company(session, into)
        except AppError as exc:
            raise fail(exc) from exc
        bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed} objects"),
            TimeElapsedColumn(),
            console=err,
        )
        tasks: dict[str, TaskID] = {}

        def progress(resource: str, n: int) -> None:
            if resource not in tasks:
                tasks[resource] = bar.add_task(resource, total=None)
            bar.update(tasks[resource], advance=n)

        try:
            with bar:
                report = service.sync(
                    factory, client, company_id=into, source=origin, page_size=page_size, progress=progress
                )
        except ClientError as exc:
            err.print(
                f"[red]error:[/red] the remote failed: {exc}; run the same command again to resume",
                highlight=False,
            )
            raise typer.Exit(1) from None
        except AppError as exc:
            raise fail(exc) from exc
    table = Table(
        "resource",
        "created",
        "updated",
        "unchanged",
        "deleted",
        "failed",
        title=f"Sync of {origin} into company {into}" + (" (resumed)" if report.resumed else ""),
    )
    for resource, counts in report.counts.items():
        table.add_row(
            resource,
            *(str(counts.get(k, 0)) for k in ("created", "updated", "unchanged", "deleted", "failed")),
        )
    console.print(table)
    console.print(f"requests: {report.requests} ({report.retries} retried)", highlight=False)
    for failure in report.failures[:50]:
        err.print(f"  failed: {failure}", highlight=False)
    if report.failures:
        raise typer.Exit(1)
