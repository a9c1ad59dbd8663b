"""The documents resources served by the generic list/get (``db/resources.py``), one description each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import bindparam, exists, select

from expensehub.db.resources import (
    COMPANY,
    Clause,
    Doc,
    Filter,
    Resource,
    Scope,
    any_of,
    company_select,
    equals,
    per_object,
)
from expensehub.documents import repository, schemas
from expensehub.kit.ids import IdIn
from expensehub.models.documents import Document, ExpenseFile, Folder

TAG = "documents"

# --- documents ----------------------------------------------------------------------------------

_ATTACHED = exists().where(ExpenseFile.company_id == COMPANY, ExpenseFile.document_id == Document.id)
"""The document is a receipt of an expense (built once; the company is the bound ``:company_id``)."""


def _trashed(trashed: bool, _scope: Scope) -> Clause:
    return Document.deleted_at.is_not(None) if trashed else Document.deleted_at.is_(None)


def _document_views(scope: Scope, rows: Sequence[Any]) -> list[schemas.DocumentOut]:
    documents: list[Document] = [row[0] for row in rows]
    signees = repository.signees_of(scope.session, [d.id for d in documents])
    return [schemas.document_out(d, signees.get(d.id, [])) for d in documents]


DOCUMENTS: Resource[schemas.DocumentOut] = Resource(
    key="documents/documents",
    noun="document",
    tag=TAG,
    select=company_select(Document),
    id_column=Document.id,
    view=_document_views,
    out=schemas.DocumentOut,
    list_doc=Doc(
        "List documents",
        "The company's documents, in ascending id order. Documents in the trash bin are listed only "
        "with `by_trash_bin=true`. `by_pending_assignment=false` lists only assigned documents; "
        "`by_bookkeeper_documents=true` only receipts attached to an expense.",
    ),
    get_doc=Doc(
        "Get a document",
        "One document of the company (also while in the trash bin: `deleted_at` is set then).",
    ),
    filters=(
        any_of("ids", Document.id, "Only these document ids"),
        any_of("employee_ids", Document.employee_id, "Only documents of these employees"),
        equals("folder_id", Document.folder_id, "Only documents in this folder"),
        equals("leave_id", Document.leave_id, "Only documents of this leave"),
        Filter(
            "by_trash_bin",
            bool,
            "`true`: only documents in the trash bin. Absent or `false`: only documents outside it",
            where=_trashed,
            absent=lambda scope: _trashed(False, scope),
        ),
        Filter(
            "by_pending_assignment",
            bool,
            "`true`: only documents pending assignment; `false`: only assigned ones; absent: all",
            where=lambda pending, _s: Document.is_pending_assignment.is_(pending),
        ),
        Filter(
            "by_without_folder",
            bool,
            "`true`: only documents in no folder; absent or `false`: all",
            where=lambda without, _s: Document.folder_id.is_(None) if without else None,
        ),
        Filter(
            "by_bookkeeper_documents",
            bool,
            "`true`: only documents the bookkeeper needs, i.e. receipts attached to an expense; "
            "absent or `false`: all",
            where=lambda bookkeeper, _s: _ATTACHED if bookkeeper else None,
        ),
    ),
)


# --- folders ------------------------------------------------------------------------------------

_DOCUMENTS_OF = select(Document.id).where(
    Document.company_id == COMPANY,
    Document.folder_id == Folder.id,
    Document.employee_id == bindparam("folder_employee_id"),
)
"""The folder's documents of ``:folder_employee_id`` (built once; the filter binds the value)."""


def _holds_documents_of(employee_id: int, _scope: Scope) -> Clause:
    return _DOCUMENTS_OF.params(folder_employee_id=employee_id).exists()


FOLDERS: Resource[schemas.FolderOut] = Resource(
    key="documents/folders",
    noun="folder",
    tag=TAG,
    select=company_select(Folder),
    id_column=Folder.id,
    view=per_object(schemas.folder_out),
    out=schemas.FolderOut,
    list_doc=Doc(
        "List folders",
        "The company's folders, in ascending id order. `name` matches exactly; `employee_id` keeps "
        "folders holding documents of that employee.",
    ),
    get_doc=Doc("Get a folder", "One folder of the company."),
    filters=(
        any_of("ids", Folder.id, "Only these folder ids"),
        Filter(
            "active",
            bool,
            "Only active (`true`) or inactive (`false`) folders",
            where=lambda active, _s: Folder.active.is_(active),
        ),
        Filter(
            "employee_id",
            IdIn,
            "Only folders holding documents of this employee",
            where=_holds_documents_of,
        ),
        equals(
            "name",
            Folder.name,
            "Only folders with exactly this name",
            Annotated[str, Field(max_length=255)],
        ),
    ),
)

RESOURCES: tuple[Resource[Any], ...] = (DOCUMENTS, FOLDERS)
