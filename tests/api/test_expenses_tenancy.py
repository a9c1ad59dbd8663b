"""Another company's key sees none of this tenant's claims and can change none of them."""

from __future__ import annotations

from typing import Any

from tests.api.test_expenses_support import (
    approve,
    counts,
    create_expense,
    create_mileage,
    create_per_diem,
    expensable,
    submit,
)
from tests.factories import ApiClient, Tenant

FLOWS = "approvals/materialized_approvals_flows"


def test_other_company_gets_404_everywhere(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory
) -> None:
    e = create_expense(api, tenant)
    m = create_mileage(api, tenant)
    p = create_per_diem(api, tenant)
    pending = create_expense(api, tenant, amount=77)
    approved = create_expense(api, tenant, amount=88)
    submit(api, pending["expenses_expensable_id"], approved["expenses_expensable_id"])
    approve(api, approved["expenses_expensable_id"])
    xids = [obj["expenses_expensable_id"] for obj in (e, m, p, pending, approved)]
    snapshot = [expensable(api, x) for x in xids]
    before = counts(session_factory, tenant.company_id)

    gets = [f"expenses/expensables/{x}" for x in xids] + [
        f"expenses/expenses/{e['id']}",
        f"expenses/mileages/{m['id']}",
        f"expenses/per_diems/{p['id']}",
    ]
    for path in gets:
        r = other_api.get(path)
        assert r.status_code == 404, path
        assert r.json()["code"] == "not_found"

    puts: list[tuple[str, dict[str, Any]]] = [
        (f"expenses/expenses/{e['id']}", {"description": "mine now"}),
        (f"expenses/mileages/{m['id']}", {"mileage": 1}),
        (f"expenses/per_diems/{p['id']}", {"amount": 1}),
    ]
    for path, body in puts:
        assert other_api.put(path, json=body).status_code == 404, path
    assert other_api.delete(f"expenses/expensables/{xids[0]}").status_code == 404

    pend, appr = pending["expenses_expensable_id"], approved["expenses_expensable_id"]
    actions: list[tuple[str, dict[str, Any]]] = [
        ("expenses/expensables/submit", {"ids": [xids[0]]}),
        ("expenses/expensables/request_changes", {"id": pend}),
        ("expenses/expensables/bulk_set_to_paid", {"ids": [appr]}),
        ("expenses/expensables/update_reimbursable_amount", {"id": xids[0], "reimbursable_amount": 1}),
        (f"{FLOWS}/approve_resource", {"resource_type": "Expenses::Expensable", "resource_id": pend}),
        (f"{FLOWS}/reject_resource", {"resource_type": "Expenses::Expensable", "resource_id": pend}),
    ]
    for path, body in actions:
        r = other_api.post(path, json=body)
        assert r.status_code == 404, (path, r.text)

    # lists and id filters show nothing
    for path in ("expenses/expensables", "expenses/expenses", "expenses/mileages", "expenses/per_diems"):
        body = other_api.get(path, params={"ids[]": xids}).json()
        assert body["data"] == []
        assert body["meta"]["total"] == 0
        assert other_api.get(path).json()["data"] == []
    assert (
        other_api.get("expenses/expensables", params={"company_id": str(tenant.company_id)}).json()["data"]
        == []
    )
    assert other_api.get("expenses/expenses", params={"expenses_expensable_ids[]": xids}).json()["data"] == []

    # nothing changed for the owner
    assert [expensable(api, x) for x in xids] == snapshot
    assert counts(session_factory, tenant.company_id) == before
    assert counts(session_factory, other_tenant.company_id) == (0, 0, 0, 0, 0)


def test_other_company_cannot_file_claims_for_our_employees(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant, session_factory
) -> None:
    body = {
        "employee_id": str(tenant.employee_ids[1]),
        "amount": 100,
        "currency": "EUR",
        "effective_on": "2024-01-01",
    }
    assert other_api.post("expenses/expenses", json=body).status_code == 404
    body_pd = {"employee_id": str(tenant.employee_ids[1]), "amount": 100, "start_date": "2024-01-01"}
    assert other_api.post("expenses/per_diems", json=body_pd).status_code == 404
    own = {**body, "employee_id": str(other_tenant.employee_ids[1]), "legal_entity_id": str(tenant.le_es)}
    assert other_api.post("expenses/expenses", json=own).status_code == 404
    assert counts(session_factory, other_tenant.company_id) == (0, 0, 0, 0, 0)
    assert counts(session_factory, tenant.company_id) == (0, 0, 0, 0, 0)


def test_bulk_mixing_own_and_foreign_ids_changes_nothing(
    api: ApiClient, other_api: ApiClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    ours = create_expense(api, tenant)["expenses_expensable_id"]
    theirs = create_expense(other_api, other_tenant)["expenses_expensable_id"]
    r = other_api.post("expenses/expensables/submit", json={"ids": [theirs, ours]})
    assert r.status_code == 404
    assert ours in r.json()["message"]
    assert expensable(other_api, theirs)["status"] == "draft"
    assert expensable(api, ours)["status"] == "draft"
