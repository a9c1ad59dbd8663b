"""One description per API resource, and the one list/get mechanism that serves every description.

A :class:`Resource` says, once, everything the generic code needs to list and get a resource:

- ``key`` (``namespace/resource``: the path, the version transforms' key) and ``noun`` (for 404s);
- ``select``: the company-scoped statement, built once at import with the company as the bound
  parameter ``:company_id``; every list and get of the resource runs it with the caller's company;
- ``id_column`` (the keyset and the order) and ``id_of`` (a row's id);
- ``filters``: one :class:`Filter` per query parameter (its wire name, type, OpenAPI text and predicate)
  plus ``combine`` for the rules that read several parameters at once;
- ``view``: the builder turning a page of rows into the typed views the router renders;
- ``out``, the Pydantic model documenting one view, the OpenAPI tag and the texts of the list and
  the get;
- ``versions``: the API versions that serve it (all, unless restricted).

:func:`list_page` and :func:`get_scoped` are the only list and get code. Statements are built once:
per request only the active filters' ``WHERE`` terms are added (a generative copy of the prebuilt
select), whose SQL SQLAlchemy's compiled cache already holds, and values are bound, never inlined.

docs/architecture.md ("How to add a resource") walks through a complete description.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from expensehub.db.base import BigId
from expensehub.db.locking import for_update
from expensehub.db.pagination import paginate
from expensehub.db.sql import contains_pattern
from expensehub.errors import NotFound
from expensehub.kit.clock import utcnow
from expensehub.kit.ids import IdIn
from expensehub.kit.pagination import Page, PageRequest

V = TypeVar("V")
M = TypeVar("M")

COMPANY = bindparam("company_id", type_=BigId)
"""The caller's company, bound per request: use it in a resource's ``select`` for scoping."""
# BigId, as the id columns: PostgreSQL casts the bound value (``::BIGINT``; ``::INTEGER`` failed on ids
# beyond 2**31 - 1 with "integer out of range", a 500 instead of a 404).
_ITEM = bindparam("item_id", type_=BigId)

Values = Mapping[str, Any]
"""Filter values by :attr:`Filter.attr`; a missing or ``None`` value is a filter not given."""


@dataclass
class Scope:
    """What a predicate or a view builder may read besides the rows: the session, the caller and the
    request's parameter values (the list's filters, or the get's ``get_filters``), by attribute name.

    ``context`` is what the route hands the view besides them (e.g. the request's URL signer, see
    ``api/resources.py:mount``); ``None`` when the route hands nothing.
    """

    session: Session
    company_id: int
    values: Values = field(default_factory=dict)
    context: object = None

    @cached_property
    def today(self) -> date:
        """Today (UTC), fixed for the whole request."""
        return utcnow().date()


Clause = ColumnElement[bool]
Predicate = Callable[[Any, Scope], "Clause | None"]
Join = Callable[[Select[Any]], Select[Any]]


@dataclass(frozen=True)
class Filter:
    """One query parameter of a list.

    ``name`` is the wire name (``ids[]``, ``from``); ``annotation`` the type its value is parsed to
    (``list[IdIn]``, ``date``, a ``Literal``); ``where`` the predicate of a given value (``None`` from
    the predicate: no condition), or ``None`` when the resource's ``combine`` reads the value or the
    parameter is accepted for compatibility and has no effect; ``absent`` the condition when the
    parameter is not given (a default such as "deleted rows are not listed"); ``join`` a join the
    predicate needs, added once however many filters need it.
    """

    name: str
    annotation: Any
    description: str
    where: Predicate | None = None
    absent: Callable[[Scope], Clause] | None = None
    join: Join | None = None

    @property
    def attr(self) -> str:
        """The Python name of the value: the wire name without ``[]``; ``from`` is ``from_``."""
        name = self.name.removesuffix("[]")
        return f"{name}_" if name in _RESERVED else name


_RESERVED = frozenset(keyword.kwlist)


@dataclass(frozen=True)
class Doc:
    """The OpenAPI summary and description of one operation."""

    summary: str
    description: str


@dataclass(frozen=True, eq=False)
class Resource(Generic[V]):
    """Everything about one list/get resource that the generic code needs (see the module text)."""

    key: str
    noun: str
    tag: str
    select: Select[Any]
    id_column: InstrumentedAttribute[int] | ColumnElement[int]
    view: Callable[[Scope, Sequence[Any]], list[V]]
    out: type[V]  # the shape documenting a view: the view's own TypedDict (kit/shapes.py)
    list_doc: Doc
    get_doc: Doc | None = None
    filters: tuple[Filter, ...] = ()
    combine: Callable[[Values, Scope], Sequence[Clause]] | None = None
    id_of: Callable[[Any], int] = field(default=lambda row: int(row[0].id))
    versions: frozenset[str] | None = None
    get_filters: tuple[Filter, ...] = ()
    """Query parameters of the get (the get is by id: they add no condition); the view reads their
    values in ``scope.values`` (e.g. a flag asking for computed fields)."""

    def __post_init__(self) -> None:
        attrs = [f.attr for f in self.filters]
        if len(attrs) != len(set(attrs)):
            raise ValueError(f"{self.key}: two filters with one name")

    @property
    def path(self) -> str:
        return f"/{self.key}"

    def served_in(self, version: str) -> bool:
        return self.versions is None or version in self.versions

    @cached_property
    def get_statement(self) -> Select[Any]:
        """The statement of one item, built once: the scoped select and ``id = :item_id``."""
        return self.select.where(self.id_column == _ITEM)

    def where(self, values: Values, scope: Scope) -> Select[Any]:
        """The scoped select with the conditions of ``values``."""
        stmt = self.select
        joins: list[Join] = []
        clauses: list[Clause] = []
        for f in self.filters:
            value = values.get(f.attr)
            if value is None:
                if f.absent is not None:
                    clauses.append(f.absent(scope))
                continue
            if f.where is None:
                continue
            if f.join is not None and f.join not in joins:
                joins.append(f.join)
            clause = f.where(value, scope)
            if clause is not None:
                clauses.append(clause)
        if self.combine is not None:
            clauses.extend(self.combine(values, scope))
        for join in joins:
            stmt = join(stmt)
        return stmt.where(*clauses) if clauses else stmt


@dataclass
class Listing(Generic[V]):
    """One page of a resource: the views and what the list envelope's ``meta`` needs."""

    items: list[V]
    page: Page


