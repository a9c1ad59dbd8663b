"""SQL of the exports domain: streaming export queries, report views, reports, schedules, checkpoints.

Export rows never become ORM objects: each query is a SQLAlchemy Core SELECT of plain columns,
streamed in batches (server-side cursor on PostgreSQL, ``yield_per``). Dates, timestamps and exact
decimals are formatted by the database itself into their canonical text (``YYYY-MM-DD``,
``YYYY-MM-DDTHH:MM:SS.sssZ``, ``12.5``), identically on SQLite and PostgreSQL, so Python only
formats money. Every query is scoped by company.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    delete,
    func,
    literal,
    null,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased

if TYPE_CHECKING:
    import psycopg

from expensehub.db.sql import add as add  # re-exported: services insert through their repository
from expensehub.exports.columns import CARD_PAYMENT_COLUMNS, DATASET_FILTERS, TRANSACTION_COLUMNS
from expensehub.kit.money import EXPONENTS
from expensehub.models import (
    Account,
    Category,
    Company,
    CostCenter,
    Employee,
    Expensable,
    ExpensableCostCenter,
    Expense,
    ExpenseTax,
    LedgerAccountResource,
    LegalEntity,
    Mileage,
    PerDiem,
    Project,
)
from expensehub.models.banking import BankAccount, BankTransaction, Card, CardPayment
from expensehub.models.documents import Document, ExpenseFile
from expensehub.models.exports import ExportCheckpoint, ReportDefinition, ReportRun

# --------------------------------------------------------------------------------------------------
# Canonical text of dates, timestamps and decimals, made by the database
# --------------------------------------------------------------------------------------------------


def ts_text(col: Any, dialect: str) -> ColumnElement[Any]:
    """A timestamp as ``YYYY-MM-DDTHH:MM:SS.sssZ`` (UTC, milliseconds truncated, as ``format_ts``)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", col), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    raw = type_coerce(col, String())
    # SQLAlchemy stores SQLite timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): cut, do not round.
    cut = (
        type_coerce(func.substr(raw, 1, 10), String())
        .op("||")(literal("T", String()))
        .op("||")(func.substr(raw, 12, 12))
        .op("||")(literal("Z", String()))
    )
    return case((func.length(raw) >= 23, cut), else_=func.strftime("%Y-%m-%dT%H:%M:%fZ", raw))


def date_text(col: Any, dialect: str) -> ColumnElement[Any]:
    """A date as ``YYYY-MM-DD``."""
    if dialect == "postgresql":
        return func.to_char(col, "YYYY-MM-DD")
    return type_coerce(col, String())


def decimal_text(col: Any, dialect: str) -> ColumnElement[Any]:
    """An exact decimal as its shortest text (``1.5``, ``0``, ``100``).

    NUMERIC on PostgreSQL (``trim_scale``), canonical text already on SQLite (``db.types.ExactDecimal``).
    """
    if dialect == "postgresql":
        return type_coerce(func.trim_scale(col), String()).cast(String())
    return type_coerce(col, String())


# --------------------------------------------------------------------------------------------------
# Datasets: expenses, card payments, bank transactions
# --------------------------------------------------------------------------------------------------

x = aliased(Expensable, name="x")
ex = aliased(Expense, name="ex")
mi = aliased(Mileage, name="mi")
pd = aliased(PerDiem, name="pd")
emp = aliased(Employee, name="emp")
le = aliased(LegalEntity, name="le")
cat = aliased(Category, name="cat")
prj = aliased(Project, name="prj")
own_acc = aliased(Account, name="own_acc")
cat_map = aliased(LedgerAccountResource, name="cat_map")
cat_acc = aliased(Account, name="cat_acc")
parent_map = aliased(LedgerAccountResource, name="parent_map")
parent_acc = aliased(Account, name="parent_acc")
cp = aliased(CardPayment, name="cp")
card = aliased(Card, name="card")
ba = aliased(BankAccount, name="ba")
tx = aliased(BankTransaction, name="tx")


