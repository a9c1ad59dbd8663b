"""OFX import: our reader (banking/importers/ofx.py) against ofxtools, the library we evaluated.

ofxtools is GPL-3.0-only and is not a dependency of expensehub; it is declared in the ``bench-ofxtools``
extra for this script alone::

    .venv/bin/pip install -e '.[bench-ofxtools]'
    .venv/bin/python bench/ofx_import.py [--transactions 20000] [--rounds 5]

Generates an OFX 1.02 (SGML, leaf elements unclosed) and an OFX 2.2 (XML) bank statement with
``--transactions`` transactions each, then times, round-robin in one process (every round runs each
case once, in a rotated order, after a garbage collection): ``parse_ofx`` (bytes to ``FeedEntry``
values) and ofxtools' ``OFXTree().parse(...)`` + ``convert()`` (bytes to its typed model objects, the
step before one could map them to entries). Then it feeds both readers the sample files and variants
banks produce or break, and prints what each says: the entry count, or the error.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from expensehub.banking.importers import MalformedFeed
from expensehub.banking.importers.ofx import parse_ofx

FEEDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "feeds"

SGML_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
XML_HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
)
TYPES = ["POS", "XFER", "SRVCHG", "DIRECTDEBIT", "DEBIT", "CREDIT"]


def statement(transactions: int, *, sgml: bool) -> bytes:
    """A bank statement: leaf elements unclosed in SGML (1.x), closed in XML (2.x)."""

    def leaf(tag: str, value: str) -> str:
        return f"<{tag}>{value}\n" if sgml else f"<{tag}>{value}</{tag}>\n"

    out = [SGML_HEADER if sgml else XML_HEADER]
    out.append(
        "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n"
        + leaf("CODE", "0")
        + leaf("SEVERITY", "INFO")
        + "</STATUS>\n"
        + leaf("DTSERVER", "20260310120000[+1:CET]")
        + leaf("LANGUAGE", "ENG")
        + "</SONRS>\n</SIGNONMSGSRSV1>\n<BANKMSGSRSV1>\n<STMTTRNRS>\n"
        + leaf("TRNUID", "1001")
        + "<STATUS>\n"
        + leaf("CODE", "0")
        + leaf("SEVERITY", "INFO")
        + "</STATUS>\n<STMTRS>\n"
        + leaf("CURDEF", "EUR")
        + "<BANKACCTFROM>\n"
        + leaf("BANKID", "21000418")
        + leaf("ACCTID", "450200051332")
        + leaf("ACCTTYPE", "CHECKING")
        + "</BANKACCTFROM>\n<BANKTRANLIST>\n"
        + leaf("DTSTART", "20260301")
        + leaf("DTEND", "20260331")
    )
    for i in range(transactions):
        cents = 100 + (i * 7919) % 900_000
        sign = "" if TYPES[i % len(TYPES)] in ("XFER", "CREDIT") else "-"
        out.append(
            "<STMTTRN>\n"
            + leaf("TRNTYPE", TYPES[i % len(TYPES)])
            + leaf("DTPOSTED", f"202603{1 + i % 28:02d}120000.000[+1:CET]")
            + leaf("TRNAMT", f"{sign}{cents // 100}.{cents % 100:02d}")
            + leaf("FITID", f"OFX-{i:010d}")
            + leaf("NAME", f"MERCHANT {i % 1500:04d} MADRID")
            + leaf("MEMO", f"Purchase {i} &amp; co")
            + "</STMTTRN>\n"
        )
    out.append(
        "</BANKTRANLIST>\n<LEDGERBAL>\n"
        + leaf("BALAMT", "13335.51")
        + leaf("DTASOF", "20260331")
        + "</LEDGERBAL>\n</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    )
    return "".join(out).encode()


def ofxtools_reader() -> Callable[[bytes], int]:
    from ofxtools.Parser import OFXTree

    def read(data: bytes) -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = OFXTree()
            tree.parse(io.BytesIO(data))
            ofx = tree.convert()
        return sum(len(s.transactions) for s in ofx.statements)

    return read


def ours(data: bytes) -> int:
    return len(parse_ofx(data).entries)


def variants() -> list[tuple[str, bytes]]:
    bank = (FEEDS / "ofx_bank_v1.ofx").read_bytes()
    start, end = bank.index(b"<LEDGERBAL>"), bank.index(b"</AVAILBAL>") + len(b"</AVAILBAL>")
    return [
        ("ofx_bank_v1.ofx (1.02 SGML)", bank),
        ("ofx_creditcard_v2.ofx (2.x XML)", (FEEDS / "ofx_creditcard_v2.ofx").read_bytes()),
        ("ofx_bad_date.ofx", (FEEDS / "ofx_bad_date.ofx").read_bytes()),
        ("ofx_unclosed.ofx", (FEEDS / "ofx_unclosed.ofx").read_bytes()),
        ("ofx_doctype.ofx", (FEEDS / "ofx_doctype.ofx").read_bytes()),
        ("bank v1, TRNAMT -42,90 (decimal comma)", bank.replace(b"<TRNAMT>-42.90", b"<TRNAMT>-42,90")),
        ("bank v1 without LEDGERBAL/AVAILBAL", bank[:start] + bank[end:]),
        ("bank v1, lower-case <trntype>", bank.replace(b"<TRNTYPE>", b"<trntype>")),
        (
            "bank v1, FITID of 300 characters",
            bank.replace(b"<FITID>OFX-20260302-01", b"<FITID>" + b"X" * 300),
        ),
        ("bank v1, TRNAMT -42.9O (letter O)", bank.replace(b"<TRNAMT>-42.90", b"<TRNAMT>-42.9O")),
    ]


def outcome(reader: Callable[[bytes], int], data: bytes) -> str:
    try:
        return f"{reader(data)} entries"
    except MalformedFeed as exc:
        return f"`{exc.where}: {exc.problem}`"
    except Exception as exc:
        return f"`{type(exc).__name__}: {' '.join(str(exc).split())[:110]}`"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transactions", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    try:
        theirs = ofxtools_reader()
    except ImportError:
        sys.exit("ofxtools is not installed: .venv/bin/pip install -e '.[bench-ofxtools]'")

    files = {
        "1.02 SGML": statement(args.transactions, sgml=True),
        "2.2 XML": statement(args.transactions, sgml=False),
    }
    print(
        f"# {args.transactions:,} transactions per file; Python {platform.python_version()}, "
        f"ofxtools {version('ofxtools')}; {os.cpu_count()} CPUs; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    cases: list[tuple[str, str, Callable[[bytes], int]]] = []
    for kind, data in files.items():
        assert ours(data) == theirs(data) == args.transactions, kind
        cases += [(kind, "expensehub parse_ofx", ours), (kind, "ofxtools parse+convert", theirs)]
    times: dict[tuple[str, str], list[float]] = {(k, n): [] for k, n, _ in cases}
    for r in range(args.rounds):
        for kind, name, fn in cases[r % len(cases) :] + cases[: r % len(cases)]:
            gc.collect()
            t0 = time.perf_counter()
            fn(files[kind])
            times[(kind, name)].append(time.perf_counter() - t0)
        print(f"# round {r + 1}/{args.rounds} done", flush=True)

    print("\n| file | reader | median s | min s | max s | transactions/s | vs ours |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind, name, _ in cases:
        t = times[(kind, name)]
        med = statistics.median(t)
        ref = statistics.median(times[(kind, "expensehub parse_ofx")])
        print(
            f"| {kind} | {name} | {med:.3f} | {min(t):.3f} | {max(t):.3f} | "
            f"{args.transactions / med:,.0f} | {med / ref:.2f}x |"
        )

    print("\n| file | expensehub parse_ofx | ofxtools |")
    print("|---|---|---|")
    for name, data in variants():
        print(f"| {name} | {outcome(ours, data)} | {outcome(theirs, data)} |")
    print(f"\n# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
