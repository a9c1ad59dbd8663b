"""The expenses resources served by the generic list/get (``db/resources.py``), one description each.

Expensables list claims of every kind; expenses, mileages and per diems list the detail rows with their
expensable header. Views batch the page's child rows (cost centres, taxes, receipts, categories, per
diem rates) in one IN query each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, cast

from pydantic import Field
from sqlalchemy import ScalarSelect, Select, and_, bindparam, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from expensehub.db.resources import (
    COMPANY,
    Clause,
    Doc,
    Filter,
    Resource,
    Scope,
    Values,
    accepted,
    any_of,
    own_company,
)
from expensehub.db.sql import contains_pattern
from expensehub.documents import service as documents
from expensehub.documents.context import UrlSigner
from expensehub.expenses import repository, rules, schemas
from expensehub.expenses.rules import Status
from expensehub.kit.ids import IdIn
from expensehub.models import Expensable, Expense, Mileage, PerDiem

TAG = "expenses"

KNOWN_CREATION_TYPES = frozenset({"manual", "automatic"})

Detail = type[Expense] | type[Mileage] | type[PerDiem]
"""The model of a claim's detail rows."""


def _window(values: Values, *, upper_inclusive: bool) -> list[Clause]:
    """``from``/``to`` on ``effective_on``: only when both are given (a lone bound is ignored)."""
    window = rules.date_window(values.get("from_"), values.get("to"), upper_inclusive=upper_inclusive)
    if window is None:
        return []
    return [Expensable.effective_on >= window[0], Expensable.effective_on < window[1]]


def _not_draft(exclude: bool, _scope: Scope) -> Clause | None:
    return Expensable.status != "draft" if exclude else None


# --- expensables --------------------------------------------------------------------------------


def _detail_id(model: Detail) -> ScalarSelect[int]:
    """The id of the claim's detail row: a correlated subquery, evaluated only for the page's rows."""
    detail = aliased(model)
    return (
        select(detail.id).where(detail.expensable_id == Expensable.id).correlate(Expensable).scalar_subquery()
    )


def _join_expense(stmt: Select[Any]) -> Select[Any]:
    """The expense detail, for the filters that read it (the COUNT of the others scans expensables alone,
    5x faster on SQLite at 1M rows, bench/pagination.py)."""
    return stmt.outerjoin(Expense, Expense.expensable_id == Expensable.id)


def _creation_types(types: list[str], _scope: Scope) -> Clause:
    if not set(types) <= KNOWN_CREATION_TYPES:
        return false()  # Factorial answers an empty list for a creation type it does not know
    # Mileages and per diems are always entered by hand: they count as manual.
    conditions: list[Clause] = [and_(Expensable.type == "expense", Expense.creation_type.in_(types))]
    if "manual" in types:
        conditions.append(Expensable.type != "expense")
    return or_(*conditions)


def _search(text: str, _scope: Scope) -> Clause | None:
    if not text:
        return None
    pattern = contains_pattern(text)
    return or_(
        Expensable.description.ilike(pattern, escape="\\"),
        Expensable.internal_reference.ilike(pattern, escape="\\"),
        Expense.user_merchant.ilike(pattern, escape="\\"),
        Expense.merchant_name.ilike(pattern, escape="\\"),
    )


def _without_manual_drafts(include: bool, _scope: Scope) -> Clause | None:
    if include:
        return None
    return or_(
        Expensable.status != "draft",
        and_(Expensable.type == "expense", Expense.creation_type != "manual"),
    )


def _expensable_rules(values: Values, _scope: Scope) -> list[Clause]:
    """``employee_ids[]`` OR ``reporter_ids[]`` when both are given; the ``from``/``to`` window, inclusive."""
    clauses = _window(values, upper_inclusive=True)
    employees, reporters = values.get("employee_ids"), values.get("reporter_ids")
    if employees is not None and reporters is not None:
        clauses.append(or_(Expensable.employee_id.in_(employees), Expensable.reporter_id.in_(reporters)))
    elif employees is not None:
        clauses.append(Expensable.employee_id.in_(employees))
    elif reporters is not None:
        clauses.append(Expensable.reporter_id.in_(reporters))
    return clauses


