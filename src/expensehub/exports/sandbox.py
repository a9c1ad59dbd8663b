"""Where report SQL runs: the report views of one company, and nothing else (docs/exports.md).

:func:`run_report_sql` is the repository-level runner. It does not check the text (the service does,
:mod:`expensehub.exports.sqlcheck`); the containment is the database's:

* **PostgreSQL**: the query runs on a connection that *logs in* as the report role (no superuser,
  no membership, no privilege on any table), in a ``READ ONLY`` transaction with a statement timeout.
  The role may read the views of the schema ``expensehub_report`` and nothing else. The views belong
  to the application's role (a view reads its tables with its owner's rights), are
  ``security_barrier``, and keep the rows of one company: the one recorded for the report
  connection's backend pid in ``expensehub_report.sessions``, which the application writes on its
  own connection before the query and deletes after it. A pid cannot be spoofed and the role cannot
  read or write that table.
* **SQLite**: the query runs in a child process (:mod:`expensehub.exports.sqlite_sandbox`) over the
  database attached read-only, with an authorizer, memory, size and time limits, killed at its limit.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import re
import secrets
import select as io_select
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from expensehub.db.derived import REPORT_SCHEMA
from expensehub.exports import sqlite_sandbox
from expensehub.exports.repository import REPORT_VIEWS, report_view_selects

if TYPE_CHECKING:
    from expensehub.config import Settings

log = logging.getLogger("expensehub.exports.sandbox")

__all__ = [
    "REPORT_ROLE",
    "REPORT_SCHEMA",
    "REPORT_VIEWS",
    "ReportQuery",
    "SandboxConfig",
    "SandboxUnavailable",
    "SqlFailure",
    "run_report_sql",
]

# The PostgreSQL role report SQL logs in as (the default user of the report database URL).
REPORT_ROLE = "expensehub_report_login"
# SQLite: the longest string or blob (and table row) a report query may make or read.
MAX_VALUE_BYTES = 10_000_000
# Seconds the parent waits past the time limit before it kills a SQLite sandbox that did not stop
# (it stops itself at the limit unless one function call runs on), and for the sandbox to set up.
KILL_GRACE_S = 0.25
SETUP_TIMEOUT_S = 30.0
DEFAULT_MEMORY_LIMIT_MB = 512


@dataclass(frozen=True)
class SandboxConfig:
    """Where and within what report SQL runs (from the settings; the defaults suit tests)."""

    report_database_url: str | None = None
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        return cls(
            report_database_url=settings.report_database_url,
            memory_limit_mb=settings.report_memory_limit_mb,
        )


class SqlFailure(Exception):
    """The report query was refused or failed; ``code`` says why (``sql_timeout``, ``sql_too_large``,
    ``sql_not_allowed``, ``sql_not_read_only``, ``sql_error``), ``message`` is the database's word."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SandboxUnavailable(Exception):
    """Report SQL cannot run as the database is set up; the message says what an administrator does."""


class ReportQuery(Protocol):
    """A started report query: its column names, then its rows in batches; ``close`` always."""

    columns: list[str]

    def batches(self) -> Iterator[Sequence[Sequence[Any]]]: ...

    def close(self) -> None: ...


