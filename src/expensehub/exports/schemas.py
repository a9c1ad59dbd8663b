"""Wire shapes of the exports endpoints (an expensehub extension): query filters and the catalogues."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from expensehub.exports.columns import Column
from expensehub.kit.ids import IdIn
from expensehub.kit.shapes import TypedDict


class ExportQuery(BaseModel):
    """Query of ``GET exports/{dataset}``: format, columns, filters."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    format: Literal["csv", "xlsx", "parquet", "jsonl"] | None = Field(
        None, description="File format; default `csv` (or the template's)"
    )
    template: str | None = Field(
        None, max_length=120, description="A shipped template by name (see `exports/templates`)"
    )
    columns: list[str] | None = Field(
        None,
        alias="columns[]",
        description="Columns to export, in order (see `exports/columns`); not with `template`",
    )
    from_: date | None = Field(None, alias="from", description="First date, inclusive (YYYY-MM-DD)")
    to: date | None = Field(None, description="Last date, inclusive (YYYY-MM-DD)")
    status: list[str] | None = Field(None, alias="status[]", description="Only these statuses")
    type: list[str] | None = Field(None, alias="type[]", description="Only these types")
    employee_ids: list[IdIn] | None = Field(None, alias="employee_ids[]", description="Only these employees")
    legal_entity_ids: list[IdIn] | None = Field(
        None, alias="legal_entity_ids[]", description="Only these legal entities"
    )
    updated_since: datetime | None = Field(
        None,
        description="Only rows changed at or after this time (ISO 8601; UTC when no offset): incremental "
        "exports pass the greatest `updated_at` of the previous file",
    )
    cost_centers: Literal["join", "split"] | None = Field(
        None,
        description="Expenses over several cost centres: `join` (one row, codes joined by `|`) or `split`",
    )
    bom: bool | None = Field(None, description="CSV: start with a UTF-8 byte-order mark (for Excel)")

    @field_validator("updated_since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class ColumnOut(TypedDict):
    """A column an export can write."""

    name: Annotated[str, Field(description="Column name (the default header)")]
    type: Annotated[str, Field(description="id, int, text, bool, date, timestamp, money, rate")]
    description: Annotated[str, Field(description="What the column holds")]
    default: Annotated[
        bool, Field(description="Whether it is exported when no template or column list chooses columns")
    ]
    currency_column: Annotated[
        str | None, Field(description="For money columns: the column naming the currency")
    ]


def column_out(c: Column) -> ColumnOut:
    return {
        "name": c.name,
        "type": c.kind,
        "description": c.description,
        "default": c.default,
        "currency_column": c.currency,
    }


class ColumnsQuery(BaseModel):
    """Query of ``GET exports/columns``."""

    dataset: Literal["expenses", "card_payments", "transactions"] = Field(
        "expenses", description="Dataset whose columns to list"
    )


class TemplateOut(TypedDict):
    """A template shipped with expensehub."""

    name: Annotated[str, Field(description="Name to pass as `template`")]
    dataset: Annotated[str, Field(description="Dataset it exports")]
    format: Annotated[str | None, Field(description="Its default format")]
    description: Annotated[str | None, Field(description="What it is for")]
    columns: Annotated[list[str], Field(description="The headers it writes, in order")]
