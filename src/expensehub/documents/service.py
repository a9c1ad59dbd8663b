"""Use cases of the documents domain: documents, folders, download URLs, receipts, bundles and purges.

Services flush, never commit. Checks run before changes, so a refused request changes nothing. File
bytes reach the store only after every check passed; a request that fails later leaves at most an
unreferenced blob, which the purge removes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy.orm import Session

from expensehub.companies import service as companies
from expensehub.db.resources import get_object, views_of
from expensehub.documents import bundles, filetypes, repository, resources, schemas
from expensehub.documents.context import DocumentsConfig, UrlSigner, read_download_token
from expensehub.documents.filenames import clean_filename
from expensehub.documents.rules import TRASH_RETENTION_DAYS
from expensehub.documents.storage import (
    FileStore,
    LocalFileStore,
    StagedFile,
    blob_key,
    stage_batch,
)
from expensehub.errors import (
    Forbidden,
    InvalidState,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
    check_body_id,
    check_company,
    check_date_range,
)
from expensehub.kit.clock import utcnow
from expensehub.kit.money import exponent, to_decimal
from expensehub.kit.signing import TokenError, TokenExpired
from expensehub.models.documents import Document, Folder
from expensehub.webhooks import service as webhooks

BLOB_GRACE = timedelta(hours=1)
MAX_FOLDER_DEPTH = 32

ViewT = TypeVar("ViewT", schemas.DocumentOut, schemas.FolderOut)

# --------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------


def _views(session: Session, company_id: int, documents: Sequence[Document]) -> list[schemas.DocumentOut]:
    rows = [(d,) for d in documents]
    return views_of(session, resources.DOCUMENTS, company_id=company_id, rows=rows)


def _view(session: Session, company_id: int, document: Document) -> schemas.DocumentOut:
    return _views(session, company_id, [document])[0]


def _folder_view(session: Session, company_id: int, folder: Folder) -> schemas.FolderOut:
    return views_of(session, resources.FOLDERS, company_id=company_id, rows=[(folder,)])[0]


def _all(session: Session, company_id: int, ids: Sequence[int], *, lock: bool = False) -> list[Document]:
    """The documents in request order (duplicates removed); 404 naming the first unknown id."""
    ordered = list(dict.fromkeys(ids))
    found = repository.documents_by_id(session, company_id=company_id, ids=ordered, lock=lock)
    for document_id in ordered:
        if document_id not in found:
            raise NotFound(f"document {document_id} not found")
    return [found[i] for i in ordered]


# --------------------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------------------


def inspect_upload(staged: StagedFile, *, filename: str | None = None) -> filetypes.FileType:
    """The file's type from its bytes; 415 when it is not accepted or contradicts its name or type."""
    try:
        with staged.path.open("rb") as fp:
            found = filetypes.sniff(fp)
        filetypes.check_claims(found, filename or staged.filename, staged.content_type)
    except filetypes.UnsupportedFile as exc:
        raise UnsupportedMediaType(str(exc), code="unsupported_file_type") from None
    return found


@dataclass(frozen=True)
class NewDocument:
    """Validated metadata of a document to create."""

    filename: str | None = None
    public: bool = False
    space: str = "company_internal"
    is_pending_assignment: bool = False
    request_esignature: bool = False
    author_access_id: int | None = None
    employee_id: int | None = None
    folder_id: int | None = None
    leave_id: int | None = None
    signee_ids: tuple[int, ...] = ()


def _check_folder(session: Session, company_id: int, folder_id: int | None) -> None:
    if folder_id is not None:
        get_object(session, resources.FOLDERS, Folder, company_id=company_id, item_id=folder_id)


def _check_employee(session: Session, company_id: int, employee_id: int | None) -> None:
    if employee_id is not None:
        companies.check_employees(session, company_id=company_id, ids=[employee_id])