def _expensable_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.ExpensableOut]:
    related = schemas.Related(cost_centers=repository.cost_centers_of(scope.session, [r[0].id for r in rows]))
    return [schemas.expensable_out(r[0], (r[1], r[2], r[3]), related) for r in rows]


EXPENSABLES: Resource[schemas.ExpensableOut] = Resource(
    key="expenses/expensables",
    noun="expensable",
    tag=TAG,
    # Rows: (Expensable, expense_id, mileage_id, per_diem_id).
    select=cast(
        "Select[Any]",
        select(Expensable, _detail_id(Expense), _detail_id(Mileage), _detail_id(PerDiem)).where(
            Expensable.company_id == COMPANY
        ),
    ),
    id_column=Expensable.id,
    view=_expensable_views,
    out=schemas.ExpensableOut,
    list_doc=Doc(
        "List expensables",
        "The company's claims of every kind (expenses, mileages, per diems), in ascending id order. "
        "`from`/`to` filter `effective_on`, both inclusive, and only when both are given (a lone bound is "
        "ignored). `employee_ids[]` and `reporter_ids[]` are OR'ed when both are given. An unknown "
        "`creation_type[]` value gives an empty list. `by_resources[]` and `include_attachments` are "
        "accepted and ignored.",
    ),
    get_doc=Doc("Get an expensable", "One claim header of the company."),
    filters=(
        any_of("ids", Expensable.id, "Only these expensable ids"),
        own_company("company_id", "Only this company (another company's id: empty list)"),
        any_of("group_ids", Expensable.group_id, "Only these expense groups"),
        accepted(
            "by_resources[]",
            list[str],
            "Accepted for compatibility and ignored (Factorial leaves its structure unspecified)",
        ),
        Filter(
            "employee_ids[]", list[IdIn], "Only these owners; OR'ed with `reporter_ids[]` when both given"
        ),
        Filter("reporter_ids[]", list[IdIn], "Only these reporters"),
        any_of("status", Expensable.status, "Only these statuses", list[Status]),
        Filter(
            "creation_type[]",
            list[str],
            "`manual` and/or `automatic`: expenses by their creation type; mileages and per diems "
            "count as `manual`. Any other value gives an empty result (as Factorial does), not an error",
            where=_creation_types,
            join=_join_expense,
        ),
        Filter(
            "from",
            schemas.DateOrTs,
            "effective_on on or after this date/timestamp. Ignored unless `to` is also given",
        ),
        Filter(
            "to",
            schemas.DateOrTs,
            "effective_on on or before this date/timestamp (inclusive). Ignored unless `from` is given",
        ),
        Filter(
            "search",
            Annotated[str, Field(max_length=200)],
            "Case-insensitive text found in the description, merchant (typed or from the receipt) "
            "or internal reference",
            where=_search,
            join=_join_expense,
        ),
        Filter(
            "include_grouped",
            bool,
            "`false` leaves out claims that belong to an expense group; absent or `true`: all",
            where=lambda include, _s: None if include else Expensable.group_id.is_(None),
        ),
        accepted(
            "include_attachments",
            bool,
            "Accepted for compatibility; expensables carry no attachments, so it has no effect",
        ),
        Filter(
            "include_manual_drafts",
            bool,
            "`false` leaves out drafts entered by hand (every draft except card-raised expenses); "
            "absent or `true`: drafts included",
            where=_without_manual_drafts,
            join=_join_expense,
        ),
    ),
    combine=_expensable_rules,
)

_BY_IDS = EXPENSABLES.select.where(Expensable.id.in_(bindparam("ids", expanding=True))).order_by(
    Expensable.id
)


