"""Concurrent requests through a real uvicorn server on loopback, on SQLite and on PostgreSQL.

A state change sent N times at once on one resource: exactly one request answers 2xx; every other one
gets what a caller arriving just after it would get (409 with a stable code and the resource's current
state, or 404 once it is gone); none gets a 500. The change is stored once and its webhook event is
written to the outbox once. Parallel imports of one feed file store each row once and all answer 201.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.config import Settings
from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.db.migrate import upgrade
from expensehub.models.webhooks import WebhookEvent
from expensehub.webhooks import rules as webhook_rules
from expensehub.webhooks import service as webhooks
from tests.api.test_banking_accounts import IBAN
from tests.api.test_expenses_support import create_expense, expense_body
from tests.factories import ApiClient, Tenant, make_tenant
from tests.live import serve

N = 20
FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
X = "expenses/expensables"
FLOWS = "approvals/materialized_approvals_flows"
DOCS = "documents/documents"
PDF = b"%PDF-1.7\n% a small receipt\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(scope="module")
def base_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server per database for the whole module."""
    storage = tmp_path_factory.mktemp("files-race")
    with serve(Settings(database_url=db_url, storage_dir=str(storage))) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=N + 5, max_keepalive_connections=N + 5)
    with httpx.Client(base_url=base_url, timeout=120, limits=limits) as c:
        yield c


@dataclass
class Env:
    """A fresh company listening to every webhook event, and a client for it on the live server."""

    api: ApiClient
    tenant: Tenant
    factory: sessionmaker[Session]
    bank_accounts: int = field(default=0)

    def count(self, model: Any, *where: Any) -> int:
        with self.factory() as s:
            stmt = select(func.count()).select_from(model).where(model.company_id == self.tenant.company_id)
            return int(s.scalar(stmt.where(*where)) or 0)

    def events(self, event_type: str, resource_id: Any = None) -> int:
        """Outbox events of ``event_type`` (about ``resource_id``, when given) of this company."""
        with self.factory() as s:
            payloads = s.scalars(
                select(WebhookEvent.payload).where(
                    WebhookEvent.company_id == self.tenant.company_id, WebhookEvent.type == event_type
                )
            ).all()
        if resource_id is None:
            return len(payloads)
        return sum(1 for p in payloads if json.loads(p).get("id") == int(resource_id))

    def account(self) -> dict[str, Any]:
        """A EUR bank account with the IBAN of the sample statements."""
        self.bank_accounts += 1
        body = {
            "legal_entity_id": str(self.tenant.le_es),
            "currency": "EUR",
            "account_number": IBAN,
            "account_number_type": "iban",
            "external_id": f"acct-{self.bank_accounts}",
        }
        r = self.api.post("banking/bank_accounts/create_manual", json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def env(client: httpx.Client, session_factory: sessionmaker[Session]) -> Env:
    tenant = make_tenant(session_factory, name=f"Race {uuid.uuid4().hex[:6]}")
    with transaction(session_factory) as s:
        for event_type in webhook_rules.EVENT_TYPES:
            webhooks.create_subscription(
                s,
                company_id=tenant.company_id,
                subscription_type=event_type,
                target_url="http://127.0.0.1:9/hook",
                allow_private=True,
            )
    return Env(api=ApiClient(client, tenant.api_key), tenant=tenant, factory=session_factory)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: Any = None
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None


def send_together(env: Env, calls: list[Call]) -> list[httpx.Response]:
    """Each call from its own thread, all released at once; the answers in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))

    def one(call: Call) -> httpx.Response:
        barrier.wait()
        return env.api.http.request(  # type: ignore[no-any-return]
            call.method,
            env.api.url(call.path),
            json=call.json,
            files=call.files,
            data=call.data,
            headers=env.api.headers,
        )

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def send_at_once(env: Env, call: Call, n: int = N) -> list[httpx.Response]:
    """``n`` copies of ``call``, released together from ``n`` threads."""
    return send_together(env, [call] * n)


# ---- preparing a resource in the state each action starts from -------------------------------------


def _ok(r: httpx.Response) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


# ---- a writer that cannot get SQLite's write lock in time -------------------------------------------


def test_sqlite_writer_past_the_busy_timeout_answers_503(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    tenant = make_tenant(make_session_factory(engine))
    engine.dispose()
    settings = Settings(
        database_url=url, storage_dir=str(tmp_path / "files"), sqlite_busy_timeout_seconds=0.2
    )
    with serve(settings) as base, httpx.Client(base_url=base, timeout=30) as http:
        api = ApiClient(http, tenant.api_key)
        draft = str(create_expense(api, tenant)["expenses_expensable_id"])
        other = sqlite3.connect(path, isolation_level=None)  # another process holding the write lock
        other.execute("BEGIN IMMEDIATE")
        try:
            for r in (
                api.post("expenses/expenses", json=expense_body(tenant)),  # an insert
                api.post(f"{X}/submit", json={"ids": [draft]}),  # a locking read
            ):
                assert r.status_code == 503, r.text
                assert r.json()["code"] == "database_busy"
                assert r.headers["retry-after"] == "1"
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert api.post(f"{X}/submit", json={"ids": [draft]}).status_code == 200
        assert api.get(f"{X}/{draft}").json()["status"] == "pending"
