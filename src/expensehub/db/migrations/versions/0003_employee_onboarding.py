"""employees: bank details, termination reason, unique identifier and e-mail; projects: soft delete

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

* ``employees.bank_number``/``bank_number_format``/``swift_bic``: where reimbursements are paid
  (Factorial's employee bank details), ``termination_reason`` and ``timeoff_manager_id`` (null: the
  direct manager, as before). All nullable: existing employees have none.
* ``uq_employees_company_identifier`` and ``uq_employees_company_email`` (unique): the company's own
  employee identifier and the e-mail each name one employee of a company, which makes
  ``create_with_contract`` and ``expensehub employees import`` idempotent and race-free. NULLs never
  collide. A database holding two employees of one company with the same identifier or e-mail
  cannot take the index; the upgrade then stops before changing anything and names them, so that an
  administrator can decide which one keeps the value.
* ``projects.deleted_at``: soft delete (``project_management/projects/soft_delete``); the unique
  index of project codes becomes partial (projects not deleted), so a deleted project's code can be
  used again, as with cost centres.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import expensehub.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _refuse_duplicates(column: str) -> None:
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT company_id, {column}, COUNT(*) FROM employees WHERE {column} IS NOT NULL "
                f"GROUP BY company_id, {column} HAVING COUNT(*) > 1 ORDER BY company_id, {column}"
            )
        )
        .all()
    )
    if rows:
        listed = "; ".join(f"company {c}: {value!r} ({n} employees)" for c, value, n in rows[:10])
        raise RuntimeError(
            f"cannot make employees.{column} unique per company: {listed}. Give each employee its own "
            f"{column} (or clear it) and run the upgrade again"
        )


def upgrade() -> None:
    _refuse_duplicates("company_identifier")
    _refuse_duplicates("email")
    op.add_column("employees", sa.Column("termination_reason", sa.String(length=500), nullable=True))
    op.add_column("employees", sa.Column("bank_number", sa.String(length=64), nullable=True))
    op.add_column("employees", sa.Column("bank_number_format", sa.String(length=40), nullable=True))
    op.add_column("employees", sa.Column("swift_bic", sa.String(length=11), nullable=True))
    op.add_column(
        "employees",
        sa.Column("timeoff_manager_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    )
    op.create_index(
        "uq_employees_company_identifier", "employees", ["company_id", "company_identifier"], unique=True
    )
    op.create_index("uq_employees_company_email", "employees", ["company_id", "email"], unique=True)
    op.add_column(
        "projects",
        sa.Column("deleted_at", expensehub.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.drop_index("uq_projects_company_code", table_name="projects")
    op.create_index(
        "uq_projects_company_code",
        "projects",
        ["company_id", "code"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a batch rebuild: rebuilding drops the old
    # table, and with foreign keys on SQLite that cascades to the rows pointing at it.
    # Before this revision nothing is deleted: soft-deleted projects come back (expenses may point at
    # them, so they cannot go), without their codes, which a live project may hold again.
    op.execute("UPDATE projects SET code = NULL WHERE deleted_at IS NOT NULL")
    op.drop_index("uq_projects_company_code", table_name="projects")
    op.create_index("uq_projects_company_code", "projects", ["company_id", "code"], unique=True)
    op.drop_column("projects", "deleted_at")
    op.drop_index("uq_employees_company_email", table_name="employees")
    op.drop_index("uq_employees_company_identifier", table_name="employees")
    for column in (
        "timeoff_manager_id",
        "swift_bic",
        "bank_number_format",
        "bank_number",
        "termination_reason",
    ):
        op.drop_column("employees", column)
