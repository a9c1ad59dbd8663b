"""Use cases of the expenses domain: list and read claims, create and edit drafts, move them through
the status machine (``rules.py``), approval flows and duplicate detection.

Services flush, never commit. Every check runs before the first change, so a refused request changes
nothing even before the request's transaction is rolled back. Views are plain dicts built by
``schemas.*_out`` with the page's related rows loaded in one IN query each (no N+1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from expensehub.allowances import rules as allowance_rules
from expensehub.allowances import service as allowances
from expensehub.db.resources import get_scoped
from expensehub.documents import service as documents
from expensehub.documents.context import UrlSigner
from expensehub.documents.filetypes import FileType
from expensehub.documents.storage import FileStore, StagedFile
from expensehub.errors import InvalidState, NotFound, ValidationFailed
from expensehub.expenses import repository, resources, rules, schemas
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS
from expensehub.models import (
    ApprovalFlow,
    ApprovalFlowApprover,
    Expensable,
    Expense,
    ExpenseTax,
    Mileage,
    PerDiem,
)
from expensehub.webhooks import service as webhooks

Kind = Literal["expense", "mileage", "perdiem"]
Decision = Literal["approve", "reject", "request_changes"]


@dataclass(frozen=True)
class Actor:
    """Who performs a write: the caller's access and employee (both ``None`` for company API keys)."""

    access_id: int | None = None
    employee_id: int | None = None


_DETAIL_MODEL: dict[str, Any] = {"expense": Expense, "mileage": Mileage, "perdiem": PerDiem}
_DETAIL_NAME = {"expense": "expense", "mileage": "mileage", "perdiem": "per diem"}


# --------------------------------------------------------------------------------------------------
# Create and edit (expensehub extension)
# --------------------------------------------------------------------------------------------------

