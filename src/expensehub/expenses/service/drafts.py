"""Creating and editing claims (expensehub extension): expenses with their receipts, mileages and
per diems, in ``draft`` or ``changes_requested``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from expensehub.allowances import service as allowances
from expensehub.db.resources import Resource, get_object, get_scoped
from expensehub.documents import service as documents
from expensehub.documents.context import UrlSigner
from expensehub.documents.filetypes import FileType
from expensehub.documents.storage import FileStore, StagedFile
from expensehub.errors import ValidationFailed, check_body_id
from expensehub.expenses import repository, resources, schemas
from expensehub.expenses.service.claims import Kind, emit, transition
from expensehub.expenses.service.duplicates import find_duplicate
from expensehub.expenses.service.plans import Plan, make_plan, state_of
from expensehub.kit.clock import utcnow
from expensehub.models import Expensable, Expense, ExpenseTax, Mileage, PerDiem
from expensehub.webhooks import service as webhooks

_DETAIL_MODEL: dict[str, type[Expense] | type[Mileage] | type[PerDiem]] = {
    "expense": Expense,
    "mileage": Mileage,
    "perdiem": PerDiem,
}
_DETAIL_RESOURCE: dict[str, Resource[Any]] = {
    "expense": resources.EXPENSES,
    "mileage": resources.MILEAGES,
    "perdiem": resources.PER_DIEMS,
}
"""The resource of each kind's detail rows: edits read the row through it (its 404 names its noun)."""


def _apply(
    session: Session, plan: Plan, x: Expensable, detail: Expense | Mileage | PerDiem, now: datetime
) -> None:
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
    plan = make_plan(session, company_id=company_id, kind=kind, body=body, state=None)
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
        x.duplicate_of_id = find_duplicate(session, company_id, plan)
    for key, value in plan.header.items():
        setattr(x, key, value)
    repository.add(session, x)
    detail = _DETAIL_MODEL[kind](company_id=company_id, expensable_id=x.id)
    repository.add(session, detail)
    _apply(session, plan, x, detail, now)
    if isinstance(detail, Expense):
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
    emit(session, company_id, "create", [x], author)
    detail_id: int = detail.id
    return detail_id


def _set_receipts(session: Session, company_id: int, detail: Expense, document_ids: Sequence[int]) -> None:
    ordered = list(dict.fromkeys(document_ids))
    documents.set_expense_files(session, company_id=company_id, expense_id=detail.id, document_ids=ordered)
    detail.document_id = ordered[0] if ordered else None
    session.flush()


def _update(
    session: Session,
    *,
    company_id: int,
    kind: Kind,
    detail_id: int,
    body: BaseModel,
    author: webhooks.Author,
) -> None:
    resource = _DETAIL_RESOURCE[kind]
    detail = get_object(session, resource, _DETAIL_MODEL[kind], company_id=company_id, item_id=detail_id)
    check_body_id(getattr(body, "id", None), detail_id)
    x = repository.lock_expensables(session, company_id=company_id, ids=[detail.expensable_id])[
        detail.expensable_id
    ]
    session.refresh(detail)  # read before the lock; an edit that just committed may have changed it
    transition(x, "edit", subject=f"{resource.noun} {detail_id}")
    plan = make_plan(
        session,
        company_id=company_id,
        kind=kind,
        body=body,
        state=state_of(kind, x, detail),
        expensable_id=x.id,
    )
    receipts = _receipt_ids(body) if kind == "expense" else None
    if receipts:
        receipts = documents.check_receipts(session, company_id=company_id, document_ids=receipts)
    _apply(session, plan, x, detail, utcnow())
    if receipts is not None and isinstance(detail, Expense):  # receipts are only read for expenses
        _set_receipts(session, company_id, detail, receipts)
    emit(session, company_id, "update", [x], author)


def create_expense(
    session: Session,
    *,
    company_id: int,
    body: schemas.ExpenseCreate,
    uploads: Uploads | None = None,
    signer: UrlSigner | None = None,
    author: webhooks.Author,
) -> schemas.ExpenseOut:
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
) -> schemas.ExpenseOut:
    """Partial update of an expense in draft or changes_requested (``document_ids`` replaces receipts)."""
    _update(session, company_id=company_id, kind="expense", detail_id=expense_id, body=body, author=author)
    return get_scoped(session, resources.EXPENSES, company_id=company_id, item_id=expense_id, context=signer)


def create_mileage(
    session: Session, *, company_id: int, body: schemas.MileageCreate, author: webhooks.Author
) -> schemas.MileageOut:
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
) -> schemas.MileageOut:
    _update(session, company_id=company_id, kind="mileage", detail_id=mileage_id, body=body, author=author)
    return get_scoped(session, resources.MILEAGES, company_id=company_id, item_id=mileage_id)


def create_per_diem(
    session: Session, *, company_id: int, body: schemas.PerDiemCreate, author: webhooks.Author
) -> schemas.PerDiemOut:
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
) -> schemas.PerDiemOut:
    _update(session, company_id=company_id, kind="perdiem", detail_id=per_diem_id, body=body, author=author)
    return get_scoped(session, resources.PER_DIEMS, company_id=company_id, item_id=per_diem_id)
