"""What every write body of the expenses domain shares: value types, the base body, the fields every
kind of claim has, and the bodies of the expensable actions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from expensehub.expenses.schemas.shared import Payment
from expensehub.kit.bodies import no_nul
from expensehub.kit.ids import IdIn
from expensehub.kit.money import MAX_MINOR_UNITS, is_currency


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR")
    return code


def _coordinate(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a decimal number of degrees")
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a decimal number of degrees") from None
    if not number.is_finite() or abs(number) > 180 or len(text) > 24:
        raise ValueError("must be a decimal number of degrees between -180 and 180")
    return text


Money = Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR_UNITS)]
PositiveMoney = Annotated[int, Field(strict=True, gt=0, le=MAX_MINOR_UNITS)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
Rate = Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=12)]
Fraction = Annotated[Decimal, Field(ge=0, le=1, decimal_places=12)]
Coordinate = Annotated[str | None, BeforeValidator(_coordinate)]
Text = Annotated[str, Field(max_length=5000)]


class Body(BaseModel):
    """Base of every write body: unknown keys are ignored, text may not contain NUL."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return no_nul(value)


class TaxIn(Body):
    """A tax line."""

    type: Literal["vat"] = Field("vat", description="Tax kind; only `vat`")
    percentage: Fraction | None = Field(None, description="Rate as a fraction 0..1, e.g. 0.21")
    amount: Money | None = Field(None, description="Tax amount in minor units")
    base_amount: Money | None = Field(None, description="Taxable base in minor units")


class CostCenterShareIn(Body):
    """A cost centre and its share of the claim."""

    cost_center_id: IdIn = Field(description="Cost centre id (finance/cost_centers)")
    percentage: Annotated[Decimal, Field(gt=0, le=1, decimal_places=12)] = Field(
        description="Share as a fraction (0 < share <= 1); the shares must sum to 1"
    )


class CardIn(Body):
    """The card an expense was paid with."""

    card_type: str = Field(min_length=1, max_length=24, description="Card kind, e.g. `virtual`")
    last4: str | None = Field(None, pattern=r"^\d{4}$", description="Last four digits")


class ClaimFields(Body):
    """Fields every kind of claim shares; all optional (PUT is a partial update)."""

    id: IdIn | None = Field(
        None, description="Repeats the path id on PUT (Factorial style); must match it. Refused on create"
    )
    employee_id: IdIn | None = Field(None, description="Owner of the claim (the spender)")
    reporter_id: IdIn | None = Field(None, description="Employee reporting on the owner's behalf")
    legal_entity_id: IdIn | None = Field(None, description="Paying legal entity; default: the owner's")
    currency: Currency | None = Field(None, description="ISO 4217 code of `amount`")
    effective_on: date | None = Field(None, description="Date of the spend (`YYYY-MM-DD`)")
    description: Text | None = Field(None, description="Free-text description")
    internal_reference: str | None = Field(None, max_length=120, description="Company-internal reference")
    category_id: IdIn | None = Field(None, description="Category (finance/categories)")
    subcategory: str | None = Field(None, max_length=120, description="Subcategory")
    project_id: IdIn | None = Field(None, description="Project (project_management/projects)")
    ledger_account_id: IdIn | None = Field(None, description="Ledger account (finance/accounts)")
    payment: Payment | None = Field(
        None,
        description="`reimbursable` or `not_reimbursable`. Default: `not_reimbursable` when the company "
        "paid (a `card` that is not `personal`, an `expenses_card_id` or a `card_payment_id`), else "
        "`reimbursable`",
    )
    reimbursable_amount: Money | None = Field(
        None,
        description="Amount owed to the employee, 0..amount; default: the amount when reimbursable, else 0 "
        "(recomputed that way when amount or payment change and this is not given)",
    )
    cost_center_ids: list[IdIn] | None = Field(
        None, max_length=50, description="Cost centres, split equally (use `cost_centers` for other shares)"
    )
    cost_centers: list[CostCenterShareIn] | None = Field(
        None, max_length=50, description="Cost centres with their shares (summing to 1)"
    )


class IdsBody(Body):
    """``{ids: [...]}``: 1 to 100 expensable ids."""

    ids: list[IdIn] = Field(min_length=1, max_length=100, description="Expensable ids (1 to 100)")


class ReimbursableAmountBody(Body):
    """Body of ``POST expenses/expensables/update_reimbursable_amount``."""

    id: IdIn = Field(description="Expensable id (type `expense`, payment `reimbursable`)")
    reimbursable_amount: Money = Field(description="New amount owed to the employee: 0..amount, minor units")


class RequestChangesBody(Body):
    """Body of ``POST expenses/expensables/request_changes`` (expensehub extension)."""

    id: IdIn = Field(description="Expensable id (must be pending)")
    reason: str | None = Field(None, max_length=2000, description="What the employee should change")
