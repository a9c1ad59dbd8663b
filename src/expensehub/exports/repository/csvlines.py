"""CSV lines rendered by the database: the fast path of text exports (one finished line per claim)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    null,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

if TYPE_CHECKING:
    import psycopg


from expensehub.exports.columns import DATASET_FILTERS
from expensehub.exports.repository.datasets import (
    _DATASETS,
    Filters,
    _expense_where,
    _live_receipt,
    _receipt_order,
    dialect_of,
    ex,
    x,
)
from expensehub.exports.repository.text import decimal_text
from expensehub.kit.money import EXPONENTS
from expensehub.models import (
    CostCenter,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
)
from expensehub.models.documents import Document, ExpenseFile

# --------------------------------------------------------------------------------------------------
# CSV lines rendered by the database (the fast path of text exports)
# --------------------------------------------------------------------------------------------------

# Derived columns the database renders itself (with the FX conversion and receipt URLs left to Python).
DB_DERIVED: frozenset[str] = frozenset(
    {
        "base_amount",
        "tax_amount",
        "tax_base_amount",
        "tax_rate",
        "cost_center",
        "cost_center_share",
        "receipt_url",
    }
)
# Characters each kind's text can contain (beyond ASCII digits); a field needs CSV quoting only when its
# text can hold the delimiter, a double quote, CR or LF.
_KIND_ALPHABET: dict[str, str] = {
    "id": "-",
    "int": "-",
    "date": "-",
    "timestamp": "-:.TZ",
    "bool": "truefals",
}
_CR, _LF = "\r", "\n"


@dataclass(frozen=True)
class TextColumn:
    """One column of a CSV export rendered by the database.

    ``name`` is a source field of the dataset or one of :data:`DB_DERIVED` (``None``: a constant whose
    text, already CSV-quoted, is ``constant``). Money columns name the field holding their currency.
    """

    name: str | None
    kind: str
    currency: str | None = None
    constant: str = ""
    decimal_separator: str = "."
    max_length: int | None = None


@dataclass(frozen=True)
class LineLayout:
    """The columns of a :func:`csv_lines_query` row, by position.

    Always ``(line, amount, currency, updated_at)``; then, with ``fx``, ``(fx offset, rate, base
    currency)`` of a base_amount Python converts (NULLs on other rows); then, with ``receipts``,
    ``(receipt offset, "document id:sha256")`` of a receipt URL Python signs.
    """

    fx: bool
    receipts: bool

    LINE, AMOUNT, CURRENCY, UPDATED_AT, FX_AT, FX_RATE, FX_BASE = range(7)

    @property
    def receipt_at(self) -> int:
        """Position of the receipt's offset (the receipt itself follows it)."""
        return 7 if self.fx else 4

    @property
    def integer_columns(self) -> tuple[int, ...]:
        """Positions holding integers: the amount and the offsets."""
        fx = (self.FX_AT,) if self.fx else ()
        return (self.AMOUNT, *fx, *((self.receipt_at,) if self.receipts else ()))

    @property
    def nullable_text_columns(self) -> tuple[int, ...]:
        """Positions of text that may be NULL and is read by Python: currency, updated_at, the receipt."""
        return (self.CURRENCY, self.UPDATED_AT, *((self.receipt_at + 1,) if self.receipts else ()))


def _str(value: str) -> ColumnElement[Any]:
    return literal(value, String())


def _cat(*parts: Any) -> ColumnElement[Any]:
    """SQL string concatenation (``||`` on both dialects)."""
    out = parts[0]
    for part in parts[1:]:
        out = type_coerce(out, String()).op("||")(part)
    return type_coerce(out, String())


