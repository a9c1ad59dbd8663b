"""Concurrent requests through a real uvicorn server on loopback, on SQLite and on PostgreSQL.

A state change sent N times at once on one resource: exactly one request answers 2xx; every other one
gets what a caller arriving just after it would get (409 with a stable code and the resource's current
state, or 404 once it is gone); none gets a 500. The change is stored once and its webhook event is
written to the outbox once. Parallel imports of one feed file store each row once and all answer 201.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.config import Settings
from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.db.migrate import upgrade
from expensehub.models import ApprovalFlow, CostCenter, Expense
from expensehub.models.banking import BankAccount, BankTransaction, Card, CardPayment
from expensehub.models.documents import Document, StoredBlob
from expensehub.models.reconciliation import ReconciliationRejection
from expensehub.models.webhooks import WebhookEvent
from expensehub.webhooks import rules as webhook_rules
from expensehub.webhooks import service as webhooks
from tests.api.test_banking_accounts import IBAN
from tests.api.test_expenses_support import create_expense, expense_body
from tests.factories import ApiClient, Tenant, make_tenant
from tests.live import serve
from tests.waiting import HANG_S

N = 20
FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
X = "expenses/expensables"
FLOWS = "approvals/materialized_approvals_flows"
DOCS = "documents/documents"
EMP = "employees/employees"
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
    with httpx.Client(base_url=base_url, timeout=HANG_S, limits=limits) as c:
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
                author=webhook_rules.Author.company(tenant.company_id),
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
    barrier = threading.Barrier(len(calls), timeout=HANG_S)

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


def _draft(env: Env) -> str:
    return str(create_expense(env.api, env.tenant)["expenses_expensable_id"])


def _ok(r: httpx.Response) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def _pending(env: Env) -> str:
    xid = _draft(env)
    _ok(env.api.post(f"{X}/submit", json={"ids": [xid]}))
    return xid


def _approved(env: Env) -> str:
    xid = _pending(env)
    body = {"resource_type": "Expenses::Expensable", "resource_id": xid}
    _ok(env.api.post(f"{FLOWS}/approve_resource", json=body))
    return xid


def _document(env: Env) -> str:
    return str(_ok(env.api.post(DOCS, files={"file": ("r.pdf", PDF, "application/pdf")}))["id"])


def _trashed_document(env: Env) -> str:
    doc = _document(env)
    _ok(env.api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [doc]}))
    return doc


def _cost_center(env: Env) -> str:
    body = {"name": "Sales", "company_id": str(env.tenant.company_id)}
    return str(_ok(env.api.post("finance/cost_centers", json=body))["id"])


def _account_id(env: Env) -> str:
    return str(env.account()["id"])


def _new_external_id(env: Env) -> str:
    return f"race-{uuid.uuid4().hex[:8]}"


def _proposal(env: Env) -> str:
    """An open proposal: the March statement's Amazon payment and a card expense filed for it."""
    account = env.account()
    _ok(
        env.api.http.post(
            env.api.url("banking/feed_imports"),
            headers=env.api.headers,
            files={"file": ("s.xml", (FEEDS / "camt053_statement.xml").read_bytes())},
            data={"bank_account_id": account["id"]},
        )
    )
    body = {
        "employee_id": str(env.tenant.employee_ids[1]),
        "amount": 4290,
        "currency": "EUR",
        "effective_on": "2026-03-01",
        "merchant_name": "Amazon",
        "card": {"card_type": "company", "last4": "1234"},
    }
    expense = _ok(env.api.post("expenses/expenses", json=body))
    run = _ok(env.api.post("reconciliation/runs", json={}))
    found = env.api.list_all("reconciliation/proposals", {"run_id": run["id"]})
    [proposal] = [p for p in found if p["expense_ids"] == [expense["id"]]]
    return str(proposal["id"])


def _employee(env: Env) -> str:
    body = {"company_id": str(env.tenant.company_id), "first_name": "Rae", "last_name": "Sing"}
    return str(
        _ok(env.api.post(f"{EMP}/create_with_contract", json={**body, "email": _new_email(env)}))["id"]
    )