@dataclass(frozen=True)
class Filters:
    """What an export selects. Dates are inclusive at both ends; ``updated_since`` is inclusive,
    ``updated_after`` (the checkpoint of an incremental export) strict. ``None`` means no filter.
    """

    date_from: date | None = None
    date_to: date | None = None
    statuses: Sequence[str] | None = None
    types: Sequence[str] | None = None
    employee_ids: Sequence[int] | None = None
    legal_entity_ids: Sequence[int] | None = None
    updated_since: datetime | None = None
    updated_after: datetime | None = None


Fields = dict[str, tuple[Any, tuple[str, ...]]]
# A company id, or an SQL expression giving one (the PostgreSQL report views look it up per session).
CompanyRef = int | ColumnElement[Any]


def _expense_fields(company_id: CompanyRef, dialect: str) -> Fields:
    """Source fields of the expenses dataset: SQL expression and the joins it needs."""

    def ts(col: Any) -> Any:
        return ts_text(col, dialect)

    def dt(col: Any) -> Any:
        return date_text(col, dialect)

    def dec(col: Any) -> Any:
        return decimal_text(col, dialect)

    # Same currency as the legal entity: 1, whatever is stored; else the expense's own rate.
    rate = case(
        (x.currency == le.currency, literal("1", String())),
        (x.type == "expense", dec(ex.exchange_rate)),
        else_=null(),
    )
    return {
        "expensable_id": (x.id, ()),
        "detail_id": (func.coalesce(ex.id, mi.id, pd.id), ("ex", "mi", "pd")),
        "type": (x.type, ()),
        "effective_on": (dt(x.effective_on), ()),
        "employee_id": (x.employee_id, ()),
        "employee_name": (emp.first_name + " " + emp.last_name, ("emp",)),
        "employee_identifier": (emp.company_identifier, ("emp",)),
        "employee_email": (emp.email, ("emp",)),
        "legal_entity_id": (x.legal_entity_id, ()),
        "legal_entity_name": (le.legal_name, ("le",)),
        "merchant": (func.coalesce(ex.user_merchant, ex.merchant_name), ("ex",)),
        "description": (x.description, ()),
        "category_id": (x.category_id, ()),
        "category": (func.coalesce(cat.label, cat.default_label), ("cat",)),
        "subcategory": (x.subcategory, ()),
        "document_amount": (x.amount, ()),
        "reimbursable_amount": (x.reimbursable_amount, ()),
        "currency": (x.currency, ()),
        "reimbursable_currency": (x.reimbursable_currency, ()),
        "exchange_rate": (rate, ("ex", "le")),
        "base_currency": (le.currency, ("le",)),
        "approval_status": (x.status, ()),
        "accounting_account_code": (
            func.coalesce(own_acc.number, cat_acc.number, parent_acc.number),
            ("cat", "acct"),
        ),
        "project_id": (x.project_id, ()),
        "project_code": (prj.code, ("prj",)),
        "project_name": (prj.name, ("prj",)),
        "card_last4": (ex.card_last4, ("ex",)),
        "card_payment_id": (ex.card_payment_id, ("ex",)),
        "approved_at": (ts(x.approved_at), ()),
        "paid_at": (ts(x.paid_at), ()),
        "created_at": (ts(x.created_at), ()),
        "updated_at": (ts(x.updated_at), ()),
        "status_updated_at": (ts(x.status_updated_at), ()),
        "review_request_at": (ts(x.review_request_at), ()),
        "payment": (x.payment, ()),
        "reimbursement_method": (x.reimbursement_method, ()),
        "internal_reference": (x.internal_reference, ()),
        "merchant_tin": (ex.merchant_tin, ("ex",)),
        "reference": (ex.reference, ("ex",)),
        "document_number": (ex.document_number, ("ex",)),
        "document_id": (ex.document_id, ("ex",)),
        "creation_type": (
            case((x.type == "expense", ex.creation_type), else_=literal("manual", String())),
            ("ex",),
        ),
        "reporter_id": (x.reporter_id, ()),
        "group_id": (x.group_id, ()),
        "budget_id": (x.budget_id, ()),
        "duplicate_of_id": (x.duplicate_of_id, ()),
        "mileage_distance": (mi.distance, ("mi",)),
        "mileage_units": (mi.units, ("mi",)),
        "mileage_rate": (dec(mi.rate), ("mi",)),
        "origin": (func.coalesce(mi.origin, pd.origin), ("mi", "pd")),
        "destination": (func.coalesce(mi.destination, pd.destination), ("mi", "pd")),
        "per_diem_start_date": (dt(pd.start_date), ("pd",)),
        "per_diem_end_date": (dt(pd.end_date), ("pd",)),
        "trip_name": (pd.trip_name, ("pd",)),
        # The detail id of an expense, to look its receipts up.
        "expense_id": (ex.id, ("ex",)),
    }