def money_text(amount: Any, currency: Any, dialect: str) -> ColumnElement[Any]:
    """Minor units as a decimal string in the currency's major units, exactly as ``shaping.money_text``."""
    by_exp: dict[int, list[str]] = {}
    for code, exp in sorted(EXPONENTS.items()):
        if exp != 2:
            by_exp.setdefault(exp, []).append(code)
    if dialect == "postgresql":

        def scaled(exp: int) -> Any:
            return type_coerce(amount, String()).op("*")(text(f"0.{'0' * (exp - 1)}1")).cast(String())

        whens = [
            (currency.in_(codes), scaled(exp) if exp else amount.cast(String()))
            for exp, codes in by_exp.items()
        ]
        return case(*whens, else_=scaled(2))

    def fixed(exp: int) -> Any:
        if exp == 0:
            return amount.cast(String())
        unit, fmt = text(str(10**exp)), f"%d.%0{exp}d"
        minus = -amount
        return case(
            (amount >= 0, func.printf(_str(fmt), amount.op("/")(unit), amount.op("%")(unit))),
            (amount < 0, func.printf(_str("-" + fmt), minus.op("/")(unit), minus.op("%")(unit))),
        )

    nonstandard = [code for codes in by_exp.values() for code in codes]
    inner = case(*[(currency.in_(codes), fixed(exp)) for exp, codes in by_exp.items()])
    return case((currency.in_(nonstandard), inner), else_=fixed(2))


# SQL functions take at most 100 arguments (PostgreSQL; 127 on SQLite): concat() takes each part and each
# delimiter, printf() the format and each part.
_MAX_PARTS = {"postgresql": 45, "sqlite": 100}


def _joined(parts: Sequence[Any], delimiter: str, dialect: str) -> ColumnElement[Any]:
    """``parts`` joined with ``delimiter`` in one function call, NULL as empty text.

    One call (``printf`` on SQLite, ``concat`` on PostgreSQL) builds the line in a single allocation; a
    chain of ``||`` would copy the growing line once per field. Longer lists are joined in groups.
    """
    if not parts:
        return _str("")
    limit = _MAX_PARTS.get(dialect, 45)
    if len(parts) > limit:
        groups = [_joined(parts[i : i + limit], delimiter, dialect) for i in range(0, len(parts), limit)]
        return _joined(groups, delimiter, dialect)
    if dialect == "postgresql":
        args: list[Any] = []
        for n, part in enumerate(parts):
            if n:
                args.append(_str(delimiter))
            args.append(part)
        return type_coerce(func.concat(*args), String())
    fmt = delimiter.replace("%", "%%").join(["%s"] * len(parts))
    return type_coerce(func.printf(_str(fmt), *parts), String())


def _special_test(value: Any, delimiter: str, dialect: str) -> ColumnElement[Any]:
    """True when ``value`` holds the delimiter, a double quote, CR or LF. One pattern match, so the value
    (often an expression: SQL does not share common subexpressions) is computed once for the test."""
    chars = sorted({'"', delimiter, _CR, _LF})
    if dialect == "postgresql":
        klass = "".join("\\" + c if c in "\\]^-[" else c for c in chars)
        return type_coerce(value, String()).op("~", is_comparison=True)(_str(f"[{klass}]"))
    # GLOB classes: "]" must come first, "-" last, "^" not first.
    ordered = sorted(chars, key=lambda c: (c != "]", c == "-", c == "^"))
    return type_coerce(value, String()).op("GLOB", is_comparison=True)(_str("*[" + "".join(ordered) + "]*"))


def _csv_quoted(value: Any, delimiter: str, dialect: str) -> ColumnElement[Any]:
    """``value`` as a CSV field: quoted (with doubled quotes) when it holds a special character."""
    if dialect == "postgresql":
        quoted = _cat(_str('"'), func.replace(value, _str('"'), _str('""')), _str('"'))
    else:
        quoted = func.printf(_str('"%w"'), value)  # %w doubles the double quotes
    return case((_special_test(value, delimiter, dialect), quoted), else_=value)


def _scoped(column: Any, company_id: int, f: Filters) -> list[ColumnElement[bool]]:
    """Conditions keeping ``column`` (an expensable id) to the expensables the export selects: nothing
    more than the company when the export has no other filter (a plain scan, no id list)."""
    if f == Filters():
        return []
    xs = aliased(Expensable, name="xs")
    cond, _ = _expense_where(company_id, f, xs)
    return [column.in_(select(xs.id).where(*cond))]


