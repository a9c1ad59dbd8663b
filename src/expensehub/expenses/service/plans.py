"""Validating a create or an update of a claim into a plan, applied only once everything checked out:
the fields sent, references, legal entity and currency, exchange rate, what is owed back, cost centres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from expensehub.allowances import rules as allowance_rules
from expensehub.errors import NotFound, ValidationFailed
from expensehub.expenses import repository, rules
from expensehub.expenses.service.claims import Kind
from expensehub.expenses.service.pricing import echoes_a_computed_amount, plan_mileage, plan_per_diem
from expensehub.models import Expensable

HEADER_FIELDS = (
    "employee_id",
    "reporter_id",
    "legal_entity_id",
    "currency",
    "amount",
    "effective_on",
    "description",
    "internal_reference",
    "category_id",
    "subcategory",
    "project_id",
    "ledger_account_id",
    "payment",
    "reimbursable_amount",
)
# body field -> column of the detail row
DETAIL_COLUMNS: dict[str, dict[str, str]] = {
    "expense": {
        "merchant_name": "merchant_name",
        "user_merchant": "user_merchant",
        "merchant_tin": "merchant_tin",
        "reference": "reference",
        "exchange_rate": "exchange_rate",
        "creation_type": "creation_type",
        "card_payment_id": "card_payment_id",
        "expenses_card_id": "expenses_card_id",
        "external_authorization_id": "external_authorization_id",
        "dispute_id": "dispute_id",
        "document_number": "document_number",
        "document_type": "document_type",
        "payment_method": "payment_method",
    },
    "mileage": {
        "mileage": "distance",
        "units": "units",
        "rate": "rate",
        "rate_measurement_unit": "rate_measurement_unit",
        "from_": "origin",
        "to": "destination",
        "round_trip": "round_trip",
        "origin_latitude": "origin_latitude",
        "origin_longitude": "origin_longitude",
        "destination_latitude": "destination_latitude",
        "destination_longitude": "destination_longitude",
        "calculated_mileage": "calculated_mileage",
        "vehicle": "vehicle",
        "passengers": "passengers",
        "fiscal_horsepower": "fiscal_horsepower",
        "electric": "electric",
        "pricing": "pricing",  # set by the planner, never by the body
    },
    "perdiem": {
        "start_date": "start_date",
        "end_date": "end_date",
        "from_": "origin",
        "to": "destination",
        "trip_name": "trip_name",
        # set by the planner, never by the body
        "pricing": "pricing",
        "trip_inputs": "trip_inputs",
        "gross_amount": "gross_amount",
        "deductions_amount": "deductions_amount",
        "statutory_amount": "statutory_amount",
        "taxable_amount": "taxable_amount",
    },
}
_NOT_NULL = frozenset(
    {"employee_id", "amount", "currency", "effective_on", "payment", "creation_type", "units", "round_trip"}
)
_REFERENCES = (
    ("employee_id", "employee"),
    ("reporter_id", "employee"),
    ("category_id", "category"),
    ("project_id", "project"),
    ("ledger_account_id", "ledger_account"),
    ("legal_entity_id", "legal_entity"),
    ("card_payment_id", "card_payment"),
    ("expenses_card_id", "card"),
)
_REFERENCE_NAMES = {
    "employee": "employee",
    "category": "category",
    "project": "project",
    "ledger_account": "ledger account",
    "legal_entity": "legal entity",
    "cost_center": "cost centre",
    "card_payment": "card payment",
    "card": "card",
}


@dataclass
class Plan:
    """The validated outcome of a create or an update, applied only once everything checked out."""

    header: dict[str, Any]
    detail: dict[str, Any]
    cost_centers: list[tuple[int, Decimal]] | None  # None: leave as they are
    taxes: list[dict[str, Any]] | None  # None: leave as they are
    # per diems: the rate configurations the statutory breakdown used (None: leave as they are)
    rate_uses: Sequence[allowance_rules.RateUse] | None = None


def _changes(body: BaseModel) -> dict[str, Any]:
    """The keys the client sent (``id`` aside), with nested models as dicts."""
    return body.model_dump(include=set(body.model_fields_set) - {"id"})


def _check_references(session: Session, company_id: int, changes: dict[str, Any]) -> None:
    """404 (naming the first offender) for any referenced id that is not the company's."""
    wanted: dict[str, list[tuple[str, int]]] = {}
    for key, kind in _REFERENCES:
        value = changes.get(key)
        if value is not None:
            wanted.setdefault(kind, []).append((key, value))
    for cc_id in _cost_center_ids(changes):
        wanted.setdefault("cost_center", []).append(("cost_centers", cc_id))
    for kind, pairs in wanted.items():
        found = repository.existing_ids(session, company_id=company_id, kind=kind, ids=[v for _, v in pairs])
        for _key, value in pairs:
            if value not in found:
                raise NotFound(f"{_REFERENCE_NAMES[kind]} {value} not found")


def _cost_center_ids(changes: dict[str, Any]) -> list[int]:
    ids = list(changes.get("cost_center_ids") or [])
    ids.extend(share["cost_center_id"] for share in changes.get("cost_centers") or [])
    return ids


def _cost_center_plan(
    changes: dict[str, Any], errors: dict[str, list[str]]
) -> list[tuple[int, Decimal]] | None:
    if "cost_center_ids" not in changes and "cost_centers" not in changes:
        return None
    ids_given = changes.get("cost_center_ids")
    shares_given = changes.get("cost_centers")
    if ids_given is not None and shares_given is not None:
        errors.setdefault("cost_centers", []).append("send cost_center_ids or cost_centers, not both")
        return None
    if shares_given is not None:
        ids = [s["cost_center_id"] for s in shares_given]
        shares = [s["percentage"] for s in shares_given]
        field = "cost_centers"
    else:
        ids = list(ids_given or [])
        shares = rules.equal_shares(len(ids))
        field = "cost_center_ids"
    problem = rules.shares_problem(ids, shares)
    if problem:
        errors.setdefault(field, []).append(problem)
        return None
    return list(zip(ids, shares, strict=True))


