"""A reversed date range (``to`` before ``from``) gets one answer everywhere: a 422 with the code
``invalid_date_range`` naming ``to``, from every API operation that takes a range, and the same words
and exit code 2 from the command line. (Factorial's list filters are filters: a reversed range lists
nothing there, as in Factorial.)"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from expensehub.cli.main import app
from tests.factories import ApiClient, Tenant

REVERSED = {"from": "2026-03-31", "to": "2026-03-01"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "documents/receipt_bundles"),
        ("GET", "allowances/receipt_checks"),
        ("GET", "exports/expenses"),
        ("GET", "exports/card_payments"),
        ("POST", "reconciliation/runs"),
    ],
)
def test_every_operation_answers_the_same(api: ApiClient, method: str, path: str) -> None:
    r = api.get(path, params=REVERSED) if method == "GET" else api.post(path, json=REVERSED)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_date_range"
    assert body["errors"] == {"to": ["must be on or after from"]}
    assert body["message"] == "the date range is reversed: to (2026-03-01) is before from (2026-03-31)"


@pytest.mark.parametrize(
    "args",
    [
        ["reconcile", "--from", "2026-03-31", "--to", "2026-03-01"],
        ["export", "receipts", "--from", "2026-03-31", "--to", "2026-03-01", "--out", "x.zip"],
        ["export", "expenses", "--from", "2026-03-31", "--to", "2026-03-01", "--out", "x.csv"],
    ],
)
def test_the_command_line_says_the_same(
    args: list[str], db_url: str, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*args, "--company", str(tenant.company_id)])
    assert result.exit_code == 2, result.output
    assert "the date range is reversed: to (2026-03-01) is before from (2026-03-31)" in result.output
    assert "to: must be on or after from" in result.output
    assert not list(tmp_path.iterdir())  # nothing written