def _tax_totals_table(company_id: int, f: Filters, dialect: str) -> Any:
    """Per expense: (expense id, sum of tax amounts, sum of bases, the rate when every line shares it)."""
    t = aliased(ExpenseTax, name="t")
    e = aliased(Expense, name="e")
    low, high = func.min(t.percentage), func.max(t.percentage)
    return (
        select(
            e.id.label("expense_id"),
            func.sum(t.amount).label("amount"),
            func.sum(t.base_amount).label("base"),
            case((low == high, decimal_text(low, dialect))).label("rate"),
        )
        .select_from(e)
        .join(t, t.expense_id == e.id)
        .where(e.company_id == company_id, *_scoped(e.expensable_id, company_id, f))
        .group_by(e.id)
        .subquery("tax_totals")
    )


def _cost_center_table(company_id: int, f: Filters, dialect: str) -> Any:
    """Per expensable: (id, codes joined with ``|`` in the claim's order, the share when there is one)."""
    ecc = aliased(ExpensableCostCenter, name="ecc")
    cc = aliased(CostCenter, name="cc")
    xc = aliased(Expensable, name="xc")
    code = func.coalesce(cc.code, cc.name)
    rows = (
        select(
            ecc.expensable_id.label("expensable_id"),
            code.label("code"),
            ecc.percentage.label("percentage"),
            ecc.position.label("position"),
            ecc.cost_center_id.label("cost_center_id"),
        )
        .join(cc, and_(cc.id == ecc.cost_center_id, cc.company_id == company_id))
        .join(xc, and_(xc.id == ecc.expensable_id, xc.company_id == company_id))
        .where(*_scoped(ecc.expensable_id, company_id, f))
    )
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        src = rows.subquery("ccs")
        codes = func.string_agg(
            src.c.code, aggregate_order_by(_str("|"), src.c.position, src.c.cost_center_id)
        )
    else:
        # SQLite 3.40 has no ORDER BY inside aggregates: group_concat follows the order of the ordered rows.
        src = rows.order_by(ecc.expensable_id, ecc.position, ecc.cost_center_id).subquery("ccs")
        codes = func.group_concat(src.c.code, _str("|"))
    share = case((func.count() == 1, decimal_text(func.max(src.c.percentage), dialect)))
    return (
        select(src.c.expensable_id.label("expensable_id"), codes.label("codes"), share.label("share"))
        .group_by(src.c.expensable_id)
        .subquery("cost_center_codes")
    )


def _first_receipt(company_id: int, dialect: str) -> Any:
    """``"document id:sha256"`` of the row's first receipt (a correlated subquery), else NULL."""
    ef = aliased(ExpenseFile, name="ef")
    d = aliased(Document, name="d")
    return (
        select(_cat(d.id.cast(String()), _str(":"), d.blob_sha256))
        .select_from(ef)
        .join(d, _live_receipt(ef, d, company_id))
        .where(ef.expense_id == ex.id, ef.company_id == company_id)
        .order_by(*_receipt_order(ef, d))
        .limit(1)
        .correlate(ex)
        .scalar_subquery()
    )


def _join_aggregates(stmt: Select[Any], tax_table: Any, cc_table: Any) -> Select[Any]:
    """Join the per-claim aggregates (derived tables, one row per claim) by id."""
    if tax_table is not None:
        stmt = stmt.outerjoin(tax_table, tax_table.c.expense_id == ex.id)
    if cc_table is not None:
        stmt = stmt.outerjoin(cc_table, cc_table.c.expensable_id == x.id)
    return stmt


