"""The `expensehub` command: help, db upgrade, keys create/list/revoke, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.auth import service as auth_service
from expensehub.cli.main import app
from expensehub.db.engine import transaction
from tests.factories import Tenant

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    return db_url


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "demo", "keys"):
        assert command in result.output


def test_db_upgrade_reports_revision(env: str) -> None:
    from alembic.script import ScriptDirectory

    from expensehub.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(env)).get_current_head()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"database at revision {head}" in result.output


def test_keys_create_prints_a_working_key_once(
    env: str, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    result = runner.invoke(app, ["keys", "create", "--company", str(tenant.company_id), "--name", "ci"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("ehk_")
    with transaction(session_factory) as s:
        principal = auth_service.authenticate(s, key)
    assert principal.company_id == tenant.company_id
    listed = runner.invoke(app, ["keys", "list", "--company", str(tenant.company_id)])
    assert listed.exit_code == 0
    assert key not in listed.output
    assert "ci" in listed.output


def test_keys_create_unknown_company_fails(env: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--company", "987654321", "--name", "x"])
    assert result.exit_code == 2


def test_keys_revoke(env: str, tenant: Tenant, session_factory: sessionmaker[Session]) -> None:
    result = runner.invoke(
        app, ["keys", "revoke", str(tenant.api_key_id), "--company", str(tenant.company_id)]
    )
    assert result.exit_code == 0, result.output
    from expensehub.errors import Unauthenticated

    with transaction(session_factory) as s, pytest.raises(Unauthenticated):
        auth_service.authenticate(s, tenant.api_key)


def test_keys_revoke_other_company_fails(env: str, tenant: Tenant, other_tenant: Tenant) -> None:
    result = runner.invoke(
        app, ["keys", "revoke", str(tenant.api_key_id), "--company", str(other_tenant.company_id)]
    )
    assert result.exit_code == 2
