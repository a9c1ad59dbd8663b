"""HTTP endpoints of the exports domain (an expensehub extension): stream an export file.

``GET exports/expenses|card_payments|transactions`` streams the same bytes as
``expensehub export ...`` writes, with the format's content type and a download file name. Inputs are
checked before the first byte, so bad input is a 4xx JSON error and never half a file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from expensehub.api.deps import Ctx
from expensehub.api.openapi import ERRORS, doc_list
from expensehub.api.responses import list_response
from expensehub.exports import schemas, service
from expensehub.exports.columns import DATASETS
from expensehub.exports.templates import describe_shipped, load_shipped_template
from expensehub.exports.writers import CONTENT_TYPES
from expensehub.kit.clock import utcnow
from expensehub.kit.pagination import Page

router = APIRouter()

TAG = "exports (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "


def _receipt_url(request: Request) -> service.ReceiptUrl | None:
    """Signed receipt download URLs, when the documents domain is configured in this process."""
    try:
        from expensehub.documents.context import DocumentsConfig
    except ImportError:  # documents not installed in this build
        return None
    config: Any = getattr(request.app.state, "documents_config", None)
    if config is None:
        config = DocumentsConfig.from_settings(request.app.state.settings)
        request.app.state.documents_config = config
    signer = config.signer(str(request.base_url), int(time.time()))

    def url(company_id: int, document_id: int, sha256: str) -> str:
        return str(signer.url(document_id=document_id, company_id=company_id, sha256=sha256))

    return url


def _export(ctx: Ctx, request: Request, dataset: str, q: schemas.ExportQuery) -> Response:
    template = load_shipped_template(q.template) if q.template else None
    plan = service.plan_export(
        ctx.session,
        company_id=ctx.company_id,
        dataset=dataset,
        fmt=q.format,
        template=template,
        columns=q.columns,
        date_from=q.from_,
        date_to=q.to,
        statuses=q.status,
        types=q.type,
        employee_ids=q.employee_ids,
        legal_entity_ids=q.legal_entity_ids,
        updated_since=q.updated_since,
        cost_centers=q.cost_centers,
        bom=q.bom,
    )
    factory = request.app.state.session_factory
    receipt_url = _receipt_url(request) if "receipt_url" in plan.derived else None

    def body() -> Iterator[bytes]:
        session = factory()
        try:
            yield from service.stream_export(session, plan, receipt_url=receipt_url)
        finally:
            session.rollback()
            session.close()

    filename = f"{dataset}-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.{plan.extension}"
    return StreamingResponse(
        body(),
        media_type=CONTENT_TYPES[plan.format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export file, streamed",
        "content": {ctype.split(";")[0]: {} for ctype in CONTENT_TYPES.values()},
    },
    **ERRORS,
}

_FILTERS_DOC = (
    "Filters: `from`/`to` (inclusive dates), `status[]`, `type[]`, `employee_ids[]`, `legal_entity_ids[]`, "
    "`updated_since` (incremental exports). Columns: a shipped `template`, or `columns[]` (see "
    "`exports/columns`), else the default columns. Unknown columns, unknown enum values and a reversed date "
    "range are 422; ids of another company match nothing."
)


_DATASET_ROUTES = (
    (
        "expenses",
        "Export expenses (CSV, XLSX, Parquet, JSON Lines)",
        "One row per expensable of every type (expense, mileage, per diem), in id order, with the fields "
        "finance reconciles on: amounts in the receipt's currency and converted into the legal entity's "
        "(`base_amount`), ledger account, project, cost centre, card, tax and receipt link. Claims over "
        "several cost centres: `cost_centers=join` (default; codes joined by `|`) or `split` (one row per "
        "share, amounts split so they sum exactly). Dates filter on `effective_on`. ",
    ),
    (
        "card_payments",
        "Export card payments",
        "Card payments in id order, with the card, cardholder, both amounts and the expense and bank "
        "transaction they reconcile with. Dates filter on `external_created_at`; `status[]` is "
        "pending/closed/reversed/rejected, `type[]` payment/refund. ",
    ),
    (
        "transactions",
        "Export bank transactions",
        "Bank transactions in id order. Dates filter on `booking_date`; `type[]` takes the transaction "
        "types; there is no `status[]` or `employee_ids[]` filter. ",
    ),
)


def _dataset_route(dataset: str, summary: str, description: str) -> None:
    def export(ctx: Ctx, request: Request, q: Annotated[schemas.ExportQuery, Query()]) -> Response:
        return _export(ctx, request, dataset, q)

    router.add_api_route(
        f"/exports/{dataset}",
        export,
        methods=["GET"],
        tags=[TAG],
        summary=summary,
        description=EXTENSION + description + _FILTERS_DOC,
        responses=_FILE_RESPONSES,
        response_class=Response,
        name=f"export_{dataset}",
    )


for _dataset, _summary, _description in _DATASET_ROUTES:
    _dataset_route(_dataset, _summary, _description)


@router.get(
    "/exports/columns",
    tags=[TAG],
    summary="List the columns an export can write",
    description=EXTENSION + "The column catalogue of a dataset: name, type and meaning, and whether it is "
    "exported by default. Money columns name the column holding their currency.",
    responses=doc_list(schemas.ColumnOut),
)
def list_columns(ctx: Ctx, q: Annotated[schemas.ColumnsQuery, Query()]) -> Response:
    return _whole_list(ctx, "exports/columns", [schemas.column_out(c) for c in DATASETS[q.dataset]])


@router.get(
    "/exports/templates",
    tags=[TAG],
    summary="List the shipped export templates",
    description=EXTENSION + "Templates shipped with expensehub (pass the name as `template`): a generic ERP "
    "CSV and a DATEV-style bookings CSV.",
    responses=doc_list(schemas.TemplateOut),
)
def list_templates(ctx: Ctx) -> Response:
    return _whole_list(ctx, "exports/templates", describe_shipped())


def _whole_list(ctx: Ctx, key: str, items: list[Any]) -> Response:
    """A list that is never paged: every item on one page."""
    page = Page(
        rows=items, total=len(items), limit=max(len(items), 1), has_next_page=False, has_previous_page=False
    )
    return list_response(ctx.version, key, page, items)
