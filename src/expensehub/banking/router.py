"""HTTP endpoints of the banking domain: ``banking/*`` (Factorial) and cards and feed imports (extensions)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.responses import Response

from expensehub.api.deps import Ctx, ItemId, Paging, path_id
from expensehub.api.openapi import doc_list, doc_one, doc_write
from expensehub.api.responses import list_response, object_response
from expensehub.banking import schemas, service
from expensehub.errors import ValidationFailed
from expensehub.kit.ids import parse_id

router = APIRouter()

ACCOUNTS = "banking/bank_accounts"
CARDS = "banking/cards"
PAYMENTS = "banking/card_payments"
TRANSACTIONS = "banking/transactions"
IMPORTS = "banking/feed_imports"

TAG = "banking"
EXT = "banking (extension)"
EXTENSION = "**expensehub extension** (Factorial has no such endpoint). "


# --------------------------------------------------------------------------------------------------
# banking/bank_accounts
# --------------------------------------------------------------------------------------------------


@router.get(
    f"/{ACCOUNTS}",
    tags=[TAG],
    summary="List bank accounts",
    description="The company's bank accounts, in ascending id order. `updated_from` is a date (the "
    "account changed on or after it). Balances come from the latest imported statement; "
    "`pending_balance_cents` is the sum of pending card payments.",
    responses=doc_list(schemas.BankAccountOut),
)
def list_bank_accounts(
    ctx: Ctx, paging: Paging, f: Annotated[schemas.BankAccountFilters, Query()]
) -> Response:
    page, items = service.list_bank_accounts(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, ACCOUNTS, page, items)


@router.get(
    f"/{ACCOUNTS}/{{id}}",
    tags=[TAG],
    summary="Get a bank account",
    description="One bank account of the company.",
    responses=doc_one(schemas.BankAccountOut),
)
def get_bank_account(ctx: Ctx, id: ItemId) -> Response:
    account = service.get_bank_account(ctx.session, company_id=ctx.company_id, bank_account_id=path_id(id))
    view = service.bank_account_views(ctx.session, company_id=ctx.company_id, accounts=[account])[0]
    return object_response(ctx.version, ACCOUNTS, view)


@router.post(
    f"/{ACCOUNTS}/create_manual",
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
    view = service.bank_account_views(ctx.session, company_id=ctx.company_id, accounts=[account])[0]
    return object_response(ctx.version, ACCOUNTS, view)


# --------------------------------------------------------------------------------------------------
# banking/cards (extension)
# --------------------------------------------------------------------------------------------------


@router.get(
    f"/{CARDS}",
    tags=[EXT],
    summary="List company cards",
    description=EXTENSION + "Cards the company's card payments were made with (created by hand or by a feed "
    "import, one per account and last four digits), in ascending id order.",
    responses=doc_list(schemas.CardOut),
)
def list_cards(ctx: Ctx, paging: Paging, f: Annotated[schemas.CardFilters, Query()]) -> Response:
    page = service.list_cards(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, CARDS, page, [schemas.card_out(r[0]) for r in page.rows])


@router.get(
    f"/{CARDS}/{{id}}",
    tags=[EXT],
    summary="Get a company card",
    description=EXTENSION + "One card of the company.",
    responses=doc_one(schemas.CardOut),
)
def get_card(ctx: Ctx, id: ItemId) -> Response:
    card = service.get_card(ctx.session, company_id=ctx.company_id, card_id=path_id(id))
    return object_response(ctx.version, CARDS, schemas.card_out(card))


@router.post(
    f"/{CARDS}",
    tags=[EXT],
    status_code=201,
    summary="Create a company card",
    description=EXTENSION + "A card on one of the company's bank accounts, optionally assigned to an "
    "employee. The same kind and last four digits twice on one account is 409 `duplicate_card`.",
    responses=doc_write(schemas.CardOut, 201),
)
def create_card(ctx: Ctx, body: schemas.CardCreate) -> Response:
    card = service.create_card(ctx.session, company_id=ctx.company_id, body=body)
    return object_response(ctx.version, CARDS, schemas.card_out(card), 201)


@router.put(
    f"/{CARDS}/{{id}}",
    tags=[EXT],
    summary="Edit a company card",
    description=EXTENSION + "Assign (or, with null, unassign) the cardholder, or change the card kind. "
    "Only the keys sent change.",
    responses=doc_write(schemas.CardOut),
)
def update_card(ctx: Ctx, id: ItemId, body: schemas.CardUpdate) -> Response:
    card = service.update_card(ctx.session, company_id=ctx.company_id, card_id=path_id(id), body=body)
    return object_response(ctx.version, CARDS, schemas.card_out(card))


# --------------------------------------------------------------------------------------------------
# banking/card_payments
# --------------------------------------------------------------------------------------------------


@router.get(
    f"/{PAYMENTS}",
    tags=[TAG],
    summary="List card payments",
    description="Card payments in ascending id order; amounts are negative for spend. `status` takes one "
    "value. `from`/`to` are dates and filter the creation date in expensehub (the import), both "
    "inclusive, each usable alone, as Factorial documents for its creation date.",
    responses=doc_list(schemas.CardPaymentOut),
)
def list_card_payments(
    ctx: Ctx, paging: Paging, f: Annotated[schemas.CardPaymentFilters, Query()]
) -> Response:
    page = service.list_card_payments(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, PAYMENTS, page, [schemas.card_payment_out(r[0]) for r in page.rows])


@router.get(
    f"/{PAYMENTS}/{{id}}",
    tags=[TAG],
    summary="Get a card payment",
    description="One card payment of the company.",
    responses=doc_one(schemas.CardPaymentOut),
)
def get_card_payment(ctx: Ctx, id: ItemId) -> Response:
    payment = service.get_card_payment(ctx.session, company_id=ctx.company_id, card_payment_id=path_id(id))
    return object_response(ctx.version, PAYMENTS, schemas.card_payment_out(payment))


# --------------------------------------------------------------------------------------------------
# banking/transactions
# --------------------------------------------------------------------------------------------------


@router.get(
    f"/{TRANSACTIONS}",
    tags=[TAG],
    summary="List bank transactions",
    description="Booked movements in ascending id order. `from`/`to` are dates on `booking_date` (both "
    "inclusive, each usable alone); `updated_from` is a date. Version 2026-04-01 names the account "
    "filter `account_ids[]`; from 2026-07-01 it is `bank_account_ids[]`.",
    responses=doc_list(schemas.TransactionOut),
)
def list_transactions(
    ctx: Ctx, paging: Paging, f: Annotated[schemas.TransactionFilters, Query()]
) -> Response:
    page = service.list_transactions(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, TRANSACTIONS, page, [schemas.transaction_out(r[0]) for r in page.rows])


@router.get(
    f"/{TRANSACTIONS}/{{id}}",
    tags=[TAG],
    summary="Get a bank transaction",
    description="One bank transaction of the company.",
    responses=doc_one(schemas.TransactionOut),
)
def get_transaction(ctx: Ctx, id: ItemId) -> Response:
    found = service.get_transaction(ctx.session, company_id=ctx.company_id, transaction_id=path_id(id))
    return object_response(ctx.version, TRANSACTIONS, schemas.transaction_out(found))


# --------------------------------------------------------------------------------------------------
# banking/feed_imports (extension)
# --------------------------------------------------------------------------------------------------


@router.post(
    f"/{IMPORTS}",
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
        Literal["csv", "camt053", "ofx"] | None, Form(description="Format of the file; detected when absent")
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
    return object_response(ctx.version, IMPORTS, schemas.feed_import_out(record), 201)


@router.get(
    f"/{IMPORTS}",
    tags=[EXT],
    summary="List feed imports",
    description=EXTENSION + "Every imported file with what it added, in ascending id order.",
    responses=doc_list(schemas.FeedImportOut),
)
def list_feed_imports(ctx: Ctx, paging: Paging, f: Annotated[schemas.FeedImportFilters, Query()]) -> Response:
    page = service.list_feed_imports(ctx.session, company_id=ctx.company_id, page=paging, filters=f)
    return list_response(ctx.version, IMPORTS, page, [schemas.feed_import_out(r[0]) for r in page.rows])


@router.get(
    f"/{IMPORTS}/{{id}}",
    tags=[EXT],
    summary="Get a feed import",
    description=EXTENSION + "One import: counts of new, updated, duplicate and rejected rows.",
    responses=doc_one(schemas.FeedImportOut),
)
def get_feed_import(ctx: Ctx, id: ItemId) -> Response:
    record = service.get_feed_import(ctx.session, company_id=ctx.company_id, feed_import_id=path_id(id))
    return object_response(ctx.version, IMPORTS, schemas.feed_import_out(record))
