"""HTTP endpoints of the banking domain: ``banking/*`` (Factorial) and cards and feed imports (extensions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, path_id
from expensehub.api.openapi import doc_write
from expensehub.api.resources import mount, written
from expensehub.banking import resources, schemas, service
from expensehub.banking.resources import EXT, EXTENSION, TAG
from expensehub.errors import ValidationFailed
from expensehub.kit.ids import parse_id

router = APIRouter()

# --------------------------------------------------------------------------------------------------
# banking/bank_accounts
# --------------------------------------------------------------------------------------------------


mount(router, resources.BANK_ACCOUNTS)


@router.post(
    f"/{resources.BANK_ACCOUNTS.key}/create_manual",
    tags=[TAG],
    summary="Create a bank account by hand",
    description="Returns **200** with the account, as Factorial does. An `iban` account number must pass "
    "the IBAN checksum (422 `invalid_iban`); the country is then the IBAN's, else the legal entity's. "
    "`external_id` defaults to the account number and is unique in the company (409 "
    "`duplicate_bank_account`). A legal entity, ledger account or employee of another company is 404. "
    "`bic`, `bank_name` and `beneficiary_name` are expensehub extensions.",
    responses=doc_write(schemas.BankAccountOut),
)
def create_manual(ctx: Ctx, body: schemas.BankAccountCreate) -> Response:
    account = service.create_manual_account(ctx.session, company_id=ctx.company_id, body=body)
    return written(ctx, resources.BANK_ACCOUNTS, account)


# --------------------------------------------------------------------------------------------------
# banking/cards (extension)
# --------------------------------------------------------------------------------------------------


mount(router, resources.CARDS)


@router.post(
    f"/{resources.CARDS.key}",
    tags=[EXT],
    status_code=201,
    summary="Create a company card",
    description=EXTENSION + "A card on one of the company's bank accounts, optionally assigned to an "
    "employee. The same kind and last four digits twice on one account is 409 `duplicate_card`.",
    responses=doc_write(schemas.CardOut, 201),
)
def create_card(ctx: Ctx, body: schemas.CardCreate) -> Response:
    card = service.create_card(ctx.session, company_id=ctx.company_id, body=body)
    return written(ctx, resources.CARDS, card, 201)


@router.put(
    f"/{resources.CARDS.key}/{{id}}",
    tags=[EXT],
    summary="Edit a company card",
    description=EXTENSION + "Assign (or, with null, unassign) the cardholder, or change the card kind. "
    "Only the keys sent change.",
    responses=doc_write(schemas.CardOut),
)
def update_card(ctx: Ctx, id: ItemId, body: schemas.CardUpdate) -> Response:
    card = service.update_card(ctx.session, company_id=ctx.company_id, card_id=path_id(id), body=body)
    return written(ctx, resources.CARDS, card)


# --------------------------------------------------------------------------------------------------
# banking/card_payments
# --------------------------------------------------------------------------------------------------


mount(router, resources.CARD_PAYMENTS)


# --------------------------------------------------------------------------------------------------
# banking/transactions
# --------------------------------------------------------------------------------------------------


mount(router, resources.TRANSACTIONS)


# --------------------------------------------------------------------------------------------------
# banking/feed_imports (extension)
# --------------------------------------------------------------------------------------------------


@router.post(
    f"/{resources.FEED_IMPORTS.key}",
    tags=[EXT],
    status_code=201,
    summary="Import a statement or card feed",
    description=EXTENSION + "multipart/form-data with `file` (a CAMT.053 XML statement, an OFX 1.x/2.x "
    "bank or credit-card statement, or a CSV export), `bank_account_id`, and optionally `format` "
    "(`camt053`, `ofx`, `csv`; detected when absent) and `mapping` (CSV only: the name of a shipped "
    "mapping, `card-issuer-export` or `bank-debit-credit-eu`, or a JSON/YAML mapping). Re-importing a "
    "file, or a statement overlapping an earlier one, creates nothing twice (the feed's ids, else a "
    "content hash). A malformed file is 422 `malformed_feed` naming the line and element or column, "
    "and imports nothing. Rows outside the import (not booked, another account or currency, a status "
    "the mapping skips) are counted in `rejected` with their line and reason. XML DTDs are refused. "
    "Imports into one account take turns, so parallel imports of one file store each row once: one "
    "reports the new rows, the others count them in `duplicates`.",
    responses=doc_write(schemas.FeedImportOut, 201),
)
def import_feed(
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="The statement or feed file")],
    bank_account_id: Annotated[str, Form(description="Bank account to import into")],
    format: Annotated[
        schemas.FeedFormat | None, Form(description="Format of the file; detected when absent")
    ] = None,
    mapping: Annotated[
        str | None, Form(max_length=20000, description="CSV mapping: a shipped name, or JSON/YAML text")
    ] = None,
) -> Response:
    try:
        account_id = parse_id(bank_account_id)
    except ValueError:
        raise ValidationFailed(
            "invalid bank_account_id", fields={"bank_account_id": ["must be an id"]}
        ) from None
    data = file.file.read()
    record = service.import_feed(
        ctx.session,
        company_id=ctx.company_id,
        bank_account_id=account_id,
        data=data,
        fmt=format,
        mapping=mapping,
        filename=file.filename,
        author=ctx.author,
    )
    return written(ctx, resources.FEED_IMPORTS, record, 201)


mount(router, resources.FEED_IMPORTS)