_HEADER_FIELDS = (
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
_DETAIL_COLUMNS: dict[str, dict[str, str]] = {
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
# What prices a mileage: with the company's rate, and (all of these) with the statutory rules.
_MILEAGE_INPUTS = ("mileage", "units", "rate", "rate_measurement_unit", "round_trip")
_COORDINATES = ("origin_latitude", "origin_longitude", "destination_latitude", "destination_longitude")
_MILEAGE_STATUTORY_INPUTS = (
    *_MILEAGE_INPUTS,
    *_COORDINATES,
    "vehicle",
    "passengers",
    "fiscal_horsepower",
    "electric",
    "effective_on",
    "employee_id",
    "legal_entity_id",
    "currency",
)


@dataclass
class _Plan:
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


def _plan(
    session: Session,
    *,
    company_id: int,
    kind: Kind,
    body: BaseModel,
    state: dict[str, Any] | None,
    expensable_id: int | None = None,
) -> _Plan:
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
    if not creating and kind != "expense" and _echoes_a_computed_amount(kind, changes, current):
        # A client sending back the object it read (amount included) does not pin the computed amount.
        del changes["amount"]
    rate_uses: Sequence[allowance_rules.RateUse] | None = None
    if kind == "expense":
        _plan_exchange_rate(merged, changes, creating, currency, le_currency, errors)
        if merged.get("creation_type") is None:
            merged["creation_type"] = "manual"
    elif kind == "mileage":
        _plan_mileage(
            session, company_id, merged, changes, current, creating, currency, errors, expensable_id
        )
    else:
        rate_uses = _plan_per_diem(session, company_id, merged, changes, current, creating, currency, errors)

    # Payment and what is owed back.
    if merged.get("payment") is None:
        merged["payment"] = "reimbursable"
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

    header = {k: merged.get(k) for k in _HEADER_FIELDS}
    header["reimbursable_currency"] = currency
    detail = {col: merged.get(key) for key, col in _DETAIL_COLUMNS[kind].items()}
    if kind == "expense":
        card = merged.get("card")
        detail["card_type"] = card["card_type"] if card else None
        detail["card_last4"] = card.get("last4") if card else None
    return _Plan(header=header, detail=detail, cost_centers=cost_centers, taxes=taxes, rate_uses=rate_uses)


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


def _stored_mileage_pricing(current: dict[str, Any]) -> str | None:
    """How a stored mileage was priced (rows written before ``pricing`` existed: by their rate, if any)."""
    if not current:
        return None
    return rules.mileage_pricing(current.get("pricing"), current.get("rate"))


def _changed(changes: dict[str, Any], current: dict[str, Any], keys: Iterable[str]) -> bool:
    """Whether the body changes one of ``keys``: a key sent again with its stored value is no change, so
    a client may send back the inputs it read without re-pricing the claim."""
    return any(key in changes and changes[key] != current.get(key) for key in keys)


def _echoes_a_computed_amount(kind: Kind, changes: dict[str, Any], current: dict[str, Any]) -> bool:
    """The body repeats the stored amount of a claim whose amount the rules or the company rate set."""
    sent = changes.get("amount")
    if sent is None or sent != current.get("amount"):
        return False
    if kind == "mileage":
        return _stored_mileage_pricing(current) != "amount"
    return rules.per_diem_pricing(current.get("pricing"), current.get("amount")) != "amount"


def _plan_mileage(
    session: Session,
    company_id: int,
    merged: dict[str, Any],
    changes: dict[str, Any],
    current: dict[str, Any],
    creating: bool,
    currency: str | None,
    errors: dict[str, list[str]],
    expensable_id: int | None,
) -> None:
    """Amount, rate and calculated mileage of a mileage (docs/allowances.md).

    ``amount`` given: that. Else the company's ``rate`` (given now, or stored by an earlier write that
    gave one): mileage x rate. Else the statutory rules of the employer's country. A claim is priced again
    on update only when what prices it changed (or ``amount: null`` was sent).
    """
    if merged.get("units") is None:
        merged["units"] = "km"
    if merged.get("rate_measurement_unit") is None:
        merged["rate_measurement_unit"] = merged["units"]
    if merged.get("round_trip") is None:
        merged["round_trip"] = False
    distance: int | None = merged.get("mileage")
    distance_changed = creating or _changed(changes, current, ("mileage", "units", "round_trip"))
    from_points: int | None = None  # calculated_mileage of a distance taken from the coordinates
    if distance is None and (creating or _changed(changes, current, _COORDINATES)):
        origin = allowances.mileage_point(merged.get("origin_latitude"), merged.get("origin_longitude"))
        dest = allowances.mileage_point(
            merged.get("destination_latitude"), merged.get("destination_longitude")
        )
        if origin is not None and dest is not None:
            # Coordinates without a distance: the straight line, to the whole unit.
            distance, from_points = allowances.straight_line_mileage(merged["units"], origin, dest)
            merged["mileage"] = distance
            distance_changed = True
    if distance is not None and (distance_changed or _changed(changes, current, _COORDINATES)):
        origin = allowances.mileage_point(merged.get("origin_latitude"), merged.get("origin_longitude"))
        dest = allowances.mileage_point(
            merged.get("destination_latitude"), merged.get("destination_longitude")
        )
        if origin is not None and dest is not None:
            allowances.check_mileage_distance(distance, merged["units"], origin, dest)
    if distance_changed and "calculated_mileage" not in changes:
        legs = 2 if merged["round_trip"] else 1
        one_way = from_points if from_points is not None else None if distance is None else distance * 100
        merged["calculated_mileage"] = None if one_way is None else one_way * legs

    stored = _stored_mileage_pricing(current)
    if changes.get("amount") is not None:
        merged["pricing"] = "amount"
        return
    if "rate" in changes:
        company_rate = changes["rate"]
    elif stored == "statutory":
        company_rate = None
    else:
        company_rate = merged.get("rate")
    pricing = "rate" if company_rate is not None else "statutory"
    watched = _MILEAGE_INPUTS if pricing == "rate" else _MILEAGE_STATUTORY_INPUTS
    if not (creating or "amount" in changes or _changed(changes, current, watched)):
        return
    if distance is None:
        errors["mileage"] = ["required unless amount is given"]
        return
    if errors or currency is None:
        return
    if company_rate is not None:
        amount = rules.mileage_amount(
            distance=distance,
            units=merged["units"],
            rate=company_rate,
            rate_unit=merged["rate_measurement_unit"],
            round_trip=bool(merged["round_trip"]),
            currency=currency,
        )
    else:
        result = allowances.price_mileage(
            session,
            company_id=company_id,
            country=allowances.employer_country(
                session,
                company_id=company_id,
                legal_entity_id=merged.get("legal_entity_id"),
                employee_id=merged.get("employee_id"),
            ),
            currency=currency,
            employee_id=merged["employee_id"],
            expensable_id=expensable_id,
            on=merged["effective_on"],
            distance=distance,
            unit=merged["units"],
            round_trip=bool(merged["round_trip"]),
            vehicle=merged.get("vehicle"),
            passengers=merged.get("passengers"),
            fiscal_horsepower=merged.get("fiscal_horsepower"),
            electric=merged.get("electric"),
            origin=allowances.mileage_point(merged.get("origin_latitude"), merged.get("origin_longitude")),
            destination=allowances.mileage_point(
                merged.get("destination_latitude"), merged.get("destination_longitude")
            ),
        )
        amount = result.amount
        merged["rate"] = result.rate
        merged["rate_measurement_unit"] = result.rate_unit
        if "calculated_mileage" not in changes:
            merged["calculated_mileage"] = int((result.distance * 100).to_integral_value())
    if amount <= 0 or amount > MAX_MINOR_UNITS:
        errors["amount"] = [f"the computed amount ({amount}) must be between 1 and {MAX_MINOR_UNITS}"]
        return
    merged["amount"] = amount
    merged["pricing"] = pricing


def _plan_per_diem(
    session: Session,
    company_id: int,
    merged: dict[str, Any],
    changes: dict[str, Any],
    current: dict[str, Any],
    creating: bool,
    currency: str | None,
    errors: dict[str, list[str]],
) -> Sequence[allowance_rules.RateUse] | None:
    """Dates, trip inputs, amount and statutory figures of a per diem (docs/allowances.md).

    The trip is priced on every write. Without ``amount`` (and on update while the amount is the rules'),
    the amount is the statutory allowance; with it, the statutory figures say which part is taxable.
    Returns the rate configurations the breakdown used (``None`` when nothing is to change).
    """
    raw = json.loads(current["trip_inputs"]) if current.get("trip_inputs") else {}
    for key in allowance_rules.TRIP_INPUT_KEYS:
        if key in changes:
            if changes[key] is None:
                raw.pop(key, None)
            else:
                raw[key] = changes[key]
    inputs = allowance_rules.TripInputs.from_json(raw)
    stored_inputs = inputs.to_json()
    merged["trip_inputs"] = json.dumps(stored_inputs, sort_keys=True) if stored_inputs else None
    if changes.get("start_at") is not None and "start_date" not in changes and inputs.start_at is not None:
        merged["start_date"] = allowance_rules.trip_day(inputs.start_at, inputs.timezone)
    if changes.get("end_at") is not None and "end_date" not in changes and inputs.end_at is not None:
        merged["end_date"] = allowance_rules.trip_day(inputs.end_at, inputs.timezone, end=True)

    start: date | None = merged.get("start_date")
    end: date | None = merged.get("end_date")
    if start is not None and end is not None and end < start:
        if inputs.start_at is not None and inputs.end_at is not None:  # the days come from the times
            raise ValidationFailed(
                "the trip ends before it starts",
                fields={"end_at": ["must be after start_at"]},
                code="invalid_trip",
            )
        errors["end_date"] = ["must be on or after start_date"]
    if merged.get("effective_on") is None:
        if creating and start is not None:
            merged["effective_on"] = start
        else:
            errors["effective_on"] = ["required (or give start_date)"]
    if errors:
        return None

    if changes.get("amount") is not None:
        pricing = "amount"
    elif creating or "amount" in changes:
        pricing = "statutory"
    else:
        pricing = rules.per_diem_pricing(current.get("pricing"), current.get("amount"))
    priced = allowances.price_per_diem(
        country=allowances.employer_country(
            session,
            company_id=company_id,
            legal_entity_id=merged.get("legal_entity_id"),
            employee_id=merged.get("employee_id"),
        ),
        currency=currency,
        start_date=start or merged["effective_on"],
        end_date=end,
        destination=merged.get("to"),
        inputs=inputs,
    )
    merged["pricing"] = pricing
    if priced.result is None:
        if pricing == "statutory":
            raise ValidationFailed(
                f"{priced.reason}: give the `amount`",
                fields={"amount": [f"required: {priced.reason}"]},
                code="amount_required",
            )
        merged.update(gross_amount=None, deductions_amount=None, statutory_amount=None, taxable_amount=None)
        return ()
    totals = priced.result.totals
    if pricing == "statutory":
        if totals.statutory <= 0:
            reason = "the statutory allowance of this trip is 0"
            raise ValidationFailed(
                f"{reason}: give the `amount` to pay one anyway",
                fields={"amount": [f"required: {reason}"]},
                code="amount_required",
            )
        merged["amount"] = totals.statutory
    amount: int = merged["amount"]
    merged.update(
        gross_amount=totals.gross,
        deductions_amount=totals.deductions,
        statutory_amount=totals.statutory,
        taxable_amount=amount - min(amount, totals.statutory),
    )
    return priced.uses


def _apply(session: Session, plan: _Plan, x: Expensable, detail: Any, now: datetime) -> None:
    for key, value in plan.header.items():
        setattr(x, key, value)
    x.updated_at = now
    for key, value in plan.detail.items():
        setattr(detail, key, value)
    session.flush()
    if plan.rate_uses is not None:
        allowances.set_per_diem_rates(
            session, company_id=x.company_id, per_diem_id=detail.id, uses=plan.rate_uses, now=now
        )
    if plan.cost_centers is not None:
        repository.replace_cost_centers(session, expensable_id=x.id, shares=plan.cost_centers)
    if plan.taxes is not None:
        repository.replace_taxes(
            session,
            expense_id=detail.id,
            taxes=[
                ExpenseTax(
                    expense_id=detail.id,
                    type=t.get("type") or "vat",
                    amount=t.get("amount"),
                    percentage=t.get("percentage"),
                    base_amount=t.get("base_amount"),
                )
                for t in plan.taxes
            ],
        )


def _find_duplicate(session: Session, company_id: int, plan: _Plan) -> int | None:
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


def _receipt_ids(body: BaseModel) -> list[int] | None:
    """The receipts a body asks for: ``document_ids``, else ``[document_id]``; ``None`` when neither key was
    sent (PUT leaves the receipts alone then)."""
    sent = body.model_fields_set
    single: int | None = getattr(body, "document_id", None)
    many: list[int] | None = getattr(body, "document_ids", None)
    if "document_ids" in sent and many is not None:
        if single is not None and (not many or many[0] != single):
            raise ValidationFailed(
                "invalid receipts", fields={"document_id": ["must be the first of document_ids"]}
            )
        return many
    if "document_id" in sent:
        return [single] if single is not None else []
    if "document_ids" in sent:  # explicit null
        return []
    return None


@dataclass(frozen=True)
class Uploads:
    """Receipts uploaded with a create (multipart): staged files, their checked types, the store."""

    store: FileStore
    files: Sequence[tuple[StagedFile, FileType]]
    author_access_id: int | None = None


def _create(
    session: Session,
    *,
    company_id: int,
    kind: Kind,
    body: BaseModel,
    uploads: Uploads | None = None,
    author: webhooks.Author,
) -> int:
    """Create the claim; returns its detail id."""
    if getattr(body, "id", None) is not None:
        # The server assigns ids; an id in a create body names nothing the caller may choose.
        raise ValidationFailed("id on create", fields={"id": ["is assigned by the server"]})
    plan = _plan(session, company_id=company_id, kind=kind, body=body, state=None)
    receipts = _receipt_ids(body) if kind == "expense" else None
    if receipts:
        receipts = documents.check_receipts(session, company_id=company_id, document_ids=receipts)
    now = utcnow()
    x = Expensable(
        company_id=company_id,
        type=kind,
        status="draft",
        created_at=now,
        updated_at=now,
        status_updated_at=now,
    )
    if kind == "expense":
        x.duplicate_of_id = _find_duplicate(session, company_id, plan)
    for key, value in plan.header.items():
        setattr(x, key, value)
    repository.add(session, x)
    detail = _DETAIL_MODEL[kind](company_id=company_id, expensable_id=x.id)
    repository.add(session, detail)
    _apply(session, plan, x, detail, now)
    if kind == "expense":
        uploaded: list[int] = []
        if uploads is not None:
            uploaded = [
                documents.receipt_from_upload(
                    session,
                    store=uploads.store,
                    company_id=company_id,
                    staged=staged,
                    kind=file_type,
                    employee_id=x.employee_id,
                    author_access_id=uploads.author_access_id,
                )
                for staged, file_type in uploads.files
            ]
        _set_receipts(session, company_id, detail, [*(receipts or []), *uploaded])
    _emit(session, company_id, "create", [x], author)
    detail_id: int = detail.id
    return detail_id


def _set_receipts(session: Session, company_id: int, detail: Expense, document_ids: Sequence[int]) -> None:
    ordered = list(dict.fromkeys(document_ids))
    documents.set_expense_files(session, company_id=company_id, expense_id=detail.id, document_ids=ordered)
    detail.document_id = ordered[0] if ordered else None
    session.flush()


def _state(kind: Kind, x: Expensable, detail: Any) -> dict[str, Any]:
    state = {k: getattr(x, k) for k in _HEADER_FIELDS}
    state.update({key: getattr(detail, col) for key, col in _DETAIL_COLUMNS[kind].items()})
    if kind == "expense":
        state["card"] = (
            {"card_type": detail.card_type, "last4": detail.card_last4} if detail.card_type else None
        )
    return state


def _update(
    session: Session,
    *,
    company_id: int,
    kind: Kind,
    detail_id: int,
    body: BaseModel,
    author: webhooks.Author,
) -> None:
    name = _DETAIL_NAME[kind]
    detail = repository.detail_of(session, _DETAIL_MODEL[kind], company_id=company_id, detail_id=detail_id)
    if detail is None:
        raise NotFound(f"{name} {detail_id} not found")
    body_id = getattr(body, "id", None)
    if body_id is not None and body_id != detail_id:
        raise ValidationFailed("id mismatch", fields={"id": [f"must equal the id in the path ({detail_id})"]})
    x = repository.lock_expensables(session, company_id=company_id, ids=[detail.expensable_id])[
        detail.expensable_id
    ]
    session.refresh(detail)  # read before the lock; an edit that just committed may have changed it
    _transition(x, "edit", subject=f"{name} {detail_id}")
    plan = _plan(
        session,
        company_id=company_id,
        kind=kind,
        body=body,
        state=_state(kind, x, detail),
        expensable_id=x.id,
    )
    receipts = _receipt_ids(body) if kind == "expense" else None
    if receipts:
        receipts = documents.check_receipts(session, company_id=company_id, document_ids=receipts)
    _apply(session, plan, x, detail, utcnow())
    if receipts is not None:
        _set_receipts(session, company_id, detail, receipts)
    _emit(session, company_id, "update", [x], author)


def create_expense(
    session: Session,
    *,
    company_id: int,
    body: schemas.ExpenseCreate,
    uploads: Uploads | None = None,
    signer: UrlSigner | None = None,
    author: webhooks.Author,
) -> schemas.ExpenseView:
    """A draft expense (header + detail); flagged when it looks like an earlier one.

    Its receipts are the documents named by ``document_ids``/``document_id`` (404 for another company's
    or a trashed one), then the ``uploads`` (already type-checked), stored as documents of the owner.
    ``signer`` signs the receipts' URLs in the view.
    """
    expense_id = _create(
        session, company_id=company_id, kind="expense", body=body, uploads=uploads, author=author
    )
    return get_scoped(session, resources.EXPENSES, company_id=company_id, item_id=expense_id, context=signer)


def update_expense(
    session: Session,
    *,
    company_id: int,
    expense_id: int,
    body: schemas.ExpenseUpdate,
    signer: UrlSigner | None = None,
    author: webhooks.Author,
) -> schemas.ExpenseView:
    """Partial update of an expense in draft or changes_requested (``document_ids`` replaces receipts)."""
    _update(session, company_id=company_id, kind="expense", detail_id=expense_id, body=body, author=author)
    return get_scoped(session, resources.EXPENSES, company_id=company_id, item_id=expense_id, context=signer)


def create_mileage(
    session: Session, *, company_id: int, body: schemas.MileageCreate, author: webhooks.Author
) -> schemas.MileageView:
    """A draft mileage claim; without ``amount``, priced with ``rate`` or by the statutory rules."""
    mileage_id = _create(session, company_id=company_id, kind="mileage", body=body, author=author)
    return get_scoped(session, resources.MILEAGES, company_id=company_id, item_id=mileage_id)


def update_mileage(
    session: Session,
    *,
    company_id: int,
    mileage_id: int,
    body: schemas.MileageUpdate,
    author: webhooks.Author,
) -> schemas.MileageView:
    _update(session, company_id=company_id, kind="mileage", detail_id=mileage_id, body=body, author=author)
    return get_scoped(session, resources.MILEAGES, company_id=company_id, item_id=mileage_id)


def create_per_diem(
    session: Session, *, company_id: int, body: schemas.PerDiemCreate, author: webhooks.Author
) -> schemas.PerDiemView:
    """A draft per diem claim, priced by the statutory rules (its amount, when not given)."""
    per_diem_id = _create(session, company_id=company_id, kind="perdiem", body=body, author=author)
    return get_scoped(session, resources.PER_DIEMS, company_id=company_id, item_id=per_diem_id)


def update_per_diem(
    session: Session,
    *,
    company_id: int,
    per_diem_id: int,
    body: schemas.PerDiemUpdate,
    author: webhooks.Author,
) -> schemas.PerDiemView:
    _update(session, company_id=company_id, kind="perdiem", detail_id=per_diem_id, body=body, author=author)
    return get_scoped(session, resources.PER_DIEMS, company_id=company_id, item_id=per_diem_id)


# --------------------------------------------------------------------------------------------------
# Status changes
# --------------------------------------------------------------------------------------------------


def _lock_all(session: Session, company_id: int, ids: Iterable[int]) -> list[Expensable]:
    """The expensables in request order (duplicates removed); 404 naming the first unknown id."""
    ordered = list(dict.fromkeys(ids))
    found = repository.lock_expensables(session, company_id=company_id, ids=ordered)
    for expensable_id in ordered:
        if expensable_id not in found:
            raise NotFound(f"expensable {expensable_id} not found")
    return [found[i] for i in ordered]


def _lock_one(session: Session, company_id: int, expensable_id: int) -> Expensable:
    return _lock_all(session, company_id, [expensable_id])[0]


def _current(x: Expensable) -> dict[str, Any]:
    """The claim's state, for the ``details`` of a 409."""
    return {"resource": "expensable", "id": x.id, "status": x.status}


def _transition(x: Expensable, action: str, *, subject: str | None = None) -> str:
    """The status after ``action``; 409 ``invalid_status_transition`` with the claim's current state.

    ``x`` must come from a locking read (``_lock_all``): a request that lost a race to change the same
    claim reads it after the winner committed and is refused here, as a later request would be.
    """
    try:
        return rules.transition(x.status, action, subject=subject or f"expensable {x.id}")
    except InvalidState as exc:
        exc.details = _current(x)
        raise


def _check_all(items: Sequence[Expensable], action: str) -> list[str]:
    """The new status of each item; raises on the first illegal one before anything changes."""
    return [_transition(x, action) for x in items]


def _set_status(x: Expensable, status: str, now: datetime) -> None:
    x.status = status
    x.status_updated_at = now
    x.updated_at = now


def _emit(
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


def _one_view(session: Session, company_id: int, expensable_id: int) -> schemas.ExpensableView:
    return get_scoped(session, resources.EXPENSABLES, company_id=company_id, item_id=expensable_id)


def _views_in_order(
    session: Session, company_id: int, items: Sequence[Expensable]
) -> list[schemas.ExpensableView]:
    views = resources.expensable_views(session, company_id=company_id, ids=[x.id for x in items])
    return [views[x.id] for x in items]


def submit(
    session: Session, *, company_id: int, ids: Sequence[int], actor: Actor, author: webhooks.Author
) -> list[schemas.ExpensableView]:
    """Send drafts (or claims sent back for changes) for approval; all or nothing.

    Each submission opens an approval flow with one step whose approver is the owner's manager, or the
    company when the owner has none.
    """
    items = _lock_all(session, company_id, ids)
    targets = _check_all(items, "submit")
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
        _set_status(x, target, now)
        x.review_request_at = now
        owner = people.get(x.employee_id)
        claimant = people.get(x.reporter_id) if x.reporter_id else owner
        flow = repository.add(
            session,
            ApprovalFlow(
                company_id=company_id,
                resource_type=rules.APPROVAL_RESOURCE_TYPE,
                resource_id=x.id,
                author_access_id=actor.access_id or (claimant.access_id if claimant else None),
                author_employee_id=actor.employee_id or (claimant.id if claimant else None),
                owner_access_id=owner.access_id if owner else None,
                owner_employee_id=x.employee_id,
                status="running",
                created_at=now,
                expires_at=now + rules.APPROVAL_TTL,
            ),
        )
        manager = managers.get(owner.manager_id) if owner and owner.manager_id else None
        if manager is not None and manager.id != x.employee_id:
            approver = {
                "employee_id": manager.id,
                "access_id": manager.access_id,
                "selection_criteria": "manager",
            }
        else:
            approver = {"employee_id": None, "access_id": None, "selection_criteria": "company"}
        session.add(
            ApprovalFlowApprover(flow_id=flow.id, step=1, status="pending", updated_at=now, **approver)
        )
    session.flush()
    _emit(session, company_id, "submit", items, author)
    return _views_in_order(session, company_id, items)


_FLOW_STATUS = {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested"}


def _decide(
    session: Session, *, company_id: int, x: Expensable, decision: Decision, reason: str | None
) -> tuple[ApprovalFlow, list[ApprovalFlowApprover]]:
    target = _transition(x, decision)
    now = utcnow()
    flow = repository.latest_flow(
        session, company_id=company_id, resource_type=rules.APPROVAL_RESOURCE_TYPE, resource_id=x.id
    )
    if flow is None or flow.status != "running":
        # A pending claim that never went through submit (e.g. imported): open its flow now.
        owner = repository.get_employee(session, company_id=company_id, employee_id=x.employee_id)
        flow = repository.add(
            session,
            ApprovalFlow(
                company_id=company_id,
                resource_type=rules.APPROVAL_RESOURCE_TYPE,
                resource_id=x.id,
                author_access_id=owner.access_id if owner else None,
                author_employee_id=x.employee_id,
                owner_access_id=owner.access_id if owner else None,
                owner_employee_id=x.employee_id,
                status="running",
                created_at=now,
                expires_at=now + rules.APPROVAL_TTL,
            ),
        )
        session.add(
            ApprovalFlowApprover(
                flow_id=flow.id, step=1, status="pending", updated_at=now, selection_criteria="company"
            )
        )
        session.flush()
    approvers = repository.approvers_of(session, flow.id)
    outcome = _FLOW_STATUS[decision]
    flow.status = outcome
    flow.action_type = decision
    flow.reason = reason
    flow.final_decision_at = now
    for approver in approvers:
        if approver.status == "pending":
            approver.status = outcome
            approver.updated_at = now
    _set_status(x, target, now)
    if decision == "approve":
        x.approved_at = now
    session.flush()
    return flow, approvers


def decide_resource(
    session: Session,
    *,
    company_id: int,
    resource_type: str,
    resource_id: int,
    decision: Literal["approve", "reject"],
    reason: str | None,
    api_base: str,
    author: webhooks.Author,
) -> schemas.ApprovalFlowView:
    """Approve or reject a pending claim through its approval flow; returns the flow."""
    canonical = rules.approval_resource_type(resource_type)
    if canonical is None:
        raise ValidationFailed(
            "unsupported resource type",
            fields={"resource_type": [f"must be {rules.APPROVAL_RESOURCE_TYPE} (got {resource_type!r})"]},
            code="unsupported_resource_type",
        )
    x = _lock_one(session, company_id, resource_id)
    flow, approvers = _decide(session, company_id=company_id, x=x, decision=decision, reason=reason)
    _emit(session, company_id, decision, [x], author)
    return schemas.approval_flow_out(flow, approvers, f"{api_base}/expenses/expensables/{x.id}")


def request_changes(
    session: Session, *, company_id: int, expensable_id: int, reason: str | None
) -> schemas.ExpensableView:
    """Send a pending claim back to its owner; it can be edited and submitted again."""
    x = _lock_one(session, company_id, expensable_id)
    _decide(session, company_id=company_id, x=x, decision="request_changes", reason=reason)
    return _views_in_order(session, company_id, [x])[0]


def bulk_set_to_paid(
    session: Session, *, company_id: int, ids: Sequence[int], author: webhooks.Author
) -> list[schemas.ExpensableView]:
    """Mark approved (or in payroll, or sent to pay) claims as paid; all or nothing."""
    items = _lock_all(session, company_id, ids)
    targets = _check_all(items, "pay")
    now = utcnow()
    for x, target in zip(items, targets, strict=True):
        _set_status(x, target, now)
        x.paid_at = now
    session.flush()
    _emit(session, company_id, "bulk_set_to_paid", items, author)
    return _views_in_order(session, company_id, items)


def update_reimbursable_amount(
    session: Session,
    *,
    company_id: int,
    expensable_id: int,
    reimbursable_amount: int,
    author: webhooks.Author,
) -> schemas.ExpensableView:
    """Change what is owed back on a reimbursable expense, up to its amount, until it is paid.

    Sending the amount it already has changes nothing and writes no event (it still answers 200).
    """
    x = _lock_one(session, company_id, expensable_id)
    if x.type != "expense" or x.payment != "reimbursable":
        raise InvalidState(
            f"expensable {x.id} is a {x.type} with payment {x.payment}; only reimbursable expenses "
            "have a reimbursable amount to change",
            code="reimbursable_amount_not_supported",
        )
    if x.status == "paid":
        raise InvalidState(f"expensable {x.id} is already paid", code="already_paid", details=_current(x))
    problem = rules.reimbursable_problem(x.amount or 0, reimbursable_amount, x.payment)
    if problem:
        raise ValidationFailed(
            "invalid reimbursable amount",
            fields={"reimbursable_amount": [problem]},
            code="invalid_reimbursable_amount",
        )
    if x.reimbursable_amount == reimbursable_amount and x.reimbursable_currency == x.currency:
        # Already so (a retry, or a request that raced an identical one): nothing changes, no event.
        return _views_in_order(session, company_id, [x])[0]
    x.reimbursable_amount = reimbursable_amount
    x.reimbursable_currency = x.currency
    x.updated_at = utcnow()
    session.flush()
    _emit(session, company_id, "update_reimbursable_amount", [x], author)
    return _views_in_order(session, company_id, [x])[0]


def delete_expensable(session: Session, *, company_id: int, expensable_id: int) -> schemas.ExpensableView:
    """Delete a draft (with its detail); returns it as it was."""
    x = _lock_one(session, company_id, expensable_id)
    _transition(x, "delete")
    view = _views_in_order(session, company_id, [x])[0]
    repository.delete_expensable(session, company_id=company_id, expensable_id=x.id)
    session.expunge(x)
    return view
