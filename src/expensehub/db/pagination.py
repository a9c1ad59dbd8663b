"""Keyset (cursor) and offset (page) pagination over any company-scoped SELECT.

Cursor mode never scans past the page: ``WHERE id > :after ORDER BY id LIMIT n+1`` on an index that
starts with (company_id, id), so page 10,000 costs what page 1 costs. Page mode (``page=N``) is an
OFFSET over the ids, then a join for the page's rows; its cost grows with depth, which is why cursor
mode is the default. ``total`` is a COUNT with the same filters (Factorial's meta requires it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from expensehub.kit.pagination import Page, PageRequest


def count(session: Session, stmt: Select[Any], params: Mapping[str, Any] | None = None) -> int:
    """Rows the filtered statement selects."""
    return int(session.scalar(stmt.with_only_columns(func.count()).order_by(None), params) or 0)


def paginate(
    session: Session,
    stmt: Select[Any],
    id_col: ColumnElement[int] | InstrumentedAttribute[int],
    req: PageRequest,
    id_of: Callable[[Any], int],
    params: Mapping[str, Any] | None = None,
) -> Page:
    """Run ``stmt`` (already filtered and company-scoped) for one page of ``req``.

    ``params`` binds the statement's named parameters (a resource's ``:company_id``)."""
    limit = req.limit
    total = count(session, stmt, params)
    if req.page is not None:
        # Deferred join: OFFSET over the ids alone, then load the page's rows. Otherwise the
        # database builds every skipped row in full (PostgreSQL evaluates the select list, including
        # correlated subqueries, for each of them).
        offset = (req.page - 1) * limit
        page_ids = stmt.with_only_columns(id_col).order_by(id_col).offset(offset).limit(limit).subquery()
        rows = list(
            session.execute(stmt.where(id_col.in_(select(page_ids.c[0]))).order_by(id_col), params).all()
        )
        return _page(rows, total, limit, offset + len(rows) < total, req.page > 1, id_of)

    if req.before_id is not None:
        rows = list(
            session.execute(
                stmt.where(id_col < req.before_id).order_by(id_col.desc()).limit(limit + 1), params
            ).all()
        )
        has_prev = len(rows) > limit
        rows = rows[:limit]
        rows.reverse()
        has_next = _exists(session, stmt.where(id_col >= req.before_id), id_col, params)
        return _page(rows, total, limit, has_next, has_prev, id_of)

    page_stmt = stmt if req.after_id is None else stmt.where(id_col > req.after_id)
    rows = list(session.execute(page_stmt.order_by(id_col).limit(limit + 1), params).all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    has_prev = req.after_id is not None and _exists(
        session, stmt.where(id_col <= req.after_id), id_col, params
    )
    return _page(rows, total, limit, has_next, has_prev, id_of)


def _exists(
    session: Session,
    stmt: Select[Any],
    id_col: ColumnElement[int] | InstrumentedAttribute[int],
    params: Mapping[str, Any] | None,
) -> bool:
    return session.execute(stmt.with_only_columns(id_col).order_by(None).limit(1), params).first() is not None


def _page(
    rows: list[Any], total: int, limit: int, has_next: bool, has_prev: bool, id_of: Callable[[Any], int]
) -> Page:
    return Page(
        rows=rows,
        total=total,
        limit=limit,
        has_next_page=has_next,
        has_previous_page=has_prev,
        first_id=id_of(rows[0]) if rows else None,
        last_id=id_of(rows[-1]) if rows else None,
    )
