"""Duplicate detection: an expense that looks like an earlier one of the same employee."""

from __future__ import annotations

from sqlalchemy.orm import Session

from expensehub.expenses import repository, rules
from expensehub.expenses.service.plans import Plan


def find_duplicate(session: Session, company_id: int, plan: Plan) -> int | None:
    h, d = plan.header, plan.detail
    key = rules.merchant_key(d.get("user_merchant"), d.get("merchant_name"))
    for expensable_id, user_merchant, merchant_name in repository.duplicate_candidates(
        session,
        company_id=company_id,
        employee_id=h["employee_id"],
        effective_on=h["effective_on"],
        amount=h["amount"],
        currency=h["currency"],
    ):
        if rules.merchant_key(user_merchant, merchant_name) == key:
            return expensable_id
    return None
