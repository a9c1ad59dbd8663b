"""``expensehub``: the command line. Core commands live here; each domain adds its own module."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from expensehub.cli.apps import app, console, db_app, err, keys_app, session_factory, settings
from expensehub.config import Settings
from expensehub.versions import CURRENT


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from EXPENSEHUB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from EXPENSEHUB_PORT)")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    migrate: Annotated[bool, typer.Option(help="Run pending migrations before serving")] = True,
) -> None:
    """Serve the API with uvicorn (OpenAPI UI at /docs)."""
    import uvicorn

    cfg = settings()
    if migrate:
        from expensehub.db.migrate import upgrade_if_behind

        upgrade_if_behind(cfg.database_url)
    bind_host = host or cfg.host
    bind_port = port or cfg.port
    _require_free_port(bind_host, bind_port)
    _hint_first_company(cfg)
    console.print(
        f"expensehub API on http://{bind_host}:{bind_port}  (docs: http://{bind_host}:{bind_port}/docs)"
    )
    uvicorn.run(
        "expensehub.api.asgi:app",
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level=cfg.log_level.lower(),
        log_config=None,  # expensehub.logs configures logging (JSON lines); uvicorn must not replace it
        access_log=False,  # one structured line per request comes from the app (request id, company)
        factory=False,
    )


def _require_free_port(host: str, port: int) -> None:
    """Stop (exit 2, one line) when ``host:port`` cannot be bound, before any work is done."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            err.print(
                f"[red]error:[/red] cannot listen on {host}:{port} ({exc.strerror}): pass --port with a free "
                "port (or stop what listens there)",
                highlight=False,
            )
            raise typer.Exit(2) from None


def _hint_first_company(cfg: Settings) -> None:
    from expensehub.companies import service
    from expensehub.db.engine import transaction

    with transaction(session_factory(cfg)) as session:
        empty = not service.list_companies(session)
    if empty:
        console.print(
            "This database has no company yet. Create yours (a legal entity and an admin API key come with "
            "it):\n  expensehub init --name 'Your Company' --country es --currency EUR\n"
            "or fill it with a demo company: expensehub demo"
        )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from expensehub.db.migrate import current, upgrade

    cfg = settings()
    upgrade(cfg.database_url, revision)
    console.print(f"database at revision [bold]{current(cfg.database_url)}[/bold]")


@db_app.command("current")
def db_current() -> None:
    """Print the database's current revision."""
    from expensehub.db.migrate import current

    console.print(current(settings().database_url) or "(empty: not migrated)")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed builds the same company")] = 42,
    employees: Annotated[int, typer.Option(min=4, help="Number of employees (at least 4)")] = 50,
    expensables: Annotated[int, typer.Option(min=0, help="Number of expensables")] = 5000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards")] = False,
    host: Annotated[
        str | None, typer.Option(help="With --serve: bind address (default EXPENSEHUB_HOST)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="With --serve: port (default EXPENSEHUB_PORT)")] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="Subscribe this URL to the demo company's webhooks (its secret is printed once)"),
    ] = None,
) -> None:
    """Create a believable demo company, print an API key for it, and optionally serve the API."""
    from expensehub.db.engine import transaction
    from expensehub.db.migrate import upgrade_if_behind
    from expensehub.demo.seed import seed_demo
    from expensehub.documents.context import DocumentsConfig

    cfg = settings()
    bind_host, bind_port = host or cfg.host, port or cfg.port
    if serve_after:
        _require_free_port(bind_host, bind_port)  # before seeding, not after
    if webhook_url is not None:
        from expensehub.webhooks.rules import url_problem

        problem = url_problem(webhook_url.strip(), allow_private=cfg.webhook_allow_private_targets)
        if problem:
            err.print(f"[red]error:[/red] --webhook-url: {problem}", highlight=False)
            raise typer.Exit(2)
    upgrade_if_behind(cfg.database_url)
    factory = session_factory(cfg)
    with transaction(factory) as session:
        summary = seed_demo(
            session,
            seed=seed,
            employees=employees,
            expensables=expensables,
            progress=console,
            documents=DocumentsConfig.from_settings(cfg),
            webhook_url=None if webhook_url is None else webhook_url.strip(),
            allow_private_webhooks=cfg.webhook_allow_private_targets,
        )
    table = Table(title="Demo company created", show_header=False)
    for label, value in summary.rows():
        table.add_row(label, str(value))
    console.print(table)
    console.print(f"API key (shown once): [bold green]{summary.api_key}[/bold green]")
    if summary.hooks is not None:
        console.print(
            f"Webhook signing secret (shown once): [bold green]{summary.hooks.secret}[/bold green]\n"
            f"Receive and verify: expensehub webhooks listen --port P --secret {summary.hooks.secret}; "
            "deliver: expensehub worker",
            highlight=False,
        )
    console.print(
        f"Try: curl -H 'x-api-key: {summary.api_key}' "
        f"http://{bind_host}:{bind_port}/api/{CURRENT}/resources/expenses/expensables?limit=2"
    )
    if serve_after:
        serve(host=bind_host, port=bind_port, workers=1, migrate=False)


@keys_app.command("create")
def keys_create(
    company: Annotated[int, typer.Option("--company", help="Company id")],
    name: Annotated[str, typer.Option("--name", help="A label for the key")],
) -> None:
    """Create an API key; the key is printed once and only its hash is stored."""
    from expensehub.auth import service
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError

    factory = session_factory()
    try:
        with transaction(factory) as session:
            key, plaintext = service.create_api_key(session, company_id=company, name=name)
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    err.print(
        f"created key {key.id} ({key.prefix}…) for company {company}; store it now, it is not shown again"
    )
    console.print(plaintext)


@keys_app.command("list")
def keys_list(
    company: Annotated[int | None, typer.Option("--company", help="Only this company")] = None,
) -> None:
    """List API keys (never their secrets)."""
    from expensehub.auth import service
    from expensehub.db.engine import transaction

    factory = session_factory()
    with transaction(factory) as session:
        keys = service.list_api_keys(session, company_id=company)
        table = Table("id", "company", "name", "prefix", "created", "revoked")
        for k in keys:
            table.add_row(
                str(k.id),
                str(k.company_id),
                k.name,
                k.prefix + "…",
                k.created_at.isoformat(),
                k.revoked_at.isoformat() if k.revoked_at else "",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="Key id (see `keys list`)")],
    company: Annotated[int, typer.Option("--company", help="Company id the key belongs to")],
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from expensehub.auth import service
    from expensehub.db.engine import transaction
    from expensehub.errors import AppError

    factory = session_factory()
    try:
        with transaction(factory) as session:
            service.revoke_api_key(session, company_id=company, key_id=key_id)
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"key {key_id} revoked")


@app.command()
def companies() -> None:
    """List companies (ids for `keys create --company`)."""
    from expensehub.companies import service
    from expensehub.db.engine import transaction

    factory = session_factory()
    with transaction(factory) as session:
        table = Table("id", "name", "created")
        for c in service.list_companies(session):
            table.add_row(str(c.id), c.name, c.created_at.isoformat())
    console.print(table)


# Domain command modules register themselves on the shared Typer apps when imported.
from expensehub.cli import allowances, banking, documents, exports, onboarding, webhooks, worker  # noqa: E402, F401
from expensehub.cli import employees as _employees  # noqa: E402, F401
from expensehub.cli import sync as _sync  # noqa: E402, F401

if __name__ == "__main__":
    app()