def _expense_joins(stmt: Select[Any], join: str, company_id: CompanyRef, dialect: str) -> Select[Any]:
    if join == "ex":
        return stmt.outerjoin(ex, ex.expensable_id == x.id)
    if join == "mi":
        return stmt.outerjoin(mi, mi.expensable_id == x.id)
    if join == "pd":
        return stmt.outerjoin(pd, pd.expensable_id == x.id)
    if join == "emp":
        return stmt.outerjoin(emp, and_(emp.id == x.employee_id, emp.company_id == company_id))
    if join == "le":
        return stmt.outerjoin(le, and_(le.id == x.legal_entity_id, le.company_id == company_id))
    if join == "cat":
        return stmt.outerjoin(cat, and_(cat.id == x.category_id, cat.company_id == company_id))
    if join == "prj":
        return stmt.outerjoin(prj, and_(prj.id == x.project_id, prj.company_id == company_id))
    # acct: the claim's own account, else its category's mapping, else the parent category's.
    return (
        stmt.outerjoin(own_acc, and_(own_acc.id == x.ledger_account_id, own_acc.company_id == company_id))
        .outerjoin(
            cat_map,
            and_(
                cat_map.company_id == company_id,
                cat_map.legal_entity_id == x.legal_entity_id,
                cat_map.resource_type == "customcategory",
                cat_map.resource_id == x.category_id,
            ),
        )
        .outerjoin(cat_acc, and_(cat_acc.id == cat_map.account_id, cat_acc.company_id == company_id))
        .outerjoin(
            parent_map,
            and_(
                parent_map.company_id == company_id,
                parent_map.legal_entity_id == x.legal_entity_id,
                parent_map.resource_type == "customcategory",
                parent_map.resource_id == cat.parent_category_id,
            ),
        )
        .outerjoin(
            parent_acc, and_(parent_acc.id == parent_map.account_id, parent_acc.company_id == company_id)
        )
    )


def _expense_where(
    company_id: CompanyRef, f: Filters, on: Any = x
) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
    cond: list[ColumnElement[bool]] = [on.company_id == company_id]
    if f.date_from is not None:
        cond.append(on.effective_on >= f.date_from)
    if f.date_to is not None:
        cond.append(on.effective_on <= f.date_to)
    if f.statuses is not None:
        cond.append(on.status.in_(list(f.statuses)))
    if f.types is not None:
        cond.append(on.type.in_(list(f.types)))
    if f.employee_ids is not None:
        cond.append(on.employee_id.in_(list(f.employee_ids)))
    if f.legal_entity_ids is not None:
        cond.append(on.legal_entity_id.in_(list(f.legal_entity_ids)))
    if f.updated_since is not None:
        cond.append(on.updated_at >= f.updated_since)
    if f.updated_after is not None:
        cond.append(on.updated_at > f.updated_after)
    return cond, ()


