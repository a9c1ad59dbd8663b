"""The report sandbox holds: report SQL reads the report views of its own company and nothing else,
stops at its time and size limits with a clear code, on SQLite and PostgreSQL.

Two levels are tested. Through the service (the text check first, then the database), as the CLI and
the worker run reports. And straight through the repository-level runner, with the text check
bypassed: there the database alone (the report role on PostgreSQL, the authorizer and the limits of
the sandbox process on SQLite) must contain the query.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

import expensehub.models  # every table registered on Base.metadata
from expensehub.cli.main import app
from expensehub.db.base import Base
from expensehub.db.engine import transaction
from expensehub.errors import ValidationFailed
from expensehub.exports import sandbox, service
from expensehub.models.exports import ReportDefinition
from expensehub.worker.reports import run_report
from tests.factories import Tenant, make_tenant
from tests.integration.test_exports_roundtrip import Data, build_dataset
from tests.waiting import HANG_S, wait_for

# The audit's escapes: every company's API key hashes, a server file, the server's sessions.
AUDIT_KEYS = (
    "SELECT set_config('role', 'none', true) AS r, "
    "query_to_xml('select company_id, key_hash from api_keys', true, false, '') AS x"
)
AUDIT_FILE = "SELECT query_to_xml('select pg_read_file(''/etc/hostname'')', true, false, '') AS x"
AUDIT_SESSIONS = "SELECT pid, usename, query FROM pg_stat_activity"


@pytest.fixture
def two(session_factory: sessionmaker[Session], tenant: Tenant) -> tuple[Data, Data]:
    """Two companies with the same claims (so counts of one must not include the other's)."""
    other = build_dataset(session_factory, make_tenant(session_factory, name="Sandbox Other Co"))
    return build_dataset(session_factory, tenant), other


@pytest.fixture(scope="module")
def read_only_two(session_factory: sessionmaker[Session]) -> tuple[Data, Data]:
    """``two``, built once per module and backend for the tests that only run refused queries (each of
    their parameters would build both companies again)."""
    mine = build_dataset(session_factory, make_tenant(session_factory, name="Sandbox Readers SL"))
    return mine, build_dataset(session_factory, make_tenant(session_factory, name="Sandbox Readers Other Co"))


def engine_of(factory: sessionmaker[Session]) -> Engine:
    with transaction(factory) as s:
        bind = s.get_bind()
    assert isinstance(bind, Engine)
    return bind


def report(factory: sessionmaker[Session], company_id: int, sql: str, **kw: Any) -> list[dict[str, str]]:
    """Rows of a report query run through the service (text check, then the database)."""
    stream = service.stream_sql_report(engine_of(factory), company_id=company_id, sql=sql, fmt="csv", **kw)
    return list(csv.DictReader(io.StringIO(b"".join(stream.chunks).decode(), newline="")))


def unchecked(
    factory: sessionmaker[Session], company_id: int, sql: str, timeout_s: float = 20.0, **kw: Any
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run by the repository-level runner itself: no text check at all."""
    query = sandbox.run_report_sql(
        engine_of(factory), company_id=company_id, sql=sql, timeout_s=timeout_s, **kw
    )
    try:
        return [tuple(row) for batch in query.batches() for row in batch]
    finally:
        query.close()


def unchecked_code(factory: sessionmaker[Session], company_id: int, sql: str, **kw: Any) -> str:
    with pytest.raises(sandbox.SqlFailure) as info:
        unchecked(factory, company_id, sql, **kw)
    assert info.value.message
    return info.value.code


def is_pg(db_url: str) -> bool:
    return db_url.startswith("postgresql")


def table_names() -> list[str]:
    return sorted(Base.metadata.tables)


# --------------------------------------------------------------------------------------------------
# Through the service
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        (AUDIT_KEYS, "sql_forbidden_function"),
        (AUDIT_FILE, "sql_forbidden_function"),
        (AUDIT_SESSIONS, "sql_not_allowed"),
        ("SELECT count(*) FROM pg_stat_activity", "sql_not_allowed"),
        ("SELECT count(*) FROM sqlite_master", "sql_not_allowed"),
        ("SELECT * FROM pragma_database_list", "sql_not_allowed"),
    ],
)
def test_the_audit_escapes_are_refused(
    session_factory: sessionmaker[Session], read_only_two: tuple[Data, Data], sql: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        report(session_factory, read_only_two[0].company_id, sql)
    assert info.value.code == code
    assert "key_hash" not in info.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) AS n FROM expensables",
        "SELECT count(*) AS n FROM api_keys",
        "SELECT 1 AS n FROM api_keys",
        "SELECT count(*) AS n FROM report_expensables, api_keys",
        "SELECT exists(SELECT 1 FROM api_keys) AS n",
        "SELECT count(*) AS n FROM api_keys AS report_expensables",
        "WITH k AS (SELECT 1 AS one FROM api_keys) SELECT count(*) AS n FROM k",
    ],
)
def test_a_table_read_without_columns_is_refused(
    session_factory: sessionmaker[Session], read_only_two: tuple[Data, Data], sql: str
) -> None:
    """SQLite's authorizer sees no column for these: the guard let them count every company's rows."""
    with pytest.raises(ValidationFailed) as info:
        report(session_factory, read_only_two[0].company_id, sql)
    assert info.value.code == "sql_not_allowed", info.value.message


def test_reads_without_columns_of_the_views_count_the_company_only(
    session_factory: sessionmaker[Session], two: tuple[Data, Data]
) -> None:
    mine, theirs = two
    for view in sandbox.REPORT_VIEWS:
        n = report(session_factory, mine.company_id, f"SELECT count(*) AS n FROM {view}")[0]["n"]
        ones = report(session_factory, mine.company_id, f"SELECT 1 AS one FROM {view}")
        assert len(ones) == int(n), view
        theirs_n = report(session_factory, theirs.company_id, f"SELECT count(*) AS n FROM {view}")[0]["n"]
        assert theirs_n == n, view  # same data in both companies, so the same count, not the double
    assert report(session_factory, mine.company_id, "SELECT count(*) AS n FROM report_expensables") == [
        {"n": str(len(mine.ids))}
    ]
    cte = "WITH x AS (SELECT expensable_id FROM report_expensables) SELECT count(*) AS n FROM x"
    assert report(session_factory, mine.company_id, cte) == [{"n": str(len(mine.ids))}]
    constant = "WITH x AS (SELECT 1 AS a) SELECT count(*) AS n FROM x"
    assert report(session_factory, mine.company_id, constant) == [{"n": "1"}]


# --------------------------------------------------------------------------------------------------
# The runner alone: the text check bypassed, the database contains the query
# --------------------------------------------------------------------------------------------------


def test_unchecked_sql_reads_no_table(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    company = two[0].company_id
    for table in table_names():
        for sql in (f"SELECT count(*) FROM {table}", f"SELECT * FROM {table}"):
            assert unchecked_code(session_factory, company, sql) == "sql_not_allowed", sql
    catalogs = (
        [
            "SELECT count(*) FROM pg_authid",
            "SELECT * FROM expensehub_report.sessions",
            "SELECT count(*) FROM public.api_keys",
            "SELECT lo_import('/etc/hostname')",
            "SELECT pg_read_file('/etc/hostname')",
            "SELECT pg_ls_dir('.')",
            "SELECT current_setting('data_directory')",
            AUDIT_KEYS,
            AUDIT_FILE,
        ]
        if is_pg(db_url)
        else [
            "SELECT count(*) FROM sqlite_master",
            "SELECT sql FROM sqlite_master",
            "SELECT sql FROM sqlite_temp_master",
            "SELECT sql FROM temp.sqlite_master",
            "SELECT count(*) FROM sqlite_schema",
            "SELECT * FROM pragma_database_list",
            "SELECT * FROM pragma_table_info('expensables')",
            "SELECT count(*) FROM main.sqlite_master",
            "SELECT load_extension('x')",
            "ATTACH DATABASE ':memory:' AS other",
            "PRAGMA query_only = OFF",
        ]
    )
    for sql in catalogs:
        assert unchecked_code(session_factory, company, sql) in ("sql_not_allowed", "sql_not_read_only"), sql
    # The views still read the tables behind them, for the company only.
    assert unchecked(session_factory, company, "SELECT count(*) FROM report_expensables") == [
        (len(two[0].ids),)
    ]


def test_unchecked_sql_does_not_write(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """Writes are refused (PostgreSQL: a cursor runs SELECTs only, in a read-only transaction, as a role
    that owns nothing; SQLite: the authorizer, query_only, the file attached read-only)."""
    company = two[0].company_id
    writes = [
        "DELETE FROM expensables",
        "UPDATE report_expensables SET merchant = 'x'",
        "CREATE TABLE t (a int)",
        "CREATE TEMP TABLE t (a int)",
        "DROP VIEW report_expensables",
        "WITH d AS (DELETE FROM expensables RETURNING id) SELECT count(*) FROM d",
    ]
    if is_pg(db_url):
        writes.append("SELECT nextval('expensables_id_seq')")
    for sql in writes:
        code = unchecked_code(session_factory, company, sql)
        assert code in ("sql_not_allowed", "sql_not_read_only", "sql_error"), (sql, code)
    for data in two:
        assert unchecked(session_factory, data.company_id, "SELECT count(*) FROM report_expensables") == [
            (len(data.ids),)
        ]


def test_postgres_report_role_gains_nothing(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    if not is_pg(db_url):
        pytest.skip("database roles are PostgreSQL's")
    company = two[0].company_id
    reset = unchecked(
        session_factory,
        company,
        "SELECT set_config('role', 'none', true), current_user::text, session_user::text",
    )
    assert reset == [("none", sandbox.REPORT_ROLE, sandbox.REPORT_ROLE)]
    powers = unchecked(
        session_factory,
        company,
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolinherit, "
        "(SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) "
        "FROM pg_roles r WHERE rolname = current_user",
    )
    assert powers == [(False, False, False, False, False, 0)]
    # Reading its own company through the views still works after the role games above.
    assert unchecked(
        session_factory,
        company,
        "SELECT set_config('role', 'none', true), (SELECT count(*) FROM report_expensables)",
    ) == [("none", len(two[0].ids))]


def test_postgres_concurrent_reports_see_only_their_company(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """Two companies' reports at once: each sees its own rows, and nothing of the other's session."""
    if not is_pg(db_url):
        pytest.skip("server sessions are PostgreSQL's")
    mine, theirs = two
    marker = f"marker-{uuid.uuid4().hex}"
    key = uuid.uuid4().int % 2**62  # an advisory lock the test holds while the other report runs
    got: dict[str, Any] = {}

    def other() -> None:
        sql = (
            f"SELECT '{marker}' AS m, pg_advisory_xact_lock_shared({key}) AS s, "
            "(SELECT string_agg(expensable_id::text, ',') FROM report_expensables) AS ids"
        )
        try:
            got["theirs"] = unchecked(session_factory, theirs.company_id, sql, timeout_s=HANG_S)
        except Exception as exc:  # reported by the assertions below
            got["error"] = exc

    def waiting() -> bool:
        """The other report is running, held at the test's lock (or it has failed)."""
        found = admin.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objsubid = 1 AND (classid::bigint << 32 | objid::bigint) = :key"
            ),
            {"key": key},
        ).scalar()
        return bool(found) or not thread.is_alive()

    thread = threading.Thread(target=other)
    with engine_of(session_factory).connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        admin.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            thread.start()
            wait_for(waiting, what="the other company's report to run")
            sessions = unchecked(
                session_factory,
                mine.company_id,
                "SELECT pid, usename::text, state, query FROM pg_stat_activity",
            )
            ids = unchecked(
                session_factory,
                mine.company_id,
                "SELECT string_agg(expensable_id::text, ',' ORDER BY expensable_id) FROM report_expensables",
            )
        finally:
            admin.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    thread.join(HANG_S)
    assert "error" not in got, got.get("error")
    assert all(marker not in str(row) for row in sessions), sessions
    # Other roles' sessions show no query at all; the report role's own sessions report none.
    for _pid, user, _state, query in sessions:
        if user != sandbox.REPORT_ROLE:
            assert query in (None, "<insufficient privilege>"), (user, query)
    assert ids == [(",".join(str(i) for i in sorted(mine.ids.values())),)]
    their_ids = got["theirs"][0][2]
    assert sorted(int(i) for i in their_ids.split(",")) == sorted(theirs.ids.values())