def make_plan(
    session: Session,
    *,
    company_id: int,
    kind: Kind,
    body: BaseModel,
    state: dict[str, Any] | None,
    expensable_id: int | None = None,
) -> Plan:
    """Validate ``body`` against the current ``state`` (``None`` when creating) into a plan.

    Mileages and per diems are priced here (``allowances.service``): a null ``amount`` asks for it.
    """
    creating = state is None
    current = state or {}
    changes = _changes(body)
    errors: dict[str, list[str]] = {}
    not_null = _NOT_NULL if kind == "expense" else _NOT_NULL - {"amount"}
    for key in sorted(not_null & changes.keys()):
        if changes[key] is None:
            errors[key] = ["must not be null"]
    if errors:
        raise ValidationFailed("invalid claim", fields=errors)
    _check_references(session, company_id, changes)
    merged = {**current, **changes}

    # Legal entity and currency.
    if creating and merged.get("legal_entity_id") is None:
        owner = repository.get_employee(session, company_id=company_id, employee_id=merged["employee_id"])
        merged["legal_entity_id"] = owner.legal_entity_id if owner else None
    le_currency = (
        repository.legal_entity_currency(
            session, company_id=company_id, legal_entity_id=merged["legal_entity_id"]
        )
        if merged.get("legal_entity_id") is not None
        else None
    )
    if merged.get("currency") is None:
        merged["currency"] = le_currency
        if le_currency is None:
            errors["currency"] = ["required: the legal entity has no currency to default to"]
    currency: str | None = merged.get("currency")

    # Kind-specific fields.
    if not creating and kind != "expense" and echoes_a_computed_amount(kind, changes, current):
        # A client sending back the object it read (amount included) does not pin the computed amount.
        del changes["amount"]
    rate_uses: Sequence[allowance_rules.RateUse] | None = None
    if kind == "expense":
        _plan_exchange_rate(merged, changes, creating, currency, le_currency, errors)
        if merged.get("creation_type") is None:
            merged["creation_type"] = "manual"
    elif kind == "mileage":
        plan_mileage(session, company_id, merged, changes, current, creating, currency, errors, expensable_id)
    else:
        rate_uses = plan_per_diem(session, company_id, merged, changes, current, creating, currency, errors)

    # Payment and what is owed back.
    if merged.get("payment") is None:
        merged["payment"] = rules.default_payment(
            card=merged.get("card"),
            expenses_card_id=merged.get("expenses_card_id"),
            card_payment_id=merged.get("card_payment_id"),
        )
    amount = merged.get("amount")
    amount_changed = creating or amount != current.get("amount")
    if changes.get("reimbursable_amount") is not None:
        reimbursable = changes["reimbursable_amount"]
    elif amount_changed or "payment" in changes or "reimbursable_amount" in changes:
        reimbursable = rules.default_reimbursable(amount or 0, merged["payment"])
    else:
        reimbursable = current.get("reimbursable_amount")
    if amount is not None and reimbursable is not None:
        problem = rules.reimbursable_problem(amount, reimbursable, merged["payment"])
        if problem:
            errors.setdefault("reimbursable_amount", []).append(problem)
    merged["reimbursable_amount"] = reimbursable

    cost_centers = _cost_center_plan(changes, errors)
    taxes: list[dict[str, Any]] | None = None
    if kind == "expense" and "taxes" in changes:
        taxes = list(changes["taxes"] or [])
    if errors:
        raise ValidationFailed("invalid claim", fields=errors)

    header = {k: merged.get(k) for k in HEADER_FIELDS}
    header["reimbursable_currency"] = currency
    detail = {col: merged.get(key) for key, col in DETAIL_COLUMNS[kind].items()}
    if kind == "expense":
        card = merged.get("card")
        detail["card_type"] = card["card_type"] if card else None
        detail["card_last4"] = card.get("last4") if card else None
    return Plan(header=header, detail=detail, cost_centers=cost_centers, taxes=taxes, rate_uses=rate_uses)


def _plan_exchange_rate(
    merged: dict[str, Any],
    changes: dict[str, Any],
    creating: bool,
    currency: str | None,
    le_currency: str | None,
    errors: dict[str, list[str]],
) -> None:
    if "exchange_rate" in changes:
        rate = changes["exchange_rate"]
    elif creating or "currency" in changes or "legal_entity_id" in changes:
        rate = None
    else:
        rate = merged.get("exchange_rate")
    if le_currency is not None and currency is not None and currency != le_currency:
        if rate is None:
            errors["exchange_rate"] = [
                f"required when the currency ({currency}) differs from the legal entity's ({le_currency})"
            ]
    elif le_currency is not None:
        if rate is not None and rate != 1:
            errors["exchange_rate"] = [f"must be 1 when the currency is the legal entity's ({le_currency})"]
        rate = Decimal(1)
    elif rate is None:
        rate = Decimal(1)
    merged["exchange_rate"] = rate


def state_of(kind: Kind, x: Expensable, detail: Any) -> dict[str, Any]:
    state = {k: getattr(x, k) for k in HEADER_FIELDS}
    state.update({key: getattr(detail, col) for key, col in DETAIL_COLUMNS[kind].items()})
    if kind == "expense":
        state["card"] = (
            {"card_type": detail.card_type, "last4": detail.card_last4} if detail.card_type else None
        )
    return state
