"""The SQLite report sandbox: a child process that runs one report query and streams its rows.

Run as ``python -I -S <this file>`` by :mod:`expensehub.exports.sandbox`; it imports the standard
library only. The job comes on stdin (one ``marshal`` dict), frames go to stdout: a 4-byte big-endian
length, then ``marshal`` of ``(kind, data)`` with kind ``ready`` (set up: the time limit starts now),
``columns`` (the names), ``rows`` (a list of tuples), ``error`` (``(code, message)``) or ``done``.

Why a process: one SQLite function call is never interrupted (``printf('%.*c', 900000000, 'x')``
loops for seconds, ``instr`` and ``LIKE`` are quadratic on long strings), and SQLite's heap limit is
process-wide. In a process of its own the query gets a real memory limit (``RLIMIT_AS``), a CPU
limit, a limit on temporary files, and the parent kills it at its time limit whatever it is doing.

Inside, the query sees only the report views:

* ``main`` is an empty in-memory database; the real database file is attached read-only
  (``mode=ro``) under a random schema name, and the temporary report views name that schema;
* ``PRAGMA query_only``; values and rows longer than ``max_value_bytes`` fail (``SQLITE_LIMIT_LENGTH``);
* an authorizer allows reads of the report views' columns, reads made by the views themselves, and
  the query's own CTEs and subqueries. It denies every other read: a column of a real table read
  directly (SQLite resolves unqualified names through attached databases too, so hiding the schema
  name is not enough), a table referenced with no column read (``count(*) FROM api_keys``: SQLite
  passes the table name with an empty column and no database, so the name decides: a table of the
  database is refused, a CTE is not), every ``sqlite_*`` table (the temporary schema holds the view
  SQL), every ``pragma_*`` function, ``ATTACH``, writes and schema changes.
"""

from __future__ import annotations

import marshal
import os
import signal
import sqlite3
import sys
import time
from typing import IO, Any

try:
    import resource
except ImportError:  # not on Windows: no process limits there, the time limit still holds
    resource = None  # type: ignore[assignment]

FRAME_HEADER = 4
FIRST_BATCH_ROWS = 256
FRAME_TARGET_BYTES = 2 * 1024 * 1024
TEMP_FILE_LIMIT_BYTES = 1 << 30
DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})


