"""Status changes of expensables: submit, request changes, mark paid, change the reimbursable
amount, delete a draft. All or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from expensehub.errors import InvalidState, ValidationFailed
from expensehub.expenses import repository, rules, schemas
from expensehub.expenses.service.approvals import decide
from expensehub.expenses.service.claims import (
    COMPANY_APPROVER,
    Actor,
    Approver,
    check_all,
    current_state,
    emit,
    lock_all,
    lock_one,
    open_flow,
    set_status,
    transition,
    views_in_order,
)
from expensehub.kit.clock import utcnow
from expensehub.webhooks import service as webhooks


def submit(
    session: Session, *, company_id: int, ids: Sequence[int], actor: Actor, author: webhooks.Author
) -> list[schemas.ExpensableOut]:
    """Send drafts (or claims sent back for changes) for approval; all or nothing.

    Each submission opens an approval flow with one step whose approver is the owner's manager, or the
    company when the owner has none.
    """
    items = lock_all(session, company_id, ids)
    targets = check_all(items, "submit")
    people = repository.employees_by_id(
        session,
        company_id=company_id,
        ids={x.employee_id for x in items} | {x.reporter_id for x in items if x.reporter_id},
    )
    managers = repository.employees_by_id(
        session, company_id=company_id, ids={e.manager_id for e in people.values() if e.manager_id}
    )
    now = utcnow()
    for x, target in zip(items, targets, strict=True):
        set_status(x, target, now)
        x.review_request_at = now
        owner = people.get(x.employee_id)
        claimant = people.get(x.reporter_id) if x.reporter_id else owner
        manager = managers.get(owner.manager_id) if owner and owner.manager_id else None
        approver: Approver = COMPANY_APPROVER
        if manager is not None and manager.id != x.employee_id:
            approver = {
                "employee_id": manager.id,
                "access_id": manager.access_id,
                "selection_criteria": "manager",
            }
        open_flow(
            session,
            company_id,
            x,
            author_access_id=actor.access_id or (claimant.access_id if claimant else None),
            author_employee_id=actor.employee_id or (claimant.id if claimant else None),
            owner_access_id=owner.access_id if owner else None,
            approver=approver,
            now=now,
        )
    session.flush()
    emit(session, company_id, "submit", items, author)
    return views_in_order(session, company_id, items)


def request_changes(
    session: Session, *, company_id: int, expensable_id: int, reason: str | None
) -> schemas.ExpensableOut:
    """Send a pending claim back to its owner; it can be edited and submitted again."""
    x = lock_one(session, company_id, expensable_id)
    decide(session, company_id=company_id, x=x, decision="request_changes", reason=reason)
    return views_in_order(session, company_id, [x])[0]


def bulk_set_to_paid(
    session: Session, *, company_id: int, ids: Sequence[int], author: webhooks.Author
) -> list[schemas.ExpensableOut]:
    """Mark approved (or in payroll, or sent to pay) claims as paid; all or nothing."""
    items = lock_all(session, company_id, ids)
    targets = check_all(items, "pay")
    now = utcnow()
    for x, target in zip(items, targets, strict=True):
        set_status(x, target, now)
        x.paid_at = now
    session.flush()
    emit(session, company_id, "bulk_set_to_paid", items, author)
    return views_in_order(session, company_id, items)


def update_reimbursable_amount(
    session: Session,
    *,
    company_id: int,
    expensable_id: int,
    reimbursable_amount: int,
    author: webhooks.Author,
) -> schemas.ExpensableOut:
    """Change what is owed back on a reimbursable expense, up to its amount, until it is paid.

    Sending the amount it already has changes nothing and writes no event (it still answers 200).
    """
    x = lock_one(session, company_id, expensable_id)
    if x.type != "expense" or x.payment != "reimbursable":
        raise InvalidState(
            f"expensable {x.id} is a {x.type} with payment {x.payment}; only reimbursable expenses "
            "have a reimbursable amount to change",
            code="reimbursable_amount_not_supported",
        )
    if x.status == "paid":
        raise InvalidState(
            f"expensable {x.id} is already paid", code="already_paid", details=current_state(x)
        )
    problem = rules.reimbursable_problem(x.amount or 0, reimbursable_amount, x.payment)
    if problem:
        raise ValidationFailed(
            "invalid reimbursable amount",
            fields={"reimbursable_amount": [problem]},
            code="invalid_reimbursable_amount",
        )
    if x.reimbursable_amount == reimbursable_amount and x.reimbursable_currency == x.currency:
        # Already so (a retry, or a request that raced an identical one): nothing changes, no event.
        return views_in_order(session, company_id, [x])[0]
    x.reimbursable_amount = reimbursable_amount
    x.reimbursable_currency = x.currency
    x.updated_at = utcnow()
    session.flush()
    emit(session, company_id, "update_reimbursable_amount", [x], author)
    return views_in_order(session, company_id, [x])[0]


def delete_expensable(session: Session, *, company_id: int, expensable_id: int) -> schemas.ExpensableOut:
    """Delete a draft (with its detail); returns it as it was."""
    x = lock_one(session, company_id, expensable_id)
    transition(x, "delete")
    view = views_in_order(session, company_id, [x])[0]
    repository.delete_expensable(session, company_id=company_id, expensable_id=x.id)
    session.expunge(x)
    return view