def _terminated_employee(env: Env) -> str:
    employee = _employee(env)
    _ok(env.api.post(f"{EMP}/terminate", json={"id": employee, "terminated_on": "2026-01-31"}))
    return employee


def _new_email(env: Env) -> str:
    return f"race-{uuid.uuid4().hex[:8]}@example.test"


def _project(status: str) -> Callable[[Env], str]:
    def make(env: Env) -> str:
        body = {"name": "Race", "status": status}
        return str(_ok(env.api.post("project_management/projects", json=body))["id"])

    return make


# ---- what must hold afterwards ---------------------------------------------------------------------


def _terminated(yes: bool) -> Callable[[Env, str], None]:
    def check(env: Env, employee: str) -> None:
        found = env.api.get(f"{EMP}/{employee}").json()
        assert (found["terminated_on"] is not None) is yes

    return check


def _one_employee(env: Env, email: str) -> None:
    [employee] = env.api.list_all(EMP, {"emails[]": email})
    assert env.events("employees/employee/create_with_contract", employee["id"]) == 1


def _project_status(status: str) -> Callable[[Env, str], None]:
    def check(env: Env, project: str) -> None:
        assert env.api.get(f"project_management/projects/{project}").json()["status"] == status

    return check


def _status_is(status: str) -> Callable[[Env, str], None]:
    def check(env: Env, xid: str) -> None:
        assert env.api.get(f"{X}/{xid}").json()["status"] == status

    return check


def _one_flow(status: str) -> Callable[[Env, str], None]:
    def check(env: Env, xid: str) -> None:
        _status_is(status if status != "running" else "pending")(env, xid)
        with env.factory() as s:
            flows = s.scalars(select(ApprovalFlow.status).where(ApprovalFlow.resource_id == int(xid))).all()
        assert flows == [status]

    return check


def _gone(path: str) -> Callable[[Env, str], None]:
    def check(env: Env, rid: str) -> None:
        assert env.api.get(f"{path}/{rid}").status_code == 404

    return check


def _trashed(yes: bool) -> Callable[[Env, str], None]:
    def check(env: Env, doc: str) -> None:
        assert (env.api.get(f"{DOCS}/{doc}").json()["deleted_at"] is not None) is yes

    return check


def _cost_center_deleted(env: Env, cc: str) -> None:
    _gone("finance/cost_centers")(env, cc)
    assert env.count(CostCenter, CostCenter.id == int(cc), CostCenter.deleted_at.is_not(None)) == 1


def _confirmed(env: Env, pid: str) -> None:
    proposal = env.api.get(f"reconciliation/proposals/{pid}").json()
    assert proposal["status"] == "confirmed"
    linked = env.count(Expense, Expense.card_payment_id == int(proposal["card_payment_id"]))
    assert linked == 1
    settled = env.count(BankTransaction, BankTransaction.card_payment_id == int(proposal["card_payment_id"]))
    assert settled == 1


def _one_card(env: Env, account_id: str) -> None:
    assert env.count(Card, Card.bank_account_id == int(account_id), Card.last4 == "4242") == 1


def _one_account(env: Env, external_id: str) -> None:
    assert env.count(BankAccount, BankAccount.external_id == external_id) == 1


def _rejected(env: Env, pid: str) -> None:
    assert env.api.get(f"reconciliation/proposals/{pid}").json()["status"] == "rejected"
    assert env.count(ReconciliationRejection, ReconciliationRejection.proposal_id == int(pid)) == 1


@dataclass(frozen=True)
class Race:
    """One action: how to reach its starting state, the request, what a loser gets, what must hold."""

    name: str
    prepare: Callable[[Env], str]
    call: Callable[[Env, str], Call]
    loser: tuple[int, str]  # status and code every request but the winner gets
    event: str | None  # the webhook event the action writes (None: it writes none)
    check: Callable[[Env, str], None]
    # the resource's state in a 409 body: ``details`` of the error
    state: dict[str, Any] | None = None
    winner: int = 200  # the winner's status


