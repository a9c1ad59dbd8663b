"""SQL of the documents domain. Every query a request makes is scoped by company.

The purge (``trashed_before``, ``unused_blobs``) spans companies on purpose: it is the worker's job,
run by no tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypedDict, Unpack, cast

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from expensehub.db.locking import for_update
from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.db.sql import grouped
from expensehub.models import Access, Employee, Expensable, Expense
from expensehub.models.documents import Document, DocumentSignee, ExpenseFile, Folder, StoredBlob

# --------------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------------


def existing_access_ids(session: Session, *, company_id: int, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    stmt = select(Access.id).where(Access.company_id == company_id, Access.id.in_(wanted))
    return set(session.scalars(stmt))


# --------------------------------------------------------------------------------------------------
# Blobs
# --------------------------------------------------------------------------------------------------


def upsert_blob(session: Session, *, sha256: str, byte_size: int, content_type: str, now: datetime) -> None:
    """Record the blob (or mark an existing one as used now), locking its row until commit."""
    values = {
        "sha256": sha256,
        "byte_size": byte_size,
        "content_type": content_type,
        "created_at": now,
        "last_used_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_fn(StoredBlob).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["sha256"], set_={"last_used_at": now})
    session.execute(stmt)


def upsert_blobs(session: Session, rows: Sequence[tuple[str, int, str]], *, now: datetime) -> None:
    """``upsert_blob`` for many ``(sha256, byte_size, content_type)`` at once (one executemany)."""
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_fn(StoredBlob)
    stmt = stmt.on_conflict_do_update(
        index_elements=["sha256"], set_={"last_used_at": stmt.excluded.last_used_at}
    )
    values = [
        {"sha256": sha, "byte_size": size, "content_type": ctype, "created_at": now, "last_used_at": now}
        for sha, (size, ctype) in {sha: (size, ctype) for sha, size, ctype in rows}.items()
    ]
    if values:
        session.execute(stmt, values)


def unused_blobs(session: Session, *, used_before: datetime, limit: int) -> list[str]:
    """Blobs no document points at and not used since ``used_before`` (all companies)."""
    referenced = exists().where(Document.blob_sha256 == StoredBlob.sha256)
    stmt = (
        select(StoredBlob.sha256)
        .where(~referenced, StoredBlob.last_used_at < used_before)
        .order_by(StoredBlob.sha256)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def delete_blob_if_unused(session: Session, *, sha256: str, used_before: datetime) -> bool:
    """Delete the blob row when still unreferenced and unused (re-checked under the row lock)."""
    referenced = exists().where(Document.blob_sha256 == sha256)
    result = session.execute(
        delete(StoredBlob)
        .where(StoredBlob.sha256 == sha256, StoredBlob.last_used_at < used_before, ~referenced)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def known_blobs(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = set(hashes)
    if not wanted:
        return set()
    return set(session.scalars(select(StoredBlob.sha256).where(StoredBlob.sha256.in_(wanted))))


# --------------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------------


def documents_by_id(
    session: Session, *, company_id: int, ids: Iterable[int], lock: bool = False
) -> dict[int, Document]:
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(Document).where(Document.company_id == company_id, Document.id.in_(wanted))
    if lock:
        stmt = for_update(session, stmt.order_by(Document.id))
    return {d.id: d for d in session.scalars(stmt)}


def signees_of(session: Session, document_ids: Iterable[int]) -> dict[int, list[int]]:
    wanted = set(document_ids)
    if not wanted:
        return {}
    stmt = (
        select(DocumentSignee.document_id, DocumentSignee.access_id)
        .where(DocumentSignee.document_id.in_(wanted))
        .order_by(DocumentSignee.document_id, DocumentSignee.position, DocumentSignee.access_id)
    )
    return grouped(session, stmt)


def replace_signees(session: Session, *, document_id: int, access_ids: Sequence[int]) -> None:
    session.execute(delete(DocumentSignee).where(DocumentSignee.document_id == document_id))
    for position, access_id in enumerate(dict.fromkeys(access_ids)):
        session.add(DocumentSignee(document_id=document_id, access_id=access_id, position=position))
    session.flush()


def unlink_documents(session: Session, *, company_id: int, document_ids: Sequence[int]) -> None:
    """Detach documents from every expense; ``document_id`` moves to each expense's next receipt."""
    if not document_ids:
        return
    affected = set(
        session.scalars(
            select(ExpenseFile.expense_id).where(
                ExpenseFile.company_id == company_id, ExpenseFile.document_id.in_(document_ids)
            )
        )
    )
    affected |= set(
        session.scalars(
            select(Expense.id).where(Expense.company_id == company_id, Expense.document_id.in_(document_ids))
        )
    )
    session.execute(
        delete(ExpenseFile).where(
            ExpenseFile.company_id == company_id, ExpenseFile.document_id.in_(document_ids)
        )
    )
    if not affected:
        return
    first_left = (
        select(ExpenseFile.document_id)
        .where(ExpenseFile.expense_id == Expense.id)
        .order_by(ExpenseFile.position, ExpenseFile.document_id)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        update(Expense)
        .where(Expense.company_id == company_id, Expense.id.in_(affected))
        .values(document_id=first_left)
        .execution_options(synchronize_session="fetch")
    )


