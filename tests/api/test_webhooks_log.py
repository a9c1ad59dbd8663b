"""The outbox and the delivery log over HTTP: events, deliveries, redeliver, tenancy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.kit.pagination import PageRequest
from expensehub.webhooks import service
from expensehub.webhooks.rules import Author
from tests.factories import ApiClient, Tenant

SUBS = "api_public/webhook_subscriptions"
EVENTS = "webhooks/events"
DELIVERIES = "webhooks/deliveries"
ATTEMPTS = "webhooks/delivery_attempts"
CC = "finance/cost_centers"


@pytest.fixture(autouse=True)
def _no_leftover_queue(tenant: Tenant, session_factory: sessionmaker[Session]) -> Iterator[None]:
    """Delete the test's subscriptions afterwards: their queued deliveries (to hooks.example.com) are
    cancelled, so no delivery worker of a later test in this database tries to send them."""
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


def subscribe(
    api: ApiClient, tenant: Tenant, type: str = "finance/cost_center/create", **kw: Any
) -> dict[str, Any]:
    body = {
        "subscription_type": type,
        "target_url": "https://hooks.example.com/x",
        "company_id": str(tenant.company_id),
    }
    r = api.post(SUBS, json={**body, **kw})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def cost_center(api: ApiClient, tenant: Tenant, **kw: Any) -> dict[str, Any]:
    r = api.post(CC, json={"name": "Sales", "company_id": str(tenant.company_id), **kw})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def events(api: ApiClient, **params: Any) -> list[dict[str, Any]]:
    r = api.get(EVENTS, params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def deliveries(api: ApiClient, **params: Any) -> list[dict[str, Any]]:
    r = api.get(DELIVERIES, params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_no_subscription_no_event(api: ApiClient, tenant: Tenant) -> None:
    cost_center(api, tenant)
    assert events(api) == []
    assert deliveries(api) == []


def test_a_change_queues_one_event_per_subscriber_with_the_api_shape(api: ApiClient, tenant: Tenant) -> None:
    a = subscribe(api, tenant)
    b = subscribe(api, tenant)
    subscribe(api, tenant, type="finance/cost_center/delete")
    cc = cost_center(api, tenant, code="S-1")
    [event] = events(api)
    assert event["type"] == "finance/cost_center/create"
    assert event["payload"] == cc
    assert event["webhook_id"].startswith("msg_")
    assert event["company_id"] == str(tenant.company_id)
    assert (event["author_type"], event["author_id"]) == ("company", str(tenant.company_id))
    queued = deliveries(api)
    assert [d["subscription_id"] for d in queued] == [a["id"], b["id"]]
    for d in queued:
        assert d["status"] == "pending"
        assert d["attempts"] == 0
        assert d["webhook_id"] == event["webhook_id"]
        assert d["event_id"] == event["id"]
        assert d["event_type"] == "finance/cost_center/create"
        assert d["next_attempt_at"] is not None
        assert d["last_status_code"] is None
    assert api.get(f"{DELIVERIES}/{queued[0]['id']}").json() == queued[0]
    assert api.get(f"{EVENTS}/{event['id']}").json() == event


def test_edit_and_delete_events(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant, type="finance/cost_center/edit")
    subscribe(api, tenant, type="finance/cost_center/delete")
    cc = cost_center(api, tenant)
    edited = api.post(f"{CC}/edit", json={"id": cc["id"], "name": "Renamed"}).json()
    deleted = api.delete(f"{CC}/{cc['id']}").json()
    got = events(api)
    assert [e["type"] for e in got] == ["finance/cost_center/edit", "finance/cost_center/delete"]
    assert got[0]["payload"] == edited
    assert got[1]["payload"] == deleted


def test_payloads_render_in_the_callers_version(api: ApiClient, api_v0401: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant)
    cc = cost_center(api, tenant)
    [event] = events(api_v0401)
    assert event["payload"]["id"] == int(cc["id"])
    assert isinstance(event["id"], int)
    [d] = deliveries(api_v0401)
    assert isinstance(d["subscription_id"], int)


def test_a_rejected_change_queues_nothing(api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant)
    cost_center(api, tenant, code="DUP")
    r = api.post(CC, json={"name": "Again", "company_id": str(tenant.company_id), "code": "DUP"})
    assert r.status_code == 409
    r = api.post(CC, json={"name": "", "company_id": str(tenant.company_id)})
    assert r.status_code == 422
    assert len(events(api)) == 1


def test_disabled_subscriptions_get_nothing(api: ApiClient, tenant: Tenant) -> None:
    sub = subscribe(api, tenant, enabled=False)
    cost_center(api, tenant)
    assert deliveries(api) == []
    api.put(f"{SUBS}/{sub['id']}", json={"enabled": True})
    cost_center(api, tenant)
    assert len(deliveries(api)) == 1


def test_subscription_events_carry_the_author(api: ApiClient, tenant: Tenant) -> None:
    watcher = subscribe(api, tenant, type="api_public/webhook_subscription/update")
    other = subscribe(api, tenant)
    api.put(f"{SUBS}/{other['id']}", json={"name": "renamed"})
    [event] = events(api, **{"types[]": "api_public/webhook_subscription/update"})
    assert event["payload"]["id"] == other["id"]
    assert event["payload"]["name"] == "renamed"
    assert "secret" not in event["payload"]
    assert event["author_type"] == "company"
    assert event["author_id"] == str(tenant.company_id)
    assert deliveries(api)[0]["subscription_id"] == watcher["id"]


def test_delivery_filters(api: ApiClient, tenant: Tenant) -> None:
    a = subscribe(api, tenant)
    b = subscribe(api, tenant, type="finance/cost_center/edit")
    cc = cost_center(api, tenant)
    api.post(f"{CC}/edit", json={"id": cc["id"], "name": "X"})
    all_ = deliveries(api)
    assert len(all_) == 2
    first, second = all_

    def ids(**params: Any) -> list[str]:
        return [d["id"] for d in deliveries(api, **params)]

    assert ids(**{"ids[]": second["id"]}) == [second["id"]]
    assert ids(**{"subscription_ids[]": b["id"]}) == [second["id"]]
    assert ids(**{"subscription_ids[]": [a["id"], b["id"]]}) == [first["id"], second["id"]]
    assert ids(**{"event_ids[]": first["event_id"]}) == [first["id"]]
    assert ids(**{"statuses[]": "pending"}) == [first["id"], second["id"]]
    assert ids(**{"statuses[]": "delivered"}) == []
    assert ids(**{"event_types[]": "finance/cost_center/edit"}) == [second["id"]]
    assert ids(webhook_id=first["webhook_id"]) == [first["id"]]
    assert ids(webhook_id="msg_nope") == []
    assert api.get(DELIVERIES, params={"statuses[]": "lost"}).status_code == 422
    assert api.get(DELIVERIES, params={"ids[]": "x"}).status_code == 422
    assert [e["id"] for e in events(api, **{"ids[]": first["event_id"]})] == [first["event_id"]]
    assert events(api, **{"types[]": "finance/cost_center/delete"}) == []


def test_redeliver_queues_the_same_webhook_id_again(
    api: ApiClient, api_v0401: ApiClient, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    from tests.integration.test_webhooks_delivery import Receiver, deliver

    receiver = Receiver().start()
    try:
        with transaction(session_factory) as s:
            service.create_subscription(
                s,
                company_id=tenant.company_id,
                subscription_type="finance/cost_center/create",
                target_url=receiver.url(),
                allow_private=True,
                author=tenant.author,
            )
        cost_center(api, tenant)
        [original] = deliveries(api)
        # still queued: not queued twice; the 409 carries the current state, in the request's version
        r = api.post(f"{DELIVERIES}/redeliver", json={"id": original["id"]})
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "already_queued"
        assert r.json()["details"] == {"delivery": original, "queued": original}
        old = api_v0401.post(f"{DELIVERIES}/redeliver", json={"id": int(original["id"])}).json()
        assert old["details"]["queued"]["id"] == int(original["id"])
        deliver(session_factory)
        [original] = deliveries(api)
        assert original["status"] == "delivered"
        r = api.post(f"{DELIVERIES}/redeliver", json={"id": original["id"]})
        assert r.status_code == 200, r.text
    finally:
        receiver.stop()
    again = r.json()
    assert again["id"] != original["id"]
    assert again["webhook_id"] == original["webhook_id"]
    assert again["event_id"] == original["event_id"]
    assert again["redelivery_of_id"] == original["id"]
    assert again["status"] == "pending"
    assert again["attempts"] == 0
    assert [d["id"] for d in deliveries(api)] == [original["id"], again["id"]]
    r = api.post(f"{DELIVERIES}/redeliver", json={"id": original["id"]})
    assert r.status_code == 409
    assert r.json()["details"] == {"delivery": original, "queued": again}


def test_redeliver_needs_an_enabled_subscription(api: ApiClient, tenant: Tenant) -> None:
    sub = subscribe(api, tenant)
    cost_center(api, tenant)
    [original] = deliveries(api)
    api.put(f"{SUBS}/{sub['id']}", json={"enabled": False})
    r = api.post(f"{DELIVERIES}/redeliver", json={"id": original["id"]})
    assert r.status_code == 409
    assert r.json()["code"] == "subscription_disabled"
    api.delete(f"{SUBS}/{sub['id']}")
    r = api.post(f"{DELIVERIES}/redeliver", json={"id": original["id"]})
    assert r.status_code == 409
    assert r.json()["code"] == "subscription_deleted"
    assert len(deliveries(api)) == 1


@pytest.mark.parametrize("body", [{}, {"id": "x"}, {"id": None}, {"id": "99999999"}])
def test_redeliver_bad_input(api: ApiClient, body: dict[str, Any]) -> None:
    r = api.post(f"{DELIVERIES}/redeliver", json=body)
    assert r.status_code == (404 if body.get("id") == "99999999" else 422)


def test_deleting_a_subscription_cancels_its_queue_and_keeps_the_log(api: ApiClient, tenant: Tenant) -> None:
    sub = subscribe(api, tenant)
    cost_center(api, tenant)
    api.delete(f"{SUBS}/{sub['id']}")
    [d] = deliveries(api)
    assert d["status"] == "cancelled"
    assert d["next_attempt_at"] is None
    cost_center(api, tenant)
    assert len(deliveries(api)) == 1


def test_log_of_another_company_is_404(api: ApiClient, other_api: ApiClient, tenant: Tenant) -> None:
    subscribe(api, tenant)
    cost_center(api, tenant)
    [d] = deliveries(api)
    assert other_api.get(f"{DELIVERIES}/{d['id']}").status_code == 404
    assert other_api.get(f"{EVENTS}/{d['event_id']}").status_code == 404
    assert other_api.post(f"{DELIVERIES}/redeliver", json={"id": d["id"]}).status_code == 404
    assert other_api.get(DELIVERIES).json()["data"] == []
    assert other_api.get(EVENTS).json()["data"] == []
    assert other_api.get(ATTEMPTS).json()["data"] == []
    assert other_api.get(ATTEMPTS, params={"delivery_ids[]": d["id"]}).json()["data"] == []
    assert len(deliveries(api)) == 1


@pytest.mark.parametrize("path", [EVENTS, DELIVERIES])
def test_unknown_ids_are_404(api: ApiClient, path: str) -> None:
    assert api.get(f"{path}/99999999").status_code == 404
    assert api.get(f"{path}/abc").status_code == 404