def _decide(action: str) -> Callable[[Env, str], Call]:
    return lambda _env, xid: Call(
        "POST", f"{FLOWS}/{action}_resource", {"resource_type": "Expenses::Expensable", "resource_id": xid}
    )


RACES = [
    Race(
        "submit",
        _draft,
        lambda _env, xid: Call("POST", f"{X}/submit", {"ids": [xid]}),
        (409, "invalid_status_transition"),
        "expenses/expensable/submit",
        _one_flow("running"),
        {"resource": "expensable", "status": "pending"},
    ),
    Race(
        "approve_resource",
        _pending,
        _decide("approve"),
        (409, "invalid_status_transition"),
        "expenses/expensable/approve",
        _one_flow("approved"),
        {"resource": "expensable", "status": "approved"},
    ),
    Race(
        "reject_resource",
        _pending,
        _decide("reject"),
        (409, "invalid_status_transition"),
        "expenses/expensable/reject",
        _one_flow("rejected"),
        {"resource": "expensable", "status": "rejected"},
    ),
    Race(
        "request_changes",
        _pending,
        lambda _env, xid: Call("POST", f"{X}/request_changes", {"id": xid, "reason": "receipt"}),
        (409, "invalid_status_transition"),
        None,
        _one_flow("changes_requested"),
        {"resource": "expensable", "status": "changes_requested"},
    ),
    Race(
        "bulk_set_to_paid",
        _approved,
        lambda _env, xid: Call("POST", f"{X}/bulk_set_to_paid", {"ids": [xid]}),
        (409, "invalid_status_transition"),
        "expenses/expensable/bulk_set_to_paid",
        _status_is("paid"),
        {"resource": "expensable", "status": "paid"},
    ),
    Race(
        "delete_expensable",
        _draft,
        lambda _env, xid: Call("DELETE", f"{X}/{xid}"),
        (404, "not_found"),
        None,
        _gone(X),
    ),
    Race(
        "move_to_trash_bin",
        _document,
        lambda _env, doc: Call("POST", f"{DOCS}/move_to_trash_bin", {"document_ids": [doc]}),
        (409, "already_in_trash_bin"),
        "documents/document/move_to_trash_bin",
        _trashed(True),
        {"resource": "document", "status": "trashed"},
    ),
    Race(
        "restore_from_trash_bin",
        _trashed_document,
        lambda _env, doc: Call("POST", f"{DOCS}/restore_from_trash_bin", {"document_ids": [doc]}),
        (409, "not_in_trash_bin"),
        "documents/document/restore_from_trash_bin",
        _trashed(False),
        {"resource": "document", "status": "active"},
    ),
    Race(
        "delete_document",
        _document,
        lambda _env, doc: Call("DELETE", f"{DOCS}/{doc}"),
        (404, "not_found"),
        "documents/document/delete",
        _gone(DOCS),
    ),
    Race(
        "delete_cost_center",
        _cost_center,
        lambda _env, cc: Call("DELETE", f"finance/cost_centers/{cc}"),
        (404, "not_found"),
        "finance/cost_center/delete",
        _cost_center_deleted,
    ),
    Race(
        "create_card",
        _account_id,
        lambda _env, acct: Call("POST", "banking/cards", {"bank_account_id": acct, "last4": "4242"}),
        (409, "duplicate_card"),
        None,
        _one_card,
        winner=201,
    ),
    Race(
        "create_bank_account",
        _new_external_id,
        lambda env, ext: Call(
            "POST",
            "banking/bank_accounts/create_manual",
            {
                "legal_entity_id": str(env.tenant.le_es),
                "currency": "EUR",
                "account_number": IBAN,
                "account_number_type": "iban",
                "external_id": ext,
            },
        ),
        (409, "duplicate_bank_account"),
        None,
        _one_account,
    ),
    Race(
        "confirm_proposal",
        _proposal,
        lambda _env, pid: Call("POST", "reconciliation/proposals/confirm", {"id": pid}),
        (409, "proposal_not_open"),
        None,
        _confirmed,
        {"resource": "proposal", "status": "confirmed"},
    ),
    Race(
        "terminate_employee",
        _employee,
        lambda _env, e: Call("POST", f"{EMP}/terminate", {"id": e, "terminated_on": "2026-06-30"}),
        (409, "already_terminated"),
        "employees/employee/terminate",
        _terminated(True),
        {"resource": "employee", "status": "terminated"},
    ),
    Race(
        "unterminate_employee",
        _terminated_employee,
        lambda _env, e: Call("POST", f"{EMP}/unterminate", {"id": e}),
        (409, "not_terminated"),
        "employees/employee/unterminate",
        _terminated(False),
        {"resource": "employee", "status": "active"},
    ),
    Race(
        "create_employee_same_email",
        _new_email,
        lambda env, email: Call(
            "POST",
            f"{EMP}/create_with_contract",
            {"company_id": str(env.tenant.company_id), "first_name": "A", "last_name": "B", "email": email},
        ),
        (409, "duplicate_email"),
        None,
        _one_employee,
    ),
    Race(
        "close_project",
        _project("active"),
        lambda _env, p: Call("POST", "project_management/projects/close", {"id": p}),
        (409, "status_unchanged"),
        None,
        _project_status("closed"),
        {"resource": "project", "status": "closed"},
    ),
    Race(
        "activate_project",
        _project("closed"),
        lambda _env, p: Call("POST", "project_management/projects/activate", {"id": p}),
        (409, "status_unchanged"),
        None,
        _project_status("active"),
        {"resource": "project", "status": "active"},
    ),
    Race(
        "change_project_assignment",
        _project("active"),
        lambda _env, p: Call(
            "POST",
            "project_management/projects/change_assignment",
            {"id": p, "employees_assignment": "company"},
        ),
        (409, "assignment_unchanged"),
        None,
        _project_status("active"),
        {"resource": "project", "status": "active"},
    ),
    Race(
        "soft_delete_project",
        _project("active"),
        lambda _env, p: Call("POST", "project_management/projects/soft_delete", {"id": p}),
        (404, "not_found"),
        None,
        _gone("project_management/projects"),
    ),
    Race(
        "reject_proposal",
        _proposal,
        lambda _env, pid: Call("POST", "reconciliation/proposals/reject", {"id": pid}),
        (409, "proposal_not_open"),
        None,
        _rejected,
        {"resource": "proposal", "status": "rejected"},
    ),
]