def delete_documents(session: Session, *, company_id: int, document_ids: Sequence[int]) -> None:
    if not document_ids:
        return
    unlink_documents(session, company_id=company_id, document_ids=document_ids)
    session.execute(delete(DocumentSignee).where(DocumentSignee.document_id.in_(document_ids)))
    session.execute(
        delete(Document)
        .where(Document.company_id == company_id, Document.id.in_(document_ids))
        .execution_options(synchronize_session="fetch")
    )
    session.flush()


def trashed_before(session: Session, *, cutoff: datetime, limit: int) -> list[tuple[int, int]]:
    """``(company_id, document_id)`` of documents in the trash since before ``cutoff`` (all companies),
    locked until the transaction ends: a restore running at the same time either lands first (the
    document is not returned) or waits for the purge."""
    stmt = (
        select(Document.company_id, Document.id)
        .where(Document.deleted_at.is_not(None), Document.deleted_at < cutoff)
        .order_by(Document.id)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in session.execute(for_update(session, stmt))]


# --------------------------------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------------------------------


def folder_ancestors(session: Session, *, company_id: int, folder_id: int, limit: int) -> list[int]:
    """Ids from ``folder_id`` up through its parents (at most ``limit``)."""
    chain: list[int] = []
    current: int | None = folder_id
    while current is not None and len(chain) < limit:
        chain.append(current)
        current = session.scalar(
            select(Folder.parent_folder_id).where(Folder.company_id == company_id, Folder.id == current)
        )
    return chain


# --------------------------------------------------------------------------------------------------
# Receipts of expenses
# --------------------------------------------------------------------------------------------------


def files_of(session: Session, *, company_id: int, expense_ids: Iterable[int]) -> dict[int, list[Document]]:
    """The visible (not trashed) receipts of each expense, in order (one query for a whole page)."""
    wanted = set(expense_ids)
    if not wanted:
        return {}
    stmt = (
        select(ExpenseFile.expense_id, Document)
        .join(Document, Document.id == ExpenseFile.document_id)
        .where(
            ExpenseFile.company_id == company_id,
            ExpenseFile.expense_id.in_(wanted),
            Document.company_id == company_id,
            Document.deleted_at.is_(None),
        )
        .order_by(ExpenseFile.expense_id, ExpenseFile.position, ExpenseFile.document_id)
    )
    return grouped(session, stmt)


def replace_expense_files(
    session: Session, *, company_id: int, expense_id: int, document_ids: Sequence[int]
) -> None:
    session.execute(
        delete(ExpenseFile).where(ExpenseFile.company_id == company_id, ExpenseFile.expense_id == expense_id)
    )
    for position, document_id in enumerate(document_ids):
        session.add(
            ExpenseFile(
                company_id=company_id, expense_id=expense_id, document_id=document_id, position=position
            )
        )
    session.flush()


