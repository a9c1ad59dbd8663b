"""`expensehub webhooks listen`: checks signatures, dedupes by webhook-id, prints or runs --exec."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.webhooks import service, signing
from expensehub.webhooks.rules import Author
from tests.factories import Tenant
from tests.integration.test_webhooks_delivery import Hooks, deliver, free_port
from tests.waiting import HANG_S, wait_for


class Listener:
    def __init__(self, tmp: Path, secret: str, *extra: str) -> None:
        self.port = free_port()
        self.out = tmp / f"listen-{self.port}.out"
        self.err = tmp / f"listen-{self.port}.err"
        self.db = tmp / "seen.db"
        script = str(Path(sys.executable).with_name("expensehub"))
        args = [
            script,
            "webhooks",
            "listen",
            "--port",
            str(self.port),
            "--secret",
            secret,
            "--db",
            str(self.db),
        ]
        self.proc = subprocess.Popen(
            [*args, *extra], stdout=self.out.open("wb"), stderr=self.err.open("wb"), cwd=tmp
        )
        wait_for(self._accepts, what="the listener to accept connections")

    def _accepts(self) -> bool:
        assert self.proc.poll() is None, self.err.read_text()
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/factorial"

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(HANG_S)


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


def _redeliver_last(hooks: Hooks, sub_id: int) -> None:
    with transaction(hooks.factory) as s:
        last = hooks.deliveries(sub_id)[-1]
        service.redeliver(s, company_id=hooks.tenant.company_id, delivery_id=last.id)


def test_listen_prints_each_event_once_and_refuses_bad_signatures(
    hooks: Hooks, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    sub_id, secret = hooks.subscribe("http://127.0.0.1:1/placeholder")
    listener = Listener(tmp_path, secret)
    try:
        with transaction(session_factory) as s:
            service.update_subscription(
                s,
                company_id=hooks.tenant.company_id,
                subscription_id=sub_id,
                changes={"target_url": listener.url},
                allow_private=True,
                author=Author.company(hooks.tenant.company_id),
            )
        [cc_id] = hooks.cost_centers("Listened")
        deliver(session_factory)
        wait_for(lambda: len(listener.lines()) == 1, what="the printed event")
        [line] = listener.lines()
        assert line["type"] == "finance/cost_center/create"
        assert line["payload"]["id"] == str(cc_id)
        assert line["webhook_id"].startswith("msg_")
        # the same event again (a redelivery): answered 200, not printed twice
        _redeliver_last(hooks, sub_id)
        deliver(session_factory)
        assert [d.status for d in hooks.deliveries(sub_id)] == ["delivered", "delivered"]
        assert len(listener.lines()) == 1
        wait_for(lambda: "duplicate" in listener.err.read_text(), what="the duplicate notice")
        # a forged delivery is refused
        body = b'{"id": "1"}'
        forged = signing.signature_header(
            [signing.secret_key(signing.generate_secret())], "msg_x", int(time.time()), body
        )
        r = httpx.post(
            listener.url,
            content=body,
            headers={
                "webhook-id": "msg_x",
                "webhook-timestamp": str(int(time.time())),
                "webhook-signature": forged,
            },
            timeout=HANG_S,
        )
        assert r.status_code == 401
        assert httpx.post(listener.url, content=body, timeout=HANG_S).status_code == 401
        assert len(listener.lines()) == 1
    finally:
        listener.stop()
    # the dedupe store survives a restart
    again = Listener(tmp_path, secret)
    try:
        _redeliver_last(hooks, sub_id)
        with transaction(session_factory) as s:
            service.update_subscription(
                s,
                company_id=hooks.tenant.company_id,
                subscription_id=sub_id,
                changes={"target_url": again.url},
                allow_private=True,
                author=Author.company(hooks.tenant.company_id),
            )
        deliver(session_factory)
        assert hooks.deliveries(sub_id)[-1].status == "delivered"
        assert again.lines() == []
    finally:
        again.stop()


def test_listen_exec_failure_is_retried_then_handled_once(
    hooks: Hooks, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    sub_id, secret = hooks.subscribe("http://127.0.0.1:1/placeholder")
    handled = tmp_path / "handled.jsonl"
    # fails the first time (no marker yet), then appends the body and the webhook id
    script = (
        "test -f marker || { touch marker; exit 3; }; "
        f'cat >> {handled}; echo " $WEBHOOK_ID $WEBHOOK_TYPE" >> {handled}'
    )
    listener = Listener(tmp_path, secret, "--exec", f"sh -c '{script}'")
    try:
        with transaction(session_factory) as s:
            service.update_subscription(
                s,
                company_id=hooks.tenant.company_id,
                subscription_id=sub_id,
                changes={"target_url": listener.url},
                allow_private=True,
                author=Author.company(hooks.tenant.company_id),
            )
        hooks.cost_centers("Exec")
        deliver(session_factory)
        [d] = hooks.deliveries(sub_id)
        assert d.status == "delivered"
        assert [a.status_code for a in hooks.attempts(d.id)] == [500, 200]
        text = handled.read_text()
        assert text.count('"Exec"') == 1
        assert "finance/cost_center/create" in text
        assert listener.lines() == []  # with --exec, nothing is printed
    finally:
        listener.stop()


def test_listen_refuses_a_malformed_secret(tmp_path: Path) -> None:
    script = str(Path(sys.executable).with_name("expensehub"))
    result = subprocess.run(
        [script, "webhooks", "listen", "--port", str(free_port()), "--secret", "whsec_***"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=HANG_S,
        check=False,
    )
    assert result.returncode == 2
    assert "base64" in result.stderr