def list_page(
    session: Session,
    resource: Resource[V],
    *,
    company_id: int,
    values: Values,
    page: PageRequest,
    context: object = None,
) -> Listing[V]:
    """One page of ``resource`` for the caller's company, filtered by ``values``."""
    scope = Scope(session, company_id, values, context)
    stmt = resource.where(values, scope)
    found = paginate(session, stmt, resource.id_column, page, resource.id_of, {"company_id": company_id})
    return Listing(items=resource.view(scope, found.rows), page=found)


def get_row(
    session: Session, resource: Resource[Any], *, company_id: int, item_id: int, lock: bool = False
) -> Any:
    """The row of ``item_id`` in the caller's company; 404 when there is none.

    ``lock``: a locking read of the resource's own table (``db/locking.py``), for a change that checks
    the row's state first."""
    stmt = resource.get_statement
    if lock:
        entity = getattr(resource.id_column, "class_", None)
        stmt = for_update(session, stmt, of=entity)
    row = session.execute(stmt, {"company_id": company_id, "item_id": item_id}).first()
    if row is None:
        raise NotFound(f"{resource.noun} {item_id} not found")
    return row


def get_object(
    session: Session,
    resource: Resource[Any],
    model: type[M],
    *,
    company_id: int,
    item_id: int,
    lock: bool = False,
) -> M:
    """The ``model`` object of ``item_id`` (the first entity of its row), for a write: 404 when there is
    none. This replaces a hand-written get-or-404 per resource; the 404 names the resource's noun."""
    found = get_row(session, resource, company_id=company_id, item_id=item_id, lock=lock)[0]
    if not isinstance(found, model):
        raise TypeError(f"{resource.key} rows hold {type(found).__name__}, not {model.__name__}")
    return found


def get_scoped(
    session: Session,
    resource: Resource[V],
    *,
    company_id: int,
    item_id: int,
    values: Values | None = None,
    context: object = None,
) -> V:
    """The view of ``item_id`` in the caller's company; 404 when there is none (or it is another's).

    ``values``: the get's parameters (``resource.get_filters``), which the view may read."""
    row = get_row(session, resource, company_id=company_id, item_id=item_id)
    return resource.view(Scope(session, company_id, values or {}, context), [row])[0]


# --- statements, views and filters that recur ------------------------------------------------------


def company_select(model: Any, *where: Clause) -> Select[Any]:
    """``SELECT model WHERE model.company_id = :company_id`` (and ``where``): a resource of one table's
    rows, scoped by the caller's company."""
    return select(model).where(model.company_id == COMPANY, *where)


def per_row(build: Callable[[Any], V]) -> Callable[[Scope, Sequence[Any]], list[V]]:
    """A view builder that needs nothing but each row."""

    def view(_scope: Scope, rows: Sequence[Any]) -> list[V]:
        return [build(row) for row in rows]

    return view


def per_object(render: Callable[[Any], V]) -> Callable[[Scope, Sequence[Any]], list[V]]:
    """A view builder rendering the one object of each row (the rows of a :func:`company_select`)."""
    return per_row(lambda row: render(row[0]))


def any_of(name: str, column: Any, description: str, annotation: Any = list[IdIn]) -> Filter:
    """``name[]``: the column is one of the given values."""
    return Filter(f"{name}[]", annotation, description, where=lambda values, _s: column.in_(values))


def equals(name: str, column: Any, description: str, annotation: Any = IdIn) -> Filter:
    """``name``: the column equals the given value."""
    return Filter(name, annotation, description, where=lambda value, _s: column == value)


def own_company(name: str, description: str) -> Filter:
    """``company_id`` / ``company_ids[]``: the caller's company among the values, or nothing at all."""
    many = name.endswith("[]")

    def where(value: Any, scope: Scope) -> Clause | None:
        mine = scope.company_id in value if many else scope.company_id == value
        return None if mine else false()

    return Filter(name, list[IdIn] if many else IdIn, description, where=where)


def text_search(description: str, *columns: Any, name: str = "search", join: Join | None = None) -> Filter:
    """``search``: case-insensitive text found in any of ``columns``; empty text filters nothing."""

    def where(text: str, _scope: Scope) -> Clause | None:
        if not text:
            return None
        pattern = contains_pattern(text)
        return or_(*(col.ilike(pattern, escape="\\") for col in columns))

    return Filter(name, str, description, where=where, join=join)


def accepted(name: str, annotation: Any, description: str) -> Filter:
    """A parameter accepted for compatibility that has no effect."""
    return Filter(name, annotation, description)


def views_of(
    session: Session,
    resource: Resource[V],
    *,
    company_id: int,
    rows: Sequence[Any],
    context: object = None,
) -> list[V]:
    """The views of rows shaped like ``resource``'s (e.g. ``[(obj,)]`` after a write)."""
    return resource.view(Scope(session, company_id, context=context), rows)
