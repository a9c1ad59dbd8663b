"""project_management/projects: create, get, filters, cost figures, tenancy."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from expensehub.db.engine import transaction
from expensehub.db.resources import get_object
from expensehub.errors import Conflict, NotFound, ValidationFailed
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS
from expensehub.models import Expensable, Project
from expensehub.projects import service
from expensehub.projects.resources import PROJECTS
from tests.factories import ApiClient, Tenant

PATH = "project_management/projects"


def create(api: ApiClient, **fields: Any) -> dict[str, Any]:
    r = api.post(PATH, json={"name": "Website", **fields})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def total(api: ApiClient) -> int:
    return int(api.get(PATH).json()["meta"]["total"])


def expensable(
    session_factory: Any,
    tenant: Tenant,
    project_id: int | None,
    amount: int,
    *,
    currency: str = "EUR",
    status: str = "approved",
    reimbursable: tuple[int, str] | None = None,
) -> None:
    """An expense row written directly: these tests need spending data, not the expense workflow."""
    now = utcnow()
    with transaction(session_factory) as s:
        s.add(
            Expensable(
                company_id=tenant.company_id,
                legal_entity_id=tenant.le_es,
                employee_id=tenant.employee_ids[1],
                type="expense",
                status=status,
                currency=currency,
                amount=amount,
                reimbursable_amount=reimbursable[0] if reimbursable else None,
                reimbursable_currency=reimbursable[1] if reimbursable else None,
                effective_on=date(2024, 1, 1),
                project_id=project_id,
                created_at=now,
                updated_at=now,
                status_updated_at=now,
            )
        )


def test_create_defaults_and_shape(api: ApiClient, tenant: Tenant) -> None:
    p = create(api)
    assert p == {
        "id": p["id"],
        "name": "Website",
        "status": "active",
        "employees_assignment": "manual",
        "is_billable": False,
        "legal_entity_id": str(tenant.le_es),
        "code": None,
        "description": None,
        "start_date": None,
        "due_date": None,
        "inputed_minutes": 0,
        "client_id": None,
        "fixed_cost_cents": None,
        "labor_cost_cents": 0,
        "spending_cost_cents": 0,
        "total_cost_cents": 0,
    }
    assert api.get(f"{PATH}/{p['id']}").json() == p


def test_create_all_fields(api: ApiClient, tenant: Tenant) -> None:
    p = create(
        api,
        code="WEB",
        description="New site",
        start_date="2024-01-01",
        due_date="2024-12-31",
        status="closed",
        employees_assignment="company",
        is_billable=True,
        legal_entity_id=str(tenant.le_gb),
        fixed_cost_cents=150000,
        client_id="42",
        project_admins=[str(tenant.employee_ids[0])],
        budget_allocation=600,
    )
    assert (p["code"], p["description"], p["start_date"], p["due_date"]) == (
        "WEB",
        "New site",
        "2024-01-01",
        "2024-12-31",
    )
    assert (p["status"], p["employees_assignment"], p["is_billable"]) == ("closed", "company", True)
    assert (p["legal_entity_id"], p["fixed_cost_cents"], p["client_id"]) == (str(tenant.le_gb), 150000, "42")
    assert p["total_cost_cents"] == 0  # computed costs only when asked for, as in the list
    costs = api.get(f"{PATH}/{p['id']}", params={"include_costs": "true"}).json()
    assert costs["total_cost_cents"] == 150000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": ["x"]}, "name"),
        ({"status": "draft"}, "status"),
        ({"status": "open"}, "status"),
        ({"employees_assignment": "team"}, "employees_assignment"),
        ({"start_date": "2024-02-01", "due_date": "2024-01-31"}, "due_date"),
        ({"start_date": "01-02-2024"}, "start_date"),
        ({"fixed_cost_cents": -1}, "fixed_cost_cents"),
        ({"fixed_cost_cents": MAX_MINOR_UNITS + 1}, "fixed_cost_cents"),
        ({"fixed_cost_cents": 10.5}, "fixed_cost_cents"),
        ({"legal_entity_id": "es"}, "legal_entity_id"),
        ({"is_billable": "perhaps"}, "is_billable"),
        ({"code": ""}, "code"),
    ],
)
def test_create_bad_input_is_422_and_creates_nothing(api: ApiClient, change: dict, field: str) -> None:
    before = total(api)
    r = api.post(PATH, json={"name": "P", **change})
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]
    assert total(api) == before


def test_blank_name_is_422(api: ApiClient) -> None:
    assert api.post(PATH, json={"name": "  "}).status_code == 422


def test_duplicate_code_is_409(api: ApiClient, other_api: ApiClient) -> None:
    create(api, code="P1")
    before = total(api)
    r = api.post(PATH, json={"name": "Other", "code": "P1"})
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_code"
    assert total(api) == before
    assert create(other_api, code="P1")["code"] == "P1"


def test_foreign_legal_entity_is_404(api: ApiClient, other_tenant: Tenant) -> None:
    before = total(api)
    assert api.post(PATH, json={"name": "P", "legal_entity_id": str(other_tenant.le_es)}).status_code == 404
    assert total(api) == before


def test_other_company_gets_404(api: ApiClient, other_api: ApiClient) -> None:
    p = create(api)
    assert other_api.get(f"{PATH}/{p['id']}").status_code == 404
    assert other_api.get(PATH, params={"ids[]": [p["id"]]}).json()["data"] == []
    assert api.get(f"{PATH}/abc").status_code == 404


def test_list_filters(api: ApiClient, tenant: Tenant, other_tenant: Tenant) -> None:
    web = create(api, name="Website redesign", code="WEB-1", client_id="10")
    app = create(api, name="Mobile app", code="APP", client_id="11", legal_entity_id=str(tenant.le_gb))
    internal = create(api, name="Internal tooling", code="INT")

    def ids(params: dict) -> list[str]:
        return [p["id"] for p in api.list_all(PATH, params)]

    assert ids({}) == [web["id"], app["id"], internal["id"]]
    assert ids({"ids[]": [internal["id"], web["id"]]}) == [web["id"], internal["id"]]
    assert ids({"name": "website"}) == [web["id"]]
    assert ids({"name": "web-1"}) == []  # name only, not the code
    assert ids({"name_or_code": "web-1"}) == [web["id"]]
    assert ids({"name_or_code": "APP"}) == [app["id"]]
    assert ids({"name_or_code": "in"}) == [internal["id"]]
    assert ids({"legal_entity_id": str(tenant.le_gb)}) == [app["id"]]
    assert ids({"legal_entity_id": str(other_tenant.le_gb)}) == []
    assert ids({"client_ids[]": ["10", "11"]}) == [web["id"], app["id"]]
    assert ids({"no_clients": "true"}) == [internal["id"]]
    assert len(ids({"no_clients": "false"})) == 3
    assert ids({"total_currency": "GBP"}) == [app["id"]]
    assert ids({"total_currency": "EUR"}) == [web["id"], internal["id"]]
    assert ids({"total_currency": "USD"}) == []
    assert len(ids({"updated_after": "2020-01-01"})) == 3
    assert ids({"updated_after": "2999-01-01"}) == []
    assert len(ids({"include_inputed_minutes": "false", "include_costs": "false"})) == 3


def test_minutes_and_costs_only_when_asked(api: ApiClient, tenant: Tenant, session_factory: Any) -> None:
    with transaction(session_factory) as s:
        project = service.create_project(
            s, company_id=tenant.company_id, name="Seeded", fixed_cost_cents=1000, inputed_minutes=90
        )
        pid = project.id
    other = create(api, name="No spend")
    expensable(session_factory, tenant, pid, 2500)  # approved, EUR: counts
    expensable(session_factory, tenant, pid, 500, status="paid")  # paid: counts
    expensable(session_factory, tenant, pid, 700, status="pending")  # not approved: left out
    expensable(session_factory, tenant, pid, 9999, status="rejected")  # left out
    expensable(
        session_factory, tenant, pid, 1200, currency="USD", reimbursable=(1100, "EUR")
    )  # reimbursable in EUR
    expensable(session_factory, tenant, pid, 4000, currency="USD")  # no EUR amount: left out
    expensable(session_factory, tenant, None, 3000)  # no project

    plain = {p["id"]: p for p in api.list_all(PATH)}
    assert plain[str(pid)]["inputed_minutes"] == 0
    assert plain[str(pid)]["spending_cost_cents"] == 0
    assert plain[str(pid)]["total_cost_cents"] == 0
    assert plain[str(pid)]["fixed_cost_cents"] == 1000

    full = {
        p["id"]: p for p in api.list_all(PATH, {"include_costs": "true", "include_inputed_minutes": "True"})
    }
    seeded = full[str(pid)]
    assert seeded["inputed_minutes"] == 90
    assert seeded["labor_cost_cents"] == 0
    assert seeded["spending_cost_cents"] == 2500 + 500 + 1100
    assert seeded["total_cost_cents"] == 1000 + 4100
    assert full[other["id"]]["spending_cost_cents"] == 0
    assert full[other["id"]]["total_cost_cents"] == 0

    one = api.get(f"{PATH}/{pid}", params={"include_costs": "true", "include_inputed_minutes": "true"}).json()
    assert one == seeded
    assert api.get(f"{PATH}/{pid}").json() == plain[str(pid)]
    assert api.get(f"{PATH}/{pid}", params={"include_costs": "x"}).status_code == 422


def test_service_validation(session_factory, tenant: Tenant, other_tenant: Tenant) -> None:
    with session_factory() as s:
        with pytest.raises(ValidationFailed) as bad:
            service.create_project(
                s,
                company_id=tenant.company_id,
                name="X",
                status="paused",
                employees_assignment="all",
                inputed_minutes=-1,
            )
        assert set(bad.value.fields) == {"status", "employees_assignment", "inputed_minutes"}
        with pytest.raises(NotFound):
            service.create_project(
                s, company_id=tenant.company_id, name="X", legal_entity_id=other_tenant.le_es
            )
        with pytest.raises(NotFound):
            get_object(s, PROJECTS, Project, company_id=other_tenant.company_id, item_id=1)
    with transaction(session_factory) as s:
        draft = service.create_project(
            s, company_id=tenant.company_id, name="Draft", status="draft", code="D"
        )
        assert (
            get_object(s, PROJECTS, Project, company_id=tenant.company_id, item_id=draft.id).status == "draft"
        )
    with session_factory() as s, pytest.raises(Conflict):
        service.create_project(s, company_id=tenant.company_id, name="Again", code="D")


def test_nul_in_text_is_422_and_nothing_stored(api: ApiClient) -> None:
    before = api.get(PATH).json()["meta"]["total"]
    r = api.post(PATH, json={"name": "bad\u0000name"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert api.get(PATH).json()["meta"]["total"] == before


def test_nul_in_cost_center_and_subscription_is_422(api: ApiClient, tenant: Tenant) -> None:
    r = api.post("finance/cost_centers", json={"name": "x\u0000", "company_id": str(tenant.company_id)})
    assert r.status_code == 422, r.text
    r = api.post(
        "api_public/webhook_subscriptions",
        json={
            "subscription_type": "finance/cost_center/create",
            "target_url": "https://hooks.example.com/\u0000",
            "company_id": str(tenant.company_id),
        },
    )
    assert r.status_code == 422, r.text
