"""Reconciliation report files: XLSX (one sheet per section) or CSV (one file, a `section` column).

Takes the views the API returns (``schemas.RunOut``, ``ProposalOut``, ``ItemOut``), so the report
shows exactly what the API shows. Amounts are minor units, as everywhere in expensehub.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from expensehub.reconciliation.schemas import ItemOut, ProposalOut, RunOut

Cell = int | float | str | None

PROPOSAL_COLUMNS = [
    "proposal_id",
    "card_payment_id",
    "expense_ids",
    "kind",
    "status",
    "score",
    "group",
    "lag_days",
    "card_amount_cents",
    "card_currency",
    "expense_amount",
    "expense_currency",
    "base_amount_cents",
    "base_currency",
    "fx_difference_cents",
    "reasons",
]
ITEM_COLUMNS = [
    "item_id",
    "kind",
    "card_payment_id",
    "expense_id",
    "amount",
    "currency",
    "date",
    "merchant",
    "card_last4",
]


def _proposal_row(p: ProposalOut) -> list[Cell]:
    reasons = "; ".join(f"{r['code']}={r['score']}" for r in p["reasons"])
    return [
        p["id"],
        p["card_payment_id"],
        " ".join(str(e) for e in p["expense_ids"]),
        p["kind"],
        p["status"],
        p["score"],
        p["group"],
        p["lag_days"],
        p["card_amount_cents"],
        p["card_currency"],
        p["expense_amount"],
        p["expense_currency"],
        p["base_amount_cents"],
        p["base_currency"],
        p["fx_difference_cents"],
        reasons,
    ]


def _item_row(i: ItemOut) -> list[Cell]:
    return [
        i["id"],
        i["kind"],
        i["card_payment_id"],
        i["expense_id"],
        i["amount"],
        i["currency"],
        i["date"],
        i["merchant"],
        i["card_last4"],
    ]


def sections(
    proposals: list[ProposalOut], items: list[ItemOut]
) -> list[tuple[str, list[str], Iterable[list[Cell]]]]:
    """(name, header, rows) of every section of the report."""
    return [
        ("matched", PROPOSAL_COLUMNS, (_proposal_row(p) for p in proposals if p["kind"] == "matched")),
        ("to review", PROPOSAL_COLUMNS, (_proposal_row(p) for p in proposals if p["kind"] != "matched")),
        (
            "fx differences",
            PROPOSAL_COLUMNS,
            (
                _proposal_row(p)
                for p in proposals
                if p["kind"] == "matched" and p["fx_difference_cents"] is not None
            ),
        ),
        ("missing receipts", ITEM_COLUMNS, (_item_row(i) for i in items if i["kind"] == "missing_receipt")),
        (
            "expenses without payment",
            ITEM_COLUMNS,
            (_item_row(i) for i in items if i["kind"] == "expense_without_payment"),
        ),
        ("refunds", ITEM_COLUMNS, (_item_row(i) for i in items if i["kind"] == "refund")),
    ]


def write_report(path: Path, run: RunOut, proposals: list[ProposalOut], items: list[ItemOut]) -> None:
    """Write ``path`` as XLSX (``.xlsx``) or CSV (``.csv``; the command line refuses other names)."""
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, run, proposals, items)
    else:
        _write_csv(path, proposals, items)


def _write_csv(path: Path, proposals: list[ProposalOut], items: list[ItemOut]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", *PROPOSAL_COLUMNS, *ITEM_COLUMNS])
        blank_p = [""] * len(PROPOSAL_COLUMNS)
        blank_i = [""] * len(ITEM_COLUMNS)
        for name, header, rows in sections(proposals, items):
            for row in rows:
                cells = ["" if v is None else v for v in row]
                writer.writerow(
                    [name, *cells, *blank_i] if header is PROPOSAL_COLUMNS else [name, *blank_p, *cells]
                )


def _write_xlsx(path: Path, run: RunOut, proposals: list[ProposalOut], items: list[ItemOut]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold = book.add_format({"bold": True})
    summary = book.add_worksheet("summary")
    for r, (key, value) in enumerate(run.items()):
        summary.write(r, 0, key, bold)
        summary.write(r, 1, "" if value is None else value)
    for name, header, rows in sections(proposals, items):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, header, bold)
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, ["" if v is None else v for v in row])
    book.close()
