"""Use cases of the banking domain: bank accounts, cards, card payments, transactions, feed imports.

Services flush, never commit. A feed import parses the whole file first (a malformed file raises before
anything is written), then inserts what is new: re-importing the same file, or a statement that overlaps
an earlier one, adds nothing twice (entries are keyed by the feed's own ids, or by a content hash).
Imports into one account take turns (a lock on the account row, ``db/locking.py``), so this holds for
imports running at the same time too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from typing import Any, TypedDict, TypeVar

from sqlalchemy.orm import Session

from expensehub.banking import repository, resources, schemas
from expensehub.banking.importers import FORMATS, FeedEntry, MalformedFeed, ParsedFeed, detect_format
from expensehub.banking.importers.camt053 import parse_camt053
from expensehub.banking.importers.csv import CsvMapping, parse_csv, resolve_mapping
from expensehub.banking.importers.ofx import parse_ofx
from expensehub.companies import service as companies
from expensehub.db.resources import Resource, get_object, views_of
from expensehub.errors import Conflict, NotFound, ValidationFailed, check_body_id
from expensehub.kit.banknumbers import compact_iban, iban_ok
from expensehub.kit.clock import utcnow
from expensehub.kit.money import to_decimal
from expensehub.models.banking import BankAccount, BankTransaction, Card, CardPayment, FeedImport
from expensehub.webhooks import service as webhooks

Progress = Callable[[str, int, int], None]
CARD_TX_TYPES = ("card_payment", "card_refund")
SETTLEMENT_DAYS = 3  # a card payment's bank booking is at most this many days away from it
RATE_PLACES = Decimal("0.000001")
MIN_RATE, MAX_RATE = Decimal("1e-6"), Decimal("1e6")
V = TypeVar("V")

# --------------------------------------------------------------------------------------------------
# Bank accounts
# --------------------------------------------------------------------------------------------------


def create_manual_account(
    session: Session, *, company_id: int, body: schemas.BankAccountCreate
) -> BankAccount:
    """A bank account entered by hand (Factorial's ``create_manual``)."""
    entity = companies.get_legal_entity(session, company_id=company_id, legal_entity_id=body.legal_entity_id)
    if body.ledger_account_id is not None and not repository.ledger_account_exists(
        session, company_id=company_id, account_id=body.ledger_account_id
    ):
        raise NotFound(f"ledger account {body.ledger_account_id} not found")
    members = body.bank_account_membership_employee_ids or []
    companies.check_employees(session, company_id=company_id, ids=members)
    number = body.account_number.strip()
    iban: str | None = None
    country = entity.country.lower()
    if body.account_number_type == "iban":
        iban = compact_iban(number)
        if not iban_ok(iban):
            raise ValidationFailed(
                "invalid IBAN",
                fields={"account_number": ["not a valid IBAN (checksum)"]},
                code="invalid_iban",
            )
        number, country = iban, iban[:2].lower()
    external_id = (body.external_id or number).strip()
    duplicate = Conflict(
        f"a bank account with external_id {external_id!r} exists", code="duplicate_bank_account"
    )
    if repository.bank_account_by_external_id(session, company_id=company_id, external_id=external_id):
        raise duplicate
    now = utcnow()
    account = repository.add_or_raise(
        session,
        duplicate,
        BankAccount(
            company_id=company_id,
            legal_entity_id=entity.id,
            ledger_account_id=body.ledger_account_id,
            external_id=external_id,
            currency=body.currency,
            country=country,
            account_number=number,
            account_number_type=body.account_number_type,
            account_balance_cents=0,
            available_balance_cents=0,
            pending_balance_cents=0,
            iban=iban,
            bic=body.bic.strip().upper() if body.bic else None,
            bank_name=body.bank_name,
            beneficiary_name=body.beneficiary_name or entity.legal_name,
            account_alias=body.account_alias,
            created_at=now,
            updated_at=now,
        ),
    )
    repository.add_memberships(session, bank_account_id=account.id, employee_ids=members)
    return account


def company_of_bank_account(session: Session, *, bank_account_id: int) -> int:
    """The company owning a bank account (for the command line, which acts for any company)."""
    company_id = repository.company_of_bank_account(session, bank_account_id=bank_account_id)
    if company_id is None:
        raise NotFound(f"bank account {bank_account_id} not found")
    return company_id


# --------------------------------------------------------------------------------------------------
# Cards
# --------------------------------------------------------------------------------------------------


def create_card(session: Session, *, company_id: int, body: schemas.CardCreate) -> Card:
    """A company card on one of the company's bank accounts (one per type and last four digits)."""
    # A locking read of the account: the writers of its cards and feeds take turns.
    get_object(
        session,
        resources.BANK_ACCOUNTS,
        BankAccount,
        company_id=company_id,
        item_id=body.bank_account_id,
        lock=True,
    )
    companies.check_employees(session, company_id=company_id, ids=_given(body.employee_id))
    for card in repository.cards_of_account(
        session, company_id=company_id, bank_account_id=body.bank_account_id
    ):
        if card.last4 == body.last4 and card.card_type == body.card_type:
            raise Conflict(
                f"the account already has a {body.card_type} card ending in {body.last4} (card {card.id})",
                code="duplicate_card",
            )
    return repository.add(
        session,
        Card(
            company_id=company_id,
            bank_account_id=body.bank_account_id,
            employee_id=body.employee_id,
            card_type=body.card_type,
            last4=body.last4,
            created_at=utcnow(),
        ),
    )


def _given(employee_id: int | None) -> list[int]:
    return [] if employee_id is None else [employee_id]


def update_card(session: Session, *, company_id: int, card_id: int, body: schemas.CardUpdate) -> Card:
    """Assign the cardholder or change the card kind; only the keys sent change."""
    card = get_object(session, resources.CARDS, Card, company_id=company_id, item_id=card_id, lock=True)
    check_body_id(body.id, card_id)
    sent = body.model_fields_set
    if "card_type" in sent and body.card_type is None:
        raise ValidationFailed("invalid card", fields={"card_type": ["must not be null"]})
    if "employee_id" in sent:
        companies.check_employees(session, company_id=company_id, ids=_given(body.employee_id))
        card.employee_id = body.employee_id
    if body.card_type is not None:
        card.card_type = body.card_type
    session.flush()
    return card


# --------------------------------------------------------------------------------------------------
# Card payments and transactions (read-only, as in Factorial)
# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# Feed import
# --------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What one import will write, decided before writing anything."""

    payments: list[tuple[FeedEntry, str]] = field(default_factory=list)  # (entry, external id)
    transactions: list[tuple[FeedEntry, str]] = field(default_factory=list)
    card_tx_for: dict[int, tuple[FeedEntry, str]] = field(default_factory=dict)  # existing payment id
    status_updates: list[tuple[CardPayment, str]] = field(default_factory=list)
    known_tx: set[str] = field(default_factory=set)  # external ids of transactions already stored
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def parse_feed(
    data: bytes, *, fmt: str | None, mapping: str | CsvMapping | None, account_currency: str
) -> ParsedFeed:
    """Parse a feed's bytes (format detected when not given); raises ``MalformedFeed`` on bad input."""
    if not data.strip():
        raise ValidationFailed("empty file", fields={"file": ["the file is empty"]}, code="empty_feed")
    chosen = fmt or detect_format(data)
    if chosen not in FORMATS:
        raise ValidationFailed("unknown format", fields={"format": [f"one of {', '.join(FORMATS)}"]})
    if chosen == "camt053":
        return parse_camt053(data)
    if chosen == "ofx":
        return parse_ofx(data)
    resolved = mapping if isinstance(mapping, CsvMapping) else resolve_mapping(mapping)
    return parse_csv(data, resolved, account_currency=account_currency)


def _same_account(ref: str, account: BankAccount) -> bool:
    known = [x.replace(" ", "").upper() for x in (account.iban, account.account_number) if x]
    if not known:
        return True
    return any(ref == k or k.endswith(ref) or ref.endswith(k) for k in known)


def _content_key(entry: FeedEntry) -> str:
    text = " ".join((entry.description or entry.merchant_name or "").upper().split())
    return "|".join(
        (
            entry.kind,
            entry.booked_at.date().isoformat(),
            str(entry.amount),
            entry.currency,
            entry.card_last4 or "",
            text,
        )
    )


def _external_ids(entries: Sequence[FeedEntry]) -> list[str]:
    """The feed's own id, or ``h:`` + a hash of the content and its occurrence number in the file."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for entry in entries:
        if entry.external_id:
            out.append(entry.external_id.strip()[:140])
            continue
        key = _content_key(entry)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append("h:" + hashlib.sha256(f"{key}|{n}".encode()).hexdigest()[:40])
    return out


def _rate(entry: FeedEntry) -> Decimal:
    """Card currency units per merchant currency unit, from the two amounts when both are known."""
    if entry.merchant_currency is None or entry.merchant_currency == entry.currency:
        return Decimal(1)
    if entry.merchant_amount:
        card = to_decimal(abs(entry.amount), entry.currency)
        merchant = to_decimal(abs(entry.merchant_amount), entry.merchant_currency)
        rate = card / merchant
        if not MIN_RATE <= rate <= MAX_RATE:
            raise MalformedFeed(
                f"line {entry.line}", "the amount and the original amount are implausibly far apart"
            )
        return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
    return entry.exchange_rate or Decimal(1)


def _plan(session: Session, *, company_id: int, account: BankAccount, feed: ParsedFeed, fmt: str) -> _Plan:
    plan = _Plan(rejected=list(feed.rejected))
    kept: list[FeedEntry] = []
    for entry in feed.entries:
        if entry.account_ref and not _same_account(entry.account_ref, account):
            plan.rejected.append((entry.line, f"statement of another account ({entry.account_ref})"))
        elif entry.currency != account.currency:
            plan.rejected.append(
                (entry.line, f"amount in {entry.currency}; the account is in {account.currency}")
            )
        elif entry.amount == 0:
            plan.rejected.append((entry.line, "zero amount"))
        else:
            kept.append(entry)
    ids = _external_ids(kept)
    pay_entries = [(e, x) for e, x in zip(kept, ids, strict=True) if e.kind == "card_payment"]
    tx_entries = [
        (e, x) for e, x in zip(kept, ids, strict=True) if e.kind == "transaction" or e.with_transaction
    ]
    known_payments = repository.card_payments_by_external_id(
        session, company_id=company_id, bank_account_id=account.id, external_ids=[x for _, x in pay_entries]
    )
    known_tx = repository.transaction_external_ids(
        session, company_id=company_id, bank_account_id=account.id, external_ids=[x for _, x in tx_entries]
    )
    # The same movement may already be known from another source (a card feed and a bank statement).
    others = _other_source_payments(session, company_id, account, [e for e, _ in pay_entries], fmt)
    plan.known_tx = known_tx
    claimed: set[int] = set()
    seen_payments: set[str] = set()
    for entry, _ext in pay_entries:
        _rate(entry)  # refuses an implausible rate before anything is written
    for entry, ext in pay_entries:
        if ext in seen_payments:
            plan.duplicates += 1
            continue
        seen_payments.add(ext)
        existing = known_payments.get(ext)
        if existing is None:
            existing = _claim(others, entry, claimed)
        if existing is None:
            plan.payments.append((entry, ext))
            continue
        plan.duplicates += 1
        if existing.status == "pending" and entry.status != "pending":
            plan.status_updates.append((existing, entry.status))
        if entry.with_transaction and ext not in known_tx:
            plan.card_tx_for[existing.id] = (entry, ext)
            known_tx.add(ext)
    seen_tx: set[str] = set()
    for entry, ext in tx_entries:
        if entry.kind != "transaction":
            continue  # card entries with a transaction are written with their card payment
        if ext in known_tx or ext in seen_tx:
            plan.duplicates += 1
            continue
        seen_tx.add(ext)
        plan.transactions.append((entry, ext))
    return plan


def _other_source_payments(
    session: Session, company_id: int, account: BankAccount, entries: list[FeedEntry], fmt: str
) -> dict[tuple[str, int], list[CardPayment]]:
    if not entries:
        return {}
    start = min(e.booked_at for e in entries) - timedelta(days=SETTLEMENT_DAYS)
    end = max(e.booked_at for e in entries) + timedelta(days=SETTLEMENT_DAYS + 1)
    index: dict[tuple[str, int], list[CardPayment]] = {}
    for payment, last4, source in repository.card_payments_between(
        session, company_id=company_id, bank_account_id=account.id, start=start, end=end
    ):
        if source != fmt:
            index.setdefault((last4, payment.amount_cents), []).append(payment)
    return index


def _claim(
    others: dict[tuple[str, int], list[CardPayment]], entry: FeedEntry, claimed: set[int]
) -> CardPayment | None:
    best: CardPayment | None = None
    best_gap = SETTLEMENT_DAYS + 1
    for payment in others.get((entry.card_last4 or "", entry.amount), ()):
        gap = abs((payment.external_created_at.date() - entry.booked_at.date()).days)
        if payment.id not in claimed and gap < best_gap:
            best, best_gap = payment, gap
    if best is not None:
        claimed.add(best.id)
    return best


def _card_for(
    session: Session, cards: dict[str, Card], company_id: int, account: BankAccount, entry: FeedEntry
) -> Card:
    last4 = entry.card_last4 or "0000"
    card = cards.get(last4)
    if card is None:
        card = repository.add(
            session,
            Card(
                company_id=company_id,
                bank_account_id=account.id,
                card_type=entry.card_type or "company",
                last4=last4,
                created_at=utcnow(),
            ),
        )
        cards[last4] = card
    return card


def import_feed(
    session: Session,
    *,
    company_id: int,
    bank_account_id: int,
    data: bytes,
    fmt: str | None = None,
    mapping: str | CsvMapping | None = None,
    filename: str | None = None,
    progress: Progress | None = None,
    author: webhooks.Author,
) -> FeedImport:
    """Import a CAMT.053, OFX or CSV feed into a bank account; returns the import with its counts.

    ``author`` is who imports (the webhook events of the rows created name it)."""
    account = get_object(
        session, resources.BANK_ACCOUNTS, BankAccount, company_id=company_id, item_id=bank_account_id
    )
    chosen = fmt or detect_format(data)
    if progress:
        progress("parse", 0, 1)
    feed = parse_feed(data, fmt=chosen, mapping=mapping, account_currency=account.currency)
    if progress:
        progress("parse", 1, 1)
    # Imports into one account take turns from here to the commit: each plans against what the
    # previous one stored, so parallel imports of one file store every row once (the others count
    # them as duplicates) and never break the unique keys of card payments and transactions.
    account = get_object(
        session,
        resources.BANK_ACCOUNTS,
        BankAccount,
        company_id=company_id,
        item_id=bank_account_id,
        lock=True,
    )
    plan = _plan(session, company_id=company_id, account=account, feed=feed, fmt=chosen)
    now = utcnow()
    mapping_name = None
    if chosen == "csv":
        mapping_name = mapping.name if isinstance(mapping, CsvMapping) else resolve_mapping(mapping).name
    record = repository.add(
        session,
        FeedImport(
            company_id=company_id,
            bank_account_id=account.id,
            format=chosen,
            mapping=mapping_name,
            filename=(filename or "")[:255] or None,
            sha256=hashlib.sha256(data).hexdigest(),
            entries=len(feed.entries) + len(feed.rejected),
            created_at=now,
        ),
    )
    total = len(plan.payments) + len(plan.transactions) + len(plan.card_tx_for)
    done = 0
    cards = {
        c.last4: c
        for c in repository.cards_of_account(session, company_id=company_id, bank_account_id=account.id)
    }
    new_tx = 0
    for start in range(0, len(plan.payments), 1000):
        chunk = plan.payments[start : start + 1000]
        rows = []
        for entry, ext in chunk:
            card = _card_for(session, cards, company_id, account, entry)
            rows.append(
                CardPayment(
                    company_id=company_id,
                    bank_account_id=account.id,
                    card_id=card.id,
                    external_id=ext,
                    amount_cents=entry.amount,
                    currency=entry.currency,
                    merchant_name=(entry.merchant_name or entry.description or "Unknown merchant")[:200],
                    merchant_amount_cents=entry.merchant_amount
                    if entry.merchant_amount is not None
                    else entry.amount,
                    merchant_currency=entry.merchant_currency or entry.currency,
                    exchange_rate=_rate(entry),
                    approved=entry.status != "rejected",
                    status=entry.status,
                    type="payment" if entry.amount < 0 else "refund",
                    rejected_reason=None,
                    feed_import_id=record.id,
                    external_created_at=entry.booked_at,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add_all(rows)
        session.flush()
        tx_rows = [
            _transaction_row(company_id, account, record.id, entry, ext, payment.id, now)
            for (entry, ext), payment in zip(chunk, rows, strict=True)
            if entry.with_transaction and ext not in plan.known_tx
        ]
        repository.insert_rows(session, BankTransaction, tx_rows)
        new_tx += len(tx_rows)
        done += len(chunk)
        if progress:
            progress("import", done, total)
    for payment_id, (entry, ext) in plan.card_tx_for.items():
        repository.insert_rows(
            session,
            BankTransaction,
            [_transaction_row(company_id, account, record.id, entry, ext, payment_id, now)],
        )
        new_tx += 1
        done += 1
    for payment, status in plan.status_updates:
        payment.status = status
        payment.approved = status != "rejected"
        payment.updated_at = now
    for start in range(0, len(plan.transactions), 1000):
        chunk = plan.transactions[start : start + 1000]
        repository.insert_rows(
            session,
            BankTransaction,
            [_transaction_row(company_id, account, record.id, entry, ext, None, now) for entry, ext in chunk],
        )
        new_tx += len(chunk)
        done += len(chunk)
        if progress:
            progress("import", done, total)
    session.flush()
    linked = link_settlements(session, company_id=company_id, account=account, feed_import_id=record.id)
    _update_balances(account, feed, now)
    record.new_card_payments = len(plan.payments)
    record.new_transactions = new_tx
    record.updated = len(plan.status_updates) + linked
    record.duplicates = plan.duplicates
    record.rejected = len(plan.rejected)
    record.rejections = json.dumps(
        [{"line": line, "reason": reason} for line, reason in sorted(plan.rejected)]
    )
    session.flush()
    _emit_created(session, company_id=company_id, feed_import_id=record.id, author=author)
    if progress:
        progress("import", total, total)
    return record


def _view(session: Session, resource: Resource[V], company_id: int, row: object) -> V:
    """The view of one row, built by its resource's view builder (the shape the REST API returns)."""
    return views_of(session, resource, company_id=company_id, rows=[(row,)])[0]


def _emit_created(session: Session, *, company_id: int, feed_import_id: int, author: webhooks.Author) -> None:
    """Webhook events for the card payments and transactions an import created (one per row)."""
    created: tuple[tuple[type[CardPayment] | type[BankTransaction], str, Resource[Any]], ...] = (
        (CardPayment, "banking/card_payment/create", resources.CARD_PAYMENTS),
        (BankTransaction, "banking/transaction/create", resources.TRANSACTIONS),
    )
    for model, event_type, resource in created:
        rows = repository.rows_of_import(session, model, company_id=company_id, feed_import_id=feed_import_id)
        webhooks.emit_many(
            session,
            company_id=company_id,
            event_type=event_type,
            payloads=[partial(_view, session, resource, company_id, row) for row in rows],
            author=author,
        )


class _TransactionRow(TypedDict):
    company_id: int
    bank_account_id: int
    card_payment_id: int | None
    external_id: str
    amount_cents: int
    currency: str
    type: str
    description: str | None
    balance_after_cents: int | None
    feed_import_id: int
    booking_date: datetime
    value_date: datetime
    created_at: datetime
    updated_at: datetime


def _transaction_row(
    company_id: int,
    account: BankAccount,
    feed_import_id: int,
    entry: FeedEntry,
    ext: str,
    card_payment_id: int | None,
    now: datetime,
) -> _TransactionRow:
    return {
        "company_id": company_id,
        "bank_account_id": account.id,
        "card_payment_id": card_payment_id,
        "external_id": ext,
        "amount_cents": entry.amount,
        "currency": entry.currency,
        "type": entry.tx_type,
        "description": entry.description or entry.merchant_name,
        "balance_after_cents": entry.balance_after,
        "feed_import_id": feed_import_id,
        "booking_date": entry.booked_at,
        "value_date": entry.value_at or entry.booked_at,
        "created_at": now,
        "updated_at": now,
    }


def link_settlements(session: Session, *, company_id: int, account: BankAccount, feed_import_id: int) -> int:
    """Link card-type bank transactions to their card payment (same amount, at most 3 days apart).

    Only pairs where one side came with this import are considered; each side is linked once, to the
    closest date (then the lowest id). Returns how many transactions were linked.
    """
    new_tx, new_pay, start, end = repository.import_window(
        session, company_id=company_id, feed_import_id=feed_import_id
    )
    if start is None or end is None:
        return 0
    start -= timedelta(days=SETTLEMENT_DAYS)
    end += timedelta(days=SETTLEMENT_DAYS + 1)
    transactions = repository.unlinked_card_transactions(
        session, company_id=company_id, bank_account_id=account.id, start=start, end=end, types=CARD_TX_TYPES
    )
    payments = [
        p
        for p, _last4, _fmt in repository.card_payments_between(
            session, company_id=company_id, bank_account_id=account.id, start=start, end=end
        )
    ]
    taken = repository.linked_card_payment_ids(
        session, company_id=company_id, card_payment_ids=[p.id for p in payments]
    )
    by_amount: dict[int, list[CardPayment]] = {}
    for p in payments:
        if p.id not in taken:
            by_amount.setdefault(p.amount_cents, []).append(p)
    linked = 0
    for tx in transactions:
        best: CardPayment | None = None
        best_gap = SETTLEMENT_DAYS + 1
        for p in by_amount.get(tx.amount_cents, ()):
            if p.id in taken or (tx.id not in new_tx and p.id not in new_pay):
                continue
            gap = abs(
                (tx.booking_date.astimezone(UTC).date() - p.external_created_at.astimezone(UTC).date()).days
            )
            if gap < best_gap:
                best, best_gap = p, gap
        if best is not None:
            tx.card_payment_id = best.id
            tx.updated_at = utcnow()
            taken.add(best.id)
            linked += 1
    session.flush()
    return linked


def _update_balances(account: BankAccount, feed: ParsedFeed, now: datetime) -> None:
    if feed.closing_balance is None or feed.balance_currency != account.currency or feed.balance_at is None:
        return
    if account.balance_at is not None and feed.balance_at < account.balance_at:
        return  # an older statement never overwrites a newer balance
    account.account_balance_cents = feed.closing_balance
    account.available_balance_cents = (
        feed.available_balance if feed.available_balance is not None else feed.closing_balance
    )
    account.balance_at = feed.balance_at
    account.updated_at = now