def _card_payment_fields(company_id: CompanyRef, dialect: str) -> Fields:
    def ts(col: Any) -> Any:
        return ts_text(col, dialect)

    first_expense = (
        select(func.min(Expense.id))
        .where(Expense.company_id == company_id, Expense.card_payment_id == cp.id)
        .correlate(cp)
        .scalar_subquery()
    )
    first_expensable = (
        select(Expense.expensable_id)
        .where(Expense.company_id == company_id, Expense.card_payment_id == cp.id)
        .order_by(Expense.id)
        .limit(1)
        .correlate(cp)
        .scalar_subquery()
    )
    first_transaction = (
        select(func.min(BankTransaction.id))
        .where(BankTransaction.company_id == company_id, BankTransaction.card_payment_id == cp.id)
        .correlate(cp)
        .scalar_subquery()
    )
    return {
        "card_payment_id": (cp.id, ()),
        "bank_account_id": (cp.bank_account_id, ()),
        "legal_entity_id": (ba.legal_entity_id, ("ba",)),
        "card_id": (cp.card_id, ()),
        "card_last4": (card.last4, ("card",)),
        "card_type": (card.card_type, ("card",)),
        "employee_id": (card.employee_id, ("card",)),
        "employee_name": (emp.first_name + " " + emp.last_name, ("card", "emp")),
        "external_id": (cp.external_id, ()),
        "amount": (cp.amount_cents, ()),
        "currency": (cp.currency, ()),
        "merchant_name": (cp.merchant_name, ()),
        "merchant_amount": (cp.merchant_amount_cents, ()),
        "merchant_currency": (cp.merchant_currency, ()),
        "exchange_rate": (decimal_text(cp.exchange_rate, dialect), ()),
        "approved": (cp.approved, ()),
        "status": (cp.status, ()),
        "type": (cp.type, ()),
        "rejected_reason": (cp.rejected_reason, ()),
        "external_created_at": (ts(cp.external_created_at), ()),
        "created_at": (ts(cp.created_at), ()),
        "updated_at": (ts(cp.updated_at), ()),
        "expense_id": (first_expense, ()),
        "expensable_id": (first_expensable, ()),
        "transaction_id": (first_transaction, ()),
    }


def _card_payment_joins(stmt: Select[Any], join: str, company_id: CompanyRef, dialect: str) -> Select[Any]:
    if join == "ba":
        return stmt.outerjoin(ba, and_(ba.id == cp.bank_account_id, ba.company_id == company_id))
    if join == "card":
        return stmt.outerjoin(card, and_(card.id == cp.card_id, card.company_id == company_id))
    return stmt.outerjoin(emp, and_(emp.id == card.employee_id, emp.company_id == company_id))


def _day_bounds(f: Filters) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(f.date_from, time(0), tzinfo=UTC) if f.date_from is not None else None
    end = (
        datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=UTC)
        if f.date_to is not None
        else None
    )
    return start, end


def _card_payment_where(
    company_id: CompanyRef, f: Filters
) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
    cond: list[ColumnElement[bool]] = [cp.company_id == company_id]
    joins: list[str] = []
    start, end = _day_bounds(f)
    if start is not None:
        cond.append(cp.external_created_at >= start)
    if end is not None:
        cond.append(cp.external_created_at < end)
    if f.statuses is not None:
        cond.append(cp.status.in_(list(f.statuses)))
    if f.types is not None:
        cond.append(cp.type.in_(list(f.types)))
    if f.employee_ids is not None:
        cond.append(card.employee_id.in_(list(f.employee_ids)))
        joins.append("card")
    if f.legal_entity_ids is not None:
        cond.append(ba.legal_entity_id.in_(list(f.legal_entity_ids)))
        joins.append("ba")
    if f.updated_since is not None:
        cond.append(cp.updated_at >= f.updated_since)
    if f.updated_after is not None:
        cond.append(cp.updated_at > f.updated_after)
    return cond, tuple(joins)


