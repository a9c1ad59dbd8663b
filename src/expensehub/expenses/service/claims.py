"""What every change of a claim shares: who acts, the locking read, the status machine's checks
(``rules.py``), status stamps, webhook events and the views handed back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal, TypedDict

from sqlalchemy.orm import Session

from expensehub.db.resources import get_scoped
from expensehub.errors import InvalidState, NotFound
from expensehub.expenses import repository, resources, rules, schemas
from expensehub.models import ApprovalFlow, ApprovalFlowApprover, Expensable
from expensehub.webhooks import service as webhooks

Kind = Literal["expense", "mileage", "perdiem"]
Decision = Literal["approve", "reject", "request_changes"]


@dataclass(frozen=True)
class Actor:
    """Who performs a write: the caller's access and employee (both ``None`` for company API keys)."""

    access_id: int | None = None
    employee_id: int | None = None


def lock_all(session: Session, company_id: int, ids: Iterable[int]) -> list[Expensable]:
    """The expensables in request order (duplicates removed); 404 naming the first unknown id."""
    ordered = list(dict.fromkeys(ids))
    found = repository.lock_expensables(session, company_id=company_id, ids=ordered)
    for expensable_id in ordered:
        if expensable_id not in found:
            raise NotFound(f"expensable {expensable_id} not found")
    return [found[i] for i in ordered]


def lock_one(session: Session, company_id: int, expensable_id: int) -> Expensable:
    return lock_all(session, company_id, [expensable_id])[0]


class Approver(TypedDict):
    """Who decides the one step of a new approval flow."""

    employee_id: int | None
    access_id: int | None
    selection_criteria: str


COMPANY_APPROVER: Approver = {"employee_id": None, "access_id": None, "selection_criteria": "company"}
"""The company decides (the owner has no manager, or the claim never went through submit)."""


def open_flow(
    session: Session,
    company_id: int,
    x: Expensable,
    *,
    author_access_id: int | None,
    author_employee_id: int | None,
    owner_access_id: int | None,
    approver: Approver,
    now: datetime,
) -> ApprovalFlow:
    """A running approval flow of the claim, with its one step pending on ``approver``."""
    flow = repository.add(
        session,
        ApprovalFlow(
            company_id=company_id,
            resource_type=rules.APPROVAL_RESOURCE_TYPE,
            resource_id=x.id,
            author_access_id=author_access_id,
            author_employee_id=author_employee_id,
            owner_access_id=owner_access_id,
            owner_employee_id=x.employee_id,
            status="running",
            created_at=now,
            expires_at=now + rules.APPROVAL_TTL,
        ),
    )
    session.add(ApprovalFlowApprover(flow_id=flow.id, step=1, status="pending", updated_at=now, **approver))
    return flow


class ClaimState(TypedDict):
    """The ``details`` of a 409 about a claim."""

    resource: str
    id: int
    status: str


def current_state(x: Expensable) -> ClaimState:
    """The claim's state, for the ``details`` of a 409."""
    return {"resource": "expensable", "id": x.id, "status": x.status}


def transition(x: Expensable, action: str, *, subject: str | None = None) -> str:
    """The status after ``action``; 409 ``invalid_status_transition`` with the claim's current state.

    ``x`` must come from a locking read (``lock_all``): a request that lost a race to change the same
    claim reads it after the winner committed and is refused here, as a later request would be.
    """
    try:
        return rules.transition(x.status, action, subject=subject or f"expensable {x.id}")
    except InvalidState as exc:
        exc.details = current_state(x)
        raise


def check_all(items: Sequence[Expensable], action: str) -> list[str]:
    """The new status of each item; raises on the first illegal one before anything changes."""
    return [transition(x, action) for x in items]


def set_status(x: Expensable, status: str, now: datetime) -> None:
    x.status = status
    x.status_updated_at = now
    x.updated_at = now


def emit(
    session: Session, company_id: int, event: str, items: Sequence[Expensable], author: webhooks.Author
) -> None:
    """Queue one webhook event per claim (payload: the expensable, built only if someone listens)."""
    webhooks.emit_many(
        session,
        company_id=company_id,
        event_type=f"expenses/expensable/{event}",
        payloads=[partial(_one_view, session, company_id, x.id) for x in items],
        author=author,
    )


def _one_view(session: Session, company_id: int, expensable_id: int) -> schemas.ExpensableOut:
    return get_scoped(session, resources.EXPENSABLES, company_id=company_id, item_id=expensable_id)


def views_in_order(
    session: Session, company_id: int, items: Sequence[Expensable]
) -> list[schemas.ExpensableOut]:
    views = resources.expensable_views(session, company_id=company_id, ids=[x.id for x in items])
    return [views[x.id] for x in items]
