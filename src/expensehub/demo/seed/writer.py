"""Writing planned claims: ORM bulk INSERTs of the expensables and their dependent rows (expense,
mileage and per diem details, VAT lines, per diem rates, cost-centre shares, approval flows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from expensehub.allowances import rules as allowance_rules
from expensehub.allowances import service as allowance_service
from expensehub.demo.seed.state import Claim, Demo
from expensehub.models import (
    ApprovalFlow,
    ApprovalFlowApprover,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    Mileage,
    PerDiem,
)
from expensehub.models.allowances import PerDiemRate


def write(demo: Demo, chunk: list[Claim]) -> None:
    """Insert ``chunk`` (in order: ids grow with it) and everything that hangs off each claim."""
    s = demo.s
    ids = s.scalars(
        insert(Expensable).returning(Expensable.id, sort_by_parameter_order=True), [c.row for c in chunk]
    ).all()
    for claim, new_id in zip(chunk, ids, strict=True):
        claim.id = new_id
    expenses = [c for c in chunk if c.type == "expense"]
    if expenses:
        rows = [dict(c.detail, expensable_id=c.id) for c in expenses]
        expense_ids = s.scalars(
            insert(Expense).returning(Expense.id, sort_by_parameter_order=True), rows
        ).all()
        for claim, expense_id in zip(expenses, expense_ids, strict=True):
            claim.detail_id = expense_id
        taxes = [
            dict(t, expense_id=expense_id)
            for c, expense_id in zip(expenses, expense_ids, strict=True)
            for t in c.taxes
        ]
        if taxes:
            s.execute(insert(ExpenseTax), taxes)
    mileages = [dict(c.detail, expensable_id=c.id) for c in chunk if c.type == "mileage"]
    if mileages:
        s.execute(insert(Mileage), mileages)
    per_diems = [c for c in chunk if c.type == "perdiem"]
    if per_diems:
        per_diem_ids = s.scalars(
            insert(PerDiem).returning(PerDiem.id, sort_by_parameter_order=True),
            [dict(c.detail, expensable_id=c.id) for c in per_diems],
        ).all()
        rates = [
            {
                "company_id": demo.company_id,
                "per_diem_id": per_diem_id,
                "rate_configuration_id": _rate_configuration(demo, use.key, c.row["created_at"]),
                "total_days": use.days,
                "total_amount": use.amount,
            }
            for c, per_diem_id in zip(per_diems, per_diem_ids, strict=True)
            for use in c.rate_uses
        ]
        if rates:
            s.execute(insert(PerDiemRate), rates)
    shares = [
        {"expensable_id": c.id, "cost_center_id": cc, "percentage": share, "position": position}
        for c in chunk
        for position, (cc, share) in enumerate(c.shares)
    ]
    if shares:
        s.execute(insert(ExpensableCostCenter), shares)
    flows = [(flow, approvers, c) for c in chunk for flow, approvers in c.flows]
    if flows:
        flow_ids = s.scalars(
            insert(ApprovalFlow).returning(ApprovalFlow.id, sort_by_parameter_order=True),
            [dict(flow, resource_id=c.id) for flow, _, c in flows],
        ).all()
        approver_rows = [
            dict(a, flow_id=flow_id)
            for (_, approvers, _), flow_id in zip(flows, flow_ids, strict=True)
            for a in approvers
        ]
        if approver_rows:
            s.execute(insert(ApprovalFlowApprover), approver_rows)
    s.flush()


def _rate_configuration(demo: Demo, key: allowance_rules.RateKey, now: datetime) -> int:
    """The company's configuration for ``key``, created the first time a per diem uses it."""
    short = (key.table_id, key.destination_key, key.day_kind, key.amount)
    if short not in demo.rate_configurations:
        ids = allowance_service.rate_configuration_ids(
            demo.s, company_id=demo.company_id, keys=[key], now=now
        )
        demo.rate_configurations[short] = ids[short]
    return demo.rate_configurations[short]
