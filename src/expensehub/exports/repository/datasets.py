"""The three export datasets (expenses, card payments, bank transactions): fields, joins, filters."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

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
)
from sqlalchemy.orm import Session, aliased

from expensehub.exports.repository.text import date_text, decimal_text, ts_text
from expensehub.models import (
    Account,
    Category,
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
    cond += _one_of(on.status, f.statuses)
    cond += _one_of(on.type, f.types)
    cond += _one_of(on.employee_id, f.employee_ids)
    cond += _one_of(on.legal_entity_id, f.legal_entity_ids)
    cond += _changed(on.updated_at, f)
    return cond, ()


def _one_of(column: Any, values: Sequence[Any] | None) -> list[ColumnElement[bool]]:
    """``column IN values``; nothing when the filter is not given (``None``)."""
    return [] if values is None else [column.in_(list(values))]


def _changed(updated_at: Any, f: Filters) -> list[ColumnElement[bool]]:
    """``updated_since`` (inclusive) and ``updated_after`` (strict: an incremental export's checkpoint)."""
    cond: list[ColumnElement[bool]] = []
    if f.updated_since is not None:
        cond.append(updated_at >= f.updated_since)
    if f.updated_after is not None:
        cond.append(updated_at > f.updated_after)
    return cond


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


def _on_days(moment: Any, f: Filters) -> list[ColumnElement[bool]]:
    """``moment`` within the days ``date_from``..``date_to`` (both inclusive, UTC)."""
    cond: list[ColumnElement[bool]] = []
    if f.date_from is not None:
        cond.append(moment >= datetime.combine(f.date_from, time(0), tzinfo=UTC))
    if f.date_to is not None:
        cond.append(moment < datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=UTC))
    return cond


def _card_payment_where(
    company_id: CompanyRef, f: Filters
) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
    cond: list[ColumnElement[bool]] = [cp.company_id == company_id]
    cond += _on_days(cp.external_created_at, f)
    cond += _one_of(cp.status, f.statuses)
    cond += _one_of(cp.type, f.types)
    cond += _one_of(card.employee_id, f.employee_ids)
    cond += _one_of(ba.legal_entity_id, f.legal_entity_ids)
    cond += _changed(cp.updated_at, f)
    joins: list[str] = []
    if f.employee_ids is not None:
        joins.append("card")
    if f.legal_entity_ids is not None:
        joins.append("ba")
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
    cond += _on_days(tx.booking_date, f)
    cond += _one_of(tx.type, f.types)
    cond += _one_of(ba.legal_entity_id, f.legal_entity_ids)
    cond += _changed(tx.updated_at, f)
    return cond, ("ba",) if f.legal_entity_ids is not None else ()


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


def _live_receipt(ef: Any, d: Any, company_id: int) -> ColumnElement[bool]:
    """An expense file's document, of the company and not in the trash."""
    return and_(d.id == ef.document_id, d.company_id == company_id, d.deleted_at.is_(None))


def _receipt_order(ef: Any, d: Any) -> tuple[Any, Any]:
    """Receipts in the expense's order; the first is the one ``receipt_url`` links."""
    return ef.position, d.id
