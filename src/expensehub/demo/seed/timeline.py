"""Each claim's story: timestamps consistent with its status (created, submitted, decided, paid), how it
was reimbursed, and the approval flows that led there (manager, then finance above a threshold)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from expensehub.demo import data
from expensehub.demo.data import ANCHOR
from expensehub.demo.seed.state import Claim, Demo, Emp, at, days
from expensehub.expenses.rules import APPROVAL_RESOURCE_TYPE
from expensehub.kit.money import exponent

APPROVED_OR_LATER = frozenset({"approved", "reversed", "in_payroll", "sent_to_pay", "paid"})
FLOW_RESOURCE_TYPE = APPROVAL_RESOURCE_TYPE
_FLOW_ACTION = {"approved": "approve", "rejected": "reject", "changes_requested": "request_changes"}
# Claims above this (entity currency, major units) need a second approval by finance.
SECOND_APPROVAL_ABOVE = {"EUR": 500, "GBP": 450}


def timeline(demo: Demo, claim: Claim) -> None:
    """Timestamps consistent with the status, and the approval flows that led to it."""
    rng = demo.rng
    row = claim.row
    status = claim.status
    lag = rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 8]) if claim.detail.get("creation_type") != "automatic" else 0
    created = at(claim.effective_on + timedelta(days=lag), rng.uniform(7, 21))
    if claim.duplicate_of is not None:
        created = claim.duplicate_of.row["created_at"] + days(rng.uniform(1, 20))
    latest = ANCHOR - timedelta(minutes=10)
    if created > latest:
        created = latest - timedelta(minutes=rng.randint(0, 600))
    resubmitted = status in (APPROVED_OR_LATER | {"pending"}) and rng.random() < 0.08
    steps: dict[str, float] = {}
    if status != "draft":
        if resubmitted:
            steps["submit0"] = rng.uniform(0.1, 6)
            steps["decide0"] = rng.uniform(0.05, 3)
        steps["submit"] = rng.uniform(0.1, 10)
        if status != "pending":
            steps["decide"] = rng.uniform(0.05, 4)
        if status in ("reversed", "in_payroll", "sent_to_pay", "paid"):
            steps["after"] = rng.uniform(1, 25)
    room = (latest - created).total_seconds() / 86400
    total = sum(steps.values())
    if total > room:  # a claim from the last days: the same story, told faster
        squeeze = room * rng.uniform(0.4, 0.95) / total
        steps = {k: v * squeeze for k, v in steps.items()}
    t = created
    marks: dict[str, datetime] = {}
    for name, length in steps.items():
        t = t + days(length)
        marks[name] = t
    review = marks.get("submit")
    decision = marks.get("decide")
    approved = decision if status in APPROVED_OR_LATER else None
    final = marks.get("after", decision or review or created)
    row.update(
        created_at=created,
        review_request_at=review,
        approved_at=approved,
        paid_at=final if status == "paid" else None,
        status_updated_at=final,
        updated_at=final,
    )
    if row["payment"] == "reimbursable" and status in ("in_payroll", "sent_to_pay", "paid"):
        method = "payroll" if status == "in_payroll" or claim.emp.spec.key == "gb" else "sepa_transfer"
        row["reimbursement_method"] = method
        if method == "payroll":
            row["internal_reference"] = f"PAYROLL-{final:%Y-%m}"
        else:
            row["internal_reference"] = f"SEPA-{final:%Y%m%d}"
    if "submit0" in marks:
        claim.flows.append(
            _flow(
                demo,
                claim,
                marks["submit0"],
                marks["decide0"],
                "changes_requested",
                rng.choice(data.CHANGE_REQUESTS),
            )
        )
    if review is None:
        return
    if status == "pending":
        claim.flows.append(_flow(demo, claim, review, None, "running", None))
    elif status == "changes_requested":
        claim.flows.append(
            _flow(demo, claim, review, decision, "changes_requested", rng.choice(data.CHANGE_REQUESTS))
        )
    elif status == "rejected":
        reason = (
            data.DUPLICATE_REASON if claim.duplicate_of is not None else rng.choice(data.REJECTION_REASONS)
        )
        claim.flows.append(_flow(demo, claim, review, decision, "rejected", reason))
    else:
        claim.flows.append(_flow(demo, claim, review, decision, "approved", None))


def _flow(
    demo: Demo, claim: Claim, opened: datetime, decided: datetime | None, status: str, reason: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    emp = claim.emp
    reporter_id = claim.row["reporter_id"]
    author = emp if reporter_id is None or demo.office_manager is None else demo.office_manager
    flow = {
        "company_id": demo.company_id,
        "resource_type": FLOW_RESOURCE_TYPE,
        "resource_id": 0,
        "author_access_id": author.access_id,
        "author_employee_id": author.id,
        "owner_access_id": emp.access_id,
        "owner_employee_id": emp.id,
        "status": status,
        "action_type": _FLOW_ACTION.get(status),
        "reason": reason,
        "created_at": opened,
        "expires_at": opened + timedelta(days=30),
        "final_decision_at": decided,
    }
    first = demo.emps[emp.manager] if emp.manager is not None else demo.finance_approver
    if first is None or first is emp:
        first = next(e for e in demo.emps if e.is_manager and e is not emp)
    chain: list[tuple[Emp, str]] = [(first, "manager")]
    finance = demo.finance_approver
    threshold = SECOND_APPROVAL_ABOVE[emp.spec.currency] * 10 ** exponent(emp.spec.currency)
    if claim.le_amount > threshold and finance is not None and finance is not first and finance is not emp:
        chain.append((finance, "finance"))
    outcome = {"running": "pending", "approved": "approved"}.get(status, status)
    approvers = []
    early = None if decided is None else opened + (decided - opened) * 0.4
    for step, (who, criteria) in enumerate(chain, start=1):
        last = step == len(chain)
        if status == "running":
            done = step == 1 and len(chain) > 1 and demo.rng.random() < 0.4
            when = min(opened + timedelta(hours=3), ANCHOR) if done else opened
            state = "approved" if done else "pending"
        elif last:
            state, when = outcome, decided or opened
        else:
            state, when = "approved", early or opened
        approvers.append(
            {
                "step": step,
                "employee_id": who.id,
                "access_id": who.access_id,
                "selection_criteria": criteria,
                "status": state,
                "updated_at": when,
            }
        )
    return flow, approvers