def expensable_views(
    session: Session, *, company_id: int, ids: Sequence[int]
) -> dict[int, schemas.ExpensableOut]:
    """The views of the company's expensables among ``ids``, by id (one statement, built once)."""
    if not ids:
        return {}
    rows = session.execute(_BY_IDS, {"company_id": company_id, "ids": sorted(set(ids))}).all()
    return {view["id"]: view for view in _expensable_views(Scope(session, company_id), rows)}


# --- details: expenses, mileages, per diems -----------------------------------------------------


def _detail_select(detail: Detail) -> Select[Any]:
    """Rows ``(detail, Expensable)`` of the company."""
    stmt = cast("Select[Any]", select(detail, Expensable))
    return stmt.join(Expensable, Expensable.id == detail.expensable_id).where(
        detail.company_id == COMPANY, Expensable.company_id == COMPANY
    )


def _related(
    scope: Scope, rows: Sequence[Any], *, expense_ids: Sequence[int] = (), with_receipts: Sequence[int] = ()
) -> schemas.Related:
    expensables: list[Expensable] = [r[1] for r in rows]
    signer = scope.context if isinstance(scope.context, UrlSigner) else None
    return schemas.Related(
        cost_centers=repository.cost_centers_of(scope.session, [x.id for x in expensables]),
        taxes=repository.taxes_of(scope.session, expense_ids),
        # Only expenses pointing at a receipt (``document_id``) have files: no query for a page without.
        files=documents.files_for_expenses(
            scope.session, company_id=scope.company_id, expense_ids=with_receipts, signer=signer
        ),
        categories=repository.categories_by_id(
            scope.session,
            company_id=scope.company_id,
            ids=[x.category_id for x in expensables if x.category_id],
        ),
    )


def _expense_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.ExpenseOut]:
    related = _related(
        scope,
        rows,
        expense_ids=[r[0].id for r in rows],
        with_receipts=[r[0].id for r in rows if r[0].document_id is not None],
    )
    return [schemas.expense_out(r[0], r[1], related) for r in rows]


def _mileage_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.MileageOut]:
    related = _related(scope, rows)
    return [schemas.mileage_out(r[0], r[1], related) for r in rows]


def _per_diem_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.PerDiemOut]:
    related = _related(scope, rows)
    related.per_diem_rates = repository.per_diem_rates_of(
        scope.session, company_id=scope.company_id, per_diem_ids=[r[0].id for r in rows]
    )
    return [schemas.per_diem_out(r[0], r[1], related) for r in rows]


def _never(_value: object, _scope: Scope) -> Clause:
    return false()


def _detail_filters(detail: Detail, *, mileage: bool) -> tuple[Filter, ...]:
    """The query of ``GET expenses/expenses`` and ``GET expenses/mileages`` (one parameter list): card,
    card payment, authorisation and dispute filters never match a mileage, and a mileage entered by hand
    is every mileage."""

    def card(name: str, column: InstrumentedAttribute[int | None], description: str) -> Filter:
        where: Callable[[list[int], Scope], Clause | None] = (
            _never if mileage else (lambda values, _s: column.in_(values))
        )
        return Filter(f"{name}[]", list[IdIn], description, where=where)

    def manual_drafts(include: bool, _scope: Scope) -> Clause | None:
        if include:
            return None
        if mileage:
            return Expensable.status != "draft"
        return or_(Expensable.status != "draft", Expense.creation_type != "manual")

    return (
        any_of("ids", detail.id, "Only these ids"),
        any_of("expenses_expensable_ids", detail.expensable_id, "Only the details of these expensables"),
        Filter(
            "include_manual_drafts",
            bool,
            "`false` leaves out drafts entered by hand (mileages: every draft); absent or `true`: all",
            where=manual_drafts,
        ),
        any_of("employee_ids", Expensable.employee_id, "Only these owners"),
        card(
            "external_authorization_ids",
            Expense.external_authorization_id,
            "Only these external card authorisations (mileages never match)",
        ),
        card(
            "card_ids",
            Expense.expenses_card_id,
            "Only expenses paid with these cards, `expenses_card_id` (mileages never match)",
        ),
        card(
            "card_payment_ids",
            Expense.card_payment_id,
            "Only expenses raised from these card payments (mileages never match)",
        ),
        accepted(
            "include_attachments", bool, "Accepted for compatibility; expenses always carry their `files`"
        ),
        Filter("from", schemas.DateOrTs, "effective_on on or after this date/timestamp. Needs `to` as well"),
        Filter(
            "to",
            schemas.DateOrTs,
            "effective_on strictly before this date/timestamp (exclusive). Needs `from` as well",
        ),
        card("dispute_ids", Expense.dispute_id, "Only these payment disputes (mileages never match)"),
    )


