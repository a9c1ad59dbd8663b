"""`expensehub import feed` and `expensehub reconcile` on a real database."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from expensehub.cli.main import app
from tests.api.test_banking_accounts import new_account
from tests.factories import ApiClient, Tenant

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    return db_url


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert "import" in result.output
    assert "reconcile" in result.output
    feed_help = runner.invoke(app, ["import", "feed", "--help"])
    assert feed_help.exit_code == 0
    assert "--account" in feed_help.output


def test_import_feed_prints_a_summary_and_is_idempotent(env: str, api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    path = str(FEEDS / "camt053_statement.xml")
    first = runner.invoke(app, ["import", "feed", path, "--account", account["id"]])
    assert first.exit_code == 0, first.output
    assert "new card payments" in first.stdout
    assert "entry not booked (status INFO)" in first.stdout
    assert api.get("banking/card_payments").json()["meta"]["total"] == 3
    second = runner.invoke(app, ["import", "feed", path, "--account", account["id"], "--format", "camt053"])
    assert second.exit_code == 0
    assert "duplicates (already imported)" in second.stdout
    assert "│ 5 " in second.stdout
    assert api.get("banking/card_payments").json()["meta"]["total"] == 3


def test_import_feed_with_a_mapping_file(env: str, api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    result = runner.invoke(
        app,
        ["import", "feed", str(FEEDS / "custom_bank.csv"), "--account", account["id"], "--mapping",
         str(FEEDS / "custom_mapping.yaml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert api.get("banking/transactions").json()["meta"]["total"] == 3
    shipped = runner.invoke(
        app,
        ["import", "feed", str(FEEDS / "card_issuer_export.csv"), "--account", account["id"], "--mapping",
         "card-issuer-export"],
    )  # fmt: skip
    assert shipped.exit_code == 0, shipped.output
    assert api.get("banking/card_payments").json()["meta"]["total"] == 6


def test_import_feed_refusals(env: str, api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    bad = runner.invoke(
        app, ["import", "feed", str(FEEDS / "camt053_bad_amount.xml"), "--account", account["id"]]
    )
    assert bad.exit_code == 2
    assert "line 62, element Amt" in bad.stderr
    assert api.get("banking/card_payments").json()["meta"]["total"] == 0
    assert api.get("banking/feed_imports").json()["meta"]["total"] == 0
    unknown = runner.invoke(
        app, ["import", "feed", str(FEEDS / "camt053_statement.xml"), "--account", "987654321"]
    )
    assert unknown.exit_code == 2
    assert "not found" in unknown.stderr
    wrong = runner.invoke(
        app,
        [
            "import",
            "feed",
            str(FEEDS / "camt053_statement.xml"),
            "--account",
            account["id"],
            "--format",
            "pdf",
        ],
    )
    assert wrong.exit_code == 2
    no_mapping = runner.invoke(
        app, ["import", "feed", str(FEEDS / "card_issuer_export.csv"), "--account", account["id"]]
    )
    assert no_mapping.exit_code == 2
    assert "mapping" in no_mapping.stderr


def test_reconcile_prints_the_summary_and_writes_reports(
    env: str, api: ApiClient, tenant: Tenant, tmp_path: Path
) -> None:
    account = new_account(api, tenant)
    runner.invoke(app, ["import", "feed", str(FEEDS / "camt053_statement.xml"), "--account", account["id"]])
    api.post(
        "expenses/expenses",
        json={"employee_id": str(tenant.employee_ids[1]), "amount": 4290, "currency": "EUR",
              "effective_on": "2026-03-01", "merchant_name": "Amazon",
              "card": {"card_type": "company", "last4": "1234"}},
    )  # fmt: skip
    company = str(tenant.company_id)
    xlsx = tmp_path / "report.xlsx"
    result = runner.invoke(
        app,
        ["reconcile", "--company", company, "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(xlsx)],
    )
    assert result.exit_code == 0, result.output
    assert "matched (confident)" in result.stdout
    assert "missing receipts" in result.stdout
    with zipfile.ZipFile(xlsx) as book:
        names = book.namelist()
        sheets = book.read("xl/workbook.xml").decode()
    assert "xl/worksheets/sheet1.xml" in names
    for sheet in ("summary", "matched", "to review", "fx differences", "missing receipts", "refunds"):
        assert f'name="{sheet}"' in sheets
    out_csv = tmp_path / "report.csv"
    result = runner.invoke(app, ["reconcile", "--company", company, "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    with out_csv.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "section"
    sections = [r[0] for r in rows[1:]]
    assert "missing receipts" in sections
    assert api.get("reconciliation/runs").json()["meta"]["total"] == 2


def test_reconcile_refusals(env: str, tenant: Tenant, other_tenant: Tenant) -> None:
    several = runner.invoke(app, ["reconcile"])
    assert several.exit_code == 2
    assert "--company" in several.stderr
    backwards = runner.invoke(
        app, ["reconcile", "--company", str(tenant.company_id), "--from", "2026-03-31", "--to", "2026-03-01"]
    )
    assert backwards.exit_code == 2
    bad_date = runner.invoke(app, ["reconcile", "--company", str(tenant.company_id), "--from", "March"])
    assert bad_date.exit_code == 2
    unknown = runner.invoke(app, ["reconcile", "--company", "987654321"])
    assert unknown.exit_code == 2