def _check_accesses(session: Session, company_id: int, ids: Sequence[int]) -> None:
    found = repository.existing_access_ids(session, company_id=company_id, ids=ids)
    for access_id in ids:
        if access_id not in found:
            raise NotFound(f"access {access_id} not found")


def new_document_from_form(
    session: Session, *, company_id: int, form: schemas.DocumentCreateForm, caller_access_id: int | None
) -> NewDocument:
    """Check the text parts of an upload (404 for another company's ids) before any change."""
    check_company(company_id, form.company_id)
    if form.space == "employee_my_documents" and form.employee_id is None:
        raise ValidationFailed(
            "invalid document", fields={"employee_id": ["required in the employee_my_documents space"]}
        )
    _check_folder(session, company_id, form.folder_id)
    _check_employee(session, company_id, form.employee_id)
    author = form.author_id if form.author_id is not None else caller_access_id
    _check_accesses(session, company_id, [*([author] if author is not None else []), *form.signee_ids])
    return NewDocument(
        filename=form.file_filename,
        public=form.public,
        space=form.space,
        is_pending_assignment=form.is_pending_assignment,
        request_esignature=form.request_esignature,
        author_access_id=author,
        employee_id=form.employee_id,
        folder_id=form.folder_id,
        leave_id=form.leave_id,
        signee_ids=tuple(dict.fromkeys(form.signee_ids)),
    )


def store_document(
    session: Session,
    *,
    store: FileStore,
    company_id: int,
    staged: StagedFile,
    kind: filetypes.FileType,
    meta: NewDocument,
) -> Document:
    """Record the blob and the document, then move the staged bytes into the store (once per content)."""
    now = utcnow()
    repository.upsert_blob(
        session, sha256=staged.sha256, byte_size=staged.size, content_type=kind.mime, now=now
    )
    document = repository.add(
        session,
        Document(
            company_id=company_id,
            blob_sha256=staged.sha256,
            filename=clean_filename(meta.filename or staged.filename, extension=kind.extension),
            extension=kind.extension,
            content_type=kind.mime,
            file_size=staged.size,
            public=meta.public,
            space=meta.space,
            is_pending_assignment=meta.is_pending_assignment,
            request_esignature=meta.request_esignature,
            signature_status="pending" if meta.request_esignature and meta.signee_ids else None,
            author_access_id=meta.author_access_id,
            employee_id=meta.employee_id,
            folder_id=meta.folder_id,
            leave_id=meta.leave_id,
            created_at=now,
            updated_at=now,
        ),
    )
    if meta.signee_ids:
        repository.replace_signees(session, document_id=document.id, access_ids=meta.signee_ids)
    store.put(blob_key(staged.sha256), staged.path)
    return document


def create_document(
    session: Session,
    *,
    store: FileStore,
    company_id: int,
    staged: StagedFile,
    form: schemas.DocumentCreateForm,
    caller_access_id: int | None,
    author: webhooks.Author,
) -> schemas.DocumentOut:
    """A document from an upload: checks (404, 422, 415) first, then the blob, then the row."""
    meta = new_document_from_form(
        session, company_id=company_id, form=form, caller_access_id=caller_access_id
    )
    kind = inspect_upload(staged, filename=form.file_filename or staged.filename)
    document = store_document(
        session, store=store, company_id=company_id, staged=staged, kind=kind, meta=meta
    )
    return _emitted(session, company_id, "document/create", _view(session, company_id, document), author)


# --------------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------------


