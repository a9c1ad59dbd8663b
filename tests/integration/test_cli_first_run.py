"""A new install from the command line: one data folder, clear one-line errors on a missing or
unmigrated database (creating nothing), `init` for your own company, ports checked before any work."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub import __version__
from expensehub.auth import service as auth_service
from expensehub.cli.main import app
from expensehub.db.engine import transaction

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new machine: no EXPENSEHUB_* setting, the default data folder under ``tmp_path``."""
    for name in ("EXPENSEHUB_DATABASE_URL", "EXPENSEHUB_DATA_DIR", "EXPENSEHUB_STORAGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "xdg" / "expensehub"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"expensehub {__version__}"


def test_missing_database_is_one_line_and_creates_nothing(home: Path) -> None:
    for command in (["companies"], ["keys", "list"], ["worker", "--once"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert f"no expensehub database at {home / 'expensehub.db'}" in lines[0]
        assert "expensehub init" in lines[0]
        assert "Traceback" not in result.output
    assert not (home / "expensehub.db").exists()


def test_unmigrated_database_names_the_fix(home: Path) -> None:
    home.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{home / 'expensehub.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something (x INTEGER)"))
    engine.dispose()
    result = runner.invoke(app, ["companies"])
    assert result.exit_code == 2
    assert "is not migrated: run `expensehub db upgrade`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/x")
    result = runner.invoke(app, ["companies"])
    assert result.exit_code == 2
    assert "cannot reach the database" in result.stderr
    assert "secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_init_creates_company_entity_and_a_working_key(home: Path) -> None:
    result = runner.invoke(app, ["init", "--name", "Acme SL", "--country", "es", "--currency", "eur"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("ehk_")
    factory = sessionmaker(create_engine(f"sqlite:///{home / 'expensehub.db'}"), class_=Session)
    with transaction(factory) as s:
        principal = auth_service.authenticate(s, key)
        entity = s.execute(text("SELECT country, currency FROM legal_entities")).one()
    assert principal.company_id == 1
    assert tuple(entity) == ("es", "EUR")
    listed = runner.invoke(app, ["companies"])
    assert "Acme SL" in listed.output


def test_init_with_bad_values_creates_nothing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM companies")).scalar_one()
    result = runner.invoke(app, ["init", "--name", "Bad", "--country", "spain", "--currency", "EUR"])
    assert result.exit_code == 2
    assert "country: must be an ISO 3166 two-letter country code" in result.stderr
    assert result.stderr.strip().endswith("nothing was created")
    result = runner.invoke(app, ["init", "--name", "Bad", "--country", "es", "--currency", "EURO"])
    assert result.exit_code == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar_one() == before
    engine.dispose()


def test_init_asks_for_what_is_missing(home: Path) -> None:
    result = runner.invoke(app, ["init"], input="Prompted Co\nfr\nEUR\n")
    assert result.exit_code == 0, result.output
    assert "Company name" in result.output
    assert "created company 1 (Prompted Co), legal entity 1 (fr, EUR)" in result.stderr


def test_busy_port_is_refused_before_any_work(home: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["demo", "--serve", "--port", str(port), "--expensables", "10"])
        assert result.exit_code == 2
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
        assert not (home / "expensehub.db").exists()  # nothing was seeded
        result = runner.invoke(app, ["serve", "--port", str(port), "--no-migrate"])
        assert result.exit_code == 2


def test_empty_database_gets_told_how_to_start(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from expensehub.cli.main import _hint_first_company
    from expensehub.config import load_settings
    from expensehub.db.migrate import upgrade

    cfg = load_settings()
    upgrade(cfg.database_url)
    _hint_first_company(cfg)
    assert "expensehub init --name" in capsys.readouterr().out
    runner.invoke(app, ["init", "--name", "A", "--country", "es", "--currency", "EUR"])
    _hint_first_company(cfg)
    assert "expensehub init" not in capsys.readouterr().out


def test_help_imports_no_database_or_domain_code() -> None:
    """`expensehub --help` loads the command definitions only: no SQLAlchemy, models, services or
    writers (importing them all made `--help` take 1.4 s)."""
    import subprocess
    import sys

    probe = (
        "import sys, expensehub.cli.main\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'pyarrow', 'xlsxwriter', 'aiohttp', 'httpx', 'fastapi') "
        "or m.startswith('expensehub.models') or m.endswith(('.service', '.repository')))\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_demo_sizes_below_its_minimum_are_a_usage_error_not_a_traceback(home: Path) -> None:
    for option in (["--employees", "3"], ["--expensables", "-1"]):
        result = runner.invoke(app, ["demo", *option])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "Invalid value" in result.output
    assert not (home / "expensehub.db").exists()