def _transaction_fields(company_id: CompanyRef, dialect: str) -> Fields:
    def ts(col: Any) -> Any:
        return ts_text(col, dialect)

    return {
        "transaction_id": (tx.id, ()),
        "bank_account_id": (tx.bank_account_id, ()),
        "legal_entity_id": (ba.legal_entity_id, ("ba",)),
        "bank_account_name": (func.coalesce(ba.account_alias, ba.bank_name), ("ba",)),
        "iban": (ba.iban, ("ba",)),
        "card_payment_id": (tx.card_payment_id, ()),
        "external_id": (tx.external_id, ()),
        "amount": (tx.amount_cents, ()),
        "currency": (tx.currency, ()),
        "type": (tx.type, ()),
        "description": (tx.description, ()),
        "balance_after": (tx.balance_after_cents, ()),
        "booking_date": (ts(tx.booking_date), ()),
        "value_date": (ts(tx.value_date), ()),
        "created_at": (ts(tx.created_at), ()),
        "updated_at": (ts(tx.updated_at), ()),
    }


def _transaction_joins(stmt: Select[Any], join: str, company_id: CompanyRef, dialect: str) -> Select[Any]:
    return stmt.outerjoin(ba, and_(ba.id == tx.bank_account_id, ba.company_id == company_id))


def _transaction_where(
    company_id: CompanyRef, f: Filters
) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
    cond: list[ColumnElement[bool]] = [tx.company_id == company_id]
    joins: list[str] = []
    start, end = _day_bounds(f)
    if start is not None:
        cond.append(tx.booking_date >= start)
    if end is not None:
        cond.append(tx.booking_date < end)
    if f.types is not None:
        cond.append(tx.type.in_(list(f.types)))
    if f.legal_entity_ids is not None:
        cond.append(ba.legal_entity_id.in_(list(f.legal_entity_ids)))
        joins.append("ba")
    if f.updated_since is not None:
        cond.append(tx.updated_at >= f.updated_since)
    if f.updated_after is not None:
        cond.append(tx.updated_at > f.updated_after)
    return cond, tuple(joins)


@dataclass(frozen=True)
class _Dataset:
    base: Any
    fields: Callable[[CompanyRef, str], Fields]
    join_order: tuple[str, ...]
    join: Callable[[Select[Any], str, CompanyRef, str], Select[Any]]
    where: Callable[[CompanyRef, Filters], tuple[list[ColumnElement[bool]], tuple[str, ...]]]
    amount: str
    currency: str


_DATASETS: dict[str, _Dataset] = {
    "expenses": _Dataset(
        x,
        _expense_fields,
        ("ex", "mi", "pd", "emp", "le", "cat", "prj", "acct"),
        _expense_joins,
        _expense_where,
        "amount",
        "currency",
    ),
    "card_payments": _Dataset(
        cp,
        _card_payment_fields,
        ("ba", "card", "emp"),
        _card_payment_joins,
        _card_payment_where,
        "amount_cents",
        "currency",
    ),
    "transactions": _Dataset(
        tx, _transaction_fields, ("ba",), _transaction_joins, _transaction_where, "amount_cents", "currency"
    ),
}


def source_fields(dataset: str) -> frozenset[str]:
    """Names of the fields the database computes for ``dataset``."""
    return frozenset(_DATASETS[dataset].fields(0, "sqlite"))


def rows_query(
    dataset: str, company_id: CompanyRef, f: Filters, fields: Sequence[str], dialect: str
) -> Select[Any]:
    """SELECT of ``fields`` (source field names, in that order) for the dataset's filtered rows, by id."""
    ds = _DATASETS[dataset]
    catalogue = ds.fields(company_id, dialect)
    cond, where_joins = ds.where(company_id, f)
    needed: set[str] = set(where_joins)
    exprs = []
    for name in fields:
        expr, joins = catalogue[name]
        needed.update(joins)
        exprs.append(expr.label(name))
    stmt: Select[Any] = select(*exprs).select_from(ds.base)
    for join in ds.join_order:
        if join in needed:
            stmt = ds.join(stmt, join, company_id, dialect)
    return stmt.where(*cond).order_by(ds.base.id)


