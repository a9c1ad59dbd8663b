"""The expenses services on a real database: constant query count per page, all-or-nothing actions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.db.resources import Resource, get_scoped, list_page
from expensehub.errors import InvalidState, NotFound
from expensehub.expenses import resources, schemas, service
from expensehub.kit.clock import utcnow
from expensehub.kit.pagination import PageRequest
from expensehub.models import Category, CostCenter
from expensehub.webhooks.rules import Author
from tests.factories import Tenant


@contextmanager
def count_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _reference_data(s: Session, company_id: int) -> tuple[int, list[int]]:
    now = utcnow()
    cat = Category(
        company_id=company_id,
        identifier="meals",
        default_label="Meals",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    ccs = [CostCenter(company_id=company_id, name=f"CC{i}", created_at=now, updated_at=now) for i in range(2)]
    s.add_all([cat, *ccs])
    s.flush()
    return cat.id, [c.id for c in ccs]


def _create_many(s: Session, tenant: Tenant, n: int, cat: int, ccs: list[int]) -> list[dict[str, Any]]:
    created = []
    for i in range(n):
        body = schemas.ExpenseCreate.model_validate(
            {
                "employee_id": tenant.employee_ids[1 + i % 2],
                "amount": 100 + i,
                "currency": "EUR" if i % 2 == 0 else "GBP",
                "effective_on": "2024-05-01",
                "merchant_name": f"Shop {i}",
                "category_id": cat,
                "cost_center_ids": ccs,
                "taxes": [{"percentage": "0.21", "amount": 17}, {"percentage": "0.1", "amount": 1}],
            }
        )
        created.append(
            service.create_expense(s, company_id=tenant.company_id, body=body, author=tenant.author)
        )
        service.create_mileage(
            s,
            company_id=tenant.company_id,
            body=schemas.MileageCreate.model_validate(
                {
                    "employee_id": tenant.employee_ids[1],
                    "effective_on": "2024-05-02",
                    "mileage": 5 + i,
                    "rate": "0.3",
                }
            ),
            author=Author.company(tenant.company_id),
        )
    return created


def test_list_queries_do_not_grow_with_the_page(
    session_factory: sessionmaker[Session], tenant: Tenant
) -> None:
    with transaction(session_factory) as s:
        cat, ccs = _reference_data(s, tenant.company_id)
        _create_many(s, tenant, 3, cat, ccs)
    with session_factory() as s, count_queries(s) as small:
        items = list_page(
            s, resources.EXPENSES, company_id=tenant.company_id, values={}, page=PageRequest()
        ).items
        assert len(items) == 3
    with transaction(session_factory) as s:
        _create_many(s, tenant, 27, cat, ccs)
    resource: Resource[Any]
    for resource, expected in (
        (resources.EXPENSES, 30),
        (resources.MILEAGES, 30),
        (resources.EXPENSABLES, 60),
    ):
        with session_factory() as s, count_queries(s) as big:
            listing = list_page(s, resource, company_id=tenant.company_id, values={}, page=PageRequest())
            page, items = listing.page, listing.items
            assert len(items) == expected
            assert page.total == expected
        # page rows + count + one IN query each for cost centres, taxes, categories: constant
        assert len(big) <= 5, big
    with session_factory() as s, count_queries(s) as big:
        list_page(s, resources.EXPENSES, company_id=tenant.company_id, values={}, page=PageRequest())
    assert len(big) == len(small)
    first = items[0]
    assert first["cost_center_ids"] == ccs


def test_services_refuse_before_changing(session_factory: sessionmaker[Session], tenant: Tenant) -> None:
    with transaction(session_factory) as s:
        cat, ccs = _reference_data(s, tenant.company_id)
        a, b = _create_many(s, tenant, 2, cat, ccs)
        xa, xb = a["expenses_expensable_id"], b["expenses_expensable_id"]
        service.submit(
            s,
            company_id=tenant.company_id,
            ids=[xb],
            actor=service.Actor(),
            author=Author.company(tenant.company_id),
        )
    with session_factory() as s:
        with pytest.raises(InvalidState) as info:
            service.submit(
                s,
                company_id=tenant.company_id,
                ids=[xa, xb],
                actor=service.Actor(),
                author=Author.company(tenant.company_id),
            )
        assert info.value.code == "invalid_status_transition"
        # the first item was not touched in the session either
        assert (
            get_scoped(s, resources.EXPENSABLES, company_id=tenant.company_id, item_id=xa)["status"]
            == "draft"
        )
        with pytest.raises(NotFound):
            service.bulk_set_to_paid(
                s, company_id=tenant.company_id, ids=[xa, 10**12], author=Author.company(tenant.company_id)
            )
        with pytest.raises(InvalidState):
            service.bulk_set_to_paid(
                s, company_id=tenant.company_id, ids=[xb], author=Author.company(tenant.company_id)
            )
        assert (
            get_scoped(s, resources.EXPENSABLES, company_id=tenant.company_id, item_id=xb)["status"]
            == "pending"
        )
        s.rollback()


def test_decide_opens_a_flow_for_pending_claims_without_one(
    session_factory: sessionmaker[Session], tenant: Tenant
) -> None:
    """A claim imported as pending (no submit) can still be approved."""
    from sqlalchemy import update

    from expensehub.models import Expensable

    with transaction(session_factory) as s:
        cat, ccs = _reference_data(s, tenant.company_id)
        [e] = _create_many(s, tenant, 1, cat, ccs)
        xid = e["expenses_expensable_id"]
        s.execute(update(Expensable).where(Expensable.id == xid).values(status="pending"))
    with transaction(session_factory) as s:
        flow = service.decide_resource(
            s,
            company_id=tenant.company_id,
            resource_type="expensable",
            resource_id=xid,
            decision="approve",
            reason=None,
            api_base="/api/2026-10-01/resources",
            author=Author.company(tenant.company_id),
        )
        assert flow["status"] == "approved"
        assert flow["approvers"][0]["selection_criteria"] == "company"
        assert (
            get_scoped(s, resources.EXPENSABLES, company_id=tenant.company_id, item_id=xid)["status"]
            == "approved"
        )
