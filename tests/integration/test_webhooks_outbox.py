"""``webhooks.service.emit``: what it writes, for whom, and what it refuses (on a real database)."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.models.webhooks import WebhookEvent
from expensehub.webhooks import service
from expensehub.webhooks.rules import Author
from tests.factories import Tenant
from tests.integration.test_webhooks_delivery import Hooks

TYPE = "banking/card_payment/create"


@pytest.fixture
def hooks(session_factory: sessionmaker[Session], tenant: Tenant) -> Iterator[Hooks]:
    h = Hooks(session_factory, tenant)
    yield h
    h.close()


def _never() -> dict[str, object]:
    raise AssertionError("the payload must not be built when nobody subscribes")


def test_without_subscribers_nothing_is_written_or_built(hooks: Hooks, other_tenant: Tenant) -> None:
    hooks.subscribe("https://hooks.example.com/x", type="banking/transaction/create")  # another type
    disabled, _ = hooks.subscribe("https://hooks.example.com/x", type=TYPE, enabled=False)
    with transaction(hooks.factory) as s:  # another company's subscription does not count either
        service.create_subscription(
            s,
            company_id=other_tenant.company_id,
            subscription_type=TYPE,
            target_url="https://x.example.com/",
            allow_private=False,
            author=Author.company(other_tenant.company_id),
        )
    with transaction(hooks.factory) as s:
        assert (
            service.emit(
                s,
                company_id=hooks.tenant.company_id,
                event_type=TYPE,
                payload=_never,
                author=Author.company(hooks.tenant.company_id),
            )
            is None
        )
        assert (
            service.emit_many(
                s,
                company_id=hooks.tenant.company_id,
                event_type=TYPE,
                payloads=[],
                author=Author.company(hooks.tenant.company_id),
            )
            == []
        )
        events = s.scalars(select(WebhookEvent).where(WebhookEvent.company_id == hooks.tenant.company_id))
        assert list(events) == []
    assert hooks.deliveries(disabled) == []


def test_one_event_per_payload_and_one_delivery_per_subscription(hooks: Hooks) -> None:
    a, _ = hooks.subscribe("https://hooks.example.com/a", type=TYPE)
    b, _ = hooks.subscribe("https://hooks.example.com/b", type=TYPE)
    with transaction(hooks.factory) as s:
        ids = service.emit_many(
            s,
            company_id=hooks.tenant.company_id,
            event_type=TYPE,
            payloads=[{"id": 1, "amount": -1000}, lambda: {"id": 2, "amount": -5}, {"id": 3, "amount": 0}],
            author=Author.employee(hooks.tenant.employee_ids[0]),
        )
        assert ids == sorted(ids)
        assert len(ids) == 3
        events = list(
            s.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(ids)).order_by(WebhookEvent.id))
        )
    assert [orjson.loads(e.payload)["id"] for e in events] == [1, 2, 3]
    assert {e.resource for e in events} == {"banking/card_payments"}
    assert {(e.author_type, e.author_id) for e in events} == {("employee", hooks.tenant.employee_ids[0])}
    assert len({e.msg_id for e in events}) == 3
    for sub in (a, b):
        assert [d.event_id for d in hooks.deliveries(sub)] == ids
        assert {d.status for d in hooks.deliveries(sub)} == {"pending"}


def test_unknown_types_and_authors_are_programming_errors(hooks: Hooks) -> None:
    with transaction(hooks.factory) as s:
        with pytest.raises(ValueError, match="unknown webhook event type"):
            service.emit(
                s,
                company_id=hooks.tenant.company_id,
                event_type="employees/employee/create",
                payload={},
                author=Author.company(hooks.tenant.company_id),
            )
        with pytest.raises(ValueError, match="author type"):
            Author("bot", 1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="author id"):
            Author.company(0)


def test_an_event_without_author_is_refused_even_without_subscribers(hooks: Hooks) -> None:
    """The author is required (mypy says so); a caller that passes ``None`` anyway fails at once,
    not only on the day someone subscribes."""
    with transaction(hooks.factory) as s:
        for author in (None, ("company", hooks.tenant.company_id)):
            with pytest.raises(ValueError, match="author"):
                service.emit(
                    s,
                    company_id=hooks.tenant.company_id,
                    event_type=TYPE,
                    payload={"id": 1},
                    author=author,  # type: ignore[arg-type]
                )
        s.rollback()
    sub, _ = hooks.subscribe("https://hooks.example.com/a", type=TYPE)
    with transaction(hooks.factory) as s:
        with pytest.raises(ValueError, match="author"):
            service.emit(
                s,
                company_id=hooks.tenant.company_id,
                event_type=TYPE,
                payload={"id": 1},
                author=None,  # type: ignore[arg-type]
            )
        s.rollback()
    assert hooks.deliveries(sub) == []