def count_rows(session: Session, dataset: str, company_id: int, f: Filters) -> int:
    """Rows the filters select (for progress bars)."""
    dialect = dialect_of(session)
    ds = _DATASETS[dataset]
    cond, joins = ds.where(company_id, f)
    stmt: Select[Any] = select(func.count()).select_from(ds.base)
    for join in ds.join_order:
        if join in joins:
            stmt = ds.join(stmt, join, company_id, dialect)
    return int(session.scalar(stmt.where(*cond)) or 0)


def currency_totals(session: Session, dataset: str, company_id: int, f: Filters) -> dict[str, int]:
    """Sum of the dataset's amount per currency over the filtered rows (what an export must add up to)."""
    ds = _DATASETS[dataset]
    cond, joins = ds.where(company_id, f)
    amount = getattr(ds.base, ds.amount)
    currency = getattr(ds.base, ds.currency)
    stmt: Select[Any] = select(currency, func.sum(amount)).select_from(ds.base)
    for join in ds.join_order:
        if join in joins:
            stmt = ds.join(stmt, join, company_id, dialect_of(session))
    stmt = stmt.where(*cond).group_by(currency).order_by(currency)
    return {cur: int(total or 0) for cur, total in session.execute(stmt)}


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def stream(session: Session, stmt: Select[Any], batch_size: int) -> Iterator[Sequence[Any]]:
    """Run ``stmt`` and yield its rows in lists of ``batch_size``, never all at once.

    ``yield_per`` streams: a server-side cursor on PostgreSQL (the per-batch lookups run on the same
    connection between batches), a lazily stepped cursor on SQLite.
    """
    conn = session.connection()
    result = conn.execute(stmt.execution_options(yield_per=batch_size))
    try:
        yield from result.partitions(batch_size)
    finally:
        result.close()


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


def side_query(kind: str, company_id: int, f: Filters, dialect: str) -> Select[Any]:
    """Per-claim details of the filtered expensables, ordered by expensable id (merged with the rows).

    * ``taxes``: (expensable id, tax amount, taxable base, rate as text), one row per tax line;
    * ``cost_centers``: (expensable id, code or name, share as text), in the claim's order;
    * ``receipts``: (expensable id, document id, blob sha256), receipts in order, not deleted.

    One ordered query per kind for the whole export, streamed beside the main query: a range lookup per
    batch let PostgreSQL re-scan every tax line of the company for each batch (hash join), 25 s at 1M.
    """
    cond, _ = _expense_where(company_id, f)
    if kind == "taxes":
        stmt = (
            select(
                x.id, ExpenseTax.amount, ExpenseTax.base_amount, decimal_text(ExpenseTax.percentage, dialect)
            )
            .select_from(x)
            .join(Expense, and_(Expense.expensable_id == x.id, Expense.company_id == company_id))
            .join(ExpenseTax, ExpenseTax.expense_id == Expense.id)
            .order_by(x.id, ExpenseTax.id)
        )
    elif kind == "cost_centers":
        stmt = (
            select(
                x.id,
                func.coalesce(CostCenter.code, CostCenter.name),
                decimal_text(ExpensableCostCenter.percentage, dialect),
            )
            .select_from(x)
            .join(ExpensableCostCenter, ExpensableCostCenter.expensable_id == x.id)
            .join(
                CostCenter,
                and_(
                    CostCenter.id == ExpensableCostCenter.cost_center_id, CostCenter.company_id == company_id
                ),
            )
            .order_by(x.id, ExpensableCostCenter.position, ExpensableCostCenter.cost_center_id)
        )
    else:
        stmt = (
            select(x.id, Document.id, Document.blob_sha256)
            .select_from(x)
            .join(Expense, and_(Expense.expensable_id == x.id, Expense.company_id == company_id))
            .join(
                ExpenseFile, and_(ExpenseFile.expense_id == Expense.id, ExpenseFile.company_id == company_id)
            )
            .join(Document, _live_receipt(ExpenseFile, Document, company_id))
            .order_by(x.id, *_receipt_order(ExpenseFile, Document))
        )
    return stmt.where(*cond)


