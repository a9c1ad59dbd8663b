"""Use cases of the finance reference data: categories, cost centres and memberships, ledger accounts.

Every function takes the session first and keyword-only arguments, flushes and never commits, and
returns ORM objects, so the API, the demo seeder and other domains share one code path.
Update functions tell "not given" (``UNSET``) from "set to null" (``None``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy.orm import Session

from expensehub.companies import service as companies
from expensehub.db.resources import get_object, views_of
from expensehub.errors import Conflict, NotFound, ValidationFailed
from expensehub.finance import repository, resources, rules
from expensehub.kit.clock import utcnow
from expensehub.kit.money import is_currency
from expensehub.models import (
    Account,
    Category,
    CostCenter,
    CostCenterMembership,
    LedgerAccountResource,
)
from expensehub.webhooks import service as webhooks


class Unset(enum.Enum):
    """Marks an update argument that was not given (as opposed to ``None``, which clears)."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET


def _clean(value: str | None) -> str | None:
    return None if value is None else value.strip()


def _today() -> date:
    return utcnow().date()


# --- categories ---------------------------------------------------------------------------------


def create_category(
    session: Session,
    *,
    company_id: int,
    identifier: str,
    default_label: str,
    label: str | None = None,
    type: str = "expense",
    parent_category_id: int | None = None,
    position: int | None = None,
    status: str = "enabled",
    visible: bool = True,
) -> Category:
    """An expense category (or a subcategory when ``parent_category_id`` is given).

    Factorial exposes no create; this is for the seeder, the mirror and other domains. The
    identifier is unique among the company's categories that are not deleted; a subcategory's
    parent is a top-level category of the same type.
    """
    identifier, default_label, label = identifier.strip(), default_label.strip(), _clean(label)
    fields: dict[str, list[str]] = {}
    if not identifier or len(identifier) > 80:
        fields["identifier"] = ["must be 1 to 80 characters"]
    if not default_label or len(default_label) > 120:
        fields["default_label"] = ["must be 1 to 120 characters"]
    if label is not None and (not label or len(label) > 120):
        fields["label"] = ["must be 1 to 120 characters"]
    if type not in rules.CATEGORY_TYPES:
        fields["type"] = [f"must be one of {', '.join(rules.CATEGORY_TYPES)}"]
    if status not in rules.CATEGORY_STATUSES:
        fields["status"] = [f"must be one of {', '.join(rules.CATEGORY_STATUSES)}"]
    if fields:
        raise ValidationFailed("invalid category", fields=fields)
    if parent_category_id is not None:
        parent = get_object(
            session, resources.CATEGORIES, Category, company_id=company_id, item_id=parent_category_id
        )
        if parent.parent_category_id is not None:
            raise ValidationFailed(
                "invalid category", fields={"parent_category_id": ["must be a top-level category"]}
            )
        if parent.type != type:
            raise ValidationFailed(
                "invalid category", fields={"type": [f"must be the parent's type ({parent.type})"]}
            )
    if status != "deleted" and repository.category_by_identifier(
        session, company_id=company_id, identifier=identifier
    ):
        raise Conflict(f"a category with identifier {identifier!r} exists", code="duplicate_identifier")
    category = Category(
        company_id=company_id,
        identifier=identifier,
        default_label=default_label,
        label=label,
        type=type,
        parent_category_id=parent_category_id,
        position=position,
        status=status,
        visible=visible,
        created_at=(now := utcnow()),
        updated_at=now,
    )
    return repository.add(session, category)


CATEGORY_FIELDS = ("default_label", "label", "visible", "status", "position", "parent_category_id")


def update_category(
    session: Session, *, company_id: int, category_id: int, changes: Mapping[str, Any]
) -> Category:
    """Change a category's labels, visibility, status, position or parent (Factorial exposes no
    update; this is for the mirror of a remote account). The rules of ``create_category`` hold."""
    category = get_object(
        session, resources.CATEGORIES, Category, company_id=company_id, item_id=category_id, lock=True
    )
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"not a category field: {', '.join(sorted(unknown))}")
    fields: dict[str, list[str]] = {}
    if "default_label" in changes and not (0 < len(str(changes["default_label"] or "").strip()) <= 120):
        fields["default_label"] = ["must be 1 to 120 characters"]
    if changes.get("status", category.status) not in rules.CATEGORY_STATUSES:
        fields["status"] = [f"must be one of {', '.join(rules.CATEGORY_STATUSES)}"]
    parent_id = changes.get("parent_category_id", category.parent_category_id)
    if parent_id is not None and parent_id != category.parent_category_id:
        parent = get_object(session, resources.CATEGORIES, Category, company_id=company_id, item_id=parent_id)
        if parent.parent_category_id is not None or parent.id == category.id:
            fields["parent_category_id"] = ["must be another top-level category"]
    if fields:
        raise ValidationFailed("invalid category", fields=fields)
    for name, value in changes.items():
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    category.updated_at = utcnow()
    session.flush()
    return category


