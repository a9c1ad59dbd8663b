"""Wire shapes of documents, folders, download URLs and receipt files; bundle filters; write bodies.

Each response shape is one ``TypedDict`` (``kit/shapes.py``), at once the typed view the ``*_out``
functions build (ids as integers; the version registry renders them) and the OpenAPI component.
Document timestamps use Factorial's documents form without milliseconds: ``2024-06-06T12:00:00Z``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, cast, overload

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from expensehub.expenses.rules import Status
from expensehub.kit.bodies import no_nul
from expensehub.kit.clock import as_utc
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models.documents import Document, Folder

Space = Literal[
    "company_internal", "company_public", "employee_my_documents", "pending_to_assign", "pending_to_destroy"
]
SignatureStatus = Literal[
    "pending", "partially_signed", "declined", "completed", "bounced_email", "cancelled", "error", "expired"
]


@overload
def format_doc_ts(value: datetime) -> str: ...
@overload
def format_doc_ts(value: None) -> None: ...
@overload
def format_doc_ts(value: datetime | None) -> str | None: ...
def format_doc_ts(value: datetime | None) -> str | None:
    """``2024-06-06T12:00:00Z`` (documents carry no milliseconds), or ``None``."""
    if value is None:
        return None
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _form_bool(value: Any) -> Any:
    """Booleans as JSON or as multipart text: ``true``/``false`` in any case (the SDK sends ``True``)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError("must be true or false")
    return value


FormBool = Annotated[bool, BeforeValidator(_form_bool)]


# --------------------------------------------------------------------------------------------------
# Response shapes
# --------------------------------------------------------------------------------------------------


class DocumentOut(TypedDict):
    """A document (``documents/documents``)."""

    id: Annotated[IdOut, Field(description="Document id")]
    filename: Annotated[str, Field(description="Name of the document as the user gave it (metadata only)")]
    public: Annotated[bool, Field(description="Whether the document is public")]
    space: Annotated[str, Field(description="Document space, e.g. `company_internal`")]
    created_at: Annotated[
        str, Field(description="Creation time, `YYYY-MM-DDTHH:MM:SSZ` (UTC, no milliseconds)")
    ]
    updated_at: Annotated[str, Field(description="Last update time, `YYYY-MM-DDTHH:MM:SSZ`")]
    author_id: Annotated[IdOut | None, Field(description="Access id of the uploader")]
    company_id: Annotated[IdOut | None, Field(description="Company id")]
    content_type: Annotated[str | None, Field(description="MIME type detected from the file's bytes")]
    employee_id: Annotated[IdOut | None, Field(description="Employee the document belongs to")]
    extension: Annotated[str | None, Field(description="Extension of the detected file type, e.g. `pdf`")]
    file_size: Annotated[int | None, Field(description="Size in bytes")]
    folder_id: Annotated[IdOut | None, Field(description="Folder (documents/folders)")]
    is_company_document: Annotated[bool | None, Field(description="True when no employee owns the document")]
    is_management_document: Annotated[bool | None, Field(description="True in the `company_internal` space")]
    is_pending_assignment: Annotated[bool | None, Field(description="Whether it waits to be assigned")]
    leave_id: Annotated[IdOut | None, Field(description="Leave the document belongs to (opaque id)")]
    signature_status: Annotated[
        SignatureStatus | None,
        Field(description="`pending` while an e-signature is requested; null otherwise"),
    ]
    signees: Annotated[list[IdOut] | None, Field(description="Access ids asked to sign")]
    deleted_at: Annotated[str | None, Field(description="When it was moved to the trash bin; null otherwise")]


def document_out(d: Document, signees: list[int]) -> DocumentOut:
    return {
        "id": d.id,
        "filename": d.filename,
        "public": d.public,
        "space": d.space,
        "created_at": format_doc_ts(d.created_at),
        "updated_at": format_doc_ts(d.updated_at),
        "author_id": d.author_access_id,
        "company_id": d.company_id,
        "content_type": d.content_type,
        "employee_id": d.employee_id,
        "extension": d.extension,
        "file_size": d.file_size,
        "folder_id": d.folder_id,
        "is_company_document": d.employee_id is None,
        "is_management_document": d.space == "company_internal",
        "is_pending_assignment": d.is_pending_assignment,
        "leave_id": d.leave_id,
        "signature_status": cast(SignatureStatus | None, d.signature_status),
        "signees": signees,
        "deleted_at": format_doc_ts(d.deleted_at),
    }


class FolderOut(TypedDict):
    """A folder (``documents/folders``)."""

    id: Annotated[IdOut, Field(description="Folder id")]
    name: Annotated[str, Field(description="Folder name")]
    space: Annotated[str, Field(description="Space the folder is shown in")]
    active: Annotated[bool, Field(description="Whether the folder is active")]
    company_id: Annotated[IdOut | None, Field(description="Company id")]
    parent_folder_id: Annotated[IdOut | None, Field(description="Parent folder, when nested")]


def folder_out(f: Folder) -> FolderOut:
    return {
        "id": f.id,
        "name": f.name,
        "space": f.space,
        "active": f.active,
        "company_id": f.company_id,
        "parent_folder_id": f.parent_folder_id,
    }