# --------------------------------------------------------------------------------------------------
# Companies (CLI defaults)
# --------------------------------------------------------------------------------------------------


def company_ids(session: Session, limit: int = 2) -> list[int]:
    return list(session.scalars(select(Company.id).order_by(Company.id).limit(limit)))


def company_exists(session: Session, company_id: int) -> bool:
    return session.get(Company, company_id) is not None


# --------------------------------------------------------------------------------------------------
# Report views: the rows of one company that report SQL may read (run by exports/sandbox.py)
# --------------------------------------------------------------------------------------------------


def report_view_selects(company_id: CompanyRef, dialect: str) -> dict[str, Select[Any]]:
    """The SELECT of each report view, keeping the rows of ``company_id`` (a number, or an SQL expression
    such as the PostgreSQL views' lookup of the company by backend pid; exports/sandbox.py)."""
    fields = [
        "expensable_id",
        "detail_id",
        "type",
        "effective_on",
        "employee_id",
        "employee_name",
        "employee_identifier",
        "legal_entity_id",
        "legal_entity_name",
        "merchant",
        "description",
        "category_id",
        "category",
        "subcategory",
        "document_amount",
        "currency",
        "reimbursable_amount",
        "reimbursable_currency",
        "exchange_rate",
        "base_currency",
        "approval_status",
        "payment",
        "accounting_account_code",
        "project_id",
        "project_code",
        "card_last4",
        "card_payment_id",
        "document_id",
        "creation_type",
        "approved_at",
        "paid_at",
        "created_at",
        "updated_at",
    ]
    expensables = rows_query("expenses", company_id, Filters(), fields, dialect).order_by(None)
    cost_centers = (
        select(
            ExpensableCostCenter.expensable_id.label("expensable_id"),
            CostCenter.id.label("cost_center_id"),
            CostCenter.code.label("cost_center_code"),
            CostCenter.name.label("cost_center_name"),
            decimal_text(ExpensableCostCenter.percentage, dialect).label("share"),
            ExpensableCostCenter.position.label("position"),
        )
        .join(Expensable, Expensable.id == ExpensableCostCenter.expensable_id)
        .join(CostCenter, CostCenter.id == ExpensableCostCenter.cost_center_id)
        .where(Expensable.company_id == company_id, CostCenter.company_id == company_id)
    )
    taxes = (
        select(
            Expense.expensable_id.label("expensable_id"),
            ExpenseTax.expense_id.label("expense_id"),
            ExpenseTax.type.label("type"),
            ExpenseTax.amount.label("amount"),
            decimal_text(ExpenseTax.percentage, dialect).label("rate"),
            ExpenseTax.base_amount.label("base_amount"),
        )
        .join(Expense, Expense.id == ExpenseTax.expense_id)
        .where(Expense.company_id == company_id)
    )
    employees = select(
        Employee.id.label("employee_id"),
        Employee.first_name.label("first_name"),
        Employee.last_name.label("last_name"),
        Employee.email.label("email"),
        Employee.company_identifier.label("employee_identifier"),
        Employee.legal_entity_id.label("legal_entity_id"),
        Employee.manager_id.label("manager_id"),
        date_text(Employee.terminated_on, dialect).label("terminated_on"),
    ).where(Employee.company_id == company_id)
    return {
        "report_expensables": expensables,
        "report_cost_centers": cost_centers,
        "report_taxes": taxes,
        "report_employees": employees,
        # Card payments and bank transactions, with the expense and transaction they reconcile with.
        "report_card_payments": rows_query(
            "card_payments", company_id, Filters(), [c.name for c in CARD_PAYMENT_COLUMNS], dialect
        ).order_by(None),
        "report_transactions": rows_query(
            "transactions", company_id, Filters(), [c.name for c in TRANSACTION_COLUMNS], dialect
        ).order_by(None),
    }