# --------------------------------------------------------------------------------------------------
# Limits: time, size, memory
# --------------------------------------------------------------------------------------------------

BOMBS = [
    ("SELECT length(printf('%.*c', 900000000, 'x')) AS n", ("sql_timeout", "sql_too_large")),
    ("SELECT length(zeroblob(2000000000)) AS n", ("sql_too_large",)),
    ("SELECT length(randomblob(2000000000)) AS n", ("sql_too_large",)),
    (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000000) "
        "SELECT count(*) AS n FROM n",
        ("sql_timeout",),
    ),
    (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
        "SELECT length(group_concat(i)) AS n FROM n",
        ("sql_too_large", "sql_timeout"),
    ),
]
LIMIT_S = 1.0


def within_the_limit_once_in_two(quick: Callable[[int], object], bomb: Callable[[], object]) -> None:
    """``bomb()`` stops within its limit + 1 s of what ``quick(try)`` (the same with a quick query, and a
    limit that cannot stop it) costs around the query on this machine now (measured, not assumed).

    Wall time on a shared 2-core machine carries scheduling noise: the bound must hold in one of two
    tries, each measuring both (a limit that does not stop the query fails both, each taking far longer
    than the bound).
    """
    times: list[tuple[float, float]] = []
    for attempt in range(2):
        started = time.monotonic()
        quick(attempt)
        overhead = time.monotonic() - started
        started = time.monotonic()
        bomb()
        times.append((time.monotonic() - started, overhead))
        if times[-1][0] < overhead + LIMIT_S + 1.0:
            return
    raise AssertionError(f"(elapsed, overhead) of each try, over the bound twice: {times}")


