"""SQL of sync links and runs. Every query is scoped by company and source."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from expensehub.models import Expense
from expensehub.models.sync import SyncLink, SyncRun


def open_run(session: Session, *, company_id: int, source: str) -> SyncRun | None:
    """The company's unfinished run of ``source`` (an interrupted sync), if any."""
    return session.scalars(
        select(SyncRun)
        .where(SyncRun.company_id == company_id, SyncRun.source == source, SyncRun.finished_at.is_(None))
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).first()


def links(
    session: Session, *, company_id: int, source: str, resource: str, remote_ids: Iterable[str]
) -> dict[str, SyncLink]:
    wanted = set(remote_ids)
    if not wanted:
        return {}
    rows = session.scalars(
        select(SyncLink).where(
            SyncLink.company_id == company_id,
            SyncLink.source == source,
            SyncLink.resource == resource,
            SyncLink.remote_id.in_(wanted),
        )
    )
    return {row.remote_id: row for row in rows}


def all_links(session: Session, *, company_id: int, source: str, resource: str) -> list[SyncLink]:
    return list(
        session.scalars(
            select(SyncLink)
            .where(
                SyncLink.company_id == company_id, SyncLink.source == source, SyncLink.resource == resource
            )
            .order_by(SyncLink.id)
        )
    )


def link_of_local(session: Session, *, company_id: int, resource: str, local_id: int) -> SyncLink | None:
    """The link that mirrors the local row ``local_id`` of ``resource`` from some source, if any."""
    return session.scalars(
        select(SyncLink)
        .where(
            SyncLink.company_id == company_id, SyncLink.resource == resource, SyncLink.local_id == local_id
        )
        .limit(1)
    ).first()


def mirrored_claim(
    session: Session, *, company_id: int, expensable_ids: Iterable[int]
) -> tuple[int, str] | None:
    """The lowest of the claims (expensable ids) whose expense is a mirror, and its source, if any."""
    wanted = set(expensable_ids)
    if not wanted:
        return None
    row = session.execute(
        select(Expense.expensable_id, SyncLink.source)
        .join(SyncLink, (SyncLink.local_id == Expense.id) & (SyncLink.resource == "expenses/expenses"))
        .where(
            SyncLink.company_id == company_id,
            Expense.company_id == company_id,
            Expense.expensable_id.in_(wanted),
        )
        .order_by(Expense.expensable_id)
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None