def csv_lines_query(
    dataset: str,
    company_id: int,
    f: Filters,
    columns: Sequence[TextColumn],
    *,
    delimiter: str,
    receipts: bool,
    dialect: str,
    raw: bool = False,
) -> tuple[Select[Any], LineLayout]:
    """One CSV line per row, rendered by the database (RFC 4180 quoting, money in major units).

    Row: ``(line, amount, currency, updated_at, [fx offset, rate, base currency], [receipt offset,
    receipt])``. The line is complete except where Python must fill a field in: a ``base_amount`` in
    another currency than the legal entity's (exact FX conversion, half-even) and, when ``receipts``, a
    receipt URL (signed). Those fields are empty in the line and their character offset is given beside it.

    SQL does not share common subexpressions, so each value is referred to as few times as possible: one
    pattern test before quoting, one printf/concat call for the line.

    ``raw``: the same query with each column's value as the database holds it, one SQL column per export
    column and no text rendering (the baseline of ``bench/export.py``: the database's own dump).
    """
    ds = _DATASETS[dataset]
    spec = DATASET_FILTERS[dataset]
    fields = ds.fields(company_id, dialect)
    cond, where_joins = ds.where(company_id, f)
    needed: set[str] = set(where_joins)
    names = {c.name for c in columns if c.name}
    tax_table = cc_table = None
    aggregates: dict[str, Any] = {}
    if names & {"tax_amount", "tax_base_amount", "tax_rate"}:
        needed.add("ex")
        tax_table = _tax_totals_table(company_id, f, dialect)
        aggregates.update(
            tax_amount=tax_table.c.amount, tax_base_amount=tax_table.c.base, tax_rate=tax_table.c.rate
        )
    if names & {"cost_center", "cost_center_share"}:
        cc_table = _cost_center_table(company_id, f, dialect)
        aggregates.update(cost_center=cc_table.c.codes, cost_center_share=cc_table.c.share)

    # Stage 1: every value the lines need, by name.
    inputs: dict[str, Any] = {}

    def need(name: str) -> None:
        if name in inputs:
            return
        if name in aggregates:
            inputs[name] = aggregates[name]
        else:
            expr, joins = fields[name]
            needed.update(joins)
            inputs[name] = expr

    for col in columns:
        if col.name is not None and col.name not in ("receipt_url", "base_amount"):
            need(col.name)
            if col.currency:
                need(col.currency)
    fx = "base_amount" in names
    if fx:
        for name in ("document_amount", "currency", "base_currency", "exchange_rate"):
            need(name)
    for name in (spec.id_column, spec.amount_column, spec.currency_column, "updated_at"):
        need(name)
    with_receipts = receipts and "receipt_url" in names
    if with_receipts:
        needed.add("ex")
        inputs["receipt"] = _first_receipt(company_id, dialect)

    def joined(stmt: Select[Any]) -> Select[Any]:
        for join in ds.join_order:
            if join in needed:
                stmt = ds.join(stmt, join, company_id, dialect)
        return _join_aggregates(stmt, tax_table, cc_table).where(*cond)

    if raw:
        raws: list[Any] = []
        for col in columns:
            if col.name is None:
                raws.append(_str(col.constant))
            elif col.name == "receipt_url":
                raws.append(_str(""))
            elif col.name == "base_amount":
                same = inputs["currency"] == inputs["base_currency"]
                raws.append(case((same, inputs["document_amount"])))
            else:
                raws.append(inputs[col.name])
        stmt = select(*(r.label(f"c{n}") for n, r in enumerate(raws))).select_from(ds.base)
        return joined(stmt).order_by(ds.base.id), LineLayout(fx=False, receipts=False)

    value = inputs

    # Stage 2: the line, one cell per column.
    cells: list[Any] = []
    fx_index = rc_index = -1
    for n, col in enumerate(columns):
        if col.name is None:
            cells.append(_str(col.constant))
            continue
        if col.name == "receipt_url":
            rc_index = n
            cells.append(_str(""))
            continue
        if col.name == "base_amount":
            fx_index = n
            same = value["currency"] == value["base_currency"]
            text_value: Any = case(
                (same, money_text(value["document_amount"], value["base_currency"], dialect))
            )
        elif col.kind == "money":
            currency = value[col.currency] if col.currency else null()
            text_value = money_text(value[col.name], currency, dialect)
        elif col.kind in ("id", "int"):
            # printf and concat write integers as text; PostgreSQL's text functions need the cast.
            text_value = value[col.name].cast(String()) if dialect == "postgresql" else value[col.name]
        elif col.kind == "bool":
            flag = value[col.name]
            text_value = case((flag.is_(None), null()), (flag, _str("true")), else_=_str("false"))
        else:
            text_value = type_coerce(value[col.name], String())
        if col.kind in ("money", "rate") and col.decimal_separator != ".":
            text_value = func.replace(text_value, _str("."), _str(col.decimal_separator))
        if col.max_length is not None and col.kind not in ("id", "int"):  # as Python: numbers stay whole
            text_value = func.substr(type_coerce(text_value, String()), 1, col.max_length)
        alphabet = _KIND_ALPHABET.get(col.kind)
        if col.kind in ("money", "rate"):
            alphabet = "-." + col.decimal_separator
        if alphabet is not None and not set(alphabet) & {delimiter, '"', _CR, _LF}:
            cells.append(text_value)
        else:
            cells.append(_csv_quoted(text_value, delimiter, dialect))

    def line_of(parts: Sequence[Any]) -> Any:
        return _joined(parts, delimiter, dialect)

    def offset(index: int) -> Any:
        return func.length(line_of([*cells[:index], _str("")])) if index else literal(0)

    selected: list[Any] = [
        line_of(cells).label("line"),
        value[spec.amount_column].label("amount"),
        value[spec.currency_column].label("currency"),
        value["updated_at"].label("updated_at"),
    ]
    if fx:
        convert = and_(value["currency"] != value["base_currency"], value["exchange_rate"].is_not(None))
        selected += [
            case((convert, offset(fx_index))).label("fx_at"),
            case((convert, value["exchange_rate"])).label("fx_rate"),
            case((convert, value["base_currency"])).label("fx_base"),
        ]
    if with_receipts:
        selected += [
            case((value["receipt"].is_not(None), offset(rc_index))).label("rc_at"),
            value["receipt"].label("rc"),
        ]
    return joined(select(*selected).select_from(ds.base)).order_by(ds.base.id), LineLayout(
        fx=fx, receipts=with_receipts
    )


