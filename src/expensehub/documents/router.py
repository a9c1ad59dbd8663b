"""HTTP endpoints of the documents domain: ``documents/*``, receipt bundles, and ``/files/{token}``.

Uploads are read as a stream: ``MultipartReceiver`` writes the file part to a staging file as it
arrives (hashing and counting; 413 past the limit), and the service runs once the body is complete.
``/files/{token}`` lives outside ``/api``: a signed URL needs no API key.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, Response, StreamingResponse

from expensehub.api.deps import Ctx, ItemId, db_session, path_id
from expensehub.api.openapi import ERRORS, ErrorBody, doc_many, doc_write
from expensehub.api.resources import mount
from expensehub.api.responses import object_response
from expensehub.db.engine import transaction
from expensehub.documents import resources, schemas, service
from expensehub.documents.context import FILES_PATH, DocumentsConfig, UrlSigner
from expensehub.documents.filenames import content_disposition
from expensehub.documents.uploads import MultipartReceiver, ReceivedForm
from expensehub.errors import UnsupportedMediaType, ValidationFailed

router = APIRouter()
files_router = APIRouter()

DOCS = "documents/documents"
URLS = "documents/download_urls"
FOLDERS = "documents/folders"
BUNDLES = "documents/receipt_bundles"

TAG = "documents"
EXT = "documents (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "


# --------------------------------------------------------------------------------------------------
# Dependencies
# --------------------------------------------------------------------------------------------------


def documents_config(request: Request) -> DocumentsConfig:
    """The process's documents configuration (file store, limits, signing key), built once."""
    config: DocumentsConfig | None = getattr(request.app.state, "documents_config", None)
    if config is None:
        config = DocumentsConfig.from_settings(request.app.state.settings)
        request.app.state.documents_config = config
    return config


Config = Annotated[DocumentsConfig, Depends(documents_config)]


def url_signer(request: Request, config: Config) -> UrlSigner:
    """Mints download URLs on the public base URL (else the request's), valid from now."""
    return config.signer(str(request.base_url), int(time.time()))


Signer = Annotated[UrlSigner, Depends(url_signer)]


