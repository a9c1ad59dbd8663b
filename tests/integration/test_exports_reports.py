"""Saved reports: templates and read-only SQL over the report views; bad input refused, nothing saved."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from expensehub.db.engine import transaction
from expensehub.errors import Conflict, NotFound, ValidationFailed
from expensehub.exports import service
from expensehub.exports.templates import load_template
from expensehub.models.exports import ReportDefinition
from tests.factories import Tenant, make_tenant
from tests.integration.test_exports_roundtrip import Data, build_dataset

BY_CURRENCY = (
    "SELECT currency, count(*) AS claims, sum(document_amount) AS total FROM report_expensables "
    "WHERE description IS NULL OR description NOT LIKE '%zzz%' GROUP BY currency ORDER BY currency"
)


@pytest.fixture
def data(session_factory: sessionmaker[Session], tenant: Tenant) -> Data:
    build_dataset(session_factory, make_tenant(session_factory, name="Other Reports Co"))
    return build_dataset(session_factory, tenant)


def report_count(factory: sessionmaker[Session], company_id: int) -> int:
    with transaction(factory) as s:
        return int(s.scalar(select(func.count()).where(ReportDefinition.company_id == company_id)) or 0)


def sql_rows(factory: sessionmaker[Session], company_id: int, sql: str, **kw: Any) -> list[dict[str, str]]:
    with transaction(factory) as s:
        engine = s.get_bind()
    stream = service.stream_sql_report(engine, company_id=company_id, sql=sql, fmt="csv", **kw)  # type: ignore[arg-type]
    return list(csv.DictReader(io.StringIO(b"".join(stream.chunks).decode(), newline="")))


def test_sql_over_the_views_sees_only_the_company(session_factory: sessionmaker[Session], data: Data) -> None:
    found = sql_rows(session_factory, data.company_id, BY_CURRENCY)
    assert [r["currency"] for r in found] == ["EUR", "GBP", "JPY", "KWD", "USD"]
    eur = next(r for r in found if r["currency"] == "EUR")
    assert (eur["claims"], eur["total"]) == ("5", str(10001 + 5000 + 1 + 260 + 3000))
    joined = sql_rows(
        session_factory,
        data.company_id,
        "SELECT e.expensable_id, c.cost_center_code, c.share, t.amount AS tax FROM report_expensables e "
        "JOIN report_cost_centers c ON c.expensable_id = e.expensable_id "
        "LEFT JOIN report_taxes t ON t.expensable_id = e.expensable_id ORDER BY e.expensable_id, c.position",
    )
    assert [(r["cost_center_code"], r["share"], r["tax"]) for r in joined][:3] == [
        ("CC-A", "0.5", "1736"),
        ("CC-B", "0.3", "1736"),
        ("", "0.2", "1736"),
    ]
    names = sql_rows(session_factory, data.company_id, "select count(*) as n from report_employees")
    assert names == [{"n": "3"}]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("delete from expensables", "sql_not_select"),
        ("update expensables set amount = 1", "sql_not_select"),
        ("with d as (delete from expensables returning id) select * from d", "sql_not_read_only"),
        ("select 1; select 2", "sql_multiple_statements"),
        ("select * into copy_of from report_expensables", "sql_not_read_only"),
        ("select * from report_expensables for update", "sql_not_read_only"),
        ("select nope from report_expensables", "sql_error"),
        ("select * from no_such_view", "sql_error"),
        ("", "sql_empty"),
    ],
)
def test_refused_sql_saves_nothing(
    session_factory: sessionmaker[Session], tenant: Tenant, sql: str, code: str
) -> None:
    before = report_count(session_factory, tenant.company_id)
    with transaction(session_factory) as s, pytest.raises(ValidationFailed) as info:
        service.create_report(s, company_id=tenant.company_id, name="bad", sql=sql)
    assert info.value.code == code
    assert report_count(session_factory, tenant.company_id) == before


def test_writes_through_functions_are_refused_by_the_database(
    session_factory: sessionmaker[Session], tenant: Tenant, db_url: str
) -> None:
    sql = (
        "select nextval('expensables_id_seq')"
        if db_url.startswith("postgresql")
        else "select * from report_expensables where 0 < (select count(*) from pragma_table_info('x'))"
    )
    with transaction(session_factory) as s, pytest.raises(ValidationFailed) as info:
        service.create_report(s, company_id=tenant.company_id, name="sneaky", sql=sql)
    assert info.value.code in ("sql_not_read_only", "sql_not_allowed", "sql_error")
    assert report_count(session_factory, tenant.company_id) == 0


def test_reports_read_only_the_views(
    session_factory: sessionmaker[Session], tenant: Tenant, db_url: str
) -> None:
    # SQLite: an authorizer; PostgreSQL: a role with no privileges of its own, allowed the temporary views.
    catalogue = "select name from sqlite_master" if db_url.startswith("sqlite") else "select * from pg_authid"
    for sql in ("select * from api_keys", "select * from expensables", catalogue):
        with pytest.raises(ValidationFailed) as info:
            sql_rows(session_factory, tenant.company_id, sql)
        assert info.value.code == "sql_not_allowed", sql
    # The views themselves still read the tables behind them.
    assert sql_rows(session_factory, tenant.company_id, "select count(*) as n from report_expensables")


def test_time_limit(session_factory: sessionmaker[Session], tenant: Tenant) -> None:
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    with pytest.raises(ValidationFailed) as info:
        sql_rows(session_factory, tenant.company_id, slow, timeout_s=0.3)
    assert info.value.code == "sql_timeout"


def test_template_and_sql_reports_run_into_files(
    session_factory: sessionmaker[Session], data: Data, tmp_path: Path
) -> None:
    with transaction(session_factory) as s:
        erp = service.create_report(
            s,
            company_id=data.company_id,
            name="erp",
            template=load_template("generic-erp"),
            schedule="0 6 * * 1",
        )
        sums = service.create_report(s, company_id=data.company_id, name="sums", sql=BY_CURRENCY, fmt="xlsx")
        assert erp.next_run_at is not None
        assert erp.next_run_at.weekday() == 0
        assert erp.next_run_at.hour == 6
        assert sums.next_run_at is None
        assert sums.kind == "sql"
        erp_summary = service.produce_report(s, erp, out=tmp_path / "erp.csv")
        sums_summary = service.produce_report(s, sums, out=tmp_path / "sums.xlsx")
    erp_rows = list(csv.DictReader(io.StringIO((tmp_path / "erp.csv").read_text(), newline="")))
    assert len(erp_rows) == erp_summary.rows == 4
    assert erp_rows[0]["GL Account"] == "6290"
    ws = openpyxl.load_workbook(tmp_path / "sums.xlsx").active
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == ("currency", "claims", "total")
    assert len(values) == 6 == sums_summary.rows + 1
    assert values[1][0] == "EUR"
    assert values[1][1] == 5


def test_report_names_cron_and_lookup(session_factory: sessionmaker[Session], tenant: Tenant) -> None:
    with transaction(session_factory) as s:
        report = service.create_report(s, company_id=tenant.company_id, name="weekly", sql="select 1 as one")
    with transaction(session_factory) as s:
        with pytest.raises(Conflict):
            service.create_report(s, company_id=tenant.company_id, name="weekly", sql="select 1")
        for kw, code in [
            ({"name": "x", "sql": "select 1", "schedule": "61 * * * *"}, "invalid_cron"),
            ({"name": "x", "sql": "select 1", "schedule": "every day"}, "invalid_cron"),
            ({"name": "", "sql": "select 1"}, "invalid_report"),
            ({"name": "x"}, "invalid_report"),
            ({"name": "x", "sql": "select 1", "template": load_template("generic-erp")}, "invalid_report"),
            ({"name": "x", "sql": "select 1", "fmt": "pdf"}, "unknown_format"),
        ]:
            with pytest.raises(ValidationFailed) as info:
                service.create_report(s, company_id=tenant.company_id, **kw)
            assert info.value.code == code, kw
    assert report_count(session_factory, tenant.company_id) == 1
    with transaction(session_factory) as s:
        assert service.find_report(s, company_id=tenant.company_id, ref=str(report.id)).name == "weekly"
        assert service.find_report(s, company_id=tenant.company_id, ref="weekly").id == report.id
        other = make_tenant(session_factory, name="Report Thief")
        with pytest.raises(NotFound):
            service.find_report(s, company_id=other.company_id, ref=str(report.id))
        with pytest.raises(NotFound):
            service.delete_report(s, company_id=other.company_id, ref="weekly")
    with transaction(session_factory) as s:
        service.delete_report(s, company_id=tenant.company_id, ref="weekly")
    assert report_count(session_factory, tenant.company_id) == 0


def test_postgresql_without_the_report_role_refuses_sql_reports(
    session_factory: sessionmaker[Session], tenant: Tenant, db_url: str
) -> None:
    """An application role that may not set the report sandbox up (create the login role, the schema
    of the report views) gets a clear 503 error naming what to do, never a query run as itself."""
    if not db_url.startswith("postgresql"):
        pytest.skip("database roles are PostgreSQL's (SQLite runs reports in a sandbox process)")
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from expensehub.errors import Unavailable
    from expensehub.exports.sandbox import REPORT_SCHEMA, SandboxConfig

    # Roles are cluster-wide and other test sessions run at the same time: names of our own.
    limited = f"expensehub_test_limited_{os.getpid()}"
    missing = f"expensehub_test_no_report_{os.getpid()}"
    with transaction(session_factory) as s:
        admin_engine = s.get_bind()
    with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        for role in (limited, missing):
            if admin.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                admin.execute(text(f"DROP OWNED BY {role}"))  # left over by an interrupted run
            admin.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.execute(text(f"CREATE ROLE {limited} LOGIN NOCREATEROLE"))
        admin.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {limited}"))
    engine = create_engine(make_url(db_url).set(username=limited))
    config = SandboxConfig(report_database_url=make_url(db_url).set(username=missing).render_as_string())
    try:
        with pytest.raises(Unavailable) as info:
            service.stream_sql_report(
                engine, company_id=tenant.company_id, sql=BY_CURRENCY, fmt="csv", config=config
            )
        assert info.value.code == "sql_reports_unavailable"
        assert f"CREATE ROLE {missing} LOGIN" in info.value.message
        assert REPORT_SCHEMA in info.value.message
        with admin_engine.connect() as admin:
            found = admin.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": missing})
            assert found.scalar() is None
        # The report role and views exist (made by a role that may), but this application role may not
        # record its report sessions in a schema that is not its own: the same 503, nothing run.
        sql_rows(session_factory, tenant.company_id, BY_CURRENCY)
        with pytest.raises(Unavailable) as info:
            service.stream_sql_report(engine, company_id=tenant.company_id, sql=BY_CURRENCY, fmt="csv")
        assert info.value.code == "sql_reports_unavailable"
        assert "permission denied" in info.value.message
    finally:
        engine.dispose()
        with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            admin.execute(text(f"DROP OWNED BY {limited}"))
            admin.execute(text(f"DROP ROLE {limited}"))
