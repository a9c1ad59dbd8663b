"""What several wire shapes of the expenses domain share: payment and unit literals, the related rows
loaded once per page, number formatting, nested objects (files, taxes, category, card).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from expensehub.documents.schemas import FileOut as FileOut  # receipts are documents: one shape
from expensehub.kit.shapes import IdOut, TypedDict
from expensehub.models import Category, ExpenseTax
from expensehub.models.allowances import PerDiemRate

Payment = Literal["reimbursable", "not_reimbursable"]
CreationType = Literal["manual", "automatic"]
DistanceUnit = Literal["km", "mi"]

# --------------------------------------------------------------------------------------------------
# Related rows loaded once per page (never per item)
# --------------------------------------------------------------------------------------------------


@dataclass
class Related:
    """What a page of claims needs besides its header/detail rows, loaded with one IN query each."""

    cost_centers: dict[int, list[int]] = field(default_factory=dict)
    taxes: dict[int, list[ExpenseTax]] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    # expense id -> its ``files`` (receipts, built by the documents domain)
    files: Mapping[int, list[FileOut]] = field(default_factory=dict)
    # per diem id -> its ``rates`` (rate configurations its statutory breakdown used)
    per_diem_rates: dict[int, list[PerDiemRate]] = field(default_factory=dict)


def decimal_str(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def category_ref(related: Related, category_id: int | None) -> CategoryRefOut | None:
    if category_id is None:
        return None
    cat = related.categories.get(category_id)
    if cat is None:
        return None
    return {"id": cat.id, "name": cat.label or cat.default_label}


class TaxOut(TypedDict):
    """A tax line of an expense."""

    type: Annotated[Literal["vat"], Field(description="Tax kind; only `vat`")]
    amount: Annotated[int | None, Field(description="Tax amount in minor units of the expense currency")]
    percentage: Annotated[float | None, Field(description="Tax rate as a fraction, e.g. 0.21")]
    base_amount: Annotated[int | None, Field(description="Taxable base in minor units")]


class CategoryRefOut(TypedDict):
    """The category of a claim."""

    id: Annotated[IdOut, Field(description="Category id (finance/categories)")]
    name: Annotated[str, Field(description="Category label (its custom label, else its default label)")]


class CardOut(TypedDict):
    """The company card an expense was paid with."""

    card_type: Annotated[str, Field(description="Card kind, e.g. `virtual` or `physical`")]
    last4: Annotated[str | None, Field(description="Last four digits of the card number")]


# banking has a CardOut too, so OpenAPI names this component after its module: the package's, as before
# the schemas were split into modules (clients generated from the document keep their names).
CardOut.__module__ = "expensehub.expenses.schemas"


DUPLICATE_OF_DESCRIPTION = (
    "expensehub extension. Id of an earlier expensable of the same company that looks like the same spend "
    "(same employee, effective_on, amount, currency and merchant: `user_merchant`, else `merchant_name`, "
    "compared case-insensitively after trimming; a rejected earlier claim does not count). Set when the "
    "expense is created; null otherwise"
)
IS_DUPLICATE_DESCRIPTION = "expensehub extension. True when `duplicate_of_id` is set"


_AS_GIVEN = (
    "expensehub extension: an input of the statutory rules, as the last POST or PUT that sent it gave it "
    "(sending it back unchanged prices the claim the same); "
)
