"""Domain changes queue their webhook events in the same transaction (banking, reconciliation)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.kit.pagination import PageRequest
from expensehub.webhooks import service
from expensehub.webhooks.rules import Author
from tests.api.test_banking_feeds import imported, new_account
from tests.factories import ApiClient, Tenant


@pytest.fixture(autouse=True)
def _cleanup(tenant: Tenant, session_factory: sessionmaker[Session]) -> Iterator[None]:
    yield
    with transaction(session_factory) as s:
        page = service.list_subscriptions(s, company_id=tenant.company_id, page=PageRequest(limit=100))
        for (sub,) in page.rows:
            service.delete_subscription(
                s,
                company_id=tenant.company_id,
                subscription_id=sub.id,
                author=Author.company(tenant.company_id),
            )


def subscribe(api: ApiClient, tenant: Tenant, event_type: str) -> None:
    r = api.post(
        "api_public/webhook_subscriptions",
        json={
            "subscription_type": event_type,
            "target_url": "https://hooks.example.com/x",
            "company_id": str(tenant.company_id),
        },
    )
    assert r.status_code == 201, r.text


def events_of(api: ApiClient, event_type: str) -> list[dict[str, Any]]:
    body = api.get("webhooks/events", params={"limit": 100}).json()
    return [e for e in body["data"] if e.get("type", e.get("event_type")) == event_type]


def test_feed_import_queues_one_event_per_created_row(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, "banking/card_payment/create")
    subscribe(api, tenant, "banking/transaction/create")
    account = new_account(api, tenant)
    imported(api, account["id"], "camt053_statement.xml")
    payments = api.list_all("banking/card_payments")
    transactions = api.list_all("banking/transactions")
    assert payments
    assert transactions
    payment_events = events_of(api, "banking/card_payment/create")
    transaction_events = events_of(api, "banking/transaction/create")
    assert len(payment_events) == len(payments)
    assert len(transaction_events) == len(transactions)
    # Re-importing the same statement creates nothing, so it queues nothing.
    imported(api, account["id"], "camt053_statement.xml")
    assert len(events_of(api, "banking/card_payment/create")) == len(payments)


def test_reconciliation_run_queues_completed_event(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, "reconciliation/run/completed")
    r = api.post("reconciliation/runs", json={})
    assert r.status_code == 201, r.text
    assert len(events_of(api, "reconciliation/run/completed")) == 1


def test_no_subscriber_no_event(api: ApiClient, tenant: Tenant) -> None:
    account = new_account(api, tenant)
    imported(api, account["id"], "camt053_statement.xml")
    assert events_of(api, "banking/card_payment/create") == []


def test_claim_lifecycle_queues_its_events(api: ApiClient, tenant: Tenant) -> None:
    from tests.api.test_expenses_flow import decide, new_claim
    from tests.api.test_expenses_support import submit

    for event in ("create", "submit", "approve", "bulk_set_to_paid"):
        subscribe(api, tenant, f"expenses/expensable/{event}")
    xid = new_claim(api, tenant)
    submit(api, xid)
    assert decide(api, "approve", xid).status_code == 200
    assert api.post("expenses/expensables/bulk_set_to_paid", json={"ids": [xid]}).status_code == 200
    current = api.get(f"expenses/expensables/{xid}").json()
    for event in ("create", "submit", "approve", "bulk_set_to_paid"):
        found = events_of(api, f"expenses/expensable/{event}")
        assert len(found) == 1, event
        assert str(found[0]["payload"]["id"]) == xid
    assert events_of(api, "expenses/expensable/bulk_set_to_paid")[0]["payload"]["status"] == current["status"]


def test_refused_change_queues_nothing(api: ApiClient, tenant: Tenant) -> None:
    from tests.api.test_expenses_flow import new_claim

    subscribe(api, tenant, "expenses/expensable/bulk_set_to_paid")
    xid = new_claim(api, tenant)  # a draft cannot be paid: 409, rolled back
    assert api.post("expenses/expensables/bulk_set_to_paid", json={"ids": [xid]}).status_code == 409
    assert events_of(api, "expenses/expensable/bulk_set_to_paid") == []


def test_document_events(api: ApiClient, tenant: Tenant) -> None:
    from tests.api.test_documents_api import uploaded

    for event in ("document/create", "document/move_to_trash_bin", "document/restore_from_trash_bin"):
        subscribe(api, tenant, f"documents/{event}")
    doc = uploaded(api)
    body = {"document_ids": [doc["id"]]}
    assert api.post("documents/documents/move_to_trash_bin", json=body).status_code == 200
    assert api.post("documents/documents/restore_from_trash_bin", json=body).status_code == 200
    for event in ("document/create", "document/move_to_trash_bin", "document/restore_from_trash_bin"):
        found = events_of(api, f"documents/{event}")
        assert [str(e["payload"]["id"]) for e in found] == [doc["id"]], event
