"""Planning an export: every input checked, the columns laid out, nothing read yet.

:func:`plan_export` turns a dataset, a template or column list, filters and options into an
:class:`ExportPlan` (what to read from the database, what Python derives, how the writer lays out each
column); bad input is a ``ValidationFailed`` before any row is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from expensehub.errors import NotFound, ValidationFailed, check_date_range
from expensehub.exports import repository
from expensehub.exports.columns import DATASET_FILTERS, DATASETS, Column, catalogue
from expensehub.exports.templates import Template, columns_of
from expensehub.exports.writers import EXTENSIONS, FORMATS, OutputColumn, WriterOptions

# Values computed here rather than by the database, and the source fields each needs.
_DERIVED_DEPS: dict[str, tuple[str, ...]] = {
    "base_amount": ("document_amount", "currency", "exchange_rate", "base_currency"),
    "tax_amount": (),
    "tax_base_amount": (),
    "tax_rate": (),
    "cost_center": (),
    "cost_center_share": (),
    "receipt_url": (),
}
_DERIVED_ORDER = tuple(_DERIVED_DEPS)


@dataclass(frozen=True)
class ExportPlan:
    """A checked export: what to read, how to shape it, how to write it."""

    company_id: int
    dataset: str
    format: str
    columns: tuple[OutputColumn, ...]
    source_fields: tuple[str, ...]
    derived: tuple[str, ...]
    index: dict[str, int]
    filters: repository.Filters
    cost_centers: str
    options: WriterOptions
    template_name: str | None = None
    # "database": CSV lines rendered by the database when every column allows it; "python": always shaped
    # row by row in Python (the reference path the database path is tested against).
    render: str = "database"

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def plan_export(
    session: Session,
    *,
    company_id: int,
    dataset: str,
    fmt: str | None = None,
    template: Template | None = None,
    columns: Sequence[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    statuses: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    employee_ids: Sequence[int] | None = None,
    legal_entity_ids: Sequence[int] | None = None,
    updated_since: datetime | None = None,
    updated_after: datetime | None = None,
    cost_centers: str | None = None,
    bom: bool | None = None,
    render: str = "database",
) -> ExportPlan:
    """Check every input of an export and decide what to read; raises ``ValidationFailed``."""
    if render not in ("database", "python"):
        raise ValueError(f"render is database or python, not {render!r}")
    if not repository.company_exists(session, company_id):
        raise NotFound(f"company {company_id} not found", code="company_not_found")
    if dataset not in DATASETS:
        raise ValidationFailed(
            f"unknown dataset {dataset!r}; one of {', '.join(DATASETS)}",
            fields={"dataset": ["unknown dataset"]},
            code="unknown_dataset",
        )
    if template is not None and template.dataset != dataset:
        raise ValidationFailed(
            f"the template exports {template.dataset}, not {dataset}",
            fields={"template": [f"is a {template.dataset} template"]},
            code="template_dataset_mismatch",
        )
    if template is not None and columns:
        raise ValidationFailed(
            "choose columns with a template or with a column list, not both",
            fields={"columns": ["cannot be combined with a template"]},
            code="invalid_columns",
        )
    chosen_fmt = fmt or (template.format if template else None) or "csv"
    if chosen_fmt not in FORMATS:
        raise ValidationFailed(
            f"unknown format {chosen_fmt!r}; one of {', '.join(FORMATS)}",
            fields={"format": [f"must be one of {', '.join(FORMATS)}"]},
            code="unknown_format",
        )
    tf = template.filters if template else None
    filters = repository.Filters(
        date_from=date_from if date_from is not None else (tf.date_from if tf else None),
        date_to=date_to if date_to is not None else (tf.date_to if tf else None),
        statuses=statuses if statuses is not None else (tf.status if tf else None),
        types=types if types is not None else (tf.type if tf else None),
        employee_ids=employee_ids if employee_ids is not None else (tf.employee_ids if tf else None),
        legal_entity_ids=legal_entity_ids
        if legal_entity_ids is not None
        else (tf.legal_entity_ids if tf else None),
        updated_since=updated_since,
        updated_after=updated_after,
    )
    check_filters(dataset, filters)
    mode = cost_centers or (template.cost_centers if template else "join")
    if mode not in ("join", "split"):
        raise ValidationFailed(
            "cost_centers is `join` or `split`",
            fields={"cost_centers": ["must be join or split"]},
            code="invalid_option",
        )
    wanted = _wanted_columns(dataset, template, columns)
    options = WriterOptions(
        delimiter=template.delimiter if template else ",",
        bom=bom if bom is not None else (template.bom if template else False),
        sheet_name=dataset,
    )
    plan = _layout(company_id, dataset, chosen_fmt, wanted, filters, mode, options, template)
    return replace(plan, render=render)


def check_filters(dataset: str, f: repository.Filters) -> None:
    """Refuse reversed ranges, unknown enum values and filters the dataset does not have."""
    spec = DATASET_FILTERS[dataset]
    fields: dict[str, list[str]] = {}
    code = "invalid_filter"
    check_date_range(f.date_from, f.date_to)
    if f.statuses is not None:
        if spec.statuses is None:
            fields["status"] = [f"{dataset} have no status to filter on"]
            code = "unsupported_filter"
        else:
            bad = [s for s in f.statuses if s not in spec.statuses]
            if bad:
                fields["status"] = [f"unknown status {', '.join(bad)}; one of {', '.join(spec.statuses)}"]
    if f.types is not None:
        bad = [t for t in f.types if t not in spec.types]
        if bad:
            fields["type"] = [f"unknown type {', '.join(bad)}; one of {', '.join(spec.types)}"]
    if f.employee_ids is not None and not spec.employee:
        fields["employee_ids"] = [f"{dataset} have no employee to filter on"]
        code = "unsupported_filter"
    if fields:
        first = next(iter(fields.items()))
        raise ValidationFailed(f"invalid filter {first[0]}: {first[1][0]}", fields=fields, code=code)


@dataclass(frozen=True)
class _Wanted:
    column: Column | None
    header: str
    constant: Any = None
    date_format: str | None = None
    timestamp_format: str | None = None
    decimal_separator: str = "."
    max_length: int | None = None


def _wanted_columns(dataset: str, template: Template | None, names: Sequence[str] | None) -> list[_Wanted]:
    known = catalogue(dataset)
    if template is not None:
        out = []
        for c in columns_of(template):
            col = known[c.column] if c.column is not None else None
            out.append(
                _Wanted(
                    column=col,
                    header=c.header or c.column or "",
                    constant=c.value,
                    date_format=c.date_format or template.date_format,
                    timestamp_format=c.timestamp_format or template.timestamp_format,
                    decimal_separator=c.decimal_separator or template.decimal_separator,
                    max_length=c.max_length,
                )
            )
        return out
    chosen = list(names) if names else [c.name for c in DATASETS[dataset] if c.default]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise ValidationFailed(
            f"unknown column(s) {', '.join(repr(u) for u in unknown)} for {dataset}; known columns: "
            f"{', '.join(known)}",
            fields={"columns": [f"unknown column {u!r}" for u in unknown]},
            code="unknown_column",
        )
    dupes = sorted({n for n in chosen if chosen.count(n) > 1})
    if dupes:
        raise ValidationFailed(
            f"column(s) listed twice: {', '.join(dupes)}",
            fields={"columns": [f"listed twice: {d}" for d in dupes]},
            code="invalid_columns",
        )
    return [_Wanted(column=known[n], header=n) for n in chosen]


def _layout(
    company_id: int,
    dataset: str,
    fmt: str,
    wanted: list[_Wanted],
    filters: repository.Filters,
    mode: str,
    options: WriterOptions,
    template: Template | None,
) -> ExportPlan:
    spec = DATASET_FILTERS[dataset]
    known = catalogue(dataset)
    sql_fields = repository.source_fields(dataset)
    derivable = set(_DERIVED_DEPS) if dataset == "expenses" else set()
    needed: list[str] = [spec.id_column, spec.amount_column, spec.currency_column, "updated_at"]
    derived: set[str] = set()
    for w in wanted:
        if w.column is None:
            continue
        needed.append(w.column.name)
        if w.column.currency:
            needed.append(w.column.currency)
    if dataset == "expenses" and mode == "split":
        derived.update(("cost_center", "cost_center_share"))
    for name in list(needed):
        if name in derivable:
            derived.add(name)
            needed.extend(_DERIVED_DEPS[name])
    if {"tax_amount", "tax_base_amount", "tax_rate"} & derived:
        derived.update(("tax_amount", "tax_base_amount", "tax_rate"))
    if {"cost_center", "cost_center_share"} & derived:
        derived.update(("cost_center", "cost_center_share"))
    source: list[str] = []
    for name in needed:
        if name in derived or name in source:
            continue
        if name not in sql_fields:  # a catalogue column the database must provide
            raise AssertionError(f"column {name} of {dataset} has no source")
        source.append(name)
    derived_order = tuple(d for d in _DERIVED_ORDER if d in derived)
    index = {name: i for i, name in enumerate([*source, *derived_order])}
    out: list[OutputColumn] = []
    for w in wanted:
        col = w.column
        if col is None:
            out.append(OutputColumn(header=w.header, kind="text", index=-1, constant=w.constant))
            continue
        metadata = (
            {"unit": "minor", "currency_column": col.currency} if col.kind == "money" and col.currency else {}
        )
        out.append(
            OutputColumn(
                header=w.header,
                kind=col.kind,
                index=index[col.name],
                currency_index=index[col.currency] if col.currency else None,
                date_format=w.date_format,
                timestamp_format=w.timestamp_format,
                decimal_separator=w.decimal_separator,
                max_length=w.max_length,
                description=known[col.name].description,
                metadata=metadata,
            )
        )
    return ExportPlan(
        company_id=company_id,
        dataset=dataset,
        format=fmt,
        columns=tuple(out),
        source_fields=tuple(source),
        derived=derived_order,
        index=index,
        filters=filters,
        cost_centers=mode,
        options=options,
        template_name=template.name if template else None,
    )
