"""`expensehub worker --once` also delivers queued webhooks (one process for all background work)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from expensehub.cli.main import app
from tests.factories import Tenant
from tests.integration.test_webhooks_delivery import Hooks, Receiver
from tests.integration.test_webhooks_delivery import receiver as receiver  # the fixture
from tests.waiting import HANG_S, wait_for


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


def test_long_running_worker_delivers_webhooks_in_its_thread(
    db_url: str, hooks: Hooks, receiver: Receiver, tmp_path: Path
) -> None:
    """`expensehub worker` (not --once): the delivery thread sends events emitted while it runs, on both
    databases, and SIGTERM stops the process cleanly."""
    env = {
        **os.environ,
        "EXPENSEHUB_DATABASE_URL": db_url,
        "EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "EXPENSEHUB_WEBHOOK_POLL_SECONDS": "0.05",
        # An attempt that timed out would wait for its retry: the limit only bounds a hang.
        "EXPENSEHUB_WEBHOOK_TIMEOUT_SECONDS": "30",
    }
    hooks.subscribe(receiver.url())
    command = [str(Path(sys.executable).with_name("expensehub")), "worker", "--interval", "0.2"]
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([*command, "--reports-dir", str(tmp_path)], env=env, stdout=log, stderr=log)
    try:
        hooks.cost_centers("Before the first poll")
        wait_for(lambda: len(receiver.hits) >= 1, what="the first delivery")
        hooks.cost_centers("While it runs")
        wait_for(lambda: len(receiver.hits) >= 2, what="the second delivery")
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(HANG_S) == 0, (tmp_path / "worker.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert len(receiver.hits) == 2
