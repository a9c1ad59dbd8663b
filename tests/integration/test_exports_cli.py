"""`expensehub export ...`, `expensehub reports ...` and `expensehub worker --once` on a real database."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.models import Expensable
from expensehub.models.exports import ReportDefinition
from tests.factories import Tenant
from tests.integration.test_exports_roundtrip import Data, build_dataset

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def data(
    db_url: str, monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session], tenant: Tenant
) -> Data:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")  # a wide console: summary tables are not wrapped
    return build_dataset(session_factory, tenant)


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(), newline="")))


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_export_expenses_with_summary(data: Data, tmp_path: Path) -> None:
    out = tmp_path / "expenses.csv"
    code, output = cli("export", "expenses", "--company", str(data.company_id), "--out", str(out))
    assert code == 0, output
    assert len(read(out)) == len(data.ids)
    assert "rows" in output
    assert "total EUR" in output
    assert "182.62" in output  # 100.01 + 50.00 + 0.01 + 2.60 (mileage) + 30.00
    assert "total JPY" in output
    assert "1500" in output
    assert "total KWD" in output
    assert "1.234" in output


def test_format_from_extension_and_filters(data: Data, tmp_path: Path) -> None:
    out = tmp_path / "paid.parquet"
    code, output = cli(
        "export",
        "expenses",
        "--company",
        str(data.company_id),
        "--out",
        str(out),
        "--status",
        "paid",
        "--status",
        "approved",
    )
    assert code == 0, output
    assert sorted(pq.read_table(out).column("expensable_id").to_pylist()) == sorted(
        [data.ids["eur_tax"], data.ids["gbp_up"]]
    )
    out2 = tmp_path / "t.csv"
    code, output = cli(
        "export",
        "expenses",
        "--company",
        str(data.company_id),
        "--out",
        str(out2),
        "--template",
        "datev-bookings",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    )
    assert code == 0, output
    assert out2.read_text().startswith("Umsatz (ohne Soll/Haben-Kz);")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-31", "--to", "2026-03-01"], "reversed"),
        (["--columns", "expensable_id,nope"], "unknown column"),
        (["--status", "bogus"], "unknown status"),
        (["--format", "pdf"], "unknown format"),
        (["--template", "no-such-template"], "no template"),
        (["--updated-since", "last tuesday"], "ISO 8601"),
    ],
)
def test_bad_input_writes_nothing(
    env: None, tenant: Tenant, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.csv"
    code, output = cli("export", "expenses", "--company", str(tenant.company_id), "--out", str(out), *args)
    assert code == 2, output
    assert message in " ".join(output.split()), output
    assert list(tmp_path.iterdir()) == []


def test_bad_template_file(env: None, tenant: Tenant, tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text('{"columns": ["expensable_id", "amount_in_eur"]}')
    code, output = cli(
        "export",
        "expenses",
        "--company",
        str(tenant.company_id),
        "--out",
        str(tmp_path / "x.csv"),
        "--template",
        str(template),
    )
    assert code == 2
    assert "amount_in_eur" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


def test_incremental_checkpoint(data: Data, tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    args = ["export", "expenses", "--company", str(data.company_id), "--checkpoint", "erp"]
    assert cli(*args, "--out", str(tmp_path / "1.csv"))[0] == 0
    assert cli(*args, "--out", str(tmp_path / "2.csv"))[0] == 0
    assert len(read(tmp_path / "1.csv")) == len(data.ids)
    assert read(tmp_path / "2.csv") == []
    with transaction(session_factory) as s:
        s.execute(
            update(Expensable)
            .where(Expensable.id == data.ids["jpy"])
            .values(updated_at=utcnow() + timedelta(seconds=2))
        )
    assert cli(*args, "--out", str(tmp_path / "3.csv"))[0] == 0
    assert [int(r["expensable_id"]) for r in read(tmp_path / "3.csv")] == [data.ids["jpy"]]


def test_card_payments_and_transactions_commands(env: None, tenant: Tenant, tmp_path: Path) -> None:
    for command in ("card-payments", "transactions"):
        out = tmp_path / f"{command}.jsonl"
        code, output = cli("export", command, "--company", str(tenant.company_id), "--out", str(out))
        assert code == 0, output
        assert out.read_bytes() == b""


def test_columns_command() -> None:
    code, output = cli("export", "columns", "expenses")
    assert code == 0
    assert "base_amount" in output
    assert "accounting_account_code" in output
    assert cli("export", "columns", "payslips")[0] == 2


def test_reports_and_worker(data: Data, tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    company = ["--company", str(data.company_id)]
    code, output = cli(
        "reports",
        "create",
        *company,
        "--name",
        "weekly",
        "--template",
        "generic-erp",
        "--schedule",
        "0 6 * * 1",
    )
    assert code == 0, output
    assert "next run" in output, output
    sql_file = tmp_path / "q.sql"
    sql_file.write_text(
        "select currency, count(*) as n from report_expensables group by currency order by currency"
    )
    code, output = cli(
        "reports", "create", *company, "--name", "counts", "--sql-file", str(sql_file), "--format", "jsonl"
    )
    assert code == 0, output
    for bad, message in [
        (["--name", "w", "--sql", "delete from expensables"], "SELECT"),
        (["--name", "w", "--sql", "select 1; select 2"], "one statement"),
        (["--name", "w", "--sql", "select 1", "--schedule", "0 25 * * *"], "hour: 25 is out of range 0-23"),
        (["--name", "w", "--sql", "select 1", "--schedule", "*/² * * * *"], "minute: step must be"),
        (["--name", "weekly", "--sql", "select 1"], "exists already"),
    ]:
        code, output = cli("reports", "create", *company, *bad)
        assert code == 2, output
        assert message in " ".join(output.split()), output
    with transaction(session_factory) as s:
        assert s.scalar(select(func.count()).where(ReportDefinition.company_id == data.company_id)) == 2
    code, output = cli("reports", "list", *company)
    assert code == 0
    assert "weekly" in output
    assert "counts" in output
    out = tmp_path / "counts.jsonl"
    code, output = cli("reports", "run", "counts", *company, "--out", str(out))
    assert code == 0, output
    assert out.read_text().count("\n") == 5
    with transaction(session_factory) as s:
        s.execute(
            update(ReportDefinition)
            .where(ReportDefinition.company_id == data.company_id, ReportDefinition.name == "weekly")
            .values(next_run_at=utcnow() - timedelta(minutes=1))
        )
    reports_dir = tmp_path / "reports"
    code, output = cli("worker", "--once", "--reports-dir", str(reports_dir))
    assert code == 0, output
    files = list(reports_dir.rglob("*.csv"))
    assert len(files) == 1
    assert files[0].parent.name == "weekly"
    code, output = cli("reports", "runs", "weekly", *company)
    assert code == 0
    assert "schedule" in output
    assert "succeeded" in output
    code, output = cli("reports", "delete", "weekly", *company)
    assert code == 0
    assert cli("reports", "delete", "weekly", *company)[0] == 2


def test_unknown_extension_is_refused_not_written_as_csv(data: Data, tmp_path: Path) -> None:
    out = tmp_path / "march.docx"
    code, output = cli("export", "expenses", "--company", str(data.company_id), "--out", str(out))
    assert code == 2
    assert "cannot write march.docx: its extension names no export format" in output
    assert not out.exists()
    # --format says what to write whatever the name; no extension means CSV
    code, output = cli(
        "export", "expenses", "--company", str(data.company_id), "--out", str(out), "--format", "csv"
    )
    assert code == 0, output
    assert len(read(out)) == len(data.ids)
    bare = tmp_path / "march"
    assert cli("export", "expenses", "--company", str(data.company_id), "--out", str(bare))[0] == 0
    assert len(read(bare)) == len(data.ids)
    code, output = cli("reconcile", "--company", str(data.company_id), "--out", str(tmp_path / "r.docx"))
    assert code == 2
    assert "the report is .xlsx or .csv" in output


def test_export_files_get_the_usual_file_mode(data: Data, tmp_path: Path) -> None:
    """Exports are written through a temporary file (0600 by construction); the file left behind has
    the mode every other output gets, 0666 less the umask (it was 0600)."""
    old = os.umask(0o022)
    try:
        out = tmp_path / "expenses.csv"
        assert cli("export", "expenses", "--company", str(data.company_id), "--out", str(out))[0] == 0
        report = tmp_path / "payroll.csv"
        code, output = cli(
            "export", "payroll-adjustments", "--month", "2026-03", "--company", str(data.company_id),
            "--out", str(report),
        )  # fmt: skip
        assert code == 0, output
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
