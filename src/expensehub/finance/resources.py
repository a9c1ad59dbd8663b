"""The finance resources served by the generic list/get (``db/resources.py``), one description each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import or_, select

from expensehub.db.resources import (
    COMPANY,
    Clause,
    Doc,
    Filter,
    Resource,
    Scope,
    Values,
    any_of,
    company_select,
    equals,
    own_company,
    per_object,
    text_search,
)
from expensehub.finance import repository, schemas
from expensehub.finance.schemas import (
    AccountType,
    CategoryLevel,
    CategoryStatus,
    CategoryTypeFilter,
    ResourceType,
)
from expensehub.models import Account, Category, CostCenter, CostCenterMembership, LedgerAccountResource

TAG = "finance"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _updated_from(column: Any, noun: str) -> Filter:
    return Filter(
        "updated_from",
        date,
        f"Only {noun} updated on or after this date (UTC)",
        where=lambda day, _s: column >= _day_start(day),
    )


# --- categories ---------------------------------------------------------------------------------


def _category_level(level: str, _scope: Scope) -> Clause | None:
    if level == "category":
        return Category.parent_category_id.is_(None)
    if level == "subcategory":
        return Category.parent_category_id.is_not(None)
    return None


CATEGORIES: Resource[schemas.CategoryOut] = Resource(
    key="finance/categories",
    noun="category",
    tag=TAG,
    select=company_select(Category),
    id_column=Category.id,
    view=per_object(schemas.category_out),
    out=schemas.CategoryOut,
    list_doc=Doc(
        "List expense categories",
        "Categories and subcategories in ascending id order. `category_level`, `type` and "
        "`statuses[]` are optional (Factorial's spec marks them required); without `statuses[]`, "
        "enabled and disabled categories are listed but deleted ones are not.",
    ),
    get_doc=Doc("Get an expense category", "One category of the company, whatever its status."),
    filters=(
        any_of("ids", Category.id, "Only these category ids"),
        own_company("company_ids[]", "Only categories of these companies (yours or nothing)"),
        any_of("parent_category_ids", Category.parent_category_id, "Only subcategories of these categories"),
        Filter(
            "category_level",
            CategoryLevel,
            "`category` (top level), `subcategory` or `all` (default). Required in Factorial's "
            "spec; optional here",
            where=_category_level,
        ),
        Filter(
            "type",
            CategoryTypeFilter,
            "`expense`, `mileage`, `perdiem` or `all` (default). Required in the spec; optional here",
            where=lambda kind, _s: None if kind == "all" else Category.type == kind,
        ),
        Filter(
            "statuses[]",
            list[CategoryStatus],
            "Any of `enabled`, `disabled`, `deleted`. When absent: enabled and disabled "
            "(deleted categories are listed only when asked for)",
            where=lambda statuses, _s: Category.status.in_(statuses),
            absent=lambda _s: Category.status.in_(("enabled", "disabled")),
        ),
        text_search(
            "Case-insensitive text found in the label, the default label or the identifier",
            Category.label,
            Category.default_label,
            Category.identifier,
        ),
    ),
)


# --- cost centres -------------------------------------------------------------------------------


def _cost_center_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.CostCenterOut]:
    centers: list[CostCenter] = [row[0] for row in rows]
    counts = repository.employee_counts(
        scope.session, company_id=scope.company_id, cost_center_ids=[c.id for c in centers], today=scope.today
    )
    return [schemas.cost_center_out(c, counts.get(c.id, (0, 0)), scope.today) for c in centers]


COST_CENTERS: Resource[schemas.CostCenterOut] = Resource(
    key="finance/cost_centers",
    noun="cost centre",
    tag=TAG,
    select=company_select(CostCenter, CostCenter.deleted_at.is_(None)),
    id_column=CostCenter.id,
    view=_cost_center_views,
    out=schemas.CostCenterOut,
    list_doc=Doc(
        "List cost centres", "Cost centres not deleted, in ascending id order, with their employee counts."
    ),
    get_doc=Doc("Get a cost centre", "One cost centre of the company (deleted ones are not found)."),
    filters=(
        any_of("ids", CostCenter.id, "Only these cost centre ids"),
        own_company("company_id", "Only cost centres of this company (yours or nothing)"),
        any_of("legal_entity_ids", CostCenter.legal_entity_id, "Only cost centres of these legal entities"),
        Filter(
            "include_actives_on_date",
            date,
            "Only cost centres active on this date (not deactivated on or before it)",
            where=lambda day, _s: or_(
                CostCenter.deactivation_date.is_(None), CostCenter.deactivation_date > day
            ),
        ),
        text_search("Case-insensitive text found in the name or the code", CostCenter.name, CostCenter.code),
    ),
)


# --- cost centre memberships --------------------------------------------------------------------

_M = CostCenterMembership


def _membership_rules(values: Values, scope: Scope) -> list[Clause]:
    """Without a date filter only memberships not ended today are listed (Factorial: "only_active is
    the default behaviour"); ``only_active=false`` lists the whole history."""
    days = [d for d in (values.get("active_on"), values.get("applying_on")) if d is not None]
    only_active = values.get("only_active")
    if only_active is None:
        only_active = not days
    clauses: list[Clause] = []
    for day in days:
        clauses += [_M.start_date <= day, or_(_M.end_date.is_(None), _M.end_date >= day)]
    if only_active:
        clauses.append(or_(_M.end_date.is_(None), _M.end_date >= scope.today))
    return clauses


MEMBERSHIPS: Resource[schemas.MembershipOut] = Resource(
    key="finance/cost_center_memberships",
    noun="membership",
    tag=TAG,
    select=(
        select(_M)
        .join(CostCenter, CostCenter.id == _M.cost_center_id)
        .where(_M.company_id == COMPANY, CostCenter.company_id == COMPANY, CostCenter.deleted_at.is_(None))
    ),
    id_column=_M.id,
    view=per_object(schemas.membership_out),
    out=schemas.MembershipOut,
    list_doc=Doc(
        "List cost centre memberships",
        "Memberships in ascending id order. Without `active_on`/`applying_on`, only memberships "
        "not ended today are listed (`only_active` is the default); `only_active=false` lists the history.",
    ),
    filters=(
        equals("cost_center_id", _M.cost_center_id, "Only memberships of this cost centre"),
        equals("employee_id", _M.employee_id, "Only memberships of this employee"),
        Filter("active_on", date, "Only memberships covering this date"),
        Filter(
            "only_active",
            bool,
            "Only memberships not ended today (the default when no date filter is given); "
            "`false` lists the whole history",
        ),
        Filter("applying_on", date, "Only memberships applying on (covering) this date"),
        own_company("company_id", "Only memberships of this company (yours or nothing)"),
        any_of("cost_center_ids", _M.cost_center_id, "Only memberships of these cost centres"),
    ),
    combine=_membership_rules,
)


# --- ledger accounts ----------------------------------------------------------------------------

ACCOUNTS: Resource[schemas.AccountOut] = Resource(
    key="finance/accounts",
    noun="ledger account",
    tag=TAG,
    select=company_select(Account),
    id_column=Account.id,
    view=per_object(schemas.account_out),
    out=schemas.AccountOut,
    list_doc=Doc(
        "List ledger accounts", "Ledger accounts of the company's legal entities, in ascending id order."
    ),
    get_doc=Doc("Get a ledger account", "One ledger account of the company."),
    filters=(
        any_of("ids", Account.id, "Only these account ids"),
        any_of("legal_entity_ids", Account.legal_entity_id, "Only accounts of these legal entities"),
        any_of("types", Account.type, "Only accounts of these types", list[AccountType]),
        equals("number", Account.number, "Only accounts with exactly this number", str),
        _updated_from(Account.updated_at, "accounts"),
    ),
)


# --- ledger account resources -------------------------------------------------------------------

_R = LedgerAccountResource

LEDGER_ACCOUNT_RESOURCES: Resource[schemas.LedgerAccountResourceOut] = Resource(
    key="finance/ledger_account_resources",
    noun="ledger account resource",
    tag=TAG,
    select=company_select(_R),
    id_column=_R.id,
    view=per_object(schemas.ledger_account_resource_out),
    out=schemas.LedgerAccountResourceOut,
    list_doc=Doc(
        "List ledger account resources",
        "Mappings of objects (categories, bank accounts, vendors...) to ledger accounts.",
    ),
    get_doc=Doc("Get a ledger account resource", "One mapping of the company."),
    filters=(
        any_of("ids", _R.id, "Only these mapping ids"),
        any_of("resource_ids", _R.resource_id, "Only mappings of these objects"),
        equals("resource_type", _R.resource_type, "Only mappings of this kind of object", ResourceType),
        any_of("legal_entity_ids", _R.legal_entity_id, "Only mappings of these legal entities"),
        _updated_from(_R.updated_at, "mappings"),
        any_of("finance_account_ids", _R.account_id, "Only mappings to these ledger accounts"),
    ),
)

RESOURCES: tuple[Resource[Any], ...] = (
    CATEGORIES,
    COST_CENTERS,
    MEMBERSHIPS,
    ACCOUNTS,
    LEDGER_ACCOUNT_RESOURCES,
)