@pytest.mark.parametrize(("sql", "codes"), BOMBS)
def test_sqlite_limits_stop_a_query_at_once(
    session_factory: sessionmaker[Session], tenant: Tenant, db_url: str, sql: str, codes: Sequence[str]
) -> None:
    if is_pg(db_url):
        pytest.skip("SQLite's functions and limits (PostgreSQL: statement_timeout, test_time_limit)")

    def quick(_: int) -> None:  # what a report costs around its query (views, sandbox process)
        report(session_factory, tenant.company_id, "SELECT 1 AS n", timeout_s=HANG_S)

    def bomb() -> None:
        with pytest.raises(ValidationFailed) as info:
            report(session_factory, tenant.company_id, sql, timeout_s=LIMIT_S)
        assert info.value.code in codes, info.value.message

    within_the_limit_once_in_two(quick, bomb)


def test_sqlite_memory_limit(session_factory: sessionmaker[Session], tenant: Tenant, db_url: str) -> None:
    """One row of 30 values of 8 MB each: more than a 128 MB sandbox holds, refused as too large."""
    if is_pg(db_url):
        pytest.skip("the memory limit of the SQLite sandbox process")
    sql = "SELECT " + ", ".join(f"hex(zeroblob(4000000)) AS b{i}" for i in range(30))
    small = sandbox.SandboxConfig(memory_limit_mb=128)
    # Stopped by the memory limit, not by the (generous) time limit: that would be `sql_timeout`.
    with pytest.raises(ValidationFailed) as info:
        report(session_factory, tenant.company_id, sql, timeout_s=HANG_S, config=small)
    assert info.value.code == "sql_too_large", info.value.message
    # A row of three such values fits.
    fits = "SELECT " + ", ".join(f"hex(zeroblob(4000000)) AS b{i}" for i in range(3))
    rows = unchecked(session_factory, tenant.company_id, fits, config=small)
    assert [[len(v) for v in row] for row in rows] == [[8_000_000] * 3]