def find_category(session: Session, *, company_id: int, identifier: str) -> Category | None:
    """The company's category (not deleted) with this identifier, or ``None``."""
    return repository.category_by_identifier(session, company_id=company_id, identifier=identifier)


# --- cost centres -------------------------------------------------------------------------------


def _emit_cost_center(
    session: Session, cost_center: CostCenter, action: str, author: webhooks.Author
) -> None:
    """``finance/cost_center/{create,edit,delete}`` to subscribers, in this transaction."""

    def payload() -> dict[str, Any]:
        company_id = cost_center.company_id
        return dict(
            views_of(session, resources.COST_CENTERS, company_id=company_id, rows=[(cost_center,)])[0]
        )

    webhooks.emit(
        session,
        company_id=cost_center.company_id,
        event_type=f"finance/cost_center/{action}",
        payload=payload,
        author=author,
    )


def _check_code(session: Session, company_id: int, code: str | None, exclude_id: int | None = None) -> None:
    if code is not None and repository.cost_center_code_taken(
        session, company_id=company_id, code=code, exclude_id=exclude_id
    ):
        raise Conflict(f"a cost centre with code {code!r} exists", code="duplicate_code")


def _validate_cost_center_texts(name: str | Unset | None, code: str | Unset | None) -> None:
    fields: dict[str, list[str]] = {}
    if name is None or (isinstance(name, str) and not (0 < len(name) <= 200)):
        fields["name"] = ["must be 1 to 200 characters"]
    if isinstance(code, str) and not (0 < len(code) <= 64):
        fields["code"] = ["must be 1 to 64 characters"]
    if fields:
        raise ValidationFailed("invalid cost centre", fields=fields)


def create_cost_center(
    session: Session,
    *,
    company_id: int,
    name: str,
    legal_entity_id: int | None = None,
    code: str | None = None,
    description: str | None = None,
    deactivation_date: date | None = None,
    author: webhooks.Author,
) -> CostCenter:
    """A cost centre; ``code`` is unique among the company's cost centres (409 ``duplicate_code``)."""
    name, code = name.strip(), _clean(code)
    _validate_cost_center_texts(name, code)
    if legal_entity_id is not None:
        companies.get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)
    _check_code(session, company_id, code)
    now = utcnow()
    cost_center = CostCenter(
        company_id=company_id,
        legal_entity_id=legal_entity_id,
        name=name,
        code=code,
        description=description,
        deactivation_date=deactivation_date,
        created_at=now,
        updated_at=now,
    )
    session.add(cost_center)
    repository.flush_or_conflict(session, f"a cost centre with code {code!r} exists", "duplicate_code")
    _emit_cost_center(session, cost_center, "create", author)
    return cost_center


def edit_cost_center(
    session: Session,
    *,
    company_id: int,
    cost_center_id: int,
    name: str | Unset = UNSET,
    code: str | Unset | None = UNSET,
    description: str | Unset | None = UNSET,
    deactivation_date: date | Unset | None = UNSET,
    author: webhooks.Author,
) -> CostCenter:
    """Change the given fields; ``None`` clears code, description or deactivation date."""
    cost_center = get_object(
        session, resources.COST_CENTERS, CostCenter, company_id=company_id, item_id=cost_center_id, lock=True
    )
    if isinstance(name, str):
        name = name.strip()
    if isinstance(code, str):
        code = code.strip()
    _validate_cost_center_texts(name, code)
    if isinstance(code, str) and code != cost_center.code:
        _check_code(session, company_id, code, exclude_id=cost_center.id)
    if isinstance(name, str):
        cost_center.name = name
    if not isinstance(code, Unset):
        cost_center.code = code
    if not isinstance(description, Unset):
        cost_center.description = description
    if not isinstance(deactivation_date, Unset):
        cost_center.deactivation_date = deactivation_date
    cost_center.updated_at = utcnow()
    repository.flush_or_conflict(session, f"a cost centre with code {code!r} exists", "duplicate_code")
    _emit_cost_center(session, cost_center, "edit", author)
    return cost_center


