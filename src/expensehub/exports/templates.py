"""Export templates: a JSON or YAML file that chooses, renames and orders columns, sets date and number
formats and filters (pure: no database).

A template::

    {
      "name": "my-erp",
      "dataset": "expenses",                 # expenses (default), card_payments, transactions
      "format": "csv",                       # optional default format
      "delimiter": ";", "bom": false,        # CSV
      "decimal_separator": ",",              # money and rates in text formats ("." or ",")
      "date_format": "%d.%m.%Y",             # strftime, for date columns in text formats
      "timestamp_format": "%Y-%m-%d %H:%M",  # strftime, UTC, for timestamp columns
      "cost_centers": "split",               # split (one row per share) or join (codes joined by |)
      "filters": {"status": ["approved", "paid"], "type": ["expense"]},
      "columns": [
        "expensable_id",                                         # a catalogue column, its own name
        {"column": "document_amount", "header": "Amount"},        # renamed
        {"column": "description", "header": "Text", "max_length": 60},
        {"header": "Debit/Credit", "value": "S"}                 # a constant
      ]
    }

Unknown keys, unknown columns, duplicate headers and malformed formats are refused with a clear error.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from expensehub.errors import ValidationFailed
from expensehub.exports.columns import catalogue
from expensehub.exports.schemas import TemplateOut

SHIPPED_DIR = "templates"


class TemplateColumn(BaseModel):
    """One column of a template: a catalogue column (optionally renamed and formatted) or a constant."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = Field(None, description="Catalogue column to export (see `exports/columns`)")
    header: str | None = Field(
        None, min_length=1, max_length=200, description="Header; the column name if unset"
    )
    value: str | None = Field(
        None, max_length=500, description="A constant written on every row (no `column`)"
    )
    date_format: str | None = Field(None, max_length=60, description="strftime format of a date column")
    timestamp_format: str | None = Field(
        None, max_length=60, description="strftime format of a timestamp (UTC)"
    )
    decimal_separator: Literal[".", ","] | None = Field(None, description="Decimal separator of money/rates")
    max_length: int | None = Field(
        None, ge=1, le=100_000, description="Cut longer text to this many characters"
    )


class TemplateFilters(BaseModel):
    """Filters a template always applies (command-line or URL filters are added to them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    date_from: date | None = Field(None, alias="from", description="First date (inclusive)")
    date_to: date | None = Field(None, alias="to", description="Last date (inclusive)")
    status: list[str] | None = Field(None, description="Only these statuses")
    type: list[str] | None = Field(None, description="Only these types")
    employee_ids: list[int] | None = Field(None, description="Only these employees")
    legal_entity_ids: list[int] | None = Field(None, description="Only these legal entities")


class Template(BaseModel):
    """A validated export template."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=120, description="Name of the template")
    description: str | None = Field(None, max_length=2000, description="What it is for")
    dataset: Literal["expenses", "card_payments", "transactions"] = Field(
        "expenses", description="What it exports"
    )
    format: Literal["csv", "xlsx", "parquet", "jsonl"] | None = Field(None, description="Default format")
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field delimiter")
    bom: bool = Field(False, description="Start CSV files with a UTF-8 byte-order mark (for Excel)")
    decimal_separator: Literal[".", ","] = Field(".", description="Decimal separator of money and rates")
    date_format: str | None = Field(None, max_length=60, description="strftime format of date columns")
    timestamp_format: str | None = Field(None, max_length=60, description="strftime format of timestamps")
    cost_centers: Literal["join", "split"] = Field(
        "join", description="One row per cost-centre share, or one row"
    )
    filters: TemplateFilters | None = Field(None, description="Filters always applied")
    columns: list[str | TemplateColumn] = Field(min_length=1, max_length=500, description="Columns, in order")


def shipped_templates() -> dict[str, Path]:
    """Templates shipped with expensehub, by name (file name without extension)."""
    found: dict[str, Path] = {}
    base = resources.files("expensehub.exports").joinpath(SHIPPED_DIR)
    for entry in base.iterdir():
        name = entry.name
        if name.endswith((".json", ".yaml", ".yml")):
            found[name.rsplit(".", 1)[0]] = Path(str(entry))
    return dict(sorted(found.items()))


def load_shipped_template(name: str) -> Template:
    """A template shipped with expensehub, by name only (what the API accepts: never a file path)."""
    shipped = shipped_templates()
    if name not in shipped:
        raise ValidationFailed(
            f"no template {name!r}; shipped templates: {', '.join(shipped) or '(none)'}",
            fields={"template": [f"not found: {name}"]},
            code="template_not_found",
        )
    return load_template(str(shipped[name]))


