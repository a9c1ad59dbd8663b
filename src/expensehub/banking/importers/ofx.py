"""OFX statements: 1.x (SGML, leaf elements unclosed) and 2.x (XML), bank and credit-card.

The file is read by a small tokenizer that builds the element tree itself, for both versions; it never
expands an entity beyond the five XML ones and numeric character references, and refuses a DTD.

* ``BANKMSGSRSV1/STMTTRNRS/STMTRS`` (a bank account): every ``STMTTRN`` is a bank transaction; the
  type comes from ``TRNTYPE`` (``POS`` is a card payment or refund).
* ``CREDITCARDMSGSRSV1/CCSTMTTRNRS/CCSTMTRS`` (a card account, ``CCACCTFROM/ACCTID`` the card number):
  every ``STMTTRN`` is a card payment on the card with those last four digits.

``TRNAMT`` is negative for money out (a purchase), its fraction after a decimal point or, as the OFX
specification also allows, a comma (``-42,90``); ``FITID`` is the stable id that makes re-imports
idempotent; ``DTPOSTED`` is ``YYYYMMDD[HHMMSS[.XXX]][[+|-]H[.MM][:TZ]]``. A purchase abroad carries
``ORIGCURRENCY`` (``CURSYM``, ``CURRATE``: account currency per unit of ``CURSYM``); the original
amount is then ``TRNAMT / CURRATE``. ``LEDGERBAL``/``AVAILBAL`` give the closing balances.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal

from expensehub.banking.importers import (
    FeedEntry,
    MalformedFeed,
    ParsedFeed,
    check_currency,
    check_minor,
    last4_of,
    parse_amount,
    parse_rate,
)
from expensehub.banking.importers.xmlsafe import Node
from expensehub.kit.money import exponent

_TOKEN = re.compile(r"<(/?)([A-Za-z0-9._]+)\s*>|<[!?][^>]*>|([^<]+)", re.S)
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_DATE = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?(?:\[([+-]?\d{1,2}(?:\.\d+)?)(?::[^\]]*)?\])?$"
)
MAX_DEPTH = 64

_BANK_TYPES = {
    "FEE": "fees",
    "SRVCHG": "fees",
    "PAYMENT": "payment",
    "DIRECTDEBIT": "outgoing",
    "REPEATPMT": "outgoing",
    "DIRECTDEP": "incoming",
    "DEP": "incoming",
    "INT": "incoming",
    "DIV": "incoming",
    "CREDIT": "incoming",
    "DEBIT": "outgoing",
    "ATM": "outgoing",
    "CHECK": "outgoing",
    "CASH": "outgoing",
    "HOLD": "unknown",
    "OTHER": "unknown",
}
_TRNTYPES = frozenset({*_BANK_TYPES, "POS", "XFER"})


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
            # Only characters text may hold; anything else stays as written.
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)
        return _NAMED[name]

    return _ENTITY.sub(repl, text)


def _decode(data: bytes) -> str:
    head = data[:1024]
    if re.search(rb"CHARSET:\s*1252", head) or re.search(rb"ENCODING:\s*USASCII", head):
        return data.decode("cp1252")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _tree(text: str) -> Node:
    """Build the element tree of an OFX 1.x or 2.x body, closing unclosed leaf elements."""
    if "\x00" in text:
        raise MalformedFeed(
            f"line {text[: text.index(chr(0))].count(chr(10)) + 1}", "NUL character: not a text file"
        )
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        line = text[: max(upper.find("<!DOCTYPE"), upper.find("<!ENTITY"))].count("\n") + 1
        raise MalformedFeed(f"line {line}", "document type declarations are not allowed")
    start = upper.find("<OFX>")
    if start < 0:
        raise MalformedFeed("", "no <OFX> element: not an OFX file")
    if "OFXHEADER" not in upper[:start]:
        raise MalformedFeed("line 1", "missing OFX header (OFXHEADER)")
    line = text[:start].count("\n") + 1
    root = Node("ROOT", {}, 0)
    stack: list[Node] = [root]
    leaf_open = False  # the top of the stack is a leaf that received text and may stay unclosed
    for m in _TOKEN.finditer(text, start):
        closing, name, chunk = m.group(1), m.group(2), m.group(3)
        token_line = line
        line += m.group(0).count("\n")
        if chunk is not None:
            value = chunk.strip()
            if not value:
                continue
            top = stack[-1]
            if top is root or top.children or leaf_open:
                raise MalformedFeed(f"line {token_line}", f"unexpected text {value[:40]!r}")
            top.text = _unescape(value)
            leaf_open = True
            continue
        if name is None:  # <?...?> or <!-- -->
            continue
        name = name.upper()
        if closing:
            if leaf_open and stack[-1].tag != name:
                stack.pop()  # an SGML leaf closed implicitly
            leaf_open = False
            if stack[-1].tag != name:
                raise MalformedFeed(f"line {token_line}", f"</{name}> does not close <{stack[-1].tag}>")
            stack.pop()
            continue
        if leaf_open:
            stack.pop()
            leaf_open = False
        if len(stack) > MAX_DEPTH:
            raise MalformedFeed(f"line {token_line}", f"elements nested deeper than {MAX_DEPTH}")
        node = Node(name, {}, token_line)
        stack[-1].children.append(node)
        stack.append(node)
    if leaf_open:
        stack.pop()
    if len(stack) > 1:
        raise MalformedFeed(f"line {stack[-1].line}", f"<{stack[-1].tag}> is never closed")
    ofx = root.child("OFX")
    if ofx is None:
        raise MalformedFeed("", "no <OFX> element")
    return ofx


def _amount(text: str, currency: str, where: str) -> int:
    """An OFX amount: the fraction starts at a decimal point or a comma; there is no thousands separator."""
    return parse_amount(text, currency, where, decimal="," if "," in text else ".")


def _when(text: str | None, where: str) -> datetime:
    if not text:
        raise MalformedFeed(where, "missing date")
    m = _DATE.match(text.strip())
    if not m:
        raise MalformedFeed(where, f"{text!r} is not an OFX date (YYYYMMDD[HHMMSS][.XXX][[offset:TZ]])")
    year, month, day, hh, mm, ss, offset = m.groups()
    try:
        tz = timezone(timedelta(hours=float(offset))) if offset else UTC
        value = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tz)
    except ValueError:
        raise MalformedFeed(where, f"{text!r} is not a valid date") from None
    return value.astimezone(UTC)


def parse_ofx(data: bytes) -> ParsedFeed:
    """The entries of an OFX bank or credit-card statement."""
    ofx = _tree(_decode(data))
    feed = ParsedFeed(format="ofx")
    found = False
    for path, card in (
        ("BANKMSGSRSV1", False),
        ("CREDITCARDMSGSRSV1", True),
    ):
        messages = ofx.child(path)
        if messages is None:
            continue
        wrapper = "CCSTMTTRNRS" if card else "STMTTRNRS"
        body = "CCSTMTRS" if card else "STMTRS"
        for trnrs in messages.all(wrapper):
            stmt = trnrs.child(body)
            if stmt is None:
                status = trnrs.text_at("STATUS/CODE")
                raise MalformedFeed(f"line {trnrs.line}", f"<{wrapper}> without <{body}> (status {status})")
            found = True
            _statement(stmt, card, feed)
    if not found:
        raise MalformedFeed(f"line {ofx.line}", "no bank (STMTRS) or credit card (CCSTMTRS) statement")
    return feed


def _statement(stmt: Node, card: bool, feed: ParsedFeed) -> None:
    where = f"line {stmt.line}, <{stmt.tag}>"
    currency = check_currency(stmt.text_at("CURDEF") or "", f"{where}/CURDEF")
    account = stmt.find("CCACCTFROM" if card else "BANKACCTFROM")
    if account is None:
        raise MalformedFeed(where, f"missing <{'CCACCTFROM' if card else 'BANKACCTFROM'}>")
    account_id = (account.text_at("ACCTID") or "").replace(" ", "").upper()
    if not account_id:
        raise MalformedFeed(f"line {account.line}, <{account.tag}>/ACCTID", "missing account id")
    last4 = last4_of(account_id) if card else None
    if card and last4 is None:
        raise MalformedFeed(f"line {account.line}, <CCACCTFROM>/ACCTID", "the card number has no four digits")
    for tag, attr in (("LEDGERBAL", "closing_balance"), ("AVAILBAL", "available_balance")):
        bal = stmt.child(tag)
        if bal is not None and bal.text_at("BALAMT"):
            bwhere = f"line {bal.line}, <{tag}>/BALAMT"
            setattr(feed, attr, _amount(bal.text_at("BALAMT") or "", currency, bwhere))
            if tag == "LEDGERBAL":
                feed.balance_currency = currency
                feed.balance_at = _when(bal.text_at("DTASOF"), f"line {bal.line}, <{tag}>/DTASOF")
    tranlist = stmt.child("BANKTRANLIST")
    if tranlist is None:
        return
    for trn in tranlist.all("STMTTRN"):
        feed.entries.append(_transaction(trn, currency, card, last4, account_id))


def _transaction(trn: Node, currency: str, card: bool, last4: str | None, account_id: str) -> FeedEntry:
    where = f"line {trn.line}, <STMTTRN>"
    trntype = (trn.text_at("TRNTYPE") or "").upper()
    if trntype not in _TRNTYPES:
        raise MalformedFeed(f"{where}/TRNTYPE", f"unknown transaction type {trntype!r}")
    own_currency = trn.text_at("CURRENCY/CURSYM")
    ccy = check_currency(own_currency, f"{where}/CURRENCY") if own_currency else currency
    amount = _amount(trn.text_at("TRNAMT") or "", ccy, f"{where}/TRNAMT") if trn.text_at("TRNAMT") else None
    if amount is None:
        raise MalformedFeed(f"{where}/TRNAMT", "missing amount")
    posted = _when(trn.text_at("DTPOSTED"), f"{where}/DTPOSTED")
    user_date = trn.text_at("DTUSER")
    booked = _when(user_date, f"{where}/DTUSER") if card and user_date else posted
    name = trn.text_at("NAME") or trn.text_at("PAYEE/NAME")
    memo = trn.text_at("MEMO")
    merchant_amount: int | None = None
    merchant_currency: str | None = None
    rate: Decimal | None = None
    orig = trn.child("ORIGCURRENCY")
    if orig is not None:
        owhere = f"line {orig.line}, <ORIGCURRENCY>"
        merchant_currency = check_currency(orig.text_at("CURSYM") or "", f"{owhere}/CURSYM")
        rate = parse_rate(orig.text_at("CURRATE") or "", f"{owhere}/CURRATE")
        original = (Decimal(amount).scaleb(-exponent(ccy)) / rate).scaleb(exponent(merchant_currency))
        merchant_amount = check_minor(int(original.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), owhere)
    if card or trntype == "POS":
        tx_type = "card_payment" if amount < 0 else "card_refund"
    elif trntype == "XFER":
        tx_type = "outgoing_transfer" if amount < 0 else "incoming_transfer"
    else:
        tx_type = _BANK_TYPES[trntype]
    return FeedEntry(
        line=trn.line,
        kind="card_payment" if card else "transaction",
        booked_at=booked,
        value_at=posted,
        amount=amount,
        currency=ccy,
        external_id=trn.text_at("FITID"),
        description=" ".join(x for x in (name, memo) if x) or None,
        merchant_name=name or memo,
        merchant_amount=merchant_amount,
        merchant_currency=merchant_currency,
        exchange_rate=rate,
        card_last4=last4,
        tx_type=tx_type,
        account_ref=None if card else account_id,
    )