@pytest.mark.parametrize("race", RACES, ids=[r.name for r in RACES])
def test_one_winner_per_state_change(env: Env, race: Race) -> None:
    rid = race.prepare(env)
    before = env.events(race.event, rid) if race.event else 0
    answers = send_at_once(env, race.call(env, rid))
    status, code = race.loser
    outcome = {
        "answers": dict(sorted(Counter(r.status_code for r in answers).items())),
        "events": env.events(race.event, rid) - before if race.event else 0,
    }
    assert outcome == {"answers": {race.winner: 1, status: N - 1}, "events": 1 if race.event else 0}
    losers = [r.json() for r in answers if r.status_code == status]
    assert {body["code"] for body in losers} == {code}
    if race.state is not None:
        for body in losers:
            assert body["details"] == {"id": rid, **race.state}
    race.check(env, rid)


def _event_ids(env: Env, event_type: str, resource_id: str) -> list[int]:
    with env.factory() as s:
        rows = s.execute(
            select(WebhookEvent.id, WebhookEvent.payload)
            .where(WebhookEvent.company_id == env.tenant.company_id, WebhookEvent.type == event_type)
            .order_by(WebhookEvent.id)
        ).all()
    return [i for i, payload in rows if json.loads(payload)["id"] == int(resource_id)]


def test_identical_reimbursable_amount_updates_change_it_once(env: Env) -> None:
    """Not a status change: every request succeeds, but only the first changes anything."""
    xid = _approved(env)
    call = Call("POST", f"{X}/update_reimbursable_amount", {"id": xid, "reimbursable_amount": 1000})
    answers = send_at_once(env, call)
    assert Counter(r.status_code for r in answers) == {200: N}
    assert {r.json()["reimbursable_amount"] for r in answers} == {1000}
    assert len(_event_ids(env, "expenses/expensable/update_reimbursable_amount", xid)) == 1


