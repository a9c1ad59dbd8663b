"""Every event names its author, and every delivery carries ``x-factorial-author-type`` and ``-id``.

One subscription per event type expensehub emits, one action each through the API (or the worker for
report runs), then the real worker delivers to a real receiver on 127.0.0.1: every delivery must carry
both author headers. An API key is a company credential, so the author is the company (Factorial's
``company`` type with the company id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.api.deps import author_of
from expensehub.auth.principal import Principal
from expensehub.client import verify_webhook
from expensehub.db.engine import transaction
from expensehub.exports import service as exports
from expensehub.exports.templates import load_template
from expensehub.webhooks import rules, service
from expensehub.webhooks.rules import Author
from expensehub.worker.reports import run_report
from tests.factories import ApiClient, Tenant
from tests.integration.test_webhooks_delivery import Hooks, Receiver, deliver
from tests.integration.test_webhooks_delivery import receiver as receiver  # the fixture

# Types in the catalog that no code path emits yet (no REST bulk upload of documents exists).
NEVER_EMITTED = {"documents/document/bulk_create"}


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _every_action(api: ApiClient, tenant: Tenant, factory: sessionmaker[Session], tmp_path: Path) -> None:
    """One action per emitted event type, as a client would make it."""
    from tests.api.test_banking_accounts import new_account
    from tests.api.test_banking_feeds import imported
    from tests.api.test_documents_api import DOCS, FOLDERS, folder, uploaded
    from tests.api.test_expenses_flow import decide, new_claim
    from tests.api.test_expenses_support import submit

    cid = str(tenant.company_id)
    # expenses
    paid = new_claim(api, tenant)  # expenses/expensable/create
    _ok(api.put(f"expenses/expenses/{_expense_id(api, paid)}", json={"description": "Taxi, edited"}))
    _ok(
        api.post(
            "expenses/expensables/update_reimbursable_amount", json={"id": paid, "reimbursable_amount": 1000}
        )
    )
    refused = new_claim(api, tenant)
    submit(api, paid, refused)
    _ok(decide(api, "approve", paid))
    _ok(decide(api, "reject", refused))
    _ok(api.post("expenses/expensables/bulk_set_to_paid", json={"ids": [paid]}))
    # finance
    cc = _ok(api.post("finance/cost_centers", json={"name": "Authors", "company_id": cid}), 201)
    _ok(api.post("finance/cost_centers/edit", json={"id": cc["id"], "name": "Authors 2"}))
    _ok(api.delete(f"finance/cost_centers/{cc['id']}"))
    # documents
    doc = uploaded(api)
    _ok(api.put(f"{DOCS}/{doc['id']}", json={"public": True}))
    _ok(api.post(f"{DOCS}/move_to_trash_bin", json={"document_ids": [doc["id"]]}))
    _ok(api.post(f"{DOCS}/restore_from_trash_bin", json={"document_ids": [doc["id"]]}))
    _ok(api.delete(f"{DOCS}/{doc['id']}"))
    f = folder(api)
    _ok(api.put(f"{FOLDERS}/{f['id']}", json={"name": "Renamed"}))
    # companies and employees
    le = {"company_id": cid, "country": "pt", "legal_name": "Authors Lda", "currency": "EUR"}
    entity = _ok(api.post("companies/legal_entities", json=le), 201)
    _ok(api.put(f"companies/legal_entities/{entity['id']}", json={"city": "Porto"}))
    hire = {"company_id": cid, "first_name": "Au", "last_name": "Thor", "email": "author@example.test"}
    person = _ok(api.post("employees/employees/create_with_contract", json=hire))
    _ok(api.put(f"employees/employees/{person['id']}", json={"preferred_name": "A"}))
    _ok(api.post("employees/employees/terminate", json={"id": person["id"], "terminated_on": "2026-12-31"}))
    _ok(api.post("employees/employees/unterminate", json={"id": person["id"]}))
    # banking and reconciliation
    imported(api, new_account(api, tenant)["id"], "camt053_statement.xml")
    _ok(api.post("reconciliation/runs", json={}), 201)
    # subscriptions (a disabled one to a public URL: nothing is ever sent to it)
    body = {
        "subscription_type": "finance/cost_center/create",
        "target_url": "https://hooks.example.com/x",
        "company_id": cid,
        "enabled": False,
    }
    sub = _ok(api.post("api_public/webhook_subscriptions", json=body), 201)
    _ok(api.put(f"api_public/webhook_subscriptions/{sub['id']}", json={"name": "renamed"}))
    _ok(api.delete(f"api_public/webhook_subscriptions/{sub['id']}"))
    # a report run (the worker's and the CLI's path)
    with transaction(factory) as s:
        report = exports.create_report(
            s, company_id=tenant.company_id, name="authors", template=load_template("generic-erp")
        )
    assert run_report(factory, report.id, trigger="manual", reports_dir=tmp_path).ok


def _expense_id(api: ApiClient, expensable_id: str) -> str:
    [expense_id] = [
        e["id"] for e in api.list_all("expenses/expenses") if e["expenses_expensable_id"] == expensable_id
    ]
    return str(expense_id)


def test_every_delivery_of_every_emitted_type_names_its_author(
    hooks: Hooks,
    receiver: Receiver,
    api: ApiClient,
    tenant: Tenant,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    types = sorted(set(rules.EVENT_TYPES) - NEVER_EMITTED)
    secrets = {}
    for event_type in types:
        _, secrets[event_type] = hooks.subscribe(receiver.url(f"/{event_type}"), type=event_type)
    _every_action(api, tenant, session_factory, tmp_path)
    deliver(session_factory)

    by_type = Counter(h.headers["x-expensehub-event-type"] for h in receiver.hits)
    assert sorted(by_type) == types, f"no delivery for {sorted(set(types) - set(by_type))}"
    for hit in receiver.hits:
        event_type = hit.headers["x-expensehub-event-type"]
        assert hit.path == f"/{event_type}"
        verify_webhook(hit.body, hit.headers, secrets[event_type])  # the headers are the ones sent
        assert hit.headers.get("x-factorial-author-type") == "company", (event_type, hit.headers)
        assert hit.headers.get("x-factorial-author-id") == str(tenant.company_id), (event_type, hit.headers)
    # the outbox records the same author
    events = api.list_all("webhooks/events")
    assert events
    assert {(e["author_type"], e["author_id"]) for e in events} == {("company", str(tenant.company_id))}


def test_an_employee_author_reaches_the_receiver(
    hooks: Hooks, receiver: Receiver, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    """A change made by a user acting as an employee names the employee (no such credential exists
    yet; ``author_of`` maps one, and the outbox and the sender carry it through)."""
    employee = tenant.employee_ids[1]
    principal = Principal(
        company_id=tenant.company_id, credential_type="oauth", credential_id=1, employee_id=employee
    )
    assert author_of(principal) == Author.employee(employee)
    key = Principal(company_id=tenant.company_id, credential_type="api_key", credential_id=1)
    assert author_of(key) == Author.company(tenant.company_id)

    hooks.subscribe(receiver.url(), type="finance/cost_center/create")
    with transaction(session_factory) as s:
        service.emit(
            s,
            company_id=tenant.company_id,
            event_type="finance/cost_center/create",
            payload={"id": 1, "name": "by an employee"},
            author=author_of(principal),
        )
    deliver(session_factory)
    [hit] = receiver.hits
    assert hit.headers["x-factorial-author-type"] == "employee"
    assert hit.headers["x-factorial-author-id"] == str(employee)
