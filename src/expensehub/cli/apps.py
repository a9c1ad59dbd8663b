"""The Typer applications and helpers every command module shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from expensehub import logs
from expensehub.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from expensehub.errors import AppError


app = typer.Typer(
    help="expensehub: serve the API, migrate the database, seed a demo company, manage API keys, "
    "import feeds, reconcile, export.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema management (Alembic migrations).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
export_app = typer.Typer(help="Export data to files (receipt bundles, reports).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(export_app, name="export")

console = Console()
# Errors are one line each, however narrow the terminal (or a log file) is.
err = Console(stderr=True, soft_wrap=True)


def fail(exc: AppError) -> typer.Exit:
    """Print an application error (and a validation error's fields, one line each); exit code 2."""
    from expensehub.errors import ValidationFailed

    err.print(f"[red]error:[/red] {exc.message}")
    if isinstance(exc, ValidationFailed):
        for name, messages in exc.fields.items():
            for message in messages:
                err.print(f"  {name}: {message}")
    return typer.Exit(2)


def _print_version(value: bool) -> None:
    if value:
        from expensehub import __version__

        console.print(f"expensehub {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit"),
    ] = False,
) -> None:
    """Options of every command."""


def settings() -> Settings:
    """Settings from the environment (EXPENSEHUB_*); a bad value stops the command (exit 2) naming it.

    Logging is configured here, once, as the settings say (every command builds its settings first)."""
    try:
        cfg = load_settings()
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc
    logs.configure(cfg.log_level, cfg.log_format)
    return cfg


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def require_database(cfg: Settings) -> None:
    """Stop the command (exit 2, one line naming the fix) unless the database exists and is migrated.

    A missing SQLite file is not created: a command that reads or writes data must not leave an empty
    database behind."""
    from expensehub.db.migrate import current, head, sqlite_path

    path = sqlite_path(cfg.database_url)
    where = _where(cfg.database_url)
    if path is not None and not path.exists():
        err.print(
            f"[red]error:[/red] no expensehub database at {escape(str(path))}: create one with "
            "`expensehub init` (your company) or `expensehub demo` (a demo company), or point "
            "EXPENSEHUB_DATA_DIR / EXPENSEHUB_DATABASE_URL at yours",
            highlight=False,
        )
        raise typer.Exit(2)
    try:
        revision = current(cfg.database_url)
    except Exception as exc:  # the database does not answer: say so in one line
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        err.print(
            f"[red]error:[/red] cannot reach the database {escape(where)}: {escape(reason)}",
            highlight=False,
        )
        raise typer.Exit(2) from None
    wanted = head()
    if revision != wanted:
        state = (
            "is not migrated"
            if revision is None
            else f"is at revision {revision}, this expensehub needs {wanted}"
        )
        err.print(
            f"[red]error:[/red] the database {escape(where)} {state}: run `expensehub db upgrade`",
            highlight=False,
        )
        raise typer.Exit(2)


def session_factory(cfg: Settings | None = None, *, check: bool = True) -> sessionmaker[Session]:
    """A session factory on the configured database; unless ``check`` is false, the database must
    exist and be migrated (``require_database``)."""
    from expensehub.db.engine import make_engine, make_session_factory

    cfg = cfg or settings()
    if check:
        require_database(cfg)
    return make_session_factory(
        make_engine(cfg.database_url, sqlite_busy_timeout=cfg.sqlite_busy_timeout_seconds)
    )


def company_or_only(company: int | None) -> int:
    """The company a command works on: ``--company`` (which must exist), else the only one; with
    several and no ``--company``, the command stops (exit 2) saying so."""
    from expensehub.companies import service as companies
    from expensehub.db.engine import transaction

    with transaction(session_factory()) as session:
        ids = [c.id for c in companies.list_companies(session)]
    if company is not None:
        if company not in ids:
            err.print(f"[red]error:[/red] company {company} not found (see `expensehub companies`)")
            raise typer.Exit(2)
        return company
    if len(ids) == 1:
        return ids[0]
    if not ids:
        err.print("[red]error:[/red] there is no company yet: create yours with `expensehub init`")
        raise typer.Exit(2)
    err.print(
        "[red]error:[/red] several companies exist; choose one with --company (see `expensehub companies`)"
    )
    raise typer.Exit(2)