def update_document(
    session: Session,
    *,
    company_id: int,
    document_id: int,
    body: schemas.DocumentUpdate,
    author: webhooks.Author,
) -> schemas.DocumentOut:
    """Partial update: only the keys sent change."""
    document = get_object(
        session, resources.DOCUMENTS, Document, company_id=company_id, item_id=document_id, lock=True
    )
    check_body_id(body.id, document_id)
    sent = body.model_fields_set
    if "folder_id" in sent:
        _check_folder(session, company_id, body.folder_id)
    if "employee_id" in sent:
        _check_employee(session, company_id, body.employee_id)
    if body.signee_ids is not None:
        _check_accesses(session, company_id, body.signee_ids)
    if body.public is not None:
        document.public = body.public
    if "folder_id" in sent:
        document.folder_id = body.folder_id
    if "employee_id" in sent:
        if body.employee_id is None and document.space == "employee_my_documents":
            raise ValidationFailed(
                "invalid document", fields={"employee_id": ["required in the employee_my_documents space"]}
            )
        document.employee_id = body.employee_id
    signees = repository.signees_of(session, [document.id]).get(document.id, [])
    if body.signee_ids is not None:
        signees = list(dict.fromkeys(body.signee_ids))
        repository.replace_signees(session, document_id=document.id, access_ids=signees)
    if body.request_esignature is not None:
        document.request_esignature = body.request_esignature
    document.signature_status = "pending" if document.request_esignature and signees else None
    document.updated_at = utcnow()
    session.flush()
    return _emitted(session, company_id, "document/update", _view(session, company_id, document), author)


def delete_document(
    session: Session, *, company_id: int, document_id: int, author: webhooks.Author
) -> schemas.DocumentOut:
    """Delete a document for good (also from the expenses it was a receipt of); returns it as it was.

    Its bytes stay in the store until the purge finds no document pointing at them.
    """
    document = get_object(
        session, resources.DOCUMENTS, Document, company_id=company_id, item_id=document_id, lock=True
    )
    view = _view(session, company_id, document)
    repository.delete_documents(session, company_id=company_id, document_ids=[document.id])
    return _emitted(session, company_id, "document/delete", view, author)


def _trash_state(document: Document) -> schemas.TrashState:
    """The document's state, for the ``details`` of a 409."""
    return {
        "resource": "document",
        "id": document.id,
        "status": "active" if document.deleted_at is None else "trashed",
    }


TrashAction = Literal["move_to_trash_bin", "restore_from_trash_bin"]


def change_trash_bin(
    session: Session, *, company_id: int, ids: Sequence[int], action: TrashAction, author: webhooks.Author
) -> list[schemas.DocumentOut]:
    """Move documents to the trash bin, or restore them from it (all or nothing); trashed documents are
    purged 30 days later.

    A document already where the action would put it is 409 (``already_in_trash_bin``, or
    ``not_in_trash_bin``) and nothing changes: of several requests acting on the same document at once,
    exactly one succeeds.
    """
    trash = action == "move_to_trash_bin"
    documents = _all(session, company_id, ids, lock=True)
    for document in documents:
        if (document.deleted_at is not None) == trash:
            where, code = ("already in", "already_in_trash_bin") if trash else ("not in", "not_in_trash_bin")
            raise InvalidState(
                f"document {document.id} is {where} the trash bin", code=code, details=_trash_state(document)
            )
    now = utcnow()
    for document in documents:
        document.deleted_at = now if trash else None
        document.updated_at = now
    session.flush()
    return _emitted_many(
        session, company_id, f"document/{action}", _views(session, company_id, documents), author
    )


# --------------------------------------------------------------------------------------------------
# Download URLs
# --------------------------------------------------------------------------------------------------


def download_urls(
    session: Session, *, company_id: int, ids: Sequence[int], signer: UrlSigner
) -> list[schemas.DownloadUrlOut]:
    """A signed URL per document, in request order (all or nothing: 404 naming an unknown id)."""
    documents = _all(session, company_id, ids)
    return [
        {"id": d.id, "url": signer.url(document_id=d.id, company_id=d.company_id, sha256=d.blob_sha256)}
        for d in documents
    ]


@dataclass(frozen=True)
class Download:
    """What the download route serves."""

    key: str
    filename: str
    content_type: str
    size: int
    local_path: Path | None


