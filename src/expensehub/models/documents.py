"""Documents, folders, the content-addressed blobs behind them, and the receipts of expenses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from expensehub.db.base import Base, BigId
from expensehub.db.types import UTCDateTime


class StoredBlob(Base):
    """Bytes in the file store, named by their SHA-256: identical uploads share one blob.

    ``last_used_at`` is set whenever a document starts pointing at the blob; the purge deletes only
    blobs no document points at and not used recently, so it never races an upload of the same bytes.
    """

    __tablename__ = "stored_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    byte_size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Folder(Base):
    """A documents folder (``documents/folders``)."""

    __tablename__ = "document_folders"
    __table_args__ = (Index("ix_document_folders_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    space: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    parent_folder_id: Mapped[int | None] = mapped_column(ForeignKey("document_folders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Document(Base):
    """A stored document (``documents/documents``). ``filename`` is the user's name, metadata only."""

    __tablename__ = "documents"
    # No (company_id, deleted_at) index on purpose: measured on SQLite, it makes the planner drive the
    # receipts joins (expense -> expense_files -> documents) from every live document of the company,
    # O(documents) per expense (36 s instead of 11 ms to count 20,000 receipts). Lists use
    # (company_id, id); the purge uses deleted_at.
    __table_args__ = (
        Index("ix_documents_company_id_id", "company_id", "id"),
        Index("ix_documents_deleted_at", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("stored_blobs.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    extension: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(120))
    file_size: Mapped[int] = mapped_column(BigInteger)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    space: Mapped[str] = mapped_column(String(40))
    is_pending_assignment: Mapped[bool] = mapped_column(Boolean, default=False)
    request_esignature: Mapped[bool] = mapped_column(Boolean, default=False)
    signature_status: Mapped[str | None] = mapped_column(String(24))
    author_access_id: Mapped[int | None] = mapped_column(ForeignKey("accesses.id"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("document_folders.id"), index=True)
    leave_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set while the document is in the trash bin; purged 30 days later.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DocumentSignee(Base):
    """An access asked to sign a document, in the order given."""

    __tablename__ = "document_signees"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    access_id: Mapped[int] = mapped_column(ForeignKey("accesses.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ExpenseFile(Base):
    """A receipt of an expense: the expense's ``files``, in ``position`` order."""

    __tablename__ = "expense_files"
    __table_args__ = (Index("ix_expense_files_company_expense", "company_id", "expense_id", "position"),)

    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
