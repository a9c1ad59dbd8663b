"""The Typer applications and helpers every command module shares."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from expensehub import logs
from expensehub.config import Settings, SettingsError, load_settings
from expensehub.db.engine import make_engine, make_session_factory

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
err = Console(stderr=True)


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


def session_factory(cfg: Settings | None = None) -> sessionmaker[Session]:
    """A session factory on the configured database."""
    cfg = cfg or settings()
    return make_session_factory(
        make_engine(cfg.database_url, sqlite_busy_timeout=cfg.sqlite_busy_timeout_seconds)
    )