def resolve_download(session: Session, *, config: DocumentsConfig, token: str, now: int) -> Download:
    """The document a download token grants; 403 when it is altered or expired, 404 once deleted."""
    try:
        grant = read_download_token(config.secret, token, now)
    except TokenExpired:
        raise Forbidden(
            "this download URL has expired; ask for a new one", code="download_url_expired"
        ) from None
    except TokenError:
        raise Forbidden("this download URL is not valid", code="invalid_download_url") from None
    try:
        document = get_object(
            session, resources.DOCUMENTS, Document, company_id=grant.company_id, item_id=grant.document_id
        )
    except NotFound:
        document = None
    if document is None or not document.blob_sha256.startswith(grant.sha256_prefix):
        raise NotFound("the document no longer exists", code="document_not_found")
    key = blob_key(document.blob_sha256)
    local = config.store.local_path(key)
    if (local is not None and not local.is_file()) or (local is None and not config.store.exists(key)):
        raise NotFound("the document's file is missing from storage", code="file_missing")
    return Download(
        key=key,
        filename=document.filename,
        content_type=document.content_type,
        size=document.file_size,
        local_path=local,
    )


# --------------------------------------------------------------------------------------------------
# Receipts of expenses (used by the expenses domain)
# --------------------------------------------------------------------------------------------------


def check_receipts(session: Session, *, company_id: int, document_ids: Sequence[int]) -> list[int]:
    """The ids, deduplicated, after checking each is a live document of the company (404 otherwise)."""
    documents = _all(session, company_id, document_ids)
    for document in documents:
        if document.deleted_at is not None:
            raise NotFound(f"document {document.id} is in the trash bin", code="document_in_trash_bin")
    return [d.id for d in documents]


def receipt_from_upload(
    session: Session,
    *,
    store: FileStore,
    company_id: int,
    staged: StagedFile,
    kind: filetypes.FileType,
    employee_id: int | None,
    author_access_id: int | None,
) -> int:
    """Store an uploaded receipt as a document of the expense's owner; returns the document id."""
    meta = NewDocument(space="company_internal", employee_id=employee_id, author_access_id=author_access_id)
    return store_document(session, store=store, company_id=company_id, staged=staged, kind=kind, meta=meta).id


def set_expense_files(
    session: Session, *, company_id: int, expense_id: int, document_ids: Sequence[int]
) -> None:
    """Make ``document_ids`` the receipts of the expense, in this order."""
    repository.replace_expense_files(
        session, company_id=company_id, expense_id=expense_id, document_ids=list(dict.fromkeys(document_ids))
    )


def files_for_expenses(
    session: Session, *, company_id: int, expense_ids: Sequence[int], signer: UrlSigner | None
) -> dict[int, list[schemas.FileOut]]:
    """The ``files`` array of each expense (visible receipts; signed URLs when a signer is given).

    An expense with receipts always has ``document_id`` set (to its first receipt), so callers pass only
    those expenses, and a page without receipts costs no query.
    """
    result: dict[int, list[schemas.FileOut]] = {}
    if not expense_ids:
        return result
    for expense_id, documents in repository.files_of(
        session, company_id=company_id, expense_ids=expense_ids
    ).items():
        result[expense_id] = [_file_out(d, signer) for d in documents]
    return result


@dataclass(frozen=True)
class ReceiptFile:
    """A receipt made in code (the demo company's): its bytes and name, the expense (``Expense.id``)
    it is a receipt of, the expense's owner, and when it was uploaded."""

    expense_id: int
    employee_id: int | None
    filename: str
    data: bytes
    uploaded_at: datetime


