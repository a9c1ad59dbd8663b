"""Templates: the shipped ones load; bad templates are refused with a clear error and code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expensehub.errors import ValidationFailed
from expensehub.exports.templates import (
    columns_of,
    describe_shipped,
    load_template,
    parse_template,
    parse_template_text,
    shipped_templates,
)


def test_shipped_templates() -> None:
    assert set(shipped_templates()) == {"generic-erp", "datev-bookings"}
    datev = load_template("datev-bookings")
    assert (datev.delimiter, datev.decimal_separator, datev.cost_centers) == (";", ",", "split")
    assert columns_of(datev)[0].column == "base_amount"
    names = [t["name"] for t in describe_shipped()]
    assert names == ["datev-bookings", "generic-erp"]


def test_files_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(
        json.dumps({"columns": ["expensable_id", {"column": "currency", "header": "Cur"}]})
    )
    (tmp_path / "t.yaml").write_text("dataset: card_payments\ncolumns:\n  - card_payment_id\n  - amount\n")
    assert [c.header or c.column for c in columns_of(load_template(str(tmp_path / "t.json")))] == [
        "expensable_id",
        "Cur",
    ]
    assert load_template(str(tmp_path / "t.yaml")).dataset == "card_payments"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"columns": ["expensable_id", "nope"]}, "unknown_column", "columns.1"),
        ({"dataset": "transactions", "columns": ["document_amount"]}, "unknown_column", "columns.0"),
        ({"columns": []}, "invalid_template", "columns"),
        ({"columns": ["currency"], "colour": "red"}, "invalid_template", "colour"),
        (
            {"columns": [{"column": "currency", "shade": 1}]},
            "invalid_template",
            "columns.0.TemplateColumn.shade",
        ),
        ({"columns": ["currency", "currency"]}, "invalid_template", "columns.1"),
        ({"columns": [{"header": "x"}]}, "invalid_template", "columns.0"),
        ({"columns": [{"value": "S"}]}, "invalid_template", "columns.0"),
        ({"columns": [{"column": "currency", "value": "S", "header": "x"}]}, "invalid_template", "columns.0"),
        (
            {"columns": [{"column": "effective_on", "date_format": "dd.mm.yyyy"}]},
            "invalid_template",
            "columns.0.date_format",
        ),
        ({"columns": ["currency"], "delimiter": ";;"}, "invalid_template", "delimiter"),
        ({"columns": ["currency"], "delimiter": '"'}, "invalid_template", "delimiter"),
        ({"columns": ["currency"], "format": "pdf"}, "invalid_template", "format"),
        ({"columns": ["currency"], "cost_centers": "both"}, "invalid_template", "cost_centers"),
        ({"columns": ["currency"], "filters": {"from": "yesterday"}}, "invalid_template", "filters.from"),
        ({"columns": ["currency"], "filters": {"colour": 1}}, "invalid_template", "filters.colour"),
        ([1, 2], "invalid_template", "template"),
    ],
)
def test_bad_templates(data: object, code: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_template(data)
    assert info.value.code == code
    assert field in info.value.fields, info.value.fields
    assert info.value.message


def test_unknown_column_message_lists_the_catalogue() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_template({"columns": ["amount_eur"]})
    assert "'amount_eur'" in info.value.message
    assert "base_amount" in info.value.message


@pytest.mark.parametrize(
    ("text", "yaml_syntax"), [("{not json", False), ("columns: [a, b", True), ("", False)]
)
def test_unparsable_files(text: str, yaml_syntax: bool) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_template_text(text, yaml_syntax=yaml_syntax)
    assert info.value.code == "invalid_template"


def test_missing_template() -> None:
    with pytest.raises(ValidationFailed) as info:
        load_template("/nonexistent/template.json")
    assert info.value.code == "template_not_found"
    assert "generic-erp" in info.value.message