def expensehub(db_url: str, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real ``expensehub`` command in its own process (what an operator sees, tracebacks too)."""
    env = {**os.environ, "EXPENSEHUB_DATABASE_URL": db_url, "COLUMNS": "250"}
    command = Path(sys.executable).with_name("expensehub")
    started = time.monotonic()
    done = subprocess.run(
        [str(command), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize(("sql", "codes"), BOMBS[:3] + BOMBS[4:])
def test_cli_refuses_a_bomb_in_one_line(db_url: str, tenant: Tenant, sql: str, codes: Sequence[str]) -> None:
    """``reports create`` tries the query: one line says why, exit code 2, no traceback (the audit's
    printf ended in "Cannot operate on a closed database"). A real process, so that whatever the
    command would print, logs included, is seen; its time is measured in-process in the next test
    (a process start-up here varies by seconds with the machine's load)."""
    if is_pg(db_url):
        pytest.skip("SQLite's functions and limits")
    company = ["--company", str(tenant.company_id)]
    done, _ = expensehub(
        db_url, "reports", "create", *company, "--name", "bomb", "--sql", sql, "--query-timeout", str(LIMIT_S)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Error closing" not in done.stderr
    assert done.stderr.startswith("error: "), done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # the error, and the sql: field line
    words = {"sql_timeout": "time limit", "sql_too_large": "larger than"}
    assert any(words[code] in done.stderr for code in codes), done.stderr


@pytest.mark.parametrize(("sql", "codes"), BOMBS)
def test_cli_stops_a_bomb_at_the_limit(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tenant: Tenant, sql: str, codes: Sequence[str]
) -> None:
    if is_pg(db_url):
        pytest.skip("SQLite's functions and limits")
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", db_url)
    args = ["reports", "create", "--company", str(tenant.company_id)]

    def quick(attempt: int) -> None:  # the command with a quick query: its cost around the query
        command = [*args, "--query-timeout", str(HANG_S), "--name", f"quick{attempt}"]
        result = CliRunner().invoke(app, [*command, "--sql", "SELECT 1 AS n"])
        assert result.exit_code == 0, result.output

    def bomb() -> None:
        result = CliRunner().invoke(
            app, [*args, "--query-timeout", str(LIMIT_S), "--name", "bomb", "--sql", sql]
        )
        assert result.exit_code == 2, result.output
        assert "error: " in result.output

    within_the_limit_once_in_two(quick, bomb)


def test_cli_and_worker_record_a_stopped_run(
    session_factory: sessionmaker[Session],
    db_url: str,
    tenant: Tenant,
    tmp_path: Path,
) -> None:
    """A saved report that became too slow (here: changed by hand) fails its run with one line."""
    slow = BOMBS[3][0]
    with transaction(session_factory) as s:
        bomb = service.create_report(s, company_id=tenant.company_id, name="grows", sql="SELECT 1 AS n")
        bomb_id = bomb.id
    with transaction(session_factory) as s:
        found = s.get(ReportDefinition, bomb_id)
        assert found is not None
        found.sql = slow
    company = ["--company", str(tenant.company_id)]
    out = tmp_path / "grows.csv"
    done, _ = expensehub(
        db_url, "reports", "run", "grows", *company, "--out", str(out), "--query-timeout", str(LIMIT_S)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "time limit" in done.stderr
    assert not (tmp_path / "grows.csv").exists()
    outcome = run_report(
        session_factory, bomb_id, trigger="manual", out=tmp_path / "w.csv", query_timeout_s=LIMIT_S
    )
    assert not outcome.ok
    assert outcome.error is not None
    assert "time limit" in outcome.error


# --------------------------------------------------------------------------------------------------
# PostgreSQL: the schema, the views and the role the application sets up
# --------------------------------------------------------------------------------------------------


def admin_rows(factory: sessionmaker[Session], sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run as the application (the tests' superuser), to look at the setup."""
    with transaction(factory) as s:
        return [tuple(r) for r in s.execute(text(sql), params)]


def test_postgres_report_role_and_views(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's report role and views")
    report(session_factory, two[0].company_id, "SELECT count(*) AS n FROM report_taxes")
    role = sandbox.REPORT_ROLE
    [(login, superuser, inherit, bypass, memberships, config)] = admin_rows(
        session_factory,
        "SELECT rolcanlogin, rolsuper, rolinherit, rolbypassrls, "
        "(SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid), rolconfig "
        "FROM pg_roles r WHERE rolname = :role",
        role=role,
    )
    assert (login, superuser, inherit, bypass, memberships) == (True, False, False, False, 0)
    assert {"default_transaction_read_only=on", "track_activities=off", "temp_file_limit=1GB"} <= set(config)
    readable = admin_rows(
        session_factory,
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND has_any_column_privilege(:role, c.oid, 'SELECT') ORDER BY 1",
        role=role,
    )
    assert readable == [(f"{sandbox.REPORT_SCHEMA}.{view}",) for view in sorted(sandbox.REPORT_VIEWS)]
    views = admin_rows(
        session_factory,
        "SELECT c.relname, c.reloptions, pg_get_userbyid(c.relowner) = current_user "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relkind = 'v' ORDER BY 1",
        schema=sandbox.REPORT_SCHEMA,
    )
    assert [v[0] for v in views] == sorted(sandbox.REPORT_VIEWS)
    assert all(v[1] == ["security_barrier=true"] and v[2] for v in views), views
    # No session row outlives its report.
    assert admin_rows(session_factory, f"SELECT count(*) FROM {sandbox.REPORT_SCHEMA}.sessions") == [(0,)]


def test_postgres_report_database_url(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """EXPENSEHUB_REPORT_DATABASE_URL names the report role's login (with a password in production);
    a plain postgresql:// URL gets the application's driver."""
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's report role")
    from sqlalchemy.engine import make_url

    from expensehub.errors import Unavailable

    plain = make_url(db_url).set(drivername="postgresql", username=sandbox.REPORT_ROLE)
    config = sandbox.SandboxConfig(report_database_url=plain.render_as_string(hide_password=False))
    sql = "SELECT count(*) AS n FROM report_expensables"
    assert report(session_factory, two[0].company_id, sql, config=config) == [{"n": str(len(two[0].ids))}]
    for url, words in [
        ("not a url", "not a database URL"),
        ("sqlite:///x.db", "PostgreSQL URL"),
        (make_url(db_url).set(username="Report-Role").render_as_string(), "plain lower-case identifier"),
    ]:
        bad = sandbox.SandboxConfig(report_database_url=url)
        with pytest.raises(Unavailable) as info:
            report(session_factory, two[0].company_id, sql, config=bad)
        assert info.value.code == "sql_reports_unavailable"
        assert words in info.value.message


def test_postgres_views_follow_their_definition(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """A view whose definition changed (another version made it) or that is gone is made again."""
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's report views")
    company = two[0].company_id
    report(session_factory, company, "SELECT count(*) AS n FROM report_taxes")
    with transaction(session_factory) as s:
        s.execute(text(f"COMMENT ON VIEW {sandbox.REPORT_SCHEMA}.report_taxes IS 'an older definition'"))
        s.execute(text(f"DROP VIEW {sandbox.REPORT_SCHEMA}.report_employees"))
    assert report(session_factory, company, "SELECT count(*) AS n FROM report_employees") == [{"n": "3"}]
    tags = admin_rows(
        session_factory,
        "SELECT DISTINCT obj_description(c.oid, 'pg_class') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind = 'v'",
        schema=sandbox.REPORT_SCHEMA,
    )
    assert len(tags) == 1
    assert tags[0][0].startswith("expensehub report view")


def test_postgres_first_reports_at_once_set_up_once(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """Several processes' first reports at the same time: one sets the schema up, all of them run."""
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's report views")
    with transaction(session_factory) as s:
        s.execute(text(f"DROP SCHEMA IF EXISTS {sandbox.REPORT_SCHEMA} CASCADE"))
    results: list[Any] = []

    def run(data: Data) -> None:
        try:
            results.append(
                unchecked(session_factory, data.company_id, "SELECT count(*) FROM report_expensables")
            )
        except Exception as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run, args=(two[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[(len(two[0].ids),)]] * 6


def test_postgres_refuses_a_report_role_with_rights(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """EXPENSEHUB_REPORT_DATABASE_URL pointing at a role that may do more (here the application's own
    superuser): SQL reports refuse to run rather than run with its rights."""
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's report role")
    from expensehub.errors import Unavailable

    role_state = (
        "SELECT rolconfig, (SELECT count(*) FROM pg_auth_members WHERE member = r.oid) FROM pg_roles r "
        "WHERE rolname = current_user"
    )
    before = admin_rows(session_factory, role_state)
    powerful = sandbox.SandboxConfig(report_database_url=db_url)
    with pytest.raises(Unavailable) as info:
        report(session_factory, two[0].company_id, "SELECT count(*) AS n FROM report_taxes", config=powerful)
    assert info.value.code == "sql_reports_unavailable"
    assert "superuser" in info.value.message
    # Refused before anything was set or granted: that role's settings are not the report role's.
    assert admin_rows(session_factory, role_state) == before


def test_postgres_view_query_plan_uses_the_company_index(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """The company comes from an InitPlan (the session row, looked up once), so it is an index condition
    on (company_id, ...) like a constant: the view reads one company's rows, however large the table."""
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's plans")
    report(session_factory, two[0].company_id, "SELECT count(*) AS n FROM report_taxes")
    with transaction(session_factory) as s:
        s.execute(text("SET LOCAL enable_seqscan = off"))  # tiny test tables: make the index the choice
        plan = "\n".join(
            str(r[0])
            for r in s.execute(text(f"EXPLAIN SELECT * FROM {sandbox.REPORT_SCHEMA}.report_expensables"))
        )
    assert "InitPlan" in plan, plan
    # every ix_expensables_* index leads with company_id; which one the planner takes depends on the
    # table's statistics (the shared test database holds other tests' rows)
    assert re.search(r"Index Scan (using|on) ix_expensables_\w+", plan), plan
    assert "Index Cond: (company_id = $" in plan, plan


def test_migrating_drops_the_report_views_and_reports_make_them_again(
    session_factory: sessionmaker[Session], two: tuple[Data, Data], db_url: str
) -> None:
    """A view pins the columns it reads: migrations run with the views dropped (db/derived.py)."""
    if not is_pg(db_url):
        pytest.skip("PostgreSQL's report views")
    from expensehub.db.migrate import upgrade

    count_views = (
        "SELECT count(*) FROM pg_views WHERE schemaname = :schema",
        {"schema": sandbox.REPORT_SCHEMA},
    )
    report(session_factory, two[0].company_id, "SELECT count(*) AS n FROM report_taxes")
    assert admin_rows(session_factory, count_views[0], **count_views[1]) == [(len(sandbox.REPORT_VIEWS),)]
    upgrade(db_url)  # already at head: only the views are dropped
    assert admin_rows(session_factory, count_views[0], **count_views[1]) == [(0,)]
    assert report(session_factory, two[0].company_id, "SELECT count(*) AS n FROM report_employees") == [
        {"n": "3"}
    ]
