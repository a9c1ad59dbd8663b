"""The wire shapes of approval flows (``approvals/materialized_approvals_flows``) and of their actions."""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import BaseModel, Field

from expensehub.expenses.schemas.bodies import Body
from expensehub.kit.clock import format_ts
from expensehub.kit.ids import IdIn
from expensehub.models import ApprovalFlow, ApprovalFlowApprover


class ApproverOut(BaseModel):
    """An approver of the flow's step."""

    id: str = Field(description="Approver id")
    materialized_approval_step_id: str = Field(
        description="Step id. Flows have a single step, whose id is the flow's id"
    )
    approval_step_approver_id: str = Field(description="Id of the approver rule; the approver's id")
    status: Literal[
        "approved",
        "changes_requested",
        "ignored",
        "pending",
        "rejected",
        "requestedinformation",
        "stopped",
        "waiting_changes",
    ] = Field(description="What this approver decided")
    updated_at: str = Field(description="Time of the approver's last change")
    access_id: str | None = Field(None, description="Access of the approver; null when the company approves")
    employee_id: str | None = Field(None, description="Employee approver; null when the company approves")
    selection_criteria: str | None = Field(
        None, description="Why this approver: `manager` (the owner's manager) or `company` (no manager)"
    )


class ApprovalFlowOut(BaseModel):
    """An approval flow materialised for a claim (Factorial's ApprovalsMaterializedApprovalsFlow)."""

    id: str = Field(description="Flow id")
    author_id: str = Field(description="Access id of who submitted the claim")
    owner_id: str = Field(description="Access id of the claim's owner (the spender)")
    resource_type: str = Field(description="`Expenses::Expensable`")
    resource_id: str = Field(description="Expensable id")
    resource_url: str = Field(description="API path of the expensable")
    status: Literal[
        "approved", "changes_requested", "rejected", "requestedinformation", "running", "stopped"
    ] = Field(description="State of the flow")
    expires_at: str = Field(description="When the flow lapses (30 days after submission)")
    approval_flow_id: str = Field(
        description="Template flow id; flows are not templated here, so the flow's id"
    )
    approvers: list[ApproverOut] = Field(description="Approvers of the step")
    email_detail_blocks: list[str] = Field(description="E-mail detail blocks; always empty")
    author_employee_id: str | None = Field(None, description="Employee id of the author")
    owner_employee_id: str | None = Field(None, description="Employee id of the owner")
    final_decision_at: str | None = Field(None, description="When the flow was decided")
    override_approver_id: str | None = Field(None, description="Overriding approver's access id; always null")
    override_approver_employee_id: str | None = Field(None, description="Overriding approver's employee id")
    rules_decision: str | None = Field(None, description="Automatic rules decision; always null")
    auto_approval_description: str | None = Field(None, description="Auto-approval explanation; always null")
    action_type: str | None = Field(None, description="Last action: `approve`, `reject` or `request_changes`")
    reason: str | None = Field(None, description="Reason given with the last action")


class ApproverView(TypedDict):
    """An approver of a flow's step (``ApproverOut``)."""

    id: int
    materialized_approval_step_id: int
    approval_step_approver_id: int
    status: str
    updated_at: str | None
    access_id: int | None
    employee_id: int | None
    selection_criteria: str | None


class ApprovalFlowView(TypedDict):
    """An approval flow as the routers render it (``ApprovalFlowOut``)."""

    id: int
    author_id: int | None
    owner_id: int | None
    resource_type: str
    resource_id: int
    resource_url: str
    status: str
    expires_at: str | None
    approval_flow_id: int
    approvers: list[ApproverView]
    email_detail_blocks: list[str]
    author_employee_id: int | None
    owner_employee_id: int | None
    final_decision_at: str | None
    override_approver_id: None
    override_approver_employee_id: None
    rules_decision: None
    auto_approval_description: None
    action_type: str | None
    reason: str | None


def approval_flow_out(
    flow: ApprovalFlow, approvers: list[ApprovalFlowApprover], resource_url: str
) -> ApprovalFlowView:
    return {
        "id": flow.id,
        "author_id": flow.author_access_id,
        "owner_id": flow.owner_access_id,
        "resource_type": flow.resource_type,
        "resource_id": flow.resource_id,
        "resource_url": resource_url,
        "status": flow.status,
        "expires_at": format_ts(flow.expires_at),
        "approval_flow_id": flow.id,
        "approvers": [
            {
                "id": a.id,
                "materialized_approval_step_id": flow.id,
                "approval_step_approver_id": a.id,
                "status": a.status,
                "updated_at": format_ts(a.updated_at),
                "access_id": a.access_id,
                "employee_id": a.employee_id,
                "selection_criteria": a.selection_criteria,
            }
            for a in approvers
        ],
        "email_detail_blocks": [],
        "author_employee_id": flow.author_employee_id,
        "owner_employee_id": flow.owner_employee_id,
        "final_decision_at": format_ts(flow.final_decision_at),
        "override_approver_id": None,
        "override_approver_employee_id": None,
        "rules_decision": None,
        "auto_approval_description": None,
        "action_type": flow.action_type,
        "reason": flow.reason,
    }


class ApprovalActionBody(Body):
    """Body of ``approve_resource`` / ``reject_resource``."""

    resource_type: str = Field(
        max_length=64,
        description="`Expenses::Expensable` (Factorial's name); `expenses/expensable` and `expensable` "
        "also work",
    )
    resource_id: IdIn = Field(description="Expensable id")
    reason: str | None = Field(None, max_length=2000, description="Reason for the decision")
