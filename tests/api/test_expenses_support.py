"""Helpers shared by the expenses API tests (no tests here).

Reference data (categories, cost centres, projects, ledger accounts) is inserted with the ORM models
directly, so these tests do not depend on the finance or projects services.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.kit.clock import utcnow
from expensehub.models import (
    Account,
    ApprovalFlow,
    Category,
    CostCenter,
    Expensable,
    Expense,
    Mileage,
    PerDiem,
    Project,
)
from tests.factories import ApiClient, Tenant


def add_category(factory: sessionmaker[Session], company_id: int, label: str | None = None) -> int:
    with transaction(factory) as s:
        cat = Category(
            company_id=company_id,
            identifier="travel",
            default_label="Travel",
            label=label,
            type="expense",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        s.add(cat)
        s.flush()
        return cat.id


def add_cost_center(factory: sessionmaker[Session], company_id: int, name: str = "Sales") -> int:
    now = utcnow()
    with transaction(factory) as s:
        cc = CostCenter(company_id=company_id, name=name, created_at=now, updated_at=now)
        s.add(cc)
        s.flush()
        return cc.id


def add_project(factory: sessionmaker[Session], company_id: int, legal_entity_id: int) -> int:
    now = utcnow()
    with transaction(factory) as s:
        p = Project(
            company_id=company_id,
            legal_entity_id=legal_entity_id,
            name="Apollo",
            created_at=now,
            updated_at=now,
        )
        s.add(p)
        s.flush()
        return p.id


def add_account(factory: sessionmaker[Session], company_id: int, legal_entity_id: int) -> int:
    with transaction(factory) as s:
        a = Account(
            company_id=company_id,
            legal_entity_id=legal_entity_id,
            number="629000",
            type="expense",
            currency="EUR",
            updated_at=utcnow(),
        )
        s.add(a)
        s.flush()
        return a.id


def set_status(factory: sessionmaker[Session], expensable_id: int, status: str) -> None:
    """Put a claim in a status no public endpoint reaches (in_payroll, sent_to_pay, reversed...)."""
    with transaction(factory) as s:
        s.execute(update(Expensable).where(Expensable.id == expensable_id).values(status=status))


def set_group(factory: sessionmaker[Session], expensable_id: int, group_id: int) -> None:
    with transaction(factory) as s:
        s.execute(update(Expensable).where(Expensable.id == expensable_id).values(group_id=group_id))


def counts(factory: sessionmaker[Session], company_id: int) -> tuple[int, ...]:
    """Rows of the company's claims and flows, to prove a refused write stored nothing."""
    with factory() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m).where(m.company_id == company_id)) or 0)
            for m in (Expensable, Expense, Mileage, PerDiem, ApprovalFlow)
        )


def expense_body(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 1250,
        "currency": "EUR",
        "effective_on": "2024-03-10",
        "description": "Taxi to client",
        "merchant_name": "Taxi Barcelona",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def create_expense(api: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    r = api.post("expenses/expenses", json=expense_body(tenant, **overrides))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def create_mileage(api: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employee_id": str(tenant.employee_ids[1]),
        "effective_on": "2024-03-11",
        "mileage": 100,
        "rate": "0.26",
        "from": "Barcelona",
        "to": "Girona",
    }
    body.update(overrides)
    r = api.post("expenses/mileages", json={k: v for k, v in body.items() if v is not ...})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def create_per_diem(api: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 5340,
        "start_date": "2024-03-12",
        "end_date": "2024-03-13",
        "from": "Barcelona",
        "to": "Madrid",
        "trip_name": "Client visit",
    }
    body.update(overrides)
    r = api.post("expenses/per_diems", json={k: v for k, v in body.items() if v is not ...})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def expensable(api: ApiClient, expensable_id: Any) -> dict[str, Any]:
    r = api.get(f"expenses/expensables/{expensable_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def submit(api: ApiClient, *ids: Any) -> list[dict[str, Any]]:
    r = api.post("expenses/expensables/submit", json={"ids": [str(i) for i in ids]})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def approve(api: ApiClient, expensable_id: Any) -> dict[str, Any]:
    r = api.post(
        "approvals/materialized_approvals_flows/approve_resource",
        json={"resource_type": "Expenses::Expensable", "resource_id": str(expensable_id)},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def ids_of(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]
