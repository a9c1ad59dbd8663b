"""Status changes: submit, approve, reject, request changes, pay, reimbursable amount, delete."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from expensehub.models import ApprovalFlow, ApprovalFlowApprover
from tests.api.test_expenses_support import (
    approve,
    counts,
    create_expense,
    create_mileage,
    create_per_diem,
    expensable,
    set_status,
    submit,
)
from tests.factories import ApiClient, Tenant

X = "expenses/expensables"
FLOWS = "approvals/materialized_approvals_flows"


def decide(api: ApiClient, action: str, expensable_id: Any, **extra: Any) -> Any:
    body = {"resource_type": "Expenses::Expensable", "resource_id": str(expensable_id), **extra}
    return api.post(f"{FLOWS}/{action}_resource", json=body)


def flows_of(session_factory, expensable_id: Any) -> list[tuple[ApprovalFlow, list[ApprovalFlowApprover]]]:
    with session_factory() as s:
        flows = s.scalars(
            select(ApprovalFlow)
            .where(ApprovalFlow.resource_id == int(expensable_id))
            .order_by(ApprovalFlow.id)
        ).all()
        return [
            (
                f,
                list(
                    s.scalars(select(ApprovalFlowApprover).where(ApprovalFlowApprover.flow_id == f.id)).all()
                ),
            )
            for f in flows
        ]


def new_claim(api: ApiClient, tenant: Tenant, **kw: Any) -> str:
    return create_expense(api, tenant, **kw)["expenses_expensable_id"]  # type: ignore[no-any-return]


# ---- submit and approval flows ----------------------------------------------------------------------


def test_submit_opens_a_flow_with_the_manager(api: ApiClient, tenant: Tenant, session_factory) -> None:
    boss, emp1, _ = tenant.employee_ids
    xid = new_claim(api, tenant)
    [item] = submit(api, xid)
    assert item["id"] == xid
    assert item["status"] == "pending"
    assert item["review_request_at"] is not None
    assert item["status_updated_at"] == item["review_request_at"]
    [(flow, approvers)] = flows_of(session_factory, xid)
    assert flow.status == "running"
    assert flow.resource_type == "Expenses::Expensable"
    assert flow.owner_employee_id == emp1
    assert [(a.employee_id, a.status, a.selection_criteria) for a in approvers] == [
        (boss, "pending", "manager")
    ]


def test_owner_without_manager_is_approved_by_the_company(
    api: ApiClient, tenant: Tenant, session_factory
) -> None:
    xid = new_claim(api, tenant, employee_id=str(tenant.employee_ids[0]))
    submit(api, xid)
    [(_, approvers)] = flows_of(session_factory, xid)
    assert [(a.employee_id, a.access_id, a.selection_criteria) for a in approvers] == [
        (None, None, "company")
    ]
    flow = approve(api, xid)
    assert flow["approvers"][0]["employee_id"] is None
    assert flow["approvers"][0]["selection_criteria"] == "company"


def test_approve_returns_the_flow(api: ApiClient, tenant: Tenant, http) -> None:
    boss, emp1, _ = tenant.employee_ids
    xid = new_claim(api, tenant, reporter_id=str(boss))
    submit(api, xid)
    r = decide(api, "approve", xid, reason="fine")
    assert r.status_code == 200, r.text
    flow = r.json()
    assert flow["status"] == "approved"
    assert flow["resource_type"] == "Expenses::Expensable"
    assert flow["resource_id"] == xid
    assert flow["resource_url"] == f"/api/2026-10-01/resources/expenses/expensables/{xid}"
    assert flow["owner_employee_id"] == str(emp1)
    assert flow["author_employee_id"] == str(boss)  # the reporter submitted it
    assert flow["author_id"] != flow["owner_id"]
    assert flow["action_type"] == "approve"
    assert flow["reason"] == "fine"
    assert flow["final_decision_at"] is not None
    assert flow["email_detail_blocks"] == []
    assert flow["approval_flow_id"] == flow["id"]
    [approver] = flow["approvers"]
    assert approver["status"] == "approved"
    assert approver["employee_id"] == str(boss)
    assert approver["materialized_approval_step_id"] == flow["id"]
    employee = http.get(f"/api/2026-10-01/resources/employees/employees/{boss}", headers=api.headers).json()
    assert approver["access_id"] == employee["access_id"]
    for key in (
        "override_approver_id",
        "override_approver_employee_id",
        "rules_decision",
        "auto_approval_description",
    ):
        assert key in flow
    x = expensable(api, xid)
    assert x["status"] == "approved"
    assert x["paid_at"] is None


def test_reject(api: ApiClient, tenant: Tenant, session_factory) -> None:
    xid = new_claim(api, tenant)
    submit(api, xid)
    r = decide(api, "reject", xid, reason="not a business expense")
    assert r.status_code == 200
    flow = r.json()
    assert (flow["status"], flow["reason"], flow["action_type"]) == (
        "rejected",
        "not a business expense",
        "reject",
    )
    assert flow["approvers"][0]["status"] == "rejected"
    assert expensable(api, xid)["status"] == "rejected"


@pytest.mark.parametrize("resource_type", ["Expenses::Expensable", "expenses/expensable", "expensable"])
def test_resource_type_aliases(api: ApiClient, tenant: Tenant, resource_type: str) -> None:
    xid = new_claim(api, tenant)
    submit(api, xid)
    r = api.post(f"{FLOWS}/approve_resource", json={"resource_type": resource_type, "resource_id": xid})
    assert r.status_code == 200
    assert r.json()["resource_type"] == "Expenses::Expensable"


def test_approval_bad_input(api: ApiClient, tenant: Tenant) -> None:
    xid = new_claim(api, tenant)
    submit(api, xid)
    for action in ("approve", "reject"):
        path = f"{FLOWS}/{action}_resource"
        for body in (
            {"resource_type": "Timeoff::Leave", "resource_id": xid},
            {"resource_type": "Expenses::Expensable"},
            {"resource_id": xid},
            {"resource_type": "Expenses::Expensable", "resource_id": "abc"},
            {"resource_type": 5, "resource_id": xid},
        ):
            r = api.post(path, json=body)
            assert r.status_code == 422, (body, r.text)
        r = api.post(path, json={"resource_type": "Timeoff::Leave", "resource_id": xid})
        assert r.json()["code"] == "unsupported_resource_type"
        r = api.http.post(
            api.url(path), content=b"[", headers={**api.headers, "content-type": "application/json"}
        )
        assert r.status_code == 400
        assert (
            api.post(path, json={"resource_type": "expensable", "resource_id": "99999999"}).status_code == 404
        )
    assert expensable(api, xid)["status"] == "pending"


def test_request_changes_and_resubmit(api: ApiClient, tenant: Tenant, session_factory) -> None:
    xid = new_claim(api, tenant)
    [submitted] = submit(api, xid)
    r = api.post(f"{X}/request_changes", json={"id": xid, "reason": "attach the receipt"})
    assert r.status_code == 200, r.text
    back = r.json()
    assert back["status"] == "changes_requested"
    assert back["review_request_at"] == submitted["review_request_at"]  # never cleared
    [(flow, approvers)] = flows_of(session_factory, xid)
    assert (flow.status, flow.reason, flow.action_type) == (
        "changes_requested",
        "attach the receipt",
        "request_changes",
    )
    assert approvers[0].status == "changes_requested"
    [again] = submit(api, xid)
    assert again["status"] == "pending"
    assert again["review_request_at"] is not None
    flows = flows_of(session_factory, xid)
    assert [f.status for f, _ in flows] == ["changes_requested", "running"]
    assert approve(api, xid)["id"] == str(flows[1][0].id)
    assert api.post(f"{X}/request_changes", json={"id": xid}).status_code == 409


def test_request_changes_bad_input(api: ApiClient, tenant: Tenant) -> None:
    xid = new_claim(api, tenant)
    submit(api, xid)
    assert api.post(f"{X}/request_changes", json={"reason": "x"}).status_code == 422
    assert api.post(f"{X}/request_changes", json={"id": "zz"}).status_code == 422
    assert api.post(f"{X}/request_changes", json={"id": xid, "reason": "x" * 2001}).status_code == 422
    assert api.post(f"{X}/request_changes", json={"id": "99999999"}).status_code == 404
    assert expensable(api, xid)["status"] == "pending"


def test_submit_is_all_or_nothing(api: ApiClient, tenant: Tenant, session_factory) -> None:
    draft = new_claim(api, tenant)
    pending = new_claim(api, tenant, amount=10)
    submit(api, pending)
    before = counts(session_factory, tenant.company_id)
    r = api.post(f"{X}/submit", json={"ids": [draft, pending]})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_status_transition"
    assert pending in r.json()["message"]
    assert expensable(api, draft)["status"] == "draft"
    assert expensable(api, draft)["review_request_at"] is None
    assert counts(session_factory, tenant.company_id) == before  # no flow opened
    r = api.post(f"{X}/submit", json={"ids": [draft, "99999999"]})
    assert r.status_code == 404
    assert "99999999" in r.json()["message"]
    assert expensable(api, draft)["status"] == "draft"
    for body in ({"ids": []}, {"ids": "1"}, {"ids": ["a"]}, {}, {"ids": [str(i + 1) for i in range(101)]}):
        assert api.post(f"{X}/submit", json=body).status_code == 422, body
    r = api.http.post(
        api.url(f"{X}/submit"), content=b"{", headers={**api.headers, "content-type": "application/json"}
    )
    assert r.status_code == 400
    # several kinds at once, in request order, duplicates collapsed
    m = create_mileage(api, tenant)["expenses_expensable_id"]
    p = create_per_diem(api, tenant)["expenses_expensable_id"]
    items = submit(api, p, draft, m, p)
    assert [i["id"] for i in items] == [p, draft, m]
    assert {i["status"] for i in items} == {"pending"}


# ---- illegal transitions --------------------------------------------------------------------------


def _at_status(api: ApiClient, tenant: Tenant, session_factory, status: str) -> str:
    xid = new_claim(api, tenant, amount=100 + len(status))
    if status == "draft":
        return xid
    submit(api, xid)
    if status == "pending":
        return xid
    if status == "changes_requested":
        assert api.post(f"{X}/request_changes", json={"id": xid}).status_code == 200
    elif status == "rejected":
        assert decide(api, "reject", xid).status_code == 200
    else:
        approve(api, xid)
        if status != "approved":
            set_status(session_factory, int(xid), status)
    return xid


ILLEGAL = [
    ("approve", "draft"),
    ("approve", "approved"),
    ("approve", "changes_requested"),
    ("approve", "paid"),
    ("reject", "draft"),
    ("reject", "approved"),
    ("reject", "rejected"),
    ("request_changes", "draft"),
    ("request_changes", "approved"),
    ("submit", "pending"),
    ("submit", "approved"),
    ("submit", "rejected"),
    ("submit", "paid"),
    ("pay", "draft"),
    ("pay", "pending"),
    ("pay", "rejected"),
    ("pay", "reversed"),
    ("pay", "paid"),
    ("delete", "pending"),
    ("delete", "changes_requested"),
    ("delete", "approved"),
    ("edit", "pending"),
    ("edit", "approved"),
    ("edit", "paid"),
]


def _attempt(api: ApiClient, action: str, xid: str) -> Any:
    if action in ("approve", "reject"):
        return decide(api, action, xid)
    if action == "request_changes":
        return api.post(f"{X}/request_changes", json={"id": xid})
    if action == "submit":
        return api.post(f"{X}/submit", json={"ids": [xid]})
    if action == "pay":
        return api.post(f"{X}/bulk_set_to_paid", json={"ids": [xid]})
    if action == "delete":
        return api.delete(f"{X}/{xid}")
    expense_id = expensable(api, xid)["expense_id"]
    return api.put(f"expenses/expenses/{expense_id}", json={"description": "edited"})


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_transitions_are_409_and_change_nothing(
    api: ApiClient, tenant: Tenant, session_factory, action: str, status: str
) -> None:
    if status == "paid":
        xid = _at_status(api, tenant, session_factory, "approved")
        assert api.post(f"{X}/bulk_set_to_paid", json={"ids": [xid]}).status_code == 200
    else:
        xid = _at_status(api, tenant, session_factory, status)
    before = expensable(api, xid)
    before_expense = api.get(f"expenses/expenses/{before['expense_id']}").json()
    before_counts = counts(session_factory, tenant.company_id)
    r = _attempt(api, action, xid)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "invalid_status_transition"
    assert expensable(api, xid) == before
    assert api.get(f"expenses/expenses/{before['expense_id']}").json() == before_expense
    assert counts(session_factory, tenant.company_id) == before_counts


# ---- paying ------------------------------------------------------------------------------------------


def test_bulk_set_to_paid(api: ApiClient, tenant: Tenant, session_factory) -> None:
    ids = [_at_status(api, tenant, session_factory, s) for s in ("approved", "in_payroll", "sent_to_pay")]
    r = api.post(f"{X}/bulk_set_to_paid", json={"ids": ids})
    assert r.status_code == 200, r.text
    items = r.json()
    assert isinstance(items, list)
    assert [i["id"] for i in items] == ids
    for item in items:
        assert item["status"] == "paid"
        assert item["paid_at"] is not None
        assert item["status_updated_at"] == item["paid_at"]
    expense = api.get(f"expenses/expenses/{items[0]['expense_id']}").json()
    assert expense["status"] == "paid"
    assert expense["paid_at"] == items[0]["paid_at"]


def test_bulk_set_to_paid_is_all_or_nothing(api: ApiClient, tenant: Tenant, session_factory) -> None:
    ok = _at_status(api, tenant, session_factory, "approved")
    pending = _at_status(api, tenant, session_factory, "pending")
    r = api.post(f"{X}/bulk_set_to_paid", json={"ids": [ok, pending]})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_status_transition"
    assert pending in r.json()["message"]
    assert expensable(api, ok)["status"] == "approved"
    assert expensable(api, ok)["paid_at"] is None
    r = api.post(f"{X}/bulk_set_to_paid", json={"ids": [ok, "99999999"]})
    assert r.status_code == 404
    assert "99999999" in r.json()["message"]
    assert expensable(api, ok)["status"] == "approved"
    for body in ({"ids": []}, {"ids": [str(i + 1) for i in range(101)]}, {"ids": [True]}, {"id": ok}):
        assert api.post(f"{X}/bulk_set_to_paid", json=body).status_code == 422, body
    r = api.http.post(
        api.url(f"{X}/bulk_set_to_paid"),
        content=b"ids",
        headers={**api.headers, "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert expensable(api, ok)["status"] == "approved"


def test_update_reimbursable_amount(api: ApiClient, tenant: Tenant, session_factory) -> None:
    path = f"{X}/update_reimbursable_amount"
    xid = new_claim(api, tenant)  # amount 1250
    r = api.post(path, json={"id": xid, "reimbursable_amount": 1000})
    assert r.status_code == 200, r.text
    assert r.json()["reimbursable_amount"] == 1000
    assert r.json()["id"] == xid
    assert api.post(path, json={"id": xid, "reimbursable_amount": 0}).json()["reimbursable_amount"] == 0
    assert api.post(path, json={"id": xid, "reimbursable_amount": 1250}).status_code == 200
    for bad in (1251, -1, "10", 10.5, None):
        r = api.post(path, json={"id": xid, "reimbursable_amount": bad})
        assert r.status_code == 422, bad
        assert "reimbursable_amount" in r.json()["errors"]
    assert (
        api.post(path, json={"id": xid, "reimbursable_amount": 1251}).json()["code"]
        == "invalid_reimbursable_amount"
    )
    assert api.post(path, json={"reimbursable_amount": 5}).status_code == 422
    assert api.post(path, json={"id": "99999999", "reimbursable_amount": 5}).status_code == 404
    assert expensable(api, xid)["reimbursable_amount"] == 1250
    # still allowed while pending / approved, refused once paid
    submit(api, xid)
    approve(api, xid)
    assert api.post(path, json={"id": xid, "reimbursable_amount": 900}).status_code == 200
    api.post(f"{X}/bulk_set_to_paid", json={"ids": [xid]})
    r = api.post(path, json={"id": xid, "reimbursable_amount": 800})
    assert r.status_code == 409
    assert r.json()["code"] == "already_paid"
    assert expensable(api, xid)["reimbursable_amount"] == 900


def test_update_reimbursable_amount_only_for_reimbursable_expenses(api: ApiClient, tenant: Tenant) -> None:
    path = f"{X}/update_reimbursable_amount"
    for xid in (
        create_mileage(api, tenant)["expenses_expensable_id"],
        create_per_diem(api, tenant)["expenses_expensable_id"],
        new_claim(api, tenant, payment="not_reimbursable"),
    ):
        before = expensable(api, xid)
        r = api.post(path, json={"id": xid, "reimbursable_amount": 0})
        assert r.status_code == 409
        assert r.json()["code"] == "reimbursable_amount_not_supported"
        assert expensable(api, xid) == before


# ---- delete ---------------------------------------------------------------------------------------------


def test_delete_draft(api: ApiClient, tenant: Tenant, session_factory) -> None:
    e = create_expense(api, tenant, taxes=[{"percentage": 0.21}])
    xid = e["expenses_expensable_id"]
    before = counts(session_factory, tenant.company_id)
    shown = expensable(api, xid)
    r = api.delete(f"{X}/{xid}")
    assert r.status_code == 200
    assert r.json() == shown
    assert api.get(f"{X}/{xid}").status_code == 404
    assert api.get(f"expenses/expenses/{e['id']}").status_code == 404
    assert counts(session_factory, tenant.company_id) == (before[0] - 1, before[1] - 1, *before[2:])
    assert api.delete(f"{X}/{xid}").status_code == 404
    for kind in (create_mileage, create_per_diem):
        obj = kind(api, tenant)
        assert api.delete(f"{X}/{obj['expenses_expensable_id']}").status_code == 200
    assert api.get("expenses/mileages").json()["data"] == []
    assert api.get("expenses/per_diems").json()["data"] == []
    assert api.delete(f"{X}/abc").status_code == 404