def delete_cost_center(
    session: Session, *, company_id: int, cost_center_id: int, author: webhooks.Author
) -> CostCenter:
    """Soft delete: the centre and its memberships disappear from the API; expenses keep pointing at it.

    Of several requests deleting the same centre at once, one succeeds; the others find it deleted (404).
    """
    cost_center = get_object(
        session, resources.COST_CENTERS, CostCenter, company_id=company_id, item_id=cost_center_id, lock=True
    )
    now = utcnow()
    cost_center.deleted_at = now
    cost_center.updated_at = now
    session.flush()
    _emit_cost_center(session, cost_center, "delete", author)
    return cost_center


# --- cost centre memberships --------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipSpec:
    """One membership of a set given to ``set_memberships``."""

    cost_center_id: int
    percentage: Decimal | str | int
    start_date: date
    end_date: date | None = None
    id: int | None = None


def _decimal(value: Decimal | str | int | float) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return Decimal("NaN")


def set_memberships(
    session: Session, *, company_id: int, employee_id: int, memberships: Sequence[MembershipSpec]
) -> list[CostCenterMembership]:
    """Replace the employee's cost-centre split from the earliest new start date on.

    All or nothing: everything is checked before anything is written. Memberships still running
    on the new start end the day before it (history is kept); memberships that would only have
    started on or after it are removed. An item with ``id`` updates that membership of the employee
    in place. Returns the set's memberships in the order given.
    """
    companies.get_employee(session, company_id=company_id, employee_id=employee_id)
    # One replacement of an employee's split at a time: the next one reads what this one leaves.
    repository.lock_employee(session, company_id=company_id, employee_id=employee_id)
    shares = [
        rules.Share(
            cost_center_id=m.cost_center_id,
            percentage=_decimal(m.percentage),
            start_date=m.start_date,
            end_date=m.end_date,
        )
        for m in memberships
    ]
    fields = rules.share_errors(shares)
    given_ids = [m.id for m in memberships if m.id is not None]
    if len(given_ids) != len(set(given_ids)):
        fields.setdefault("memberships", []).append("a membership id appears more than once")
    if fields:
        raise ValidationFailed("invalid cost centre memberships", fields=fields)

    centers = repository.cost_centers_by_id(
        session, company_id=company_id, ids=[s.cost_center_id for s in shares]
    )
    for share in shares:
        if share.cost_center_id not in centers:
            raise NotFound(f"cost centre {share.cost_center_id} not found", code="cost_center_not_found")
    for i, share in enumerate(shares):
        center = centers[share.cost_center_id]
        if center.deactivation_date is not None and center.deactivation_date <= share.start_date:
            fields[f"memberships.{i}.cost_center_id"] = [
                f"cost centre {center.id} is inactive from {center.deactivation_date.isoformat()}"
            ]
    if fields:
        raise ValidationFailed("invalid cost centre memberships", fields=fields)

    existing = {
        m.id: m
        for m in repository.employee_memberships(session, company_id=company_id, employee_id=employee_id)
    }
    for given in given_ids:
        if given not in existing:
            raise NotFound(f"membership {given} not found", code="membership_not_found")

    new_start = min(s.start_date for s in shares)
    plan = rules.supersede(
        [rules.Period(m.id, m.start_date, m.end_date) for m in existing.values() if m.id not in given_ids],
        new_start,
    )
    for membership_id, end in plan.close.items():
        existing[membership_id].end_date = end
    repository.remove(session, [existing[i] for i in plan.remove])

    result: list[CostCenterMembership] = []
    for spec, share in zip(memberships, shares, strict=True):
        if spec.id is not None:
            target = existing[spec.id]
            target.cost_center_id = share.cost_center_id
            target.start_date = share.start_date
            target.end_date = share.end_date
            target.percentage = share.percentage
        else:
            target = CostCenterMembership(
                company_id=company_id,
                employee_id=employee_id,
                cost_center_id=share.cost_center_id,
                start_date=share.start_date,
                end_date=share.end_date,
                percentage=share.percentage,
            )
            session.add(target)
        result.append(target)
    session.flush()
    return result


def memberships_on(
    session: Session, *, company_id: int, employee_id: int, day: date
) -> list[CostCenterMembership]:
    """The employee's memberships covering ``day`` (the split an expense of that day inherits)."""
    return repository.memberships_covering(session, company_id=company_id, employee_id=employee_id, day=day)