REPORT_VIEWS: tuple[str, ...] = (
    "report_expensables",
    "report_cost_centers",
    "report_taxes",
    "report_employees",
    "report_card_payments",
    "report_transactions",
)


# --------------------------------------------------------------------------------------------------
# Reports, runs, schedules, checkpoints
# --------------------------------------------------------------------------------------------------


def get_report(session: Session, *, company_id: int, report_id: int) -> ReportDefinition | None:
    return session.scalars(
        select(ReportDefinition).where(
            ReportDefinition.company_id == company_id, ReportDefinition.id == report_id
        )
    ).first()


def get_report_by_name(session: Session, *, company_id: int, name: str) -> ReportDefinition | None:
    return session.scalars(
        select(ReportDefinition).where(
            ReportDefinition.company_id == company_id, ReportDefinition.name == name
        )
    ).first()


def list_reports(session: Session, *, company_id: int) -> list[ReportDefinition]:
    return list(
        session.scalars(
            select(ReportDefinition)
            .where(ReportDefinition.company_id == company_id)
            .order_by(ReportDefinition.id)
        )
    )


def delete_report(session: Session, report: ReportDefinition) -> None:
    session.execute(delete(ReportRun).where(ReportRun.report_id == report.id))
    session.delete(report)
    session.flush()


def due_report_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Ids of enabled, scheduled reports whose next run is due, oldest first.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``: two workers never pick the same one.
    """
    stmt = (
        select(ReportDefinition.id)
        .where(
            ReportDefinition.enabled.is_(True),
            ReportDefinition.schedule.is_not(None),
            ReportDefinition.next_run_at.is_not(None),
            ReportDefinition.next_run_at <= now,
        )
        .order_by(ReportDefinition.next_run_at, ReportDefinition.id)
        .limit(limit)
    )
    if dialect_of(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def claim_report(session: Session, *, report_id: int, due_at: datetime, next_run_at: datetime | None) -> bool:
    """Move a due report's ``next_run_at`` on, only if nobody did it first (compare-and-set)."""
    result = session.execute(
        update(ReportDefinition)
        .where(ReportDefinition.id == report_id, ReportDefinition.next_run_at == due_at)
        .values(next_run_at=next_run_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def get_report_unscoped(session: Session, report_id: int) -> ReportDefinition | None:
    """A report by id, whatever its company (the worker acts for every company)."""
    return session.get(ReportDefinition, report_id)


def get_run(session: Session, run_id: int) -> ReportRun | None:
    return session.get(ReportRun, run_id)


def list_runs(session: Session, *, company_id: int, report_id: int, limit: int = 20) -> list[ReportRun]:
    return list(
        session.scalars(
            select(ReportRun)
            .where(ReportRun.company_id == company_id, ReportRun.report_id == report_id)
            .order_by(ReportRun.id.desc())
            .limit(limit)
        )
    )


def get_checkpoint(session: Session, *, company_id: int, dataset: str, name: str) -> ExportCheckpoint | None:
    return session.scalars(
        select(ExportCheckpoint).where(
            ExportCheckpoint.company_id == company_id,
            ExportCheckpoint.dataset == dataset,
            ExportCheckpoint.name == name,
        )
    ).first()


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


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


def _live_receipt(ef: Any, d: Any, company_id: int) -> ColumnElement[bool]:
    """An expense file's document, of the company and not in the trash."""
    return and_(d.id == ef.document_id, d.company_id == company_id, d.deleted_at.is_(None))


def _receipt_order(ef: Any, d: Any) -> tuple[Any, Any]:
    """Receipts in the expense's order; the first is the one ``receipt_url`` links."""
    return ef.position, d.id


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
