"""ISO 20022 CAMT.053 (bank-to-customer statement), versions .001.02 to .001.13.

Reads ``Document/BkToCstmrStmt/Stmt``: the statement's account (IBAN or other id) and currency, the
closing balances (``CLBD``, ``CLAV``) and every entry (``Ntry``):

* amount ``Amt`` with its ``Ccy``, ``CdtDbtInd`` (``DBIT`` is money out: negative);
* status ``Sts`` (``BOOK``, ``PDNG``, ``INFO``; plain text in .02, ``Sts/Cd`` later): only booked
  entries become transactions; a pending card entry becomes a pending card payment; the rest are
  rejected rows;
* ``BookgDt``/``ValDt`` (``Dt`` or ``DtTm``), the reference ``AcctSvcrRef`` (else ``NtryRef``, else the
  transaction's ``AcctSvcrRef``/``TxId``/``EndToEndId``), ``RvslInd``, the bank transaction code
  (``BkTxCd/Domn``: ``PMNT/CCRD`` is a card payment, ``RCDT``/``ICDT`` transfers, ``CHRG`` fees);
* from the first ``NtryDtls/TxDtls``: the counterparty (``RltdPties/Cdtr`` for money out, ``Dbtr``
  for money in, with or without ``Pty``), the remittance text, the original amount
  (``AmtDtls/InstdAmt``) and exchange rate (``CcyXchg/XchgRate``) of a purchase abroad, and the card
  (``CardTx/Card/PlainCardData/PAN`` or ``MskdPAN``: only the last four digits are kept).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from expensehub.banking.importers import (
    FeedEntry,
    MalformedFeed,
    ParsedFeed,
    check_currency,
    last4_of,
    parse_amount,
    parse_rate,
)
from expensehub.banking.importers.xmlsafe import Node, parse

_NAMESPACE_HINT = "camt.053"


def _where(node: Node, path: str = "") -> str:
    return f"line {node.line}, element {node.tag}{'/' + path if path else ''}"


def _date_of(node: Node | None, what: str, parent: Node) -> datetime | None:
    if node is None:
        return None
    text = node.text_at("DtTm")
    if text:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise MalformedFeed(_where(node, "DtTm"), f"{text!r} is not an ISO 8601 date-time") from None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = node.text_at("Dt")
    if text:
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            raise MalformedFeed(_where(node, "Dt"), f"{text!r} is not a date (YYYY-MM-DD)") from None
        return datetime.combine(day, time(0), tzinfo=UTC)
    raise MalformedFeed(_where(parent, what), "needs Dt or DtTm")


def _amount(node: Node | None, where_parent: Node, path: str) -> tuple[int, str]:
    if node is None or not node.text:
        raise MalformedFeed(_where(where_parent, path), "missing amount")
    currency = node.attrs.get("Ccy")
    if not currency:
        raise MalformedFeed(_where(node), "missing Ccy attribute")
    ccy = check_currency(currency, _where(node))
    value = parse_amount(node.text, ccy, _where(node))
    if value < 0:
        raise MalformedFeed(_where(node), "amounts are positive; the direction is CdtDbtInd")
    return value, ccy


def _status(entry: Node) -> str:
    sts = entry.child("Sts")
    if sts is None:
        raise MalformedFeed(_where(entry, "Sts"), "missing status")
    code = sts.text_at("Cd") or sts.text
    if code not in ("BOOK", "PDNG", "INFO", "FUTR"):
        raise MalformedFeed(_where(sts), f"unknown entry status {code!r} (BOOK, PDNG, INFO or FUTR)")
    return code


def _tx_type(entry: Node, debit: bool, card: bool) -> str:
    if card:
        return "card_payment" if debit else "card_refund"
    family = entry.text_at("BkTxCd/Domn/Fmly/Cd") or ""
    sub = entry.text_at("BkTxCd/Domn/Fmly/SubFmlyCd") or ""
    domain = entry.text_at("BkTxCd/Domn/Cd") or ""
    if family == "CCRD":
        return "card_payment" if debit else "card_refund"
    if family == "ICDT" or (domain == "PMNT" and family == "ICDT"):
        return "outgoing_transfer"
    if family == "RCDT":
        return "incoming_transfer"
    if "CHRG" in (family, sub) or sub in ("FEES", "COMM"):
        return "fees"
    if sub == "SALA":
        return "payroll"
    return "outgoing" if debit else "incoming"


def _party_name(tx: Node | None, debit: bool) -> str | None:
    if tx is None:
        return None
    role = "Cdtr" if debit else "Dbtr"
    party = tx.find(f"RltdPties/{role}")
    if party is None:
        return None
    return party.text_at("Nm") or party.text_at("Pty/Nm")


def parse_camt053(data: bytes) -> ParsedFeed:
    """The entries of a CAMT.053 statement file."""
    root = parse(data)
    if root.tag != "Document":
        raise MalformedFeed(_where(root), "not an ISO 20022 document (the root element must be Document)")
    body = root.child("BkToCstmrStmt")
    if body is None:
        other = root.children[0].tag if root.children else "nothing"
        raise MalformedFeed(_where(root), f"not a CAMT.053 statement (BkToCstmrStmt expected, found {other})")
    statements = body.all("Stmt")
    if not statements:
        raise MalformedFeed(_where(body), "no Stmt element")
    feed = ParsedFeed(format="camt053")
    for stmt in statements:
        _statement(stmt, feed)
    return feed


def _statement(stmt: Node, feed: ParsedFeed) -> None:
    account = stmt.child("Acct")
    if account is None:
        raise MalformedFeed(_where(stmt, "Acct"), "missing account")
    account_ref = account.text_at("Id/IBAN") or account.text_at("Id/Othr/Id")
    if account_ref:
        account_ref = account_ref.replace(" ", "").upper()
    for bal in stmt.all("Bal"):
        code = bal.text_at("Tp/CdOrPrtry/Cd")
        if code not in ("CLBD", "CLAV"):
            continue
        value, ccy = _amount(bal.child("Amt"), bal, "Amt")
        if bal.text_at("CdtDbtInd") == "DBIT":
            value = -value
        when = _date_of(bal.child("Dt"), "Dt", bal)
        if code == "CLBD":
            feed.closing_balance, feed.balance_currency, feed.balance_at = value, ccy, when
        else:
            feed.available_balance = value
    for entry in stmt.all("Ntry"):
        _entry(entry, account_ref, feed)


def _entry(entry: Node, account_ref: str | None, feed: ParsedFeed) -> None:
    amount, currency = _amount(entry.child("Amt"), entry, "Amt")
    indicator = entry.text_at("CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise MalformedFeed(_where(entry, "CdtDbtInd"), f"must be CRDT or DBIT, not {indicator!r}")
    debit = indicator == "DBIT"
    signed = -amount if debit else amount
    status = _status(entry)
    reversal = (entry.text_at("RvslInd") or "").lower() == "true"
    booked = _date_of(entry.child("BookgDt"), "BookgDt", entry)
    value_at = _date_of(entry.child("ValDt"), "ValDt", entry)
    if booked is None:
        booked = value_at
    if booked is None:
        raise MalformedFeed(_where(entry, "BookgDt"), "needs a booking or value date")
    tx = entry.find("NtryDtls/TxDtls")
    ref = entry.text_at("AcctSvcrRef") or entry.text_at("NtryRef")
    if not ref and tx is not None:
        for path in ("Refs/AcctSvcrRef", "Refs/TxId", "Refs/EndToEndId"):
            candidate = tx.text_at(path)
            if candidate and candidate.upper() != "NOTPROVIDED":
                ref = candidate
                break
    card_tx = tx.child("CardTx") if tx is not None else None
    pan = None
    if card_tx is not None:
        for name in ("PAN", "MskdPAN"):
            found = next(card_tx.descendants(name), None)
            if found is not None and found.text:
                pan = found.text
                break
    last4 = last4_of(pan)
    if card_tx is not None and pan is not None and last4 is None:
        raise MalformedFeed(_where(card_tx), f"card number {pan!r} has fewer than four digits")
    is_card = last4 is not None
    description = entry.text_at("AddtlNtryInf")
    if tx is not None:
        description = tx.text_at("RmtInf/Ustrd") or tx.text_at("AddtlTxInf") or description
    merchant = _party_name(tx, debit) or description
    merchant_amount: int | None = None
    merchant_currency: str | None = None
    rate: Decimal | None = None
    if tx is not None:
        instructed = tx.find("AmtDtls/InstdAmt")
        if instructed is not None:
            value, ccy = _amount(instructed.child("Amt"), instructed, "Amt")
            merchant_amount, merchant_currency = (-value if debit else value), ccy
            xchg = instructed.text_at("CcyXchg/XchgRate") or tx.text_at("AmtDtls/TxAmt/CcyXchg/XchgRate")
            if xchg:
                rate = parse_rate(xchg, _where(instructed, "CcyXchg/XchgRate"))

    if status in ("INFO", "FUTR") or (status == "PDNG" and not is_card):
        feed.rejected.append((entry.line, f"entry not booked (status {status})"))
        return
    card_status = "pending" if status == "PDNG" else ("reversed" if reversal else "closed")
    feed.entries.append(
        FeedEntry(
            line=entry.line,
            # A card entry is a card payment; once booked it is also its bank transaction (linked).
            kind="card_payment" if is_card else "transaction",
            with_transaction=is_card and status == "BOOK",
            booked_at=booked,
            amount=signed,
            currency=currency,
            external_id=ref,
            value_at=value_at,
            description=description,
            merchant_name=merchant,
            merchant_amount=merchant_amount,
            merchant_currency=merchant_currency,
            exchange_rate=rate,
            card_last4=last4,
            status=card_status,
            tx_type=_tx_type(entry, debit, is_card),
            account_ref=account_ref,
        )
    )