def test_reimbursable_amount_updates_racing_the_payment(env: Env) -> None:
    """Each update is applied before the payment or refused after it (409 already_paid), never after."""
    xid = _approved(env)  # 1250 reimbursable
    path = f"{X}/update_reimbursable_amount"
    calls = [Call("POST", path, {"id": xid, "reimbursable_amount": 50 * (i + 1)}) for i in range(N - 1)]
    calls.insert(N // 2, Call("POST", f"{X}/bulk_set_to_paid", {"ids": [xid]}))
    answers = send_together(env, calls)
    assert answers[N // 2].status_code == 200, answers[N // 2].text
    updates = answers[: N // 2] + answers[N // 2 + 1 :]
    applied = [r for r in updates if r.status_code == 200]
    refused = [r for r in updates if r.status_code != 200]
    assert {r.status_code for r in refused} <= {409}
    for r in refused:
        assert r.json()["code"] == "already_paid"
        assert r.json()["details"] == {"resource": "expensable", "id": xid, "status": "paid"}
    update_events = _event_ids(env, "expenses/expensable/update_reimbursable_amount", xid)
    [paid_event] = _event_ids(env, "expenses/expensable/bulk_set_to_paid", xid)
    assert len(update_events) == len(applied)
    assert all(event < paid_event for event in update_events)
    final = env.api.get(f"{X}/{xid}").json()
    assert final["status"] == "paid"
    if applied:  # the last update applied before the payment is what was paid
        with env.factory() as s:
            last = s.scalar(select(WebhookEvent.payload).where(WebhookEvent.id == update_events[-1]))
        assert final["reimbursable_amount"] == json.loads(last or "{}")["reimbursable_amount"]
    else:
        assert final["reimbursable_amount"] == 1250


def test_parallel_uploads_of_the_same_bytes_store_them_once(env: Env) -> None:
    """Documents are not deduplicated, their bytes are (one blob row per content hash)."""
    answers = send_at_once(env, Call("POST", DOCS, files={"file": ("r.pdf", PDF, "application/pdf")}))
    assert Counter(r.status_code for r in answers) == {201: N}
    ids = {r.json()["id"] for r in answers}
    assert len(ids) == N
    with env.factory() as s:
        blobs = s.scalars(select(Document.blob_sha256).where(Document.id.in_([int(i) for i in ids]))).all()
        assert len(set(blobs)) == 1
        assert s.scalar(select(func.count()).where(StoredBlob.sha256 == blobs[0])) == 1


def test_parallel_replacements_of_a_cost_centre_split_leave_one_split(env: Env) -> None:
    """Each replacement reads what the previous one left: one full split remains, never two."""
    a, b = _cost_center(env), _cost_center(env)
    employee = env.tenant.employee_ids[1]
    calls = [
        Call(
            "POST",
            "finance/cost_center_memberships/bulk_create_update",
            {
                "employee_id": str(employee),
                "company_id": str(env.tenant.company_id),
                "memberships": [
                    {"cost_center_id": a, "start_date": "2020-01-01", "percentage": 0.25 if i % 2 else 0.5},
                    {"cost_center_id": b, "start_date": "2020-01-01", "percentage": 0.75 if i % 2 else 0.5},
                ],
            },
        )
        for i in range(N)
    ]
    answers = send_together(env, calls)
    assert Counter(r.status_code for r in answers) == {200: N}, [r.text for r in answers]
    current = env.api.list_all(
        "finance/cost_center_memberships", {"employee_ids[]": [str(employee)], "only_active": "false"}
    )
    assert len(current) == 2
    assert sum(Decimal(str(m["percentage"])) for m in current) == 1


# ---- parallel imports of one feed ------------------------------------------------------------------

FEED_FILES = [
    ("camt053_statement.xml", {}),
    ("card_issuer_export.csv", {"mapping": "card-issuer-export"}),
    ("ofx_creditcard_v2.ofx", {}),
    ("ofx_bank_v1.ofx", {}),
]


def _import(env: Env, account: dict[str, Any], name: str, form: dict[str, str]) -> Call:
    return Call(
        "POST",
        "banking/feed_imports",
        files={"file": (name, (FEEDS / name).read_bytes())},
        data={"bank_account_id": account["id"], **form},
    )


@pytest.mark.parametrize(("name", "form"), FEED_FILES, ids=[f[0] for f in FEED_FILES])
def test_parallel_imports_of_one_feed_store_each_row_once(env: Env, name: str, form: dict[str, str]) -> None:
    # What one import of the file adds, on an account of its own.
    alone = env.account()
    call = _import(env, alone, name, form)
    first = _ok(
        env.api.http.post(env.api.url(call.path), headers=env.api.headers, files=call.files, data=call.data)
    )
    payments, transactions = first["new_card_payments"], first["new_transactions"]
    assert payments + transactions > 0
    account = env.account()
    answers = send_at_once(env, _import(env, account, name, form))
    account_id = int(account["id"])
    summaries = [r.json() for r in answers if r.status_code == 201]
    outcome = {
        "answers": dict(sorted(Counter(r.status_code for r in answers).items())),
        "new_card_payments": sum(s["new_card_payments"] for s in summaries),
        "new_transactions": sum(s["new_transactions"] for s in summaries),
        "card_payments": env.count(CardPayment, CardPayment.bank_account_id == account_id),
        "transactions": env.count(BankTransaction, BankTransaction.bank_account_id == account_id),
    }
    assert outcome == {
        "answers": {201: N},
        "new_card_payments": payments,
        "new_transactions": transactions,
        "card_payments": payments,
        "transactions": transactions,
    }
    # Each import either added the file or found it all there already.
    for s in summaries:
        assert s["new_card_payments"] + s["new_transactions"] in (0, payments + transactions)
    assert env.events("banking/card_payment/create") == 2 * payments
    assert env.events("banking/transaction/create") == 2 * transactions


def test_parallel_imports_into_different_accounts_all_land(env: Env) -> None:
    """Writers on different rows never get 'database is locked': they wait their turn."""
    accounts = [env.account() for _ in range(8)]
    name = "camt053_statement.xml"
    barrier = threading.Barrier(len(accounts), timeout=HANG_S)

    def one(account: dict[str, Any]) -> httpx.Response:
        call = _import(env, account, name, {})
        barrier.wait()
        return env.api.http.post(  # type: ignore[no-any-return]
            env.api.url(call.path), headers=env.api.headers, files=call.files, data=call.data
        )

    with ThreadPoolExecutor(len(accounts)) as pool:
        answers = list(pool.map(one, accounts))
    assert [r.status_code for r in answers] == [201] * len(accounts), [r.text for r in answers]
    assert env.count(CardPayment) == 3 * len(accounts)


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
    with serve(settings) as base, httpx.Client(base_url=base, timeout=HANG_S) as http:
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


def test_command_line_and_api_imports_of_one_feed_at_once(env: Env, db_url: str) -> None:
    """`expensehub import feed` takes the same turns as the API: each row once, every import succeeds."""
    account = env.account()
    name = "camt053_statement.xml"
    command = [str(Path(sys.executable).parent / "expensehub"), "import", "feed", str(FEEDS / name)]
    command += ["--account", account["id"]]
    environ = {**os.environ, "EXPENSEHUB_DATABASE_URL": db_url}
    processes = [
        subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    answers = send_at_once(env, _import(env, account, name, {}), n=8)
    outputs = [p.communicate(timeout=HANG_S) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err.decode() for _, err in outputs]
    assert Counter(r.status_code for r in answers) == {201: 8}
    imports = env.api.list_all("banking/feed_imports", {"bank_account_ids[]": [account["id"]]})
    assert len(imports) == 12
    assert sum(i["new_card_payments"] for i in imports) == 3
    assert sum(i["new_transactions"] for i in imports) == 4
    assert env.count(CardPayment, CardPayment.bank_account_id == int(account["id"])) == 3
    assert env.count(BankTransaction, BankTransaction.bank_account_id == int(account["id"])) == 4
