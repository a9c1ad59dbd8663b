"""Receipts: most expenses get one, a small PDF or a PNG photo made in code (``demo.receipts``), stored
through the documents service as an upload is (checked by its bytes, content-addressed in the file
store, a document of the expense's owner, attached as the expense's receipt).

Some have none, as in life: drafts still being filled in, card expenses whose receipt was never
handed in (the missing receipts finance chases). A flagged duplicate re-sends its original's receipt:
the same bytes, so the store keeps one blob for both documents.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import update

from expensehub.demo.receipts import receipt_pdf, receipt_png
from expensehub.demo.seed.state import Claim, Demo
from expensehub.documents import service as documents
from expensehub.documents.context import DocumentsConfig
from expensehub.kit.money import exponent, to_decimal
from expensehub.models import Expense

# Chance that an expense has a receipt, by how it came in.
HAS_RECEIPT = {"draft": 0.55, "card": 0.78, "manual": 0.94}
PDF_SHARE = 0.65  # e-receipts and invoices; the rest are phone photos (PNG)


@dataclass
class ReceiptStats:
    """What the receipts step stored, for the summary."""

    expenses: int = 0  # expenses considered (type expense)
    with_receipt: int = 0
    by_type: Counter[str] = field(default_factory=Counter)  # "pdf" / "png" -> files
    bytes: int = 0

    @property
    def without_receipt(self) -> int:
        return self.expenses - self.with_receipt


def receipts(demo: Demo, rng: random.Random, config: DocumentsConfig) -> ReceiptStats:
    """Make, store and attach the receipts of the demo's expenses (draws only from ``rng``)."""
    stats = ReceiptStats()
    made: dict[int, tuple[str, bytes]] = {}  # claim id -> (file name, bytes)
    files: list[documents.ReceiptFile] = []
    for claim in demo.claim_list:  # in id order, so a duplicate comes after its original
        if claim.type != "expense":
            continue
        stats.expenses += 1
        if claim.duplicate_of is not None:
            receipt = made.get(claim.duplicate_of.id)
        else:
            receipt = _receipt(demo, rng, claim) if rng.random() < _chance(claim) else None
        if receipt is None:
            continue
        made[claim.id] = receipt
        name, data = receipt
        stats.with_receipt += 1
        stats.by_type[name.rsplit(".", 1)[1]] += 1
        stats.bytes += len(data)
        files.append(
            documents.ReceiptFile(
                expense_id=claim.detail_id,
                employee_id=claim.emp.id,
                filename=name,
                data=data,
                uploaded_at=claim.row["created_at"],
            )
        )
    attached = documents.add_receipt_files(
        demo.s,
        store=config.store,
        staging_dir=config.staging_dir,
        max_bytes=config.max_upload_bytes,
        company_id=demo.company_id,
        files=files,
    )
    if attached:
        demo.s.execute(
            update(Expense),
            [{"id": expense_id, "document_id": ids[0]} for expense_id, ids in attached.items()],
        )
        demo.s.flush()
    return stats


def _chance(claim: Claim) -> float:
    if claim.status == "draft":
        return HAS_RECEIPT["draft"]
    return HAS_RECEIPT["card" if claim.detail.get("creation_type") == "automatic" else "manual"]


def _receipt(demo: Demo, rng: random.Random, claim: Claim) -> tuple[str, bytes]:
    """The receipt's file name and bytes: what a till or an e-invoice would print."""
    row, detail = claim.row, claim.detail
    merchant: str = detail["merchant_name"]
    day = row["effective_on"]
    currency: str = row["currency"]
    lines = [merchant]
    if detail.get("merchant_tin"):
        lines.append(f"Tax id {detail['merchant_tin']}")
    lines.append(f"{day.isoformat()} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}")
    if row.get("description"):
        lines.append(str(row["description"])[:60])
    if detail.get("reference"):
        lines.append(f"Ref. {detail['reference']}")
    lines.append(f"Total {_money(row['amount'], currency)} {currency}")
    for tax in claim.taxes:
        percent = (tax["percentage"] * 100).normalize()
        lines.append(
            f"VAT {percent}%: {_money(tax['amount'], currency)} on {_money(tax['base_amount'], currency)}"
        )
    if detail.get("card_last4"):
        lines.append(f"Card **** {detail['card_last4']}")
    elif detail.get("payment_method") == "cash":
        lines.append("Paid cash")
    else:
        lines.append("Paid by card")
    lines.append(f"{demo.company_name}")
    if rng.random() < PDF_SHARE:
        return f"{_slug(merchant)}-{day.isoformat()}.pdf", receipt_pdf(lines)
    return f"IMG_{rng.randint(1000, 9999)}.png", receipt_png(shade=rng.randint(0, 39), text=lines)


def _money(minor: int, currency: str) -> str:
    return f"{to_decimal(minor, currency):.{exponent(currency)}f}"


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40] or "receipt"