def _exclusive_window(values: Values, _scope: Scope) -> list[Clause]:
    return _window(values, upper_inclusive=False)


EXPENSES: Resource[schemas.ExpenseOut] = Resource(
    key="expenses/expenses",
    noun="expense",
    tag=TAG,
    select=_detail_select(Expense),
    id_column=Expense.id,
    view=_expense_views,
    out=schemas.ExpenseOut,
    list_doc=Doc(
        "List expenses",
        "Receipt-backed expenses, in ascending id order. `from` is inclusive and `to` exclusive on "
        "`effective_on`; both are needed (a lone bound is ignored). Each expense carries its receipts in "
        "`files` with signed, temporary `url`/`download_url` (no API key needed); `include_attachments` is "
        "accepted.",
    ),
    get_doc=Doc("Get an expense", "One expense of the company."),
    filters=_detail_filters(Expense, mileage=False),
    combine=_exclusive_window,
)

MILEAGES: Resource[schemas.MileageOut] = Resource(
    key="expenses/mileages",
    noun="mileage",
    tag=TAG,
    select=_detail_select(Mileage),
    id_column=Mileage.id,
    view=_mileage_views,
    out=schemas.MileageOut,
    list_doc=Doc(
        "List mileages",
        "Mileage claims, in ascending id order. Same filters as expenses: `from` inclusive, `to` "
        "exclusive, both needed. Card, card payment, authorisation and dispute filters never match a "
        "mileage. `vehicle`, `passengers`, `fiscal_horsepower`, `electric` and `pricing` are expensehub "
        "extensions.",
    ),
    get_doc=Doc(
        "Get a mileage",
        "One mileage claim of the company, with the inputs of the statutory rules and `pricing` "
        "(expensehub extensions).",
    ),
    filters=_detail_filters(Mileage, mileage=True),
    combine=_exclusive_window,
)

PER_DIEMS: Resource[schemas.PerDiemOut] = Resource(
    key="expenses/per_diems",
    noun="per diem",
    tag=TAG,
    select=_detail_select(PerDiem),
    id_column=PerDiem.id,
    view=_per_diem_views,
    out=schemas.PerDiemOut,
    list_doc=Doc(
        "List per diems",
        "Per diem claims, in ascending id order. `rates` lists the rate configurations the statutory "
        "breakdown used (empty when the statutory rules could not price the per diem); `gross_amount`, "
        "`deductions_amount`, `statutory_amount`, `tax_free_amount` and `taxable_amount` are expensehub "
        "extensions, as are the trip inputs the per diem was priced from (`start_at` ... `locality_mie`) "
        "and `pricing`.",
    ),
    get_doc=Doc(
        "Get a per diem",
        "One per diem claim of the company, with the `rates` its statutory breakdown used, and "
        "the breakdown's totals, the trip inputs it was priced from and `pricing` (expensehub extensions).",
    ),
    filters=(
        any_of("ids", PerDiem.id, "Only these per diem ids"),
        any_of("expenses_expensable_ids", PerDiem.expensable_id, "Only the per diems of these expensables"),
        Filter("exclude_drafts", bool, "`true` leaves out drafts", where=_not_draft),
    ),
)

RESOURCES: tuple[Resource[Any], ...] = (EXPENSABLES, EXPENSES, MILEAGES, PER_DIEMS)