def add_receipt_files(
    session: Session,
    *,
    store: FileStore,
    staging_dir: Path,
    max_bytes: int,
    company_id: int,
    files: Sequence[ReceiptFile],
) -> dict[int, list[int]]:
    """Store many receipts at once, as an upload with the expense stores each: its bytes decide its type
    (415 ``unsupported_file_type`` when they are not accepted or contradict the name), the bytes go into
    the content-addressed store (identical files share one blob), each becomes a document of the
    expense's owner and the expense's receipts are these files, in order (replacing any it had).

    Returns ``{expense id: document ids}``; as with ``set_expense_files``, the caller points each
    expense's ``document_id`` at its first receipt. 404 for an expense of another company. The files are
    staged together (``storage.stage_batch``: synced to disk as uploads are); flushed, not committed.
    """
    if not files:
        return {}
    known = repository.company_expense_ids(
        session, company_id=company_id, expense_ids=[f.expense_id for f in files]
    )
    for f in files:
        if f.expense_id not in known:
            raise NotFound(f"expense {f.expense_id} not found")
    kinds = []
    for f in files:
        try:
            found = filetypes.sniff(io.BytesIO(f.data))
            filetypes.check_claims(found, f.filename, None)
        except filetypes.UnsupportedFile as exc:
            raise UnsupportedMediaType(f"{f.filename}: {exc}", code="unsupported_file_type") from None
        kinds.append(found)
    staged = stage_batch(staging_dir, [f.data for f in files], limit=max_bytes)
    try:
        repository.upsert_blobs(
            session, [(s.sha256, s.size, k.mime) for s, k in zip(staged, kinds, strict=True)], now=utcnow()
        )
        ids = repository.insert_documents(
            session,
            [
                {
                    "company_id": company_id,
                    "blob_sha256": s.sha256,
                    "filename": clean_filename(f.filename, extension=k.extension),
                    "extension": k.extension,
                    "content_type": k.mime,
                    "file_size": s.size,
                    "public": False,
                    "space": "company_internal",
                    "is_pending_assignment": False,
                    "request_esignature": False,
                    "employee_id": f.employee_id,
                    "created_at": f.uploaded_at,
                    "updated_at": f.uploaded_at,
                }
                for f, s, k in zip(files, staged, kinds, strict=True)
            ],
        )
        attached: dict[int, list[int]] = {}
        for f, document_id in zip(files, ids, strict=True):
            attached.setdefault(f.expense_id, []).append(document_id)
        repository.replace_files_of_expenses(session, company_id=company_id, files=attached)
        for s in staged:
            store.put(blob_key(s.sha256), s.path)  # consumes the staged file
    except BaseException:
        for s in staged:
            s.discard()
        raise
    return attached


def _file_out(d: Document, signer: UrlSigner | None) -> schemas.FileOut:
    url = download = None
    if signer is not None:
        url = signer.url(document_id=d.id, company_id=d.company_id, sha256=d.blob_sha256, inline=True)
        download = signer.url(document_id=d.id, company_id=d.company_id, sha256=d.blob_sha256)
    return {
        "id": d.id,
        "filename": d.filename,
        "byte_size": d.file_size,
        "url": url,
        "download_url": download,
        "content_type": d.content_type,
    }


# --------------------------------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------------------------------


def create_folder(
    session: Session, *, company_id: int, body: schemas.FolderCreate, author: webhooks.Author
) -> schemas.FolderOut:
    check_company(company_id, body.company_id)
    name = body.name.strip()
    if not name:
        raise ValidationFailed("invalid folder", fields={"name": ["must not be blank"]})
    if body.parent_folder_id is not None:
        _check_folder(session, company_id, body.parent_folder_id)
    now = utcnow()
    folder = repository.add(
        session,
        Folder(
            company_id=company_id,
            name=name,
            space=body.space,
            active=True,
            parent_folder_id=body.parent_folder_id,
            created_at=now,
            updated_at=now,
        ),
    )
    return _emitted(session, company_id, "folder/create", _folder_view(session, company_id, folder), author)


