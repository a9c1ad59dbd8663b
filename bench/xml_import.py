"""CAMT.053 import: the defusedxml-based reader against the hand-written expat one it replaced.

Generates a CAMT.053 statement with ``--entries`` entries (default 50,000; card payments, payments
abroad, transfers, fees, like tests/data/feeds/camt053_statement.xml), then times, round-robin in one
process (each round runs every case once, in a rotated order, after a garbage collection):

* ``tree, defusedxml``: ``banking.importers.xmlsafe.parse``, what ships: defusedxml's
  ``DefusedXMLParser(forbid_dtd=True)`` with our line-keeping tree builder as its target;
* ``tree, hand-written expat``: the reader it replaced (a copy below): expat with our own handlers
  refusing DTDs, entity declarations and external entities;
* ``tree, defusedxml.ElementTree.fromstring``: the library alone, for reference; its elements carry no
  line numbers, which the importer needs for its errors and rejected rows, so it cannot replace ours;
* ``parse_camt053, <reader>``: the whole importer on each of the first two readers.

Then, for each reader, the peak of Python allocations (tracemalloc) while building the tree, and the
rejections of the hostile and malformed sample files, to show both readers name the same line.

Usage::

    .venv/bin/python bench/xml_import.py [--entries 50000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any
from xml.parsers import expat

from defusedxml.ElementTree import fromstring as defused_fromstring

from expensehub.banking.importers import MalformedFeed, camt053, xmlsafe
from expensehub.banking.importers.xmlsafe import MAX_DEPTH, Node, _local

FEEDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "feeds"


def hand_written_parse(data: bytes) -> Node:
    """The reader before defusedxml (expensehub 6267cbd, banking/importers/xmlsafe.py), unchanged."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    texts: list[list[str]] = []
    root: list[Node] = []

    def refuse_dtd(*_args: Any) -> None:
        raise MalformedFeed(
            f"line {parser.CurrentLineNumber}",
            "document type declarations (<!DOCTYPE>) are not allowed: entities are never expanded",
        )

    def refuse_entity(*_args: Any) -> None:
        raise MalformedFeed(f"line {parser.CurrentLineNumber}", "entity declarations are not allowed")

    def refuse_external(*_args: Any) -> int:
        raise MalformedFeed(f"line {parser.CurrentLineNumber}", "external entities are not allowed")

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise MalformedFeed(
                f"line {parser.CurrentLineNumber}", f"elements nested deeper than {MAX_DEPTH}"
            )
        node = Node(_local(name), {_local(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(_name: str) -> None:
        node = stack.pop()
        node.text = "".join(texts.pop()).strip()

    def chars(data: str) -> None:
        if texts:
            texts[-1].append(data)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise MalformedFeed(
            f"line {exc.lineno}, column {exc.offset + 1}",
            f"not well-formed XML ({expat.ErrorString(exc.code)})",
        ) from None
    except RecursionError:
        raise MalformedFeed("", "the XML document is nested too deeply") from None
    if not root:
        raise MalformedFeed("line 1", "no root element")
    return root[0]


ENTRY_KINDS = [
    # (indicator, family, card, abroad)
    ("DBIT", "CCRD", True, False),
    ("DBIT", "CCRD", True, True),
    ("CRDT", "RCDT", False, False),
    ("DBIT", "ICDT", False, False),
    ("DBIT", "CHRG", False, False),
]


def statement(entries: int) -> bytes:
    """A CAMT.053.001.08 statement with ``entries`` booked entries (deterministic)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n'
        "  <BkToCstmrStmt>\n"
        "    <GrpHdr><MsgId>BENCH-0001</MsgId><CreDtTm>2026-03-06T06:00:00+01:00</CreDtTm></GrpHdr>\n"
        "    <Stmt>\n      <Id>BENCH</Id>\n"
        "      <Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        "      <Bal>\n        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>\n"
        '        <Amt Ccy="EUR">13308.45</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n'
        "        <Dt><Dt>2026-03-05</Dt></Dt>\n      </Bal>\n"
    ]
    for i in range(entries):
        indicator, family, card, abroad = ENTRY_KINDS[i % len(ENTRY_KINDS)]
        day = 1 + i % 28
        cents = 100 + (i * 7919) % 900_000
        amount = f"{cents // 100}.{cents % 100:02d}"
        party = "Cdtr" if indicator == "DBIT" else "Dbtr"
        details = [
            f"            <Refs><AcctSvcrRef>REF{i:08d}</AcctSvcrRef></Refs>\n",
            f"            <RltdPties><{party}><Pty><Nm>MERCHANT {i % 1500:04d} MADRID</Nm></Pty></{party}>"
            "</RltdPties>\n",
            f"            <RmtInf><Ustrd>Purchase {i} at merchant {i % 1500}</Ustrd></RmtInf>\n",
        ]
        if abroad:
            details.append(
                f'            <AmtDtls><InstdAmt><Amt Ccy="USD">{amount}</Amt><CcyXchg><SrcCcy>USD</SrcCcy>'
                "<TrgtCcy>EUR</TrgtCcy><XchgRate>0.9348</XchgRate></CcyXchg></InstdAmt></AmtDtls>\n"
            )
        if card:
            details.append(
                "            <CardTx><Card><PlainCardData>"
                f"<PAN>************{1000 + i % 9000}</PAN></PlainCardData></Card></CardTx>\n"
            )
        out.append(
            "      <Ntry>\n"
            f"        <NtryRef>N{i:08d}</NtryRef>\n"
            f'        <Amt Ccy="EUR">{amount}</Amt>\n'
            f"        <CdtDbtInd>{indicator}</CdtDbtInd>\n"
            "        <Sts><Cd>BOOK</Cd></Sts>\n"
            f"        <BookgDt><Dt>2026-03-{day:02d}</Dt></BookgDt>\n"
            f"        <ValDt><Dt>2026-03-{day:02d}</Dt></ValDt>\n"
            f"        <AcctSvcrRef>R{i:012d}</AcctSvcrRef>\n"
            f"        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>OTHR</SubFmlyCd>"
            "</Fmly></Domn></BkTxCd>\n"
            "        <NtryDtls>\n          <TxDtls>\n" + "".join(details) + "          </TxDtls>\n"
            "        </NtryDtls>\n      </Ntry>\n"
        )
    out.append("    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n")
    return "".join(out).encode()


def same_tree(a: Node, b: Node) -> bool:
    if (a.tag, a.attrs, a.line, a.text, len(a.children)) != (b.tag, b.attrs, b.line, b.text, len(b.children)):
        return False
    return all(same_tree(x, y) for x, y in zip(a.children, b.children, strict=True))


def camt_with(reader: Callable[[bytes], Node]) -> Callable[[bytes], object]:
    def run(data: bytes) -> object:
        shipped = camt053.parse
        camt053.parse = reader  # type: ignore[assignment]
        try:
            return camt053.parse_camt053(data)
        finally:
            camt053.parse = shipped

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    data = statement(args.entries)
    print(
        f"# {args.entries:,} entries, {len(data) / 1e6:.1f} MB; Python {platform.python_version()}, "
        f"defusedxml {version('defusedxml')}, expat {expat.EXPAT_VERSION}; {os.cpu_count()} CPUs; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    shipped, before = xmlsafe.parse(data), hand_written_parse(data)
    assert same_tree(shipped, before), "the two readers disagree"
    feed = camt053.parse_camt053(data)
    assert len(feed.entries) == args.entries, len(feed.entries)
    del shipped, before, feed
    print("# both readers build the same tree (tags, attributes, lines, text)", flush=True)

    cases: list[tuple[str, Callable[[bytes], object]]] = [
        ("tree, defusedxml (shipped)", xmlsafe.parse),
        ("tree, hand-written expat (before)", hand_written_parse),
        ("tree, defusedxml.ElementTree.fromstring (no lines)", defused_fromstring),
        ("parse_camt053, defusedxml (shipped)", camt_with(xmlsafe.parse)),
        ("parse_camt053, hand-written expat (before)", camt_with(hand_written_parse)),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for r in range(args.rounds):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for name, fn in order:
            gc.collect()
            t0 = time.perf_counter()
            fn(data)
            times[name].append(time.perf_counter() - t0)
        print(f"# round {r + 1}/{args.rounds} done", flush=True)

    base = statistics.median(times["tree, hand-written expat (before)"])
    base_camt = statistics.median(times["parse_camt053, hand-written expat (before)"])
    print("\n| case | median s | min s | max s | entries/s | vs hand-written |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _ in cases:
        t = times[name]
        med = statistics.median(t)
        ref = base_camt if name.startswith("parse_camt053") else base
        print(
            f"| {name} | {med:.3f} | {min(t):.3f} | {max(t):.3f} | {args.entries / med:,.0f} | "
            f"{med / ref:.2f}x |"
        )

    print("\n| reader | peak Python allocations while building the tree, MB |")
    print("|---|---:|")
    for name, fn in cases[:3]:
        gc.collect()
        tracemalloc.start()
        tree = fn(data)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del tree
        print(f"| {name} | {peak / 1e6:.0f} |")

    print("\n| sample file | defusedxml (shipped) | hand-written expat (before) |")
    print("|---|---|---|")
    for sample in (
        "camt053_billion_laughs.xml",
        "camt053_xxe.xml",
        "camt053_not_wellformed.xml",
    ):
        row = []
        for reader in (xmlsafe.parse, hand_written_parse):
            try:
                reader((FEEDS / sample).read_bytes())
                row.append("accepted")
            except MalformedFeed as exc:
                row.append(f"{exc.where}: {exc.problem}")
        print(f"| {sample} | {row[0]} | {row[1]} |")
    print(f"\n# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