class Refused(Exception):
    """The job cannot run (code, message) before any SQLite call."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def write_frame(out: IO[bytes], kind: str, data: Any) -> int:
    payload = marshal.dumps((kind, data))
    out.write(len(payload).to_bytes(FRAME_HEADER, "big") + payload)
    out.flush()
    return len(payload)


def error_code(exc: BaseException, *, timed_out: bool) -> str:
    """The report error code of an exception raised in the sandbox."""
    if isinstance(exc, MemoryError):
        return "sql_too_large"
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc).lower()
    if timed_out or name == "SQLITE_INTERRUPT" or "interrupted" in text:
        return "sql_timeout"
    if name in ("SQLITE_TOOBIG", "SQLITE_NOMEM", "SQLITE_FULL") or name.startswith("SQLITE_IOERR"):
        return "sql_too_large"
    if "too big" in text or "out of memory" in text or "disk is full" in text:
        return "sql_too_large"
    if name == "SQLITE_AUTH" or "not authorized" in text or "prohibited" in text:
        return "sql_not_allowed"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "sql_not_read_only"
    return "sql_error"


def limit_process(memory_bytes: int, timeout_s: float) -> None:
    """Memory, CPU and temporary-file limits of this process (and of nothing else)."""
    if resource is None:
        return
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = int(timeout_s) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    # A temporary file (sorting) past the limit fails its write instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (TEMP_FILE_LIMIT_BYTES, TEMP_FILE_LIMIT_BYTES))


def open_sandbox(job: dict[str, Any], state: dict[str, Any]) -> sqlite3.Connection:
    """The connection: empty ``main``, the database attached read-only, the views, the guards."""
    alias: str = job["alias"]
    if not alias.isidentifier():
        raise Refused("sql_error", "bad sandbox schema name")
    conn = sqlite3.connect("file::memory:", uri=True, isolation_level=None, timeout=10)
    conn.execute("PRAGMA temp_store = FILE")  # sorts and temporary b-trees spill to disk
    conn.execute("PRAGMA cache_size = -8192")  # also the sorter's memory before it spills
    conn.execute("PRAGMA temp.cache_size = -8192")
    conn.execute(f"ATTACH DATABASE ? AS {alias}", (job["uri"],))
    conn.execute(f"PRAGMA {alias}.cache_size = -16384")
    tables = {str(r[0]).lower() for r in conn.execute(f"SELECT name FROM {alias}.sqlite_master")}
    views = {name for name, _ in job["views"]}
    for name, sql in job["views"]:
        conn.execute(f"CREATE TEMP VIEW {name} AS {sql}")
    conn.execute("PRAGMA query_only = ON")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, int(job["max_value_bytes"]))
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 1_000_000)
    state["deadline"] = time.monotonic() + float(job["timeout_s"])

    def progress() -> int:
        if time.monotonic() > state["deadline"]:
            state["timed_out"] = True
            return 1
        return 0

    conn.set_progress_handler(progress, 1000)
    conn.set_authorizer(_authorizer(views, tables))
    return conn


def _authorizer(views: set[str], tables: set[str]) -> Any:
    ok, deny = sqlite3.SQLITE_OK, sqlite3.SQLITE_DENY

    def authorize(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return ok
        if action == sqlite3.SQLITE_FUNCTION:
            return deny if (arg2 or "").lower() in DENIED_FUNCTIONS else ok
        if action != sqlite3.SQLITE_READ:
            return deny  # pragmas, attach, writes, schema changes, transactions
        table = (arg1 or "").lower()
        if table.startswith("sqlite_"):
            return deny  # catalogs of every schema, sqlite_sequence, sqlite_stat*
        if source in views:
            return ok  # a report view reading the tables behind it
        if db == "temp" and arg1 in views:
            return ok  # the query reading a report view's columns
        if db is None:
            # No database: the query's own CTEs and subqueries, or a table referenced with no column
            # read (``count(*) FROM t``), which only its name tells apart.
            return deny if table in tables else ok
        return deny  # a table read directly, main's (empty) tables, pragma_* table-valued functions

    return authorize


def run(job: dict[str, Any], out: IO[bytes]) -> None:
    state: dict[str, Any] = {"timed_out": False}
    try:
        conn = open_sandbox(job, state)
        write_frame(out, "ready", None)
        state["deadline"] = time.monotonic() + float(job["timeout_s"])
        cur = conn.execute(job["sql"])
        write_frame(out, "columns", [str(d[0]) for d in cur.description or ()])
        size, most = FIRST_BATCH_ROWS, max(1, int(job["batch_rows"]))
        while True:
            rows = cur.fetchmany(size)
            if not rows:
                break
            sent = write_frame(out, "rows", rows)
            if sent < FRAME_TARGET_BYTES // 2:
                size = min(most, size * 2)
            elif sent > FRAME_TARGET_BYTES * 2:
                size = max(1, size // 2)
        write_frame(out, "done", None)
    except Refused as exc:
        write_frame(out, "error", (exc.code, str(exc)))
    except (sqlite3.Error, MemoryError, OverflowError) as exc:
        text = "out of memory" if isinstance(exc, MemoryError) else str(exc).strip().splitlines()[0]
        text = text.replace(f"{job['alias']}.", "")  # the schema name means nothing to the reader
        write_frame(out, "error", (error_code(exc, timed_out=state["timed_out"]), text))


def main() -> int:
    job = marshal.loads(sys.stdin.buffer.read())  # noqa: S302 (the job comes from the parent process)
    out = sys.stdout.buffer
    try:
        limit_process(int(job["memory_bytes"]), float(job["timeout_s"]))
        run(job, out)
    except BrokenPipeError:  # the parent stopped reading (the report was abandoned or timed out)
        return 0
    return 0


if __name__ == "__main__":
    os._exit(main())  # no interpreter teardown: the connection and its memory go with the process
