"""Company cards: a card account per legal entity, the cardholders' cards, and the card issuer's export
of the whole demo period, imported through the banking service as `expensehub import feed` and the API
import it (the shipped ``card-issuer-export`` mapping); then a reconciliation run over the period.

The export is what an issuer would send, not a copy of the expenses. Most card expenses have their
payment: the same day or settled a few days later, under the issuer's spelling of the merchant
(``RENFE 0423 MADRID``, ``SQ *GOIKO``), abroad in the card's currency at the scheme's rate with the
original amount beside it. As in life some do not line up: a tip added after the receipt, a payment
booked days later under the merchant's legal name, an expense whose payment is not in the export,
spend nobody filed an expense for (the receipts to chase), the same purchase twice with one expense
for it, refunds, declined and failed attempts, and the last days' payments still pending.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import update

from expensehub.banking import schemas as banking_schemas
from expensehub.banking import service as banking
from expensehub.demo import data
from expensehub.demo.data import ANCHOR, WINDOW_DAYS
from expensehub.demo.seed.state import Claim, Demo, Emp, at
from expensehub.kit.money import convert, exponent, to_decimal
from expensehub.models.banking import BankAccount, Card, CardPayment, FeedImport
from expensehub.models.reconciliation import ReconciliationProposal, ReconciliationRun
from expensehub.reconciliation import service as reconciliation
from expensehub.webhooks import service as webhooks

MAPPING = "card-issuer-export"
HEADER = [
    "Transaction ID",
    "Date",
    "Card Number",
    "Merchant",
    "Description",
    "Amount",
    "Currency",
    "Original Amount",
    "Original Currency",
    "Exchange Rate",
    "Status",
]
PENDING_DAYS = 2  # payments of the export's last two days are not settled yet
IMPORTED_AT = ANCHOR - timedelta(hours=2)  # when the demo's finance team imported the export
BANKS = {
    "es": ("CaixaBank", "CAIXESBBXXX", "2100"),
    "gb": ("NatWest", "NWBKGB2LXXX", "NWBK"),
}
# How the issuer spells a merchant, and how often: as written, upper case, upper case with a store number
# and city, behind a payment processor.
STYLES = (("upper", 40), ("store", 30), ("processor", 20), ("plain", 10))
PROCESSORS = ("SQ *", "SUMUP *", "ZTL*", "PAYPAL *")
# Unrelated legal names a few merchants bill under (the matcher cannot tell them from the receipt).
LEGAL_NAMES = (
    "GRUPO VALDEMAR SL",
    "HOSTELERIA NORTE 2019 SL",
    "KINGSWAY VENTURES LTD",
    "MERIDIAN LEISURE LTD",
    "SERVICIOS URBANOS ALFA SA",
    "BLUEWATER TRADING LTD",
)
# Card spend nobody filed an expense for: (merchant kind, low, high) in EUR-equivalent major units.
STRAY_SPEND = (("parking", 3, 30), ("fuel", 35, 90), ("coffee", 2, 9), ("software", 8, 60), ("taxi", 7, 40))


@dataclass
class CardStats:
    """What the cards step created and what the reconciliation run found, for the summary."""

    accounts: list[str] = field(default_factory=list)  # "ES EUR (id 1)"
    cards: int = 0
    rows: int = 0  # rows of the exports
    imported: int = 0  # card payments the imports created
    rejected: int = 0  # rows the imports refused or skipped
    run_id: int = 0
    run: dict[str, int] = field(default_factory=dict)  # the run's counts


@dataclass
class _Row:
    when: datetime
    last4: str
    merchant: str
    description: str
    amount: int  # account currency, minor units, negative = spend
    currency: str
    original: tuple[int, str, Decimal] | None = None  # (amount, currency, rate) of a purchase abroad
    status: str = "COMPLETED"


def cards(demo: Demo, rng: random.Random) -> CardStats:
    """Accounts, cards, the issuer's exports imported through the banking service, and a reconciliation
    run of the whole period (draws only from ``rng``)."""
    stats = CardStats()
    author = webhooks.Author.company(demo.company_id)
    holders = [e for e in demo.emps if e.card_last4 is not None]
    for key in ("es", "gb"):
        spec, le_id = demo.entities[key]
        own = [e for e in holders if e.spec.key == key]
        if not own:
            continue
        account = _account(demo, rng, key, le_id, spec.currency)
        stats.accounts.append(f"{spec.country.upper()} {spec.currency} (id {account.id})")
        stats.cards += _cards(demo, account, own)
        rows = _rows(demo, rng, key, spec.currency, own)
        stats.rows += len(rows)
        first, last = min(r.when for r in rows).date(), max(r.when for r in rows).date()
        record = banking.import_feed(
            demo.s,
            company_id=demo.company_id,
            bank_account_id=account.id,
            data=_csv(rng, rows),
            fmt="csv",
            mapping=MAPPING,
            filename=f"card-transactions-{key}-{first.isoformat()}-{last.isoformat()}.csv",
            author=author,
        )
        stats.imported += record.new_card_payments
        stats.rejected += record.rejected
        _backdate_import(demo, account, record)
    start = ANCHOR.date() - timedelta(days=WINDOW_DAYS)
    run = reconciliation.create_run(
        demo.s, company_id=demo.company_id, start=start, end=ANCHOR.date(), author=author
    )
    _backdate_run(demo, run)
    stats.run_id = run.id
    stats.run = {
        "card_payments": run.card_payments,
        "expenses": run.expenses,
        "matched": run.matched,
        "ambiguous": run.ambiguous,
        "low_confidence": run.low_confidence,
        "missing_receipts": run.missing_receipts,
        "expenses_without_payment": run.expenses_without_payment,
        "refunds": run.refunds,
        "fx_differences": run.fx_differences,
    }
    return stats


# --- accounts and cards --------------------------------------------------------------------------


def _account(demo: Demo, rng: random.Random, key: str, le_id: int, currency: str) -> BankAccount:
    bank, bic, code = BANKS[key]
    if key == "es":
        bban = code + "".join(str(rng.randint(0, 9)) for _ in range(16))
    else:
        bban = code + "".join(str(rng.randint(0, 9)) for _ in range(14))
    country = key.upper()
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    account = banking.create_manual_account(
        demo.s,
        company_id=demo.company_id,
        body=banking_schemas.BankAccountCreate(
            legal_entity_id=le_id,
            currency=currency,
            account_number=iban,
            account_number_type="iban",
            account_alias=f"Company cards {country}",
            bic=bic,
            bank_name=bank,
        ),
    )
    opened = ANCHOR - timedelta(days=WINDOW_DAYS + 30)
    account.created_at = account.updated_at = opened
    return account


def _cards(demo: Demo, account: BankAccount, holders: list[Emp]) -> int:
    """A company card for each cardholder (two holders with the same last four digits share one)."""
    made: set[str] = set()
    for emp in holders:
        assert emp.card_last4 is not None
        if emp.card_last4 in made:
            continue
        made.add(emp.card_last4)
        card = banking.create_card(
            demo.s,
            company_id=demo.company_id,
            body=banking_schemas.CardCreate(
                bank_account_id=account.id, last4=emp.card_last4, card_type="company", employee_id=emp.id
            ),
        )
        card.created_at = max(account.created_at, at(emp.hired_on, 10))
    return len(made)


# --- the export ----------------------------------------------------------------------------------


def _rows(demo: Demo, rng: random.Random, key: str, currency: str, holders: list[Emp]) -> list[_Row]:
    last_day = ANCHOR.date() - timedelta(days=1)
    rows: list[_Row] = []
    card_claims = [
        c
        for c in demo.claim_list
        if c.type == "expense"
        and c.emp.spec.key == key
        and c.duplicate_of is None
        and c.detail.get("card_last4") is not None
    ]
    for claim in card_claims:
        roll = rng.random()
        if roll < 0.06:
            continue  # its payment is not in the export (paid with another card, a lost row)
        lag = rng.choices((0, 1, 2, 3, 4), weights=(50, 27, 12, 7, 4))[0]
        row = _payment(demo, rng, claim, currency, lag)
        if roll < 0.10 and claim.detail["merchant_name"] in _kinds("meal", "taxi"):
            tip = max(1, round(-row.amount * rng.uniform(0.05, 0.15)))
            row.amount -= tip  # a tip added after the receipt was printed
        elif roll < 0.13:
            row.merchant = rng.choice(LEGAL_NAMES)  # billed under a legal name, days later
            row.when += timedelta(days=rng.randint(3, 5))
        if row.when.date() > last_day:
            row.when = at(last_day, rng.uniform(8, 20))
        rows.append(row)
        again = rng.random()
        if again < 0.015 and row.original is None:
            # The same purchase again a few days later, never filed: which payment is the expense's?
            rows.append(
                _Row(
                    when=row.when + timedelta(days=rng.randint(2, 3)),
                    last4=row.last4,
                    merchant=row.merchant,
                    description=row.description,
                    amount=row.amount,
                    currency=currency,
                )
            )
        elif again < 0.027:  # part of it came back
            rows.append(_refund(rng, row, currency))
    if rows and not any(r.amount > 0 for r in rows):  # at least one refund in every export
        paid = rng.choice(rows)
        rows.append(_refund(rng, paid, currency))
    for emp in holders:
        rows += _stray(demo, rng, emp, currency)
    rows = [r for r in rows if r.when.date() <= last_day]
    for r in rows:
        if (last_day - r.when.date()).days < PENDING_DAYS:
            r.status = "PENDING"
    # A few declined and failed attempts, which moved no money (a failed one is not imported at all).
    for r in rng.sample(rows, min(len(rows), 6)):
        rows.append(
            _Row(
                when=r.when - timedelta(minutes=rng.randint(1, 5)),
                last4=r.last4,
                merchant=r.merchant,
                description=r.description,
                amount=r.amount,
                currency=currency,
                original=r.original,
                status=rng.choice(("DECLINED", "FAILED")),
            )
        )
    rows.sort(key=lambda r: (r.when, r.last4))
    return rows


def _refund(rng: random.Random, paid: _Row, currency: str) -> _Row:
    """Part of a payment coming back a few days later (positive: money in)."""
    return _Row(
        when=paid.when + timedelta(days=rng.randint(2, 12)),
        last4=paid.last4,
        merchant=paid.merchant,
        description="Refund",
        amount=max(1, round(-paid.amount * rng.uniform(0.1, 0.6))),
        currency=currency,
    )


def _payment(demo: Demo, rng: random.Random, claim: Claim, currency: str, lag: int) -> _Row:
    row, detail = claim.row, claim.detail
    merchant: str = detail["merchant_name"]
    when = at(claim.effective_on + timedelta(days=lag), rng.uniform(7, 22))
    original = None
    if row["currency"] == currency:
        amount = row["amount"]
    else:
        rate = Decimal(detail["exchange_rate"]) * (1 + Decimal(rng.randint(0, 250)) / 10000)
        amount = convert(row["amount"], row["currency"], rate, currency)
        original = (row["amount"], row["currency"], rate.quantize(Decimal("0.000001")))
    return _Row(
        when=when,
        last4=detail["card_last4"],
        merchant=_spelling(rng, merchant, claim),
        description=_description(claim),
        amount=-amount,
        currency=currency,
        original=original,
    )


def _stray(demo: Demo, rng: random.Random, emp: Emp, currency: str) -> list[_Row]:
    """Spend on the card that no expense was filed for."""
    assert emp.card_last4 is not None
    first = max(ANCHOR.date() - timedelta(days=WINDOW_DAYS), emp.hired_on)
    last = min(ANCHOR.date() - timedelta(days=1), emp.terminated_on or ANCHOR.date())
    if first >= last:
        return []
    rows = []
    for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(25, 30, 25, 12, 8))[0]):
        kind, low, high = rng.choice(STRAY_SPEND)
        options = data.MERCHANTS[kind]
        names = options.get(emp.spec.key) or options.get("any") or next(iter(options.values()))
        merchant = rng.choice(names)
        major = rng.uniform(low, high) * data.PRICE_LEVEL[currency]
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        rows.append(
            _Row(
                when=at(day, rng.uniform(7, 22)),
                last4=emp.card_last4,
                merchant=_ascii(merchant).upper(),
                description=kind.replace("_", " ").capitalize(),
                amount=-round(major * 10 ** exponent(currency)),
                currency=currency,
            )
        )
    return rows


def _spelling(rng: random.Random, merchant: str, claim: Claim) -> str:
    style = rng.choices([s for s, _ in STYLES], weights=[w for _, w in STYLES])[0]
    upper = _ascii(merchant).upper()
    if style == "plain":
        return merchant
    if style == "upper":
        return upper
    if style == "store":
        city = data.HOME_CITY[claim.emp.spec.key].upper()
        return f"{upper} {rng.randint(100, 9999):04d} {city}"
    return rng.choice(PROCESSORS) + upper


def _description(claim: Claim) -> str:
    return str(claim.row.get("description") or claim.detail["merchant_name"])[:80]


def _kinds(*kinds: str) -> set[str]:
    return {name for kind in kinds for names in data.MERCHANTS[kind].values() for name in names}


def _csv(rng: random.Random, rows: list[_Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        original = ["", "", ""]
        if r.original is not None:
            amount, code, rate = r.original
            sign = -1 if r.amount < 0 else 1
            original = [_major(sign * amount, code), code, str(rate)]
        writer.writerow(
            [
                f"tx_{rng.getrandbits(48):012x}",
                r.when.strftime("%Y-%m-%d %H:%M:%S"),
                f"**** **** **** {r.last4}",
                r.merchant,
                r.description,
                _major(r.amount, r.currency),
                r.currency,
                *original,
                r.status,
            ]
        )
    return out.getvalue().encode("utf-8")


def _major(minor: int, currency: str) -> str:
    return f"{to_decimal(minor, currency):.{exponent(currency)}f}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# --- the demo's history --------------------------------------------------------------------------


def _backdate_import(demo: Demo, account: BankAccount, record: FeedImport) -> None:
    """The rows the import made, dated when the demo's finance team imported the export."""
    record.created_at = IMPORTED_AT
    demo.s.execute(
        update(CardPayment)
        .where(CardPayment.company_id == demo.company_id, CardPayment.feed_import_id == record.id)
        .values(created_at=IMPORTED_AT, updated_at=IMPORTED_AT)
    )
    demo.s.execute(
        update(Card)
        .where(
            Card.company_id == demo.company_id, Card.bank_account_id == account.id, Card.employee_id.is_(None)
        )
        .values(created_at=IMPORTED_AT)
    )
    demo.s.flush()


def _backdate_run(demo: Demo, run: ReconciliationRun) -> None:
    ran = IMPORTED_AT + timedelta(minutes=5)
    run.created_at = ran
    demo.s.execute(
        update(ReconciliationProposal).where(ReconciliationProposal.run_id == run.id).values(created_at=ran)
    )
    demo.s.flush()