def stream_lines(
    session: Session, stmt: Select[Any], layout: LineLayout, batch_size: int
) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of a :func:`csv_lines_query` in batches.

    PostgreSQL: through ``COPY (...) TO STDOUT`` on the session's own connection (same transaction), which
    streams without a cursor and lets the server plan the query as a whole, in parallel when it can (a
    cursor's plan never is). SQLite: the cursor, as :func:`stream`.
    """
    if dialect_of(session) == "postgresql":
        yield from _copy_lines(session, stmt, layout, batch_size)
        return
    # The DBAPI cursor itself: these rows need no type processing, and SQLAlchemy's row objects would
    # cost more than the rest of the Python side of the export.
    result = session.connection().execute(stmt)
    cursor = result.cursor
    try:
        while rows := cursor.fetchmany(batch_size):
            yield rows
    finally:
        result.close()


def _copy_lines(
    session: Session, stmt: Select[Any], layout: LineLayout, batch_size: int
) -> Iterator[list[list[Any]]]:
    conn = session.connection()
    sql = stmt.compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}
    )
    ints, texts = layout.integer_columns, layout.nullable_text_columns
    pg = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
    batch: list[list[Any]] = []
    # Text format with NULL as the empty string: a line is never empty, the other columns are numbers,
    # codes or NULL; only a backslash, tab, CR or LF inside a value is escaped (rare: decoded below).
    # The compiled text doubles every "%" for psycopg's placeholder syntax, which COPY without parameters
    # does not use: undo it (with literal values there is no placeholder left to confuse).
    statement = f"COPY ({str(sql).replace('%%', '%')}) TO STDOUT WITH (FORMAT text, NULL '')"
    with pg.cursor() as cur, cur.copy(statement) as copy:
        for data in copy:
            text_row = bytes(data).decode("utf-8")
            row: list[Any] = text_row[:-1].split("\t")
            if "\\" in text_row:
                row = [_COPY_ESCAPE.sub(_unescape, v) for v in row]
            for i in ints:
                row[i] = int(row[i]) if row[i] else None
            for i in texts:
                row[i] = row[i] or None
            batch.append(row)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


_COPY_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


_COPY_CODES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(m: re.Match[str]) -> str:
    return _COPY_CODES.get(m.group(1), m.group(1))