# --- ledger accounts ----------------------------------------------------------------------------


def _account_fields(
    number: str | Unset, type: str | Unset, currency: str | Unset, name: str | Unset | None
) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if isinstance(number, str) and not (0 < len(number) <= 40):
        fields["number"] = ["must be 1 to 40 characters"]
    if isinstance(type, str) and type not in rules.ACCOUNT_TYPES:
        fields["type"] = [f"must be one of {', '.join(rules.ACCOUNT_TYPES)}"]
    if isinstance(currency, str) and not is_currency(currency):
        fields["currency"] = ["must be an ISO 4217 currency code, e.g. EUR"]
    if isinstance(name, str) and len(name) > 200:
        fields["name"] = ["must be at most 200 characters"]
    return fields


def _check_external_id(
    session: Session, company_id: int, external_id: str | None, exclude_id: int | None
) -> None:
    if external_id is None:
        return
    found = repository.account_by_external_id(session, company_id=company_id, external_id=external_id)
    if found is not None and found.id != exclude_id:
        raise Conflict(f"an account with external_id {external_id!r} exists", code="duplicate_external_id")


def create_account(
    session: Session,
    *,
    company_id: int,
    legal_entity_id: int,
    number: str,
    type: str,
    currency: str,
    name: str | None = None,
    external_id: str | None = None,
    disabled: bool = False,
) -> Account:
    """A ledger account of a legal entity; ``external_id`` is unique in the company (409)."""
    number = number.strip()
    fields = _account_fields(number, type, currency, name)
    if external_id is not None and not (0 < len(external_id) <= 120):
        fields["external_id"] = ["must be 1 to 120 characters"]
    if fields:
        raise ValidationFailed("invalid ledger account", fields=fields)
    companies.get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)
    _check_external_id(session, company_id, external_id, None)
    account = Account(
        company_id=company_id,
        legal_entity_id=legal_entity_id,
        number=number,
        name=name,
        type=type,
        currency=currency,
        disabled=disabled,
        external_id=external_id,
        updated_at=utcnow(),
    )
    session.add(account)
    repository.flush_or_conflict(session, "an account with this external_id exists", "duplicate_external_id")
    return account


def update_account(
    session: Session,
    *,
    company_id: int,
    account_id: int,
    name: str | Unset | None = UNSET,
    number: str | Unset = UNSET,
    type: str | Unset = UNSET,
    currency: str | Unset = UNSET,
    legal_entity_id: int | Unset = UNSET,
    external_id: str | Unset | None = UNSET,
    disabled: bool | Unset = UNSET,
) -> Account:
    """Change the given fields; ``None`` clears the name or the external id."""
    account = get_object(
        session, resources.ACCOUNTS, Account, company_id=company_id, item_id=account_id, lock=True
    )
    if isinstance(number, str):
        number = number.strip()
    fields = _account_fields(number, type, currency, name)
    if fields:
        raise ValidationFailed("invalid ledger account", fields=fields)
    if isinstance(legal_entity_id, int):
        companies.get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)
        account.legal_entity_id = legal_entity_id
    if isinstance(external_id, str):
        _check_external_id(session, company_id, external_id, account.id)
    if not isinstance(name, Unset):
        account.name = name
    if isinstance(number, str):
        account.number = number
    if isinstance(type, str):
        account.type = type
    if isinstance(currency, str):
        account.currency = currency
    if not isinstance(external_id, Unset):
        account.external_id = external_id
    if isinstance(disabled, bool):
        account.disabled = disabled
    account.updated_at = utcnow()
    repository.flush_or_conflict(session, "an account with this external_id exists", "duplicate_external_id")
    return account


# --- ledger account resources -------------------------------------------------------------------


def _resolve_account(
    session: Session,
    *,
    company_id: int,
    legal_entity_id: int,
    currency: str,
    account_id: int | None,
    number: str | None,
    name: str | None,
) -> Account | None:
    """The account of a mapping: ``account_id``, else the one numbered ``number`` (created if needed)."""
    if account_id is not None:
        account = get_object(session, resources.ACCOUNTS, Account, company_id=company_id, item_id=account_id)
        if account.legal_entity_id != legal_entity_id:
            raise ValidationFailed(
                "invalid ledger account resource",
                fields={"account_id": ["must be an account of the same legal entity"]},
                code="account_legal_entity_mismatch",
            )
        return account
    if number is None:
        return None
    number = number.strip()
    found = repository.account_by_number(
        session, company_id=company_id, legal_entity_id=legal_entity_id, number=number
    )
    if found is not None:
        return found
    return create_account(
        session,
        company_id=company_id,
        legal_entity_id=legal_entity_id,
        number=number,
        type="expense",
        currency=currency,
        name=name,
    )


