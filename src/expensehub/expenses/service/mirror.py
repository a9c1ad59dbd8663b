"""Claims mirrored from a remote account (``expensehub sync``): written as the remote has them.

A mirrored expense is not a claim made here: it arrives in whatever state the source holds it (approved,
paid...), so it is written directly, not through the draft-and-workflow path, and no approval flow is
opened for it. Its references (employee, category, project, ledger account) are the local ids of the
mirrored objects, checked to be the company's like any claim's; its amounts, currency and status are
checked against the same rules (``rules.STATUSES``, ISO 4217, minor units).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from expensehub.errors import NotFound, ValidationFailed
from expensehub.expenses import repository, rules
from expensehub.expenses.service.plans import DETAIL_COLUMNS
from expensehub.kit.clock import utcnow
from expensehub.kit.money import MAX_MINOR_UNITS, is_currency
from expensehub.models import Expensable, Expense, Mileage, PerDiem

HEADER = (
    "employee_id",
    "status",
    "payment",
    "currency",
    "amount",
    "reimbursable_amount",
    "reimbursable_currency",
    "description",
    "effective_on",
    "category_id",
    "subcategory",
    "ledger_account_id",
    "project_id",
    "review_request_at",
    "paid_at",
)
DETAIL = (
    "merchant_name",
    "user_merchant",
    "merchant_tin",
    "reference",
    "exchange_rate",
    "document_number",
    "document_type",
    "payment_method",
)
# Mileages and per diems: the wire name of each detail field, and the model attribute it is stored in.
# Their detail fields are the draft bodies' (``plans.DETAIL_COLUMNS``: body attribute -> model column),
# named as on the wire (``from`` where the body says ``from_``), except what only the planner sets.
_PLANNER_ONLY = frozenset(
    {"pricing", "trip_inputs", "gross_amount", "deductions_amount", "statutory_amount", "taxable_amount"}
)


def _wire(columns: Mapping[str, str]) -> dict[str, str]:
    return {attr.rstrip("_"): column for attr, column in columns.items() if attr not in _PLANNER_ONLY}


MILEAGE_DETAIL = _wire(DETAIL_COLUMNS["mileage"])
PER_DIEM_DETAIL = _wire(DETAIL_COLUMNS["perdiem"])
_DETAILS: dict[str, tuple[type[Any], dict[str, str]]] = {
    "expense": (Expense, {name: name for name in DETAIL}),
    "mileage": (Mileage, MILEAGE_DETAIL),
    "per_diem": (PerDiem, PER_DIEM_DETAIL),
}
KIND_FIELDS = {kind: HEADER + tuple(detail) for kind, (_model, detail) in _DETAILS.items()}
"""The fields a mirrored claim of each kind is written from (wire names)."""
_REFERENCES = {
    "employee_id": "employee",
    "category_id": "category",
    "ledger_account_id": "ledger_account",
    "project_id": "project",
}


def _checked(session: Session, company_id: int, kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(KIND_FIELDS[kind])
    if unknown:
        raise ValueError(f"not a mirrored {kind} field: {', '.join(sorted(unknown))}")
    fields: dict[str, list[str]] = {}
    if values.get("status") not in rules.STATUSES:
        fields["status"] = [f"must be one of {', '.join(rules.STATUSES)}"]
    for name in ("currency", "reimbursable_currency"):
        if values.get(name) is not None and not is_currency(values[name]):
            fields[name] = ["must be an ISO 4217 currency code"]
    for name in ("amount", "reimbursable_amount"):
        amount = values.get(name)
        if amount is not None and (not isinstance(amount, int) or abs(amount) > MAX_MINOR_UNITS):
            fields[name] = ["must be an integer amount in minor units"]
    if not isinstance(values.get("effective_on"), date | None):
        fields["effective_on"] = ["must be a date"]
    checked = dict(values)
    for name in ("exchange_rate", "rate"):
        if values.get(name) is not None:
            try:
                checked[name] = Decimal(str(values[name]))
            except InvalidOperation:
                fields[name] = ["must be a decimal number"]
    for name in ("start_date", "end_date"):
        if not isinstance(values.get(name), date | None):
            fields[name] = ["must be a date"]
    if fields:
        raise ValidationFailed("invalid mirrored expense", fields=fields)
    for name, kind in _REFERENCES.items():
        ref = values.get(name)
        if ref is not None and not repository.existing_ids(
            session, company_id=company_id, kind=kind, ids=[ref]
        ):
            raise NotFound(f"{kind} {ref} not found")
    if values.get("employee_id") is None:
        raise ValidationFailed("invalid mirrored expense", fields={"employee_id": ["is required"]})
    return checked


def _stamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def mirror_claim(
    session: Session, *, company_id: int, kind: str, values: Mapping[str, Any], detail_id: int | None = None
) -> int:
    """Create (``detail_id`` None) or overwrite a mirrored claim of ``kind`` (``expense``, ``mileage``,
    ``per_diem``); returns the local id of its detail (the expense, mileage or per diem)."""
    model, detail_fields = _DETAILS[kind]
    checked = _checked(session, company_id, kind, values)
    employee = repository.get_employee(session, company_id=company_id, employee_id=checked["employee_id"])
    assert employee is not None  # checked above
    now = utcnow()
    detail: Any = None
    if detail_id is None:
        header = Expensable(
            company_id=company_id, type=kind, created_at=now, status_updated_at=now, updated_at=now
        )
    else:
        detail = session.get(model, detail_id)
        if detail is None or detail.company_id != company_id:
            raise NotFound(f"{kind.replace('_', ' ')} {detail_id} not found")
        header = repository.lock_expensables(session, company_id=company_id, ids=[detail.expensable_id])[
            detail.expensable_id
        ]
        if header.status != checked["status"]:
            header.status_updated_at = now
        header.updated_at = now
    header.legal_entity_id = employee.legal_entity_id
    for name in HEADER:
        value = checked.get(name)
        if name in ("review_request_at", "paid_at"):
            value = _stamp(value)
        if name == "payment" and value is None:
            value = "reimbursable"
        setattr(header, name, value)
    if header.status == "approved" and header.approved_at is None:
        header.approved_at = now
    if detail is None:
        repository.add(session, header)
        detail = model(company_id=company_id, expensable_id=header.id)
        _set_detail(detail, detail_fields, checked)
        repository.add(session, detail)
    _set_detail(detail, detail_fields, checked)
    session.flush()
    local_id: int = detail.id
    return local_id


def _set_detail(detail: Any, fields: Mapping[str, str], values: Mapping[str, Any]) -> None:
    for wire, attribute in fields.items():
        value = values.get(wire)
        if value is None and attribute in ("units", "round_trip"):
            continue  # the column's default (km, one way)
        setattr(detail, attribute, value)


def delete_mirrored_claim(session: Session, *, company_id: int, kind: str, detail_id: int) -> None:
    """Remove a mirrored claim gone on the source (its header and detail rows)."""
    found = session.get(_DETAILS[kind][0], detail_id)
    if found is None or found.company_id != company_id:
        raise NotFound(f"{kind.replace('_', ' ')} {detail_id} not found")
    repository.delete_expensable(session, company_id=company_id, expensable_id=found.expensable_id)