def update_folder(
    session: Session, *, company_id: int, folder_id: int, body: schemas.FolderUpdate, author: webhooks.Author
) -> schemas.FolderOut:
    folder = get_object(
        session, resources.FOLDERS, Folder, company_id=company_id, item_id=folder_id, lock=True
    )
    if body.id is not None and body.id != folder_id:
        raise ValidationFailed("id mismatch", fields={"id": [f"must equal the id in the path ({folder_id})"]})
    check_company(company_id, body.company_id)
    sent = body.model_fields_set
    if "name" in sent:
        name = (body.name or "").strip()
        if not name:
            raise ValidationFailed("invalid folder", fields={"name": ["must not be blank"]})
        folder.name = name
    if "parent_folder_id" in sent:
        parent = body.parent_folder_id
        if parent is not None:
            _check_folder(session, company_id, parent)
            chain = repository.folder_ancestors(
                session, company_id=company_id, folder_id=parent, limit=MAX_FOLDER_DEPTH + 1
            )
            if folder_id in chain or len(chain) > MAX_FOLDER_DEPTH:
                raise ValidationFailed(
                    "invalid folder",
                    fields={"parent_folder_id": ["would make a cycle or nest deeper than 32 levels"]},
                )
        folder.parent_folder_id = parent
    if body.active is not None:
        folder.active = body.active
    folder.updated_at = utcnow()
    session.flush()
    return _emitted(session, company_id, "folder/update", _folder_view(session, company_id, folder), author)


# --------------------------------------------------------------------------------------------------
# Receipt bundles
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleSelection:
    """Which expenses' receipts a bundle holds: effective_on in [date_from, date_to], both inclusive."""

    company_id: int
    date_from: date
    date_to: date
    statuses: tuple[str, ...] | None = None
    employee_ids: tuple[int, ...] | None = None

    def filters(self) -> repository.ReceiptSelection:
        return {
            "company_id": self.company_id,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "statuses": list(self.statuses) if self.statuses is not None else None,
            "employee_ids": list(self.employee_ids) if self.employee_ids is not None else None,
        }


def check_bundle_selection(selection: BundleSelection) -> None:
    check_date_range(selection.date_from, selection.date_to)


def bundle_totals(session: Session, selection: BundleSelection) -> tuple[int, int]:
    """``(receipts, bytes)`` the bundle will hold."""
    return repository.receipt_totals(session, **selection.filters())


_UNCOMPRESSED = {t.extension: not t.compressed for t in filetypes.ALL_TYPES}