def insert_documents(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Bulk insert document rows (plain dicts); their ids, in the order of ``rows``."""
    ids: list[int] = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        ids += session.scalars(
            insert(Document).returning(Document.id, sort_by_parameter_order=True), list(chunk)
        ).all()
    return ids


def company_expense_ids(session: Session, *, company_id: int, expense_ids: Iterable[int]) -> set[int]:
    """Which of ``expense_ids`` are expenses of the company."""
    wanted = list(set(expense_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 1000):
        stmt = select(Expense.id).where(
            Expense.company_id == company_id, Expense.id.in_(wanted[start : start + 1000])
        )
        found.update(session.scalars(stmt))
    return found


def replace_files_of_expenses(
    session: Session, *, company_id: int, files: Mapping[int, Sequence[int]]
) -> None:
    """``replace_expense_files`` for many expenses at once: ``{expense id: document ids in order}``."""
    expense_ids = list(files)
    for start in range(0, len(expense_ids), 1000):
        session.execute(
            delete(ExpenseFile).where(
                ExpenseFile.company_id == company_id,
                ExpenseFile.expense_id.in_(expense_ids[start : start + 1000]),
            )
        )
    rows = [
        {"company_id": company_id, "expense_id": expense_id, "document_id": document_id, "position": position}
        for expense_id, document_ids in files.items()
        for position, document_id in enumerate(document_ids)
    ]
    if rows:
        session.execute(insert(ExpenseFile), rows)
    session.flush()


class ReceiptSelection(TypedDict):
    """Which expenses' receipts a bundle holds (``effective_on`` in ``[date_from, date_to]``)."""

    company_id: int
    date_from: date
    date_to: date
    statuses: list[str] | None
    employee_ids: list[int] | None


class ReceiptRow(TypedDict):
    """A receipt of a bundle, as :func:`iter_receipts` yields it (the ``RECEIPT_COLUMNS``)."""

    expensable_id: int
    expense_id: int
    document_id: int
    position: int
    filename: str
    extension: str
    content_type: str
    file_size: int
    sha256: str
    document_created_at: datetime
    effective_on: date | None
    amount: int | None
    currency: str
    status: str
    employee_id: int
    employee_first_name: str
    employee_last_name: str
    user_merchant: str | None
    merchant_name: str | None
    description: str | None


def _receipts_filter(
    *,
    company_id: int,
    date_from: date,
    date_to: date,
    statuses: Sequence[str] | None,
    employee_ids: Sequence[int] | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Expensable.company_id == company_id,
        Expensable.type == "expense",
        Expensable.effective_on >= date_from,
        Expensable.effective_on <= date_to,
        Expense.company_id == company_id,
        ExpenseFile.company_id == company_id,
        Document.company_id == company_id,
        Document.deleted_at.is_(None),
    ]
    if statuses is not None:
        conditions.append(Expensable.status.in_(statuses))
    if employee_ids is not None:
        conditions.append(Expensable.employee_id.in_(employee_ids))
    return conditions


def _receipts_from(stmt: Any) -> Select[Any]:
    """``stmt`` (any SELECT) over expensables joined to their expense, receipts and documents."""
    return cast(
        "Select[Any]",
        stmt.select_from(Expensable)
        .join(Expense, Expense.expensable_id == Expensable.id)
        .join(ExpenseFile, ExpenseFile.expense_id == Expense.id)
        .join(Document, Document.id == ExpenseFile.document_id),
    )


def receipt_totals(session: Session, **filters: Unpack[ReceiptSelection]) -> tuple[int, int]:
    """``(receipts, bytes)`` a bundle with these filters holds."""
    stmt = _receipts_from(select(func.count(), func.coalesce(func.sum(Document.file_size), 0)))
    row = session.execute(stmt.where(and_(*_receipts_filter(**filters)))).one()
    return int(row[0]), int(row[1])


RECEIPT_COLUMNS = (
    "expensable_id",
    "expense_id",
    "document_id",
    "position",
    "filename",
    "extension",
    "content_type",
    "file_size",
    "sha256",
    "document_created_at",
    "effective_on",
    "amount",
    "currency",
    "status",
    "employee_id",
    "employee_first_name",
    "employee_last_name",
    "user_merchant",
    "merchant_name",
    "description",
)


def iter_receipts(
    session: Session, *, batch: int = 500, **filters: Unpack[ReceiptSelection]
) -> Iterator[ReceiptRow]:
    """Every receipt of the selected expenses, by expensable id then position, as plain rows.

    Keyset over expensable ids, ``batch`` expensables at a time: memory stays flat at any size, and
    no ORM object is built.
    """
    conditions = _receipts_filter(**filters)
    after = 0
    while True:
        ids_stmt = _receipts_from(select(Expensable.id).distinct())
        ids = list(
            session.scalars(
                ids_stmt.where(and_(*conditions), Expensable.id > after).order_by(Expensable.id).limit(batch)
            )
        )
        if not ids:
            return
        stmt = (
            _receipts_from(
                select(
                    Expensable.id,
                    Expense.id,
                    Document.id,
                    ExpenseFile.position,
                    Document.filename,
                    Document.extension,
                    Document.content_type,
                    Document.file_size,
                    Document.blob_sha256,
                    Document.created_at,
                    Expensable.effective_on,
                    Expensable.amount,
                    Expensable.currency,
                    Expensable.status,
                    Expensable.employee_id,
                    Employee.first_name,
                    Employee.last_name,
                    Expense.user_merchant,
                    Expense.merchant_name,
                    Expensable.description,
                )
            )
            .join(Employee, Employee.id == Expensable.employee_id)
            .where(and_(*conditions), Expensable.id.in_(ids))
            .order_by(Expensable.id, ExpenseFile.position, ExpenseFile.document_id)
        )
        for row in session.execute(stmt):
            yield cast(ReceiptRow, dict(zip(RECEIPT_COLUMNS, row, strict=True)))
        after = ids[-1]