class DownloadUrlOut(TypedDict):
    """A temporary download URL of a document."""

    id: Annotated[IdOut, Field(description="Document id")]
    url: Annotated[
        str,
        Field(
            description="Signed URL (served by expensehub, no API key needed) that expires after the "
            "configured lifetime (`EXPENSEHUB_DOWNLOAD_URL_TTL_SECONDS`, default 900 s)"
        ),
    ]


class FileOut(TypedDict):
    """A receipt attached to an expense (a document of documents/documents)."""

    id: Annotated[IdOut, Field(description="Document id of the receipt (documents/documents)")]
    filename: Annotated[str, Field(description="File name as the user gave it")]
    byte_size: Annotated[int, Field(description="Size in bytes")]
    url: Annotated[
        str | None,
        Field(description="Signed, temporary URL showing the file in the browser (no API key needed)"),
    ]
    download_url: Annotated[
        str | None, Field(description="Signed, temporary URL downloading the file (no API key needed)")
    ]
    content_type: Annotated[str | None, Field(description="MIME type detected from the file's bytes")]


class TrashState(TypedDict):
    """A document's state, in the ``details`` of a 409 of the trash bin."""

    resource: str
    id: int
    status: Literal["active", "trashed"]


# --------------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------------


class ReceiptBundleFilters(BaseModel):
    """Filters of ``GET documents/receipt_bundles`` (expensehub extension)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="First effective date (`YYYY-MM-DD`), inclusive")
    to: date = Field(description="Last effective date (`YYYY-MM-DD`), inclusive")
    status: list[Status] | None = Field(
        None, alias="status[]", description="Only expenses in these statuses (default: all)"
    )
    employee_ids: list[IdIn] | None = Field(
        None, alias="employee_ids[]", description="Only expenses of these employees (default: all)"
    )


# --------------------------------------------------------------------------------------------------
# Write bodies
# --------------------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return no_nul(value)


class DocumentCreateForm(_Body):
    """The text parts of ``POST documents/documents`` (multipart/form-data), besides ``file``."""

    public: FormBool = Field(False, description="Whether the document is public (default false)")
    space: Space = Field("company_internal", description="Document space (default `company_internal`)")
    is_pending_assignment: FormBool = Field(False, description="Whether it waits to be assigned")
    author_id: IdIn | None = Field(None, description="Access id of the author (default: the caller's)")
    company_id: IdIn | None = Field(None, description="Company id; must be the caller's")
    signee_ids: list[IdIn] = Field(
        default_factory=list, max_length=100, description="Access ids asked to sign (`signee_ids[]` parts)"
    )
    request_esignature: FormBool = Field(False, description="Whether an e-signature is requested")
    folder_id: IdIn | None = Field(None, description="Folder to file it in")
    file_filename: str | None = Field(None, max_length=1000, description="Name to give the file")
    leave_id: IdIn | None = Field(None, description="Leave the document belongs to (opaque id)")
    employee_id: IdIn | None = Field(
        None, description="Employee the document belongs to (required in `employee_my_documents`)"
    )


class DocumentUpdate(_Body):
    """Body of ``PUT documents/documents/{id}``: only the keys sent change."""

    id: IdIn | None = Field(None, description="Repeats the path id (Factorial style); must match it")
    public: bool | None = Field(None, description="Whether the document is public")
    request_esignature: bool | None = Field(None, description="Whether an e-signature is requested")
    signee_ids: list[IdIn] | None = Field(None, max_length=100, description="Access ids asked to sign")
    employee_id: IdIn | None = Field(None, description="Employee the document belongs to (null clears)")
    folder_id: IdIn | None = Field(None, description="Folder (null takes it out of its folder)")


class DocumentIdsBody(_Body):
    """``{document_ids: [...]}``: 1 to 100 document ids."""

    document_ids: list[IdIn] = Field(min_length=1, max_length=100, description="Document ids (1 to 100)")


class DownloadUrlsBody(_Body):
    """Body of ``POST documents/download_urls/bulk_create``."""

    ids: list[IdIn] = Field(min_length=1, max_length=100, description="Document ids (1 to 100)")


class FolderCreate(_Body):
    """Body of ``POST documents/folders``."""

    company_id: IdIn | None = Field(None, description="Company id; must be the caller's")
    name: str = Field(min_length=1, max_length=255, description="Folder name")
    space: Space = Field(
        description="Space the folder is shown in (Factorial advises `employee_my_documents`)"
    )
    parent_folder_id: IdIn | None = Field(None, description="expensehub extension: parent folder")


class FolderUpdate(_Body):
    """Body of ``PUT documents/folders/{id}``: only the keys sent change."""

    id: IdIn | None = Field(None, description="Repeats the path id (Factorial style); must match it")
    company_id: IdIn | None = Field(None, description="Company id; must be the caller's")
    name: str | None = Field(None, min_length=1, max_length=255, description="Folder name")
    active: bool | None = Field(None, description="expensehub extension: deactivate or reactivate the folder")
    parent_folder_id: IdIn | None = Field(None, description="expensehub extension: parent folder (null: top)")