def upsert_ledger_account_resource(
    session: Session,
    *,
    company_id: int,
    legal_entity_id: int,
    resource_type: str,
    mapping_id: int | None = None,
    resource_id: int | None = None,
    account_id: int | None = None,
    name: str | None = None,
    number: str | None = None,
    external_id: str | None = None,
    balance_type: str | None = None,
    operation_type: str | None = None,
) -> LedgerAccountResource:
    """Create or update the mapping of one object to a ledger account.

    The mapping is found by ``mapping_id``, else by (legal entity, resource type, resource id).
    The account is ``account_id``, else the legal entity's account numbered ``number`` (created
    with type ``expense`` and ``name`` when none exists). Arguments left ``None`` keep their value
    on update. A ``customcategory`` resource must be a category of the company.
    """
    fields: dict[str, list[str]] = {}
    if resource_type not in rules.LEDGER_RESOURCE_TYPES:
        fields["resource_type"] = [f"must be one of {', '.join(rules.LEDGER_RESOURCE_TYPES)}"]
    if balance_type is not None and balance_type not in rules.BALANCE_TYPES:
        fields["balance_type"] = ["must be credit or debit"]
    if operation_type is not None and operation_type not in rules.OPERATION_TYPES:
        fields["operation_type"] = ["must be purchase or sale"]
    if mapping_id is None and resource_id is None:
        fields["resource_id"] = ["is required when id is not given"]
    if fields:
        raise ValidationFailed("invalid ledger account resource", fields=fields)
    entity = companies.get_legal_entity(session, company_id=company_id, legal_entity_id=legal_entity_id)

    mapping: LedgerAccountResource | None
    if mapping_id is not None:
        mapping = get_object(
            session,
            resources.LEDGER_ACCOUNT_RESOURCES,
            LedgerAccountResource,
            company_id=company_id,
            item_id=mapping_id,
        )
    else:
        assert resource_id is not None
        mapping = repository.ledger_account_resource_by_key(
            session,
            company_id=company_id,
            legal_entity_id=legal_entity_id,
            resource_type=resource_type,
            resource_id=resource_id,
        )
    target_resource = resource_id if resource_id is not None else mapping.resource_id if mapping else None
    assert target_resource is not None
    if resource_type == "customcategory":
        get_object(session, resources.CATEGORIES, Category, company_id=company_id, item_id=target_resource)
    if mapping is not None:
        clash = repository.ledger_account_resource_by_key(
            session,
            company_id=company_id,
            legal_entity_id=legal_entity_id,
            resource_type=resource_type,
            resource_id=target_resource,
        )
        if clash is not None and clash.id != mapping.id:
            raise Conflict("another mapping exists for this resource", code="duplicate_resource")

    account = _resolve_account(
        session,
        company_id=company_id,
        legal_entity_id=legal_entity_id,
        currency=entity.currency,
        account_id=account_id,
        number=number,
        name=name,
    )
    if account is None and (mapping is None or mapping.legal_entity_id != legal_entity_id):
        raise ValidationFailed(
            "invalid ledger account resource",
            fields={"account_id": ["account_id or number is required for a new mapping or legal entity"]},
        )

    now = utcnow()
    if mapping is None:
        assert account is not None
        mapping = LedgerAccountResource(
            company_id=company_id,
            legal_entity_id=legal_entity_id,
            resource_type=resource_type,
            resource_id=target_resource,
            account_id=account.id,
            balance_type=balance_type,
            operation_type=operation_type,
            external_id=external_id,
            updated_at=now,
        )
        session.add(mapping)
    else:
        mapping.legal_entity_id = legal_entity_id
        mapping.resource_type = resource_type
        mapping.resource_id = target_resource
        if account is not None:
            mapping.account_id = account.id
        if balance_type is not None:
            mapping.balance_type = balance_type
        if operation_type is not None:
            mapping.operation_type = operation_type
        if external_id is not None:
            mapping.external_id = external_id
        mapping.updated_at = now
    repository.flush_or_conflict(session, "another mapping exists for this resource", "duplicate_resource")
    return mapping
