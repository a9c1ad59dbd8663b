"""The wire shapes of approval flows (``approvals/materialized_approvals_flows``) and of their actions."""

from __future__ import annotations

from typing import Annotated, Literal, cast

from pydantic import Field

from expensehub.expenses.schemas.bodies import Body
from expensehub.kit.clock import format_ts
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models import ApprovalFlow, ApprovalFlowApprover

ApproverStatus = Literal[
    "approved",
    "changes_requested",
    "ignored",
    "pending",
    "rejected",
    "requestedinformation",
    "stopped",
    "waiting_changes",
]
FlowStatus = Literal[
    "approved", "changes_requested", "rejected", "requestedinformation", "running", "stopped"
]


class ApproverOut(TypedDict):
    """An approver of the flow's step."""

    id: Annotated[IdOut, Field(description="Approver id")]
    materialized_approval_step_id: Annotated[
        IdOut, Field(description="Step id. Flows have a single step, whose id is the flow's id")
    ]
    approval_step_approver_id: Annotated[
        IdOut, Field(description="Id of the approver rule; the approver's id")
    ]
    status: Annotated[ApproverStatus, Field(description="What this approver decided")]
    updated_at: Annotated[str, Field(description="Time of the approver's last change")]
    access_id: Annotated[
        IdOut | None, Field(description="Access of the approver; null when the company approves")
    ]
    employee_id: Annotated[
        IdOut | None, Field(description="Employee approver; null when the company approves")
    ]
    selection_criteria: Annotated[
        str | None,
        Field(description="Why this approver: `manager` (the owner's manager) or `company` (no manager)"),
    ]


class ApprovalFlowOut(TypedDict):
    """An approval flow materialised for a claim (Factorial's ApprovalsMaterializedApprovalsFlow)."""

    id: Annotated[IdOut, Field(description="Flow id")]
    # Null when the employee has no access (a flow for an owner without a login): documented as nullable.
    author_id: Annotated[IdOut | None, Field(description="Access id of who submitted the claim")]
    owner_id: Annotated[IdOut | None, Field(description="Access id of the claim's owner (the spender)")]
    resource_type: Annotated[str, Field(description="`Expenses::Expensable`")]
    resource_id: Annotated[IdOut, Field(description="Expensable id")]
    resource_url: Annotated[str, Field(description="API path of the expensable")]
    status: Annotated[FlowStatus, Field(description="State of the flow")]
    expires_at: Annotated[str, Field(description="When the flow lapses (30 days after submission)")]
    approval_flow_id: Annotated[
        IdOut, Field(description="Template flow id; flows are not templated here, so the flow's id")
    ]
    approvers: Annotated[list[ApproverOut], Field(description="Approvers of the step")]
    email_detail_blocks: Annotated[list[str], Field(description="E-mail detail blocks; always empty")]
    author_employee_id: Annotated[IdOut | None, Field(description="Employee id of the author")]
    owner_employee_id: Annotated[IdOut | None, Field(description="Employee id of the owner")]
    final_decision_at: Annotated[str | None, Field(description="When the flow was decided")]
    override_approver_id: Annotated[
        IdOut | None, Field(description="Overriding approver's access id; always null")
    ]
    override_approver_employee_id: Annotated[
        IdOut | None, Field(description="Overriding approver's employee id")
    ]
    rules_decision: Annotated[str | None, Field(description="Automatic rules decision; always null")]
    auto_approval_description: Annotated[
        str | None, Field(description="Auto-approval explanation; always null")
    ]
    action_type: Annotated[
        str | None, Field(description="Last action: `approve`, `reject` or `request_changes`")
    ]
    reason: Annotated[str | None, Field(description="Reason given with the last action")]


def approval_flow_out(
    flow: ApprovalFlow, approvers: list[ApprovalFlowApprover], resource_url: str
) -> ApprovalFlowOut:
    return {
        "id": flow.id,
        "author_id": flow.author_access_id,
        "owner_id": flow.owner_access_id,
        "resource_type": flow.resource_type,
        "resource_id": flow.resource_id,
        "resource_url": resource_url,
        "status": cast(FlowStatus, flow.status),
        "expires_at": format_ts(flow.expires_at),
        "approval_flow_id": flow.id,
        "approvers": [
            {
                "id": a.id,
                "materialized_approval_step_id": flow.id,
                "approval_step_approver_id": a.id,
                "status": cast(ApproverStatus, a.status),
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
