"""Approval flows: deciding the pending step of a claim's flow (approve, reject, request changes)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from expensehub.errors import ValidationFailed
from expensehub.expenses import repository, rules, schemas
from expensehub.expenses.service.claims import (
    COMPANY_APPROVER,
    Decision,
    emit,
    lock_one,
    open_flow,
    set_status,
    transition,
)
from expensehub.kit.clock import utcnow
from expensehub.models import ApprovalFlow, ApprovalFlowApprover, Expensable
from expensehub.webhooks import service as webhooks

_FLOW_STATUS = {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested"}


def decide(
    session: Session, *, company_id: int, x: Expensable, decision: Decision, reason: str | None
) -> tuple[ApprovalFlow, list[ApprovalFlowApprover]]:
    target = transition(x, decision)
    now = utcnow()
    flow = repository.latest_flow(
        session, company_id=company_id, resource_type=rules.APPROVAL_RESOURCE_TYPE, resource_id=x.id
    )
    if flow is None or flow.status != "running":
        # A pending claim that never went through submit (e.g. imported): open its flow now.
        owner = repository.get_employee(session, company_id=company_id, employee_id=x.employee_id)
        flow = open_flow(
            session,
            company_id,
            x,
            author_access_id=owner.access_id if owner else None,
            author_employee_id=x.employee_id,
            owner_access_id=owner.access_id if owner else None,
            approver=COMPANY_APPROVER,
            now=now,
        )
        session.flush()
    approvers = repository.approvers_of(session, flow.id)
    outcome = _FLOW_STATUS[decision]
    flow.status = outcome
    flow.action_type = decision
    flow.reason = reason
    flow.final_decision_at = now
    for approver in approvers:
        if approver.status == "pending":
            approver.status = outcome
            approver.updated_at = now
    set_status(x, target, now)
    if decision == "approve":
        x.approved_at = now
    session.flush()
    return flow, approvers


def decide_resource(
    session: Session,
    *,
    company_id: int,
    resource_type: str,
    resource_id: int,
    decision: Literal["approve", "reject"],
    reason: str | None,
    api_base: str,
    author: webhooks.Author,
) -> schemas.ApprovalFlowOut:
    """Approve or reject a pending claim through its approval flow; returns the flow."""
    canonical = rules.approval_resource_type(resource_type)
    if canonical is None:
        raise ValidationFailed(
            "unsupported resource type",
            fields={"resource_type": [f"must be {rules.APPROVAL_RESOURCE_TYPE} (got {resource_type!r})"]},
            code="unsupported_resource_type",
        )
    x = lock_one(session, company_id, resource_id)
    flow, approvers = decide(session, company_id=company_id, x=x, decision=decision, reason=reason)
    emit(session, company_id, decision, [x], author)
    return schemas.approval_flow_out(flow, approvers, f"{api_base}/expenses/expensables/{x.id}")