def load_template(ref: str) -> Template:
    """A shipped template by name, or a JSON/YAML template file by path."""
    shipped = shipped_templates()
    path = shipped.get(ref) or Path(ref)
    if not path.is_file():
        raise ValidationFailed(
            f"no template {ref!r}: give a file path or one of {', '.join(shipped) or '(none)'}",
            fields={"template": [f"not found: {ref}"]},
            code="template_not_found",
        )
    text = path.read_text(encoding="utf-8")
    return parse_template_text(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))


def parse_template_text(text: str, *, yaml_syntax: bool = False) -> Template:
    """Parse and validate a template's JSON (or YAML) text."""
    try:
        if yaml_syntax:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # any parse error of the file is the caller's input error
        kind = "YAML" if yaml_syntax else "JSON"
        raise ValidationFailed(
            f"the template is not valid {kind}: {exc}",
            fields={"template": [str(exc)]},
            code="invalid_template",
        ) from exc
    return parse_template(data)


def parse_template(data: Any) -> Template:
    """Validate a template given as plain data."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "a template is a JSON/YAML object",
            fields={"template": ["must be an object"]},
            code="invalid_template",
        )
    try:
        template = Template.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "template"
            fields.setdefault(loc, []).append(err["msg"])
        first = next(iter(fields.items()))
        raise ValidationFailed(
            f"invalid template: {first[0]}: {first[1][0]}", fields=fields, code="invalid_template"
        ) from exc
    check_template(template)
    return template


def check_template(template: Template) -> None:
    """Rules pydantic cannot express: known columns, unique headers, usable formats and delimiter."""
    known = catalogue(template.dataset)
    fields: dict[str, list[str]] = {}
    unknown: list[str] = []
    headers: set[str] = set()
    for n, entry in enumerate(template.columns):
        col = TemplateColumn(column=entry) if isinstance(entry, str) else entry
        where = f"columns.{n}"
        if col.column is None and col.value is None:
            fields.setdefault(where, []).append("needs `column` (a catalogue column) or `value` (a constant)")
            continue
        if col.column is not None and col.value is not None:
            fields.setdefault(where, []).append("give `column` or `value`, not both")
            continue
        if col.column is not None and col.column not in known:
            unknown.append(col.column)
            fields.setdefault(where, []).append(f"unknown column {col.column!r}")
            continue
        if col.value is not None and not col.header:
            fields.setdefault(where, []).append("a constant needs a `header`")
            continue
        header = col.header or col.column or ""
        if header in headers:
            fields.setdefault(where, []).append(f"duplicate header {header!r}")
        headers.add(header)
        for key in ("date_format", "timestamp_format"):
            fmt = getattr(col, key)
            if fmt is not None and _bad_format(fmt):
                fields.setdefault(f"{where}.{key}", []).append(f"not a usable strftime format: {fmt!r}")
    for key in ("date_format", "timestamp_format"):
        fmt = getattr(template, key)
        if fmt is not None and _bad_format(fmt):
            fields.setdefault(key, []).append(f"not a usable strftime format: {fmt!r}")
    if template.delimiter in ('"', "\r", "\n"):
        fields.setdefault("delimiter", []).append("must not be a quote or a line break")
    if fields:
        if unknown:
            names = ", ".join(sorted(known))
            raise ValidationFailed(
                f"unknown column(s) {', '.join(repr(u) for u in unknown)} for dataset {template.dataset}; "
                f"known columns: {names}",
                fields=fields,
                code="unknown_column",
            )
        first = next(iter(fields.items()))
        raise ValidationFailed(
            f"invalid template: {first[0]}: {first[1][0]}", fields=fields, code="invalid_template"
        )


def _bad_format(fmt: str) -> bool:
    if "%" not in fmt:
        return True
    try:
        datetime(2026, 1, 31, 13, 45, 6, tzinfo=UTC).strftime(fmt)
    except (ValueError, TypeError):
        return True
    return False


def columns_of(template: Template) -> list[TemplateColumn]:
    """The template's columns, each as a :class:`TemplateColumn`."""
    return [TemplateColumn(column=c) if isinstance(c, str) else c for c in template.columns]


def describe_shipped() -> list[TemplateOut]:
    """Name, dataset, format and description of every shipped template."""
    out: list[TemplateOut] = []
    for name, path in shipped_templates().items():
        t = load_template(str(path))
        out.append(
            {
                "name": name,
                "dataset": t.dataset,
                "format": t.format,
                "description": t.description,
                "columns": [c.header or c.column or "" for c in columns_of(t)],
            }
        )
    return out
