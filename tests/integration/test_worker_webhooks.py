"""`expensehub worker --once` also delivers queued webhooks (one process for all background work)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from tests.factories import Tenant
from tests.integration.test_webhooks_delivery import Hooks, Receiver
from tests.integration.test_webhooks_delivery import receiver as receiver  # the fixture


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


def test_worker_once_delivers_webhooks(
    db_url: str,
    hooks: Hooks,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS", "1")
    hooks.subscribe(receiver.url())
    hooks.cost_centers("Worker CC")
    result = CliRunner().invoke(app, ["worker", "--once", "--reports-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(receiver.hits) == 1, result.output