def _validation_error(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(exc.errors(include_url=False, include_context=False))


async def receive_multipart(
    request: Request,
    config: DocumentsConfig,
    *,
    file_names: Collection[str],
    max_files: int,
    text_names: Collection[str] = (),
) -> ReceivedForm:
    """Stream a multipart body: files to staging (never in memory), text fields kept; 415 otherwise."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType(
            f"send multipart/form-data (got {ctype.split(';')[0] or '(none)'!r})",
            code="unsupported_media_type",
        )
    receiver = MultipartReceiver(
        ctype,
        staging_dir=config.staging_dir,
        max_file_bytes=config.max_upload_bytes,
        file_names=file_names,
        max_files=max_files,
        text_names=text_names,
    )
    try:
        async for chunk in request.stream():
            await run_in_threadpool(receiver.feed, chunk)
        return await run_in_threadpool(receiver.finish)
    except BaseException:
        receiver.abort()
        raise


def form_values(form: ReceivedForm, lists: Collection[str]) -> dict[str, Any]:
    """Text parts as a dict: ``name[]`` (or a name in ``lists``) gives a list, anything else one value."""
    values: dict[str, Any] = {}
    for key, items in form.fields.items():
        name = key[:-2] if key.endswith("[]") else key
        if key.endswith("[]") or name in lists:
            values.setdefault(name, [])
            values[name].extend(items)
        else:
            values[name] = items[0]
    return values


# --------------------------------------------------------------------------------------------------
# documents/documents
# --------------------------------------------------------------------------------------------------

_SPACES = list(schemas.Space.__args__)  # type: ignore[attr-defined]
_ID_PART = {"type": "string", "pattern": r"^\d+$"}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file. Its bytes decide its type: PDF, JPEG, PNG, WebP, HEIC, "
                            "TIFF, DOCX/XLSX/PPTX, ODT/ODS/ODP, DOC/XLS/PPT or XML (415 otherwise)",
                        },
                        "public": {"type": "boolean", "description": "Whether the document is public"},
                        "space": {"type": "string", "enum": _SPACES, "description": "Document space"},
                        "is_pending_assignment": {"type": "boolean", "description": "Pending assignment"},
                        "author_id": {**_ID_PART, "description": "Access id of the author"},
                        "company_id": {**_ID_PART, "description": "Company id (must be the caller's)"},
                        "signee_ids[]": {
                            "type": "array",
                            "items": _ID_PART,
                            "description": "Access ids asked to sign (repeated part)",
                        },
                        "request_esignature": {"type": "boolean", "description": "Request an e-signature"},
                        "folder_id": {**_ID_PART, "description": "Folder"},
                        "file_filename": {"type": "string", "description": "Name to give the file"},
                        "leave_id": {**_ID_PART, "description": "Leave (opaque id)"},
                        "employee_id": {**_ID_PART, "description": "Employee the document belongs to"},
                    },
                }
            }
        },
    }
}


mount(router, resources.DOCUMENTS)


@router.post(
    f"/{DOCS}",
    status_code=201,
    tags=[TAG],
    summary="Upload a document",
    description="multipart/form-data with a `file` part and the document's fields (booleans as "
    "`true`/`false` in any case). Only `file` is required here; `space` defaults to `company_internal` and "
    "`author_id` to the caller's access. The file's bytes must be of an accepted type and agree with its "
    "name and part Content-Type (415 `unsupported_file_type` otherwise); beyond "
    "`EXPENSEHUB_MAX_UPLOAD_BYTES` the request is refused with 413 and nothing is stored. The name is "
    "kept as metadata only (path and control characters removed). Identical bytes are stored once.",
    responses=doc_write(schemas.DocumentOut, 201, "The new document"),
    openapi_extra=UPLOAD_BODY,
)
async def create_document(request: Request, ctx: Ctx, config: Config) -> Response:
    form = await receive_multipart(request, config, file_names={"file"}, max_files=1)
    try:
        if not form.files:
            raise ValidationFailed("invalid document", fields={"file": ["a file part is required"]})
        try:
            fields = schemas.DocumentCreateForm.model_validate(form_values(form, {"signee_ids"}))
        except ValidationError as exc:
            raise _validation_error(exc) from None
        item = await run_in_threadpool(
            service.create_document,
            ctx.session,
            store=config.store,
            company_id=ctx.company_id,
            staged=form.files[0][1],
            form=fields,
            caller_access_id=ctx.principal.access_id,
            author=ctx.author,
        )
    finally:
        form.discard()
    return object_response(ctx.version, DOCS, item, 201)


@router.put(
    f"/{DOCS}/{{id}}",
    tags=[TAG],
    summary="Update a document",
    description="Partial update of `public`, `request_esignature`, `signee_ids`, `employee_id` and "
    "`folder_id` (only the keys sent change; `id` must match the path). Ids of another company give 404.",
    responses=doc_write(schemas.DocumentOut),
)
def update_document(ctx: Ctx, id: ItemId, body: schemas.DocumentUpdate) -> Response:
    item = service.update_document(
        ctx.session, company_id=ctx.company_id, document_id=path_id(id), body=body, author=ctx.author
    )
    return object_response(ctx.version, DOCS, item)


@router.delete(
    f"/{DOCS}/{{id}}",
    tags=[TAG],
    summary="Delete a document",
    description="Deletes the document for good (it stops being a receipt of any expense) and returns it as "
    "it was. Its bytes are removed by the purge once no document uses them.",
    responses=doc_write(schemas.DocumentOut),
)
def delete_document(ctx: Ctx, id: ItemId) -> Response:
    item = service.delete_document(
        ctx.session, company_id=ctx.company_id, document_id=path_id(id), author=ctx.author
    )
    return object_response(ctx.version, DOCS, item)


def _trash_route(action: service.TrashAction, summary: str, description: str, returned: str) -> None:
    """``move_to_trash_bin`` / ``restore_from_trash_bin``: documents in or out of the trash bin."""

    def change(ctx: Ctx, body: schemas.DocumentIdsBody) -> Response:
        items = service.change_trash_bin(
            ctx.session, company_id=ctx.company_id, ids=body.document_ids, action=action, author=ctx.author
        )
        return object_response(ctx.version, DOCS, items)

    router.add_api_route(
        f"/{DOCS}/{action}",
        change,
        methods=["POST"],
        tags=[TAG],
        summary=summary,
        description=description,
        responses=doc_write(list[schemas.DocumentOut], description=returned),
        name=action,
    )


_trash_route(
    "move_to_trash_bin",
    "Move documents to the trash bin",
    "Trashes 1 to 100 documents (all or nothing: 404 naming an unknown id, 409 "
    "`already_in_trash_bin` with the document's state in `details` for one already there) and returns "
    "them as a JSON array. Trashed documents leave lists and expense `files`; they are purged after 30 "
    "days. Of several requests trashing the same document at once, one succeeds and the others get 409.",
    "The trashed documents",
)
_trash_route(
    "restore_from_trash_bin",
    "Restore documents from the trash bin",
    "Takes 1 to 100 documents out of the trash bin (all or nothing: 404 naming an unknown id, "
    "409 `not_in_trash_bin` for one that is not in it) and returns them as a JSON array. Of several "
    "requests restoring the same document at once, one succeeds and the others get 409.",
    "The restored documents",
)


# --------------------------------------------------------------------------------------------------
# documents/download_urls
# --------------------------------------------------------------------------------------------------


@router.post(
    f"/{URLS}/bulk_create",
    tags=[TAG],
    summary="Create download URLs",
    description="Signed, temporary URLs for 1 to 100 documents, as a JSON array of `{id, url}` in request "
    "order. The URLs are served by expensehub at `/files/{token}`, need no API key, and expire after "
    "`EXPENSEHUB_DOWNLOAD_URL_TTL_SECONDS` (default 900); an expired or altered URL is a 403. All or "
    "nothing: 404 naming an id that is not the company's.",
    responses=doc_many(schemas.DownloadUrlOut, "The URLs"),
)
def bulk_create_download_urls(ctx: Ctx, signer: Signer, body: schemas.DownloadUrlsBody) -> Response:
    items = service.download_urls(ctx.session, company_id=ctx.company_id, ids=body.ids, signer=signer)
    return object_response(ctx.version, URLS, items)


# --------------------------------------------------------------------------------------------------
# documents/folders
# --------------------------------------------------------------------------------------------------


mount(router, resources.FOLDERS)


@router.post(
    f"/{FOLDERS}",
    status_code=201,
    tags=[TAG],
    summary="Create a folder",
    description="A new, active folder. `company_id` must be the caller's (404 otherwise).",
    responses=doc_write(schemas.FolderOut, 201, "The new folder"),
)
def create_folder(ctx: Ctx, body: schemas.FolderCreate) -> Response:
    item = service.create_folder(ctx.session, company_id=ctx.company_id, body=body, author=ctx.author)
    return object_response(ctx.version, FOLDERS, item, 201)


@router.put(
    f"/{FOLDERS}/{{id}}",
    tags=[TAG],
    summary="Update a folder",
    description="Renames a folder (only the keys sent change). Extensions: `active` and `parent_folder_id`. "
    "There is no DELETE (as in Factorial): deactivate instead.",
    responses=doc_write(schemas.FolderOut),
)
def update_folder(ctx: Ctx, id: ItemId, body: schemas.FolderUpdate) -> Response:
    item = service.update_folder(
        ctx.session, company_id=ctx.company_id, folder_id=path_id(id), body=body, author=ctx.author
    )
    return object_response(ctx.version, FOLDERS, item)


# --------------------------------------------------------------------------------------------------
# documents/receipt_bundles (extension)
# --------------------------------------------------------------------------------------------------


def bundle_filename(selection: service.BundleSelection) -> str:
    return f"receipts_{selection.date_from.isoformat()}_{selection.date_to.isoformat()}.zip"


@router.get(
    f"/{BUNDLES}",
    tags=[EXT],
    summary="Download a receipt bundle",
    description=EXTENSION + "Streams a ZIP of every receipt of the company's expenses whose `effective_on` "
    "is between `from` and `to` (both inclusive; optionally only some `status[]` or `employee_ids[]`). "
    "Files are named `<expensable id>_<n>.<ext>` (n counts each expense's receipts from 1); the last "
    "entry, `manifest.csv`, maps each file to its expensable, expense, document, original name, amount "
    "(decimal and minor units), currency, employee, date, status and merchant. Streamed with flat "
    "memory; ZIP64 past 4 GB. Same content as `expensehub export receipts`.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The ZIP file"},
        **ERRORS,
    },
)
def receipt_bundle(
    request: Request, ctx: Ctx, config: Config, f: Annotated[schemas.ReceiptBundleFilters, Query()]
) -> Response:
    selection = service.BundleSelection(
        company_id=ctx.company_id,
        date_from=f.from_,
        date_to=f.to,
        statuses=tuple(f.status) if f.status is not None else None,
        employee_ids=tuple(f.employee_ids) if f.employee_ids is not None else None,
    )
    service.check_bundle_selection(selection)
    factory = request.app.state.session_factory
    store = config.store

    def body() -> Iterator[bytes]:
        with transaction(factory) as session:
            yield from service.receipt_bundle(session, store=store, selection=selection)

    return StreamingResponse(
        body(),
        media_type="application/zip",
        headers={
            "Content-Disposition": content_disposition("attachment", bundle_filename(selection)),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# --------------------------------------------------------------------------------------------------
# /files/{token}: signed downloads (no API key)
# --------------------------------------------------------------------------------------------------


@files_router.head(f"{FILES_PATH}/{{token}}", include_in_schema=False)
@files_router.get(
    f"{FILES_PATH}/{{token}}",
    tags=[TAG],
    summary="Download a document by signed URL",
    description="Serves the bytes of the document a signed URL (from `download_urls/bulk_create` or an "
    "expense's `files`) grants, without an API key. 403 `invalid_download_url` when the URL was altered, "
    "403 `download_url_expired` once it expired, 404 when the document was deleted. Sent with the type "
    "detected at upload, `X-Content-Type-Options: nosniff`, a sandboxing Content-Security-Policy and the "
    "user's file name in `Content-Disposition` (RFC 6266/5987).",
    responses={
        200: {"description": "The file's bytes"},
        403: {"model": ErrorBody, "description": "Altered or expired URL"},
        404: {"model": ErrorBody, "description": "The document no longer exists"},
    },
)
def download(
    token: Annotated[str, Path(description="The signed token of the URL")],
    session: Annotated[Session, Depends(db_session, scope="function")],
    config: Config,
    disposition: Annotated[
        Literal["attachment", "inline"],
        Query(description="`attachment` (default) to download, `inline` to display in the browser"),
    ] = "attachment",
) -> Response:
    found = service.resolve_download(session, config=config, token=token, now=int(time.time()))
    headers = {
        "Content-Disposition": content_disposition(disposition, found.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }
    if found.local_path is not None:
        return FileResponse(found.local_path, media_type=found.content_type, headers=headers)

    def chunks() -> Iterator[bytes]:
        with config.store.open(found.key) as source:
            while chunk := source.read(1024 * 1024):
                yield chunk

    headers["Content-Length"] = str(found.size)
    return StreamingResponse(chunks(), media_type=found.content_type, headers=headers)
