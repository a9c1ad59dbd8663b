"""`expensehub worker` and `expensehub reports run` take their folder, time limit and interval from the
settings (EXPENSEHUB_REPORTS_DIR, EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS, EXPENSEHUB_WORKER_INTERVAL_SECONDS)
unless an option overrides them; a bad value stops the command before anything runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from expensehub.db.engine import transaction
from expensehub.exports import service
from expensehub.kit.clock import utcnow
from expensehub.models.exports import ReportDefinition, ReportRun
from tests.factories import Tenant

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("EXPENSEHUB_REPORTS_DIR", "EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "30")
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("EXPENSEHUB_STORAGE_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)  # a relative default would land here, not in the repository


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def due_report(
    factory: sessionmaker[Session], tenant: Tenant, name: str, sql: str = "select 1 as one"
) -> int:
    """A scheduled SQL report of ``tenant``, due now; every other company's reports are disabled, so
    the worker runs this one alone (other tests of the session leave scheduled reports behind)."""
    with transaction(factory) as s:
        report_id = service.create_report(
            s, company_id=tenant.company_id, name=name, sql="select 1 as one", schedule="0 6 * * *"
        ).id
    with transaction(factory) as s:
        s.execute(
            update(ReportDefinition)
            .where(ReportDefinition.company_id != tenant.company_id)
            .values(enabled=False)
        )
        s.execute(
            update(ReportDefinition)
            .where(ReportDefinition.id == report_id)
            .values(sql=sql, next_run_at=utcnow() - timedelta(minutes=1))
        )
    return report_id


def runs(factory: sessionmaker[Session], report_id: int) -> list[ReportRun]:
    with transaction(factory) as s:
        return list(
            s.scalars(select(ReportRun).where(ReportRun.report_id == report_id).order_by(ReportRun.id))
        )


def files(folder: Path, tenant: Tenant) -> list[Path]:
    return sorted((folder / f"company-{tenant.company_id}").rglob("*.csv"))


def test_worker_writes_into_the_reports_dir_setting(
    env: None,
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "from-env"
    monkeypatch.setenv("EXPENSEHUB_REPORTS_DIR", str(folder))
    report_id = due_report(session_factory, tenant, "weekly")
    code, output = cli("worker", "--once", "--no-webhooks")
    assert code == 0, output
    [written] = files(folder, tenant)
    assert written.parent.name == "weekly"
    assert [(r.status, r.path) for r in runs(session_factory, report_id)] == [("succeeded", str(written))]


def test_the_default_reports_dir_is_under_the_storage_dir(
    env: None, session_factory: sessionmaker[Session], tenant: Tenant, tmp_path: Path
) -> None:
    due_report(session_factory, tenant, "weekly")
    code, output = cli("worker", "--once", "--no-webhooks")
    assert code == 0, output
    assert len(files(tmp_path / "files" / "reports", tenant)) == 1
    assert not (tmp_path / "reports").exists()


def test_the_option_overrides_the_setting(
    env: None,
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPENSEHUB_REPORTS_DIR", str(tmp_path / "from-env"))
    due_report(session_factory, tenant, "weekly")
    code, output = cli("worker", "--once", "--no-webhooks", "--reports-dir", str(tmp_path / "from-option"))
    assert code == 0, output
    assert len(files(tmp_path / "from-option", tenant)) == 1
    assert not (tmp_path / "from-env").exists()


def test_reports_run_uses_the_reports_dir_setting(
    env: None,
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "from-env"
    monkeypatch.setenv("EXPENSEHUB_REPORTS_DIR", str(folder))
    report_id = due_report(session_factory, tenant, "adhoc")
    code, output = cli("reports", "run", "adhoc", "--company", str(tenant.company_id))
    assert code == 0, output
    [written] = files(folder, tenant)
    assert [(r.trigger, r.path) for r in runs(session_factory, report_id)] == [("manual", str(written))]
    code, output = cli(
        "reports", "run", "adhoc", "--company", str(tenant.company_id), "--reports-dir", str(tmp_path / "opt")
    )
    assert code == 0, output
    assert len(files(tmp_path / "opt", tenant)) == 1
    assert len(files(folder, tenant)) == 1


def test_the_query_timeout_setting_limits_report_queries(
    env: None,
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Endless on both databases (pg_sleep is refused by the text check as a server function).
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) as c from n"
    monkeypatch.setenv("EXPENSEHUB_REPORTS_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "0.5")
    report_id = due_report(session_factory, tenant, "slow", sql=slow)
    code, output = cli("worker", "--once", "--no-webhooks")
    assert code == 1, output
    [run] = runs(session_factory, report_id)
    assert run.status == "failed"
    assert any(words in (run.error or "") for words in ("time limit", "longer than"))
    assert files(tmp_path / "out", tenant) == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "0"),
        ("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "soon"),
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "-1"),
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "nan"),
        ("EXPENSEHUB_REPORTS_DIR", ""),
        ("EXPENSEHUB_WEBHOOK_CONCURRENCY", "0"),
    ],
)
def test_a_bad_setting_stops_the_worker_before_anything_runs(
    env: None,
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    report_id = due_report(session_factory, tenant, "weekly")
    monkeypatch.setenv(variable, value)
    code, output = cli("worker", "--once", "--no-webhooks", "--reports-dir", str(tmp_path / "out"))
    assert code == 2, output
    assert f"invalid setting {variable}" in " ".join(output.split()), output
    assert runs(session_factory, report_id) == []
    assert not (tmp_path / "out").exists()