def _amount(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    try:
        return f"{to_decimal(minor, currency):.{exponent(currency)}f}"
    except KeyError:
        return str(minor)


def _entries(rows: Iterator[repository.ReceiptRow]) -> Iterator[bundles.BundleEntry]:
    current, n = None, 0
    for row in rows:
        if row["expensable_id"] != current:
            current, n = row["expensable_id"], 0
        n += 1
        name = f"{row['expensable_id']}_{n}.{row['extension']}"
        merchant = row["user_merchant"] or row["merchant_name"] or ""
        yield bundles.BundleEntry(
            name=name,
            key=blob_key(row["sha256"]),
            size=row["file_size"],
            compress=_UNCOMPRESSED.get(row["extension"], True),
            modified=row["document_created_at"],
            manifest={
                "file": name,
                "expensable_id": row["expensable_id"],
                "expense_id": row["expense_id"],
                "document_id": row["document_id"],
                "receipt_number": n,
                "original_filename": row["filename"],
                "content_type": row["content_type"],
                "byte_size": row["file_size"],
                "sha256": row["sha256"],
                "effective_on": row["effective_on"].isoformat() if row["effective_on"] else "",
                "amount": _amount(row["amount"], row["currency"]),
                "amount_minor": row["amount"] if row["amount"] is not None else "",
                "currency": row["currency"],
                "employee_id": row["employee_id"],
                "employee_name": f"{row['employee_first_name']} {row['employee_last_name']}",
                "status": row["status"],
                "merchant": merchant,
                "description": row["description"] or "",
                "note": "",
            },
        )


def receipt_bundle(
    session: Session,
    *,
    store: FileStore,
    selection: BundleSelection,
    stats: bundles.BundleStats | None = None,
    on_entry: Callable[[bundles.BundleEntry, bool], None] | None = None,
) -> Iterator[bytes]:
    """The bytes of the receipt bundle (ZIP + manifest.csv), produced as they are read (flat memory)."""
    check_bundle_selection(selection)
    rows = repository.iter_receipts(session, **selection.filters())
    yield from bundles.zip_stream(_entries(rows), store, stats=stats, on_entry=on_entry)


# --------------------------------------------------------------------------------------------------
# Purge (the worker's job; `expensehub documents purge` until the worker exists)
# --------------------------------------------------------------------------------------------------


@dataclass
class PurgeSummary:
    """What a purge removed."""

    documents: int = 0
    blobs: int = 0
    orphan_files: int = 0
    staging_files: int = 0


def purge_trashed(
    session: Session, *, now: datetime, older_than_days: int = TRASH_RETENTION_DAYS, batch: int = 500
) -> int:
    """Delete documents trashed more than ``older_than_days`` ago (all companies); returns how many."""
    cutoff = now - timedelta(days=older_than_days)
    removed = 0
    while True:
        found = repository.trashed_before(session, cutoff=cutoff, limit=batch)
        if not found:
            return removed
        by_company: dict[int, list[int]] = {}
        for company_id, document_id in found:
            by_company.setdefault(company_id, []).append(document_id)
        for company_id, ids in by_company.items():
            repository.delete_documents(session, company_id=company_id, document_ids=ids)
        removed += len(found)


def purge_blobs(session: Session, *, store: FileStore, now: datetime, batch: int = 500) -> int:
    """Delete blobs no document points at (unused for an hour): the row, then the bytes.

    The row is deleted first, under its lock, and the bytes before the transaction commits: an upload of
    the same bytes either sees the row (and keeps the blob alive) or waits and writes the bytes anew.
    """
    used_before = now - BLOB_GRACE
    removed = 0
    seen: set[str] = set()
    while True:
        candidates = [
            s for s in repository.unused_blobs(session, used_before=used_before, limit=batch) if s not in seen
        ]
        if not candidates:
            return removed
        for sha256 in candidates:
            seen.add(sha256)
            if repository.delete_blob_if_unused(session, sha256=sha256, used_before=used_before):
                store.delete(blob_key(sha256))
                removed += 1
        session.flush()


def sweep_orphan_files(session: Session, *, store: LocalFileStore, now: datetime) -> int:
    """Delete stored files with no blob row (left by failed requests), older than the grace period."""
    cutoff = (now - BLOB_GRACE).timestamp()
    removed = 0
    pending: list[tuple[str, str]] = []

    def flush() -> None:
        nonlocal removed
        known = repository.known_blobs(session, [sha for sha, _ in pending])
        for sha, key in pending:
            if sha not in known:
                store.delete(key)
                removed += 1
        pending.clear()

    for key, mtime in store.iter_blob_keys():
        if mtime >= cutoff:
            continue
        pending.append((key.rsplit("/", 1)[-1], key))
        if len(pending) >= 1000:
            flush()
    flush()
    return removed


def _emitted(session: Session, company_id: int, event: str, view: ViewT, author: webhooks.Author) -> ViewT:
    """Queue the ``documents/<event>`` webhook with ``view`` as payload; returns ``view``."""
    webhooks.emit(
        session, company_id=company_id, event_type=f"documents/{event}", payload=view, author=author
    )
    return view


def _emitted_many(
    session: Session, company_id: int, event: str, views: list[ViewT], author: webhooks.Author
) -> list[ViewT]:
    webhooks.emit_many(
        session, company_id=company_id, event_type=f"documents/{event}", payloads=views, author=author
    )
    return views