def run_report_sql(
    engine: Engine,
    *,
    company_id: int,
    sql: str,
    timeout_s: float,
    batch_size: int = 5000,
    config: SandboxConfig | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ReportQuery:
    """Start ``sql`` over ``company_id``'s report views, as is (no text check), within ``timeout_s``.

    Raises :class:`SqlFailure` when the database refuses the query or it fails before its first row,
    and :class:`SandboxUnavailable` when the sandbox cannot be set up.
    """
    cfg = config or SandboxConfig()
    deadline = clock() + timeout_s
    if engine.dialect.name == "postgresql":
        return _PgQuery.start(engine, cfg, company_id, sql, timeout_s, batch_size, deadline, clock)
    if engine.dialect.name == "sqlite":
        return _SqliteQuery.start(engine, cfg, company_id, sql, timeout_s, batch_size, deadline, clock)
    raise SandboxUnavailable(f"SQL reports do not support the {engine.dialect.name} database")


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _timed_out(timeout_s: float) -> SqlFailure:
    return SqlFailure("sql_timeout", f"the report query ran longer than {timeout_s:g} s")


# --------------------------------------------------------------------------------------------------
# SQLite: a child process over the database attached read-only
# --------------------------------------------------------------------------------------------------

_CHILD = Path(sqlite_sandbox.__file__)


class _SqliteQuery:
    def __init__(self, proc: subprocess.Popen[bytes], timeout_s: float, clock: Callable[[], float]) -> None:
        self.proc = proc
        self.clock = clock
        self.timeout_s = timeout_s
        # Until the sandbox says it is ready (attached, views made), a generous set-up limit; then the
        # query's own time limit, as the child counts it, plus a grace to kill it if it did not stop.
        self.deadline = clock() + SETUP_TIMEOUT_S
        self.kill_at = self.deadline
        self.ready = False
        self.columns: list[str] = []
        self._buffer = bytearray()

    @classmethod
    def start(
        cls,
        engine: Engine,
        cfg: SandboxConfig,
        company_id: int,
        sql: str,
        timeout_s: float,
        batch_size: int,
        deadline: float,
        clock: Callable[[], float],
    ) -> _SqliteQuery:
        del deadline  # the time limit starts when the sandbox is ready, below
        path = engine.url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            raise SandboxUnavailable("SQL reports on SQLite need a database file (not :memory:)")
        alias = "r" + secrets.token_hex(16)
        job = {
            "uri": "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro",
            "alias": alias,
            "views": _sqlite_views(engine, company_id, alias),
            "sql": sql,
            "timeout_s": float(timeout_s),
            "memory_bytes": int(cfg.memory_limit_mb) * 1024 * 1024,
            "max_value_bytes": MAX_VALUE_BYTES,
            "batch_rows": int(batch_size),
        }
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and file, no shell)
            [sys.executable, "-I", "-S", str(_CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        query = cls(proc, timeout_s, clock)
        try:
            assert proc.stdin is not None
            proc.stdin.write(marshal.dumps(job))
            proc.stdin.close()
            if query._frame()[0] != "ready":
                raise SqlFailure("sql_error", "the report sandbox did not start")
            query.ready = True
            query.deadline = clock() + timeout_s
            query.kill_at = query.deadline + KILL_GRACE_S
            kind, data = query._frame()
            if kind != "columns":
                raise SqlFailure("sql_error", f"unexpected answer {kind!r} from the report sandbox")
            query.columns = list(data)
        except BrokenPipeError:
            query.close()
            raise SqlFailure("sql_error", "the report sandbox process did not start") from None
        except BaseException:
            query.close()
            raise
        return query

    def _read(self, n: int) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while len(self._buffer) < n:
            remaining = self.kill_at - self.clock()
            if remaining <= 0 or not io_select.select([fd], [], [], remaining)[0]:
                self.close()
                if not self.ready:
                    late = f"the report sandbox did not start in {SETUP_TIMEOUT_S:g} s"
                    raise SqlFailure("sql_error", late)
                raise _timed_out(self.timeout_s)
            chunk = os.read(fd, max(n - len(self._buffer), 1 << 16))
            if not chunk:
                code = self.proc.wait()
                if code == -signal.SIGXCPU or (self.ready and self.clock() > self.deadline):
                    raise _timed_out(self.timeout_s)
                if code == -signal.SIGKILL:  # not ours (we raise before killing): the system's, for memory
                    killed = "the report sandbox process was killed (out of memory?)"
                    raise SqlFailure("sql_too_large", killed)
                raise SqlFailure("sql_error", f"the report sandbox process stopped (exit status {code})")
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _frame(self) -> tuple[str, Any]:
        size = int.from_bytes(self._read(sqlite_sandbox.FRAME_HEADER), "big")
        # Frames come from our own child process, which marshals plain values (tuples, numbers, text).
        kind, data = marshal.loads(self._read(size))  # noqa: S302
        if kind == "error":
            code, message = data
            self.close()
            if code == "sql_timeout":
                raise _timed_out(self.timeout_s)
            raise SqlFailure(str(code), str(message))
        return str(kind), data

    def batches(self) -> Iterator[Sequence[Sequence[Any]]]:
        try:
            while True:
                kind, data = self._frame()
                if kind == "done":
                    return
                if self.clock() > self.deadline:
                    raise _timed_out(self.timeout_s)
                yield data
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


_ALIAS = "expensehub_sandbox_schema"


def _sqlite_views(engine: Engine, company_id: int, alias: str) -> list[tuple[str, str]]:
    """(name, SELECT) of each report view of the company, naming the tables in schema ``alias``."""
    return [(name, sql.replace(_ALIAS, alias)) for name, sql in _sqlite_view_sql(engine.dialect, company_id)]


@lru_cache(maxsize=256)
def _sqlite_view_sql(dialect: Any, company_id: int) -> tuple[tuple[str, str], ...]:
    views = []
    for name, stmt in report_view_selects(company_id, "sqlite").items():
        compiled = stmt.compile(
            dialect=dialect,
            schema_translate_map={None: _ALIAS},
            render_schema_translate=True,
            compile_kwargs={"literal_binds": True},
        )
        views.append((name, str(compiled)))
    return tuple(views)


# --------------------------------------------------------------------------------------------------
# PostgreSQL: a connection logged in as the report role, views scoped by the backend pid
# --------------------------------------------------------------------------------------------------

_sessions = Table(
    "sessions",
    MetaData(schema=REPORT_SCHEMA),
    Column("pid", Integer, primary_key=True),
    Column("company_id", BigInteger, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
)
_SESSIONS = f"{REPORT_SCHEMA}.sessions"
# One key for every process setting the schema up in a database (advisory locks are per database).
_SETUP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('expensehub.report_views'))"
_ROLE_OPTIONS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
_DUPLICATE = ("42710", "23505")  # duplicate_object; unique_violation when two create it at once
_NO_PRIVILEGE = "42501"


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name or ""):
        raise SandboxUnavailable(
            f"the report role name {name!r} must be a plain lower-case identifier (letters, digits, _)"
        )
    return name


@cache
def _pg_views() -> tuple[tuple[str, str], ...]:
    """(name, CREATE VIEW statement) of each report view, and nothing company-specific in them."""
    from sqlalchemy.dialects import postgresql

    company = select(_sessions.c.company_id).where(_sessions.c.pid == func.pg_backend_pid()).scalar_subquery()
    out = []
    for name, stmt in report_view_selects(company, "postgresql").items():
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        body = str(compiled)
        out.append((name, f"CREATE VIEW {REPORT_SCHEMA}.{name} WITH (security_barrier = true) AS {body}"))
    return tuple(out)


@cache
def _pg_tag() -> str:
    digest = hashlib.sha256("\n".join(sql for _, sql in _pg_views()).encode()).hexdigest()
    return f"expensehub report view {digest[:24]}"


def report_role_of(engine: Engine, cfg: SandboxConfig) -> tuple[str, str]:
    """The report role and the URL to log in as it (default: the application's URL, user replaced)."""
    if cfg.report_database_url:
        try:
            url = make_url(cfg.report_database_url)
        except ArgumentError as exc:
            raise SandboxUnavailable(f"EXPENSEHUB_REPORT_DATABASE_URL is not a database URL: {exc}") from None
        if url.get_backend_name() != "postgresql":
            raise SandboxUnavailable("EXPENSEHUB_REPORT_DATABASE_URL must be a PostgreSQL URL")
        if url.drivername != engine.url.drivername:  # postgresql:// would pick a driver not installed
            url = url.set(drivername=engine.url.drivername)
    else:
        url = engine.url.set(username=REPORT_ROLE, password=None)
    return _identifier(url.username or ""), url.render_as_string(hide_password=False)


# Settings of the report role for every session logging in as it (each report transaction sets its
# search_path and statement timeout itself too): (name, value in SQL, value as PostgreSQL keeps it,
# whether only a superuser may set it).
_ROLE_SETTINGS = (
    ("search_path", f"{REPORT_SCHEMA}, public", f"{REPORT_SCHEMA}, public", False),
    ("default_transaction_read_only", "on", "on", False),
    ("track_activities", "off", "off", True),  # report sessions do not show each other their query text
    ("temp_file_limit", "'1GB'", "1GB", True),  # disk a query's sorts and hashes may fill
)


def admin_statements(role: str, app_role: str) -> str:
    settings = "; ".join(f"ALTER ROLE {role} SET {name} = {value}" for name, value, _, _ in _ROLE_SETTINGS)
    return (
        f"CREATE ROLE {role} {_ROLE_OPTIONS} PASSWORD '<a password>'; {settings}; "
        f"CREATE SCHEMA IF NOT EXISTS {REPORT_SCHEMA} AUTHORIZATION {app_role}; "
        "then set EXPENSEHUB_REPORT_DATABASE_URL to a URL logging in as "
        f"{role} (docs/exports.md)"
    )


def _unavailable(what: str, role: str, app_role: str) -> SandboxUnavailable:
    return SandboxUnavailable(
        f"SQL reports need the PostgreSQL login role {role} and the schema {REPORT_SCHEMA} owned by the "
        f"application's role, which it may not set up ({what}). An administrator can run: "
        + admin_statements(role, app_role)
    )


_STATE = f"""
SELECT current_user::text,
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
  (SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user),
  coalesce(r.rolconfig, '{{}}'),
  coalesce(r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
    OR r.rolname = current_user
    OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid), false),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '{REPORT_SCHEMA}' AND c.relkind = 'v' AND c.relname = ANY(%(views)s)
      AND obj_description(c.oid, 'pg_class') = %(tag)s),
  EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '{REPORT_SCHEMA}' AND c.relname = 'sessions' AND c.relkind = 'r'),
  r.oid IS NOT NULL,
  CASE WHEN r.oid IS NULL OR to_regnamespace('{REPORT_SCHEMA}') IS NULL THEN false
    ELSE has_schema_privilege(r.oid, to_regnamespace('{REPORT_SCHEMA}'), 'USAGE') END,
  CASE WHEN r.oid IS NULL THEN 0 ELSE (SELECT count(*) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '{REPORT_SCHEMA}' AND c.relname = ANY(%(views)s)
      AND has_table_privilege(r.oid, c.oid, 'SELECT')) END
FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = %(role)s
"""


@dataclass(frozen=True)
class _PgState:
    app_role: str
    app_superuser: bool
    app_createrole: bool
    role_config: list[str]
    role_powerful: bool
    current_views: int
    has_sessions: bool
    role_exists: bool
    role_usage: bool
    role_views: int

    @property
    def views_ready(self) -> bool:
        return self.current_views == len(REPORT_VIEWS) and self.has_sessions

    @property
    def ready(self) -> bool:
        return (
            self.views_ready and self.role_exists and self.role_usage and self.role_views == len(REPORT_VIEWS)
        )


def _pg_state(conn: Connection, role: str) -> _PgState:
    row = conn.exec_driver_sql(_STATE, {"views": list(REPORT_VIEWS), "tag": _pg_tag(), "role": role}).one()
    return _PgState(
        app_role=str(row[0]),
        app_superuser=bool(row[1]),
        app_createrole=bool(row[2]),
        role_config=[str(c) for c in row[3]],
        role_powerful=bool(row[4]),
        current_views=int(row[5]),
        has_sessions=bool(row[6]),
        role_exists=bool(row[7]),
        role_usage=bool(row[8]),
        role_views=int(row[9]),
    )


def prepare_postgres(engine: Engine, role: str) -> None:
    """Make sure the schema, its views and the report role exist and the role may read the views.

    Checked with one query; set up only when something is missing or the views' definition changed,
    under an advisory lock (per database), so concurrent processes do not race. Roles are cluster-wide:
    creating one that another process created meanwhile is fine.
    """
    try:
        with engine.connect() as conn:
            state = _pg_state(conn, role)
            conn.rollback()
    except DBAPIError as exc:
        raise _unavailable(_first_line(exc), role, "<the application role>") from exc
    if state.role_powerful:
        # Before anything is granted or set: the URL may name the application's own role, or another
        # that may do more than read the views. Its settings are never touched.
        raise SandboxUnavailable(
            f"SQL reports refuse the report role {role}: it is the application's role, a superuser, may "
            "create roles or databases, replicate or bypass RLS, or is a member of another role. It must be "
            f"a login role with no other rights than reading the views of {REPORT_SCHEMA} "
            f"(docs/exports.md): {admin_statements(role, state.app_role)}"
        )
    created = not state.role_exists and _create_role(engine, role, state.app_role)
    if created or role == REPORT_ROLE:  # a role of another name is the administrator's: only granted views
        _settle_role(engine, role, replace(state, role_config=[]) if created else state)
    if state.ready:
        return
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(_SETUP_LOCK)
            state = _pg_state(conn, role)
            if not state.views_ready:
                _create_views(conn)
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {REPORT_SCHEMA} TO {role}")
            for view in REPORT_VIEWS:
                conn.exec_driver_sql(f"GRANT SELECT ON {REPORT_SCHEMA}.{view} TO {role}")
    except DBAPIError as exc:
        raise _unavailable(_first_line(exc), role, state.app_role) from exc


def _create_views(conn: Connection) -> None:
    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {REPORT_SCHEMA}")
    # Unlogged: after a crash it starts empty, as every report session is gone too.
    conn.exec_driver_sql(
        f"CREATE UNLOGGED TABLE IF NOT EXISTS {_SESSIONS} (pid integer PRIMARY KEY, "
        "company_id bigint NOT NULL, started_at timestamptz NOT NULL DEFAULT now())"
    )
    for name, _ in _pg_views():
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {REPORT_SCHEMA}.{name}")
    tag = _pg_tag()
    for name, create in _pg_views():
        # The compiled text doubles '%' for the driver's placeholders; it runs without parameters.
        conn.execution_options(no_parameters=True).exec_driver_sql(create.replace("%%", "%"))
        conn.execution_options(no_parameters=True).exec_driver_sql(
            f"COMMENT ON VIEW {REPORT_SCHEMA}.{name} IS '{tag}'"
        )
    log.info("report views (re)created in schema %s", REPORT_SCHEMA)


def _create_role(engine: Engine, role: str, app_role: str) -> bool:
    """Create the report role; whether this call created it (not another process meanwhile)."""
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {role} {_ROLE_OPTIONS}")
        log.info("created the PostgreSQL report role %s", role)
        return True
    except DBAPIError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in _DUPLICATE:
            return False  # another process created it meanwhile
        raise _unavailable(_first_line(exc), role, app_role) from exc


def _settle_role(engine: Engine, role: str, state: _PgState) -> None:
    """Give the report role the settings it lacks, those the application's role may set.

    They are defence in depth (each report transaction sets what it needs), so a failure is logged:
    another process may be altering the role at the same moment, or the role is the administrator's.
    """
    for name, value, kept, superuser_only in _ROLE_SETTINGS:
        if f"{name}={kept}" in state.role_config:
            continue
        if not (state.app_superuser or (state.app_createrole and not superuser_only)):
            continue
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER ROLE {role} SET {name} = {value}")
        except DBAPIError as exc:
            log.warning("could not set %s of the report role %s: %s", name, role, _first_line(exc))


# What the report connection checks about itself before it runs anything (one round trip): the
# role it logged in as has no power and may read no table, and the settings of this transaction.
_SELF_CHECK = f"""
SELECT pg_backend_pid(), current_database()::text, session_user::text,
  r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls,
  (SELECT string_agg(m.roleid::regrole::text, ', ') FROM pg_auth_members m WHERE m.member = r.oid),
  (SELECT string_agg(n.nspname || '.' || c.relname, ', ') FROM (
      SELECT c.relname, c.relnamespace FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%%'
        AND NOT (n.nspname = '{REPORT_SCHEMA}' AND c.relkind = 'v')
        AND has_any_column_privilege(c.oid, 'SELECT')
      LIMIT 5) c JOIN pg_namespace n ON n.oid = c.relnamespace),
  set_config('search_path', '{REPORT_SCHEMA}, public', true),
  set_config('statement_timeout', %(timeout)s, true)
FROM pg_roles r WHERE r.rolname = session_user
"""


class _PgQuery:
    def __init__(
        self, engine: Engine, app: Engine, pid: int, deadline: float, clock: Callable[[], float]
    ) -> None:
        self.engine = engine
        self.app = app
        self.pid = pid
        self.deadline = deadline
        self.clock = clock
        self.timeout_s = 0.0
        self.columns: list[str] = []
        self.conn: Connection | None = None
        self.result: Any = None
        self.batch_size = 5000

    @classmethod
    def start(
        cls,
        app: Engine,
        cfg: SandboxConfig,
        company_id: int,
        sql: str,
        timeout_s: float,
        batch_size: int,
        deadline: float,
        clock: Callable[[], float],
    ) -> _PgQuery:
        role, url = report_role_of(app, cfg)
        prepare_postgres(app, role)
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            raise SandboxUnavailable(
                f"SQL reports could not log in as the report role {role}: {_first_line(exc)} "
                "(set EXPENSEHUB_REPORT_DATABASE_URL, with its password; docs/exports.md)"
            ) from exc
        query = cls(engine, app, 0, deadline, clock)
        query.conn, query.timeout_s, query.batch_size = conn, timeout_s, batch_size
        try:
            query._begin(role, app, company_id, timeout_s)
            result = conn.execution_options(yield_per=batch_size, no_parameters=True).exec_driver_sql(sql)
            query.result = result
            query.columns = list(result.keys())
        except DBAPIError as exc:
            query.close()
            raise _pg_failure(exc, query) from exc
        except BaseException:
            query.close()
            raise
        return query

    def _begin(self, role: str, app: Engine, company_id: int, timeout_s: float) -> None:
        """Check the connection is the report role and nothing more, then map its pid to the company."""
        assert self.conn is not None
        # Read committed: the mapping committed below is visible to the query's own snapshot.
        self.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY")
        row = self.conn.exec_driver_sql(_SELF_CHECK, {"timeout": str(max(1, int(timeout_s * 1000)))}).one()
        pid, database, user, powerful, member_of, readable = row[:6]
        problems = []
        if user != role:
            problems.append(f"it logs in as {user}, not {role}")
        if powerful:
            problems.append("it is a superuser or may create roles or databases, replicate or bypass RLS")
        if member_of:
            problems.append(f"it is a member of {member_of}")
        if readable:
            problems.append(f"it may read {readable}")
        if database != app.url.database:
            problems.append(f"it connects to the database {database}, not {app.url.database}")
        if problems:
            raise SandboxUnavailable(
                f"SQL reports refuse the report role {role}: " + "; ".join(problems) + ". It must be a "
                f"login role with no other rights than reading the views of {REPORT_SCHEMA} "
                f"(docs/exports.md): {admin_statements(role, '<the application role>')}"
            )
        self.pid = int(pid)
        try:
            with app.connect() as own:
                own.execute(_upsert_session(), {"pid": self.pid, "company_id": company_id})
                own.commit()
        except DBAPIError as exc:  # the schema is not the application's to write (set up by someone else)
            raise _unavailable(_first_line(exc), role, "<the application role>") from exc

    def batches(self) -> Iterator[Sequence[Sequence[Any]]]:
        try:
            for batch in self.result.partitions(self.batch_size):
                if self.clock() > self.deadline:
                    raise _timed_out(self.timeout_s)
                yield batch
        except DBAPIError as exc:
            raise _pg_failure(exc, self) from exc
        finally:
            self.close()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                if self.result is not None:
                    self.result.close()  # the server-side cursor, while its connection is still there
            except Exception as exc:  # a failed query leaves an aborted transaction: nothing to close
                log.debug("closing a report cursor failed: %s", exc)
            try:
                conn.invalidate()  # never back to a pool: the session ends here
            except Exception as exc:  # closing is best effort, the server ends the session anyway
                log.debug("closing a report connection failed: %s", exc)
            conn.close()
            self.engine.dispose()
        if self.pid:
            pid, self.pid = self.pid, 0
            try:
                with self.app.connect() as own:
                    own.execute(_sessions.delete().where(_sessions.c.pid == pid))
                    # And the rows of report sessions that ended without cleaning up.
                    own.exec_driver_sql(
                        f"DELETE FROM {_SESSIONS} WHERE pid NOT IN "
                        "(SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)"
                    )
                    own.commit()
            except DBAPIError as exc:  # the row is rewritten before any reuse of the pid
                log.warning("could not delete the report session row of pid %s: %s", pid, exc)


def _upsert_session() -> Any:
    from sqlalchemy.dialects.postgresql import insert

    stmt = insert(_sessions).values(started_at=func.now())
    return stmt.on_conflict_do_update(
        index_elements=[_sessions.c.pid],
        set_={"company_id": stmt.excluded.company_id, "started_at": func.now()},
    )


def _pg_failure(exc: DBAPIError, query: _PgQuery) -> SqlFailure:
    text = _first_line(exc)
    low = text.lower()
    if "statement timeout" in low or "canceling statement" in low or query.clock() > query.deadline:
        return _timed_out(query.timeout_s)
    if "read-only" in low or "readonly" in low:
        return SqlFailure("sql_not_read_only", text)
    if (
        "permission denied" in low
        or "must be superuser" in low
        or "must be owner" in low
        or "privileges of" in low
    ):
        return SqlFailure("sql_not_allowed", text)
    if "out of memory" in low or "too large" in low or "exceeds the maximum" in low:
        return SqlFailure("sql_too_large", text)
    return SqlFailure("sql_error", text)
