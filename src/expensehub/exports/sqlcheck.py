"""First line of defence for report SQL (pure, no parser): one read-only SELECT statement.

The text is scanned once, skipping string literals, quoted identifiers, dollar-quoted strings and
comments, so that keywords and semicolons inside them do not count. It must then be a single
statement (a trailing ``;`` is allowed) that starts with ``SELECT``, ``WITH``, ``VALUES`` or ``(``,
and contain no data-changing, DDL or session keyword (``INSERT``, ``UPDATE``, ``DELETE``, ``DROP``,
``PRAGMA``, ``ATTACH``, ``SET``, ``FOR UPDATE``...). The database then enforces it for real: the query
runs in a READ ONLY transaction with a statement timeout on PostgreSQL, and with
``PRAGMA query_only=ON``, an authorizer and a progress-handler timeout on SQLite.
"""

from __future__ import annotations

import re

MAX_SQL_CHARS = 100_000

# Inside one SELECT/WITH statement, only these can change data or schema (data-modifying CTEs,
# SELECT INTO); whole statements of other kinds are already excluded by the first-word rule.
FORBIDDEN = frozenset(
    {
        "insert",
        "update",
        "delete",
        "merge",
        "into",
        "truncate",
        "drop",
        "create",
        "alter",
        "grant",
        "revoke",
        "copy",
        "attach",
        "detach",
        "pragma",
        "vacuum",
    }
)
_FILL = "_"
_STARTS = ("select", "with", "values", "(")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


class SqlRefused(ValueError):
    """Report SQL that is not a single read-only query. ``code`` says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def strip_sql(sql: str) -> str:
    """``sql`` of the same length, comments blanked out and literals/quoted identifiers filled with ``_``."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if ch == "-" and nxt == "-":
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif ch == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise SqlRefused("unterminated /* comment", "sql_syntax")
            out.append(" " * (j - i))
            i = j
        elif ch in ("'", '"', "`"):
            j = i + 1
            backslash = ch == "'" and i > 0 and sql[i - 1] in "eE" and (i < 2 or not sql[i - 2].isalnum())
            while j < n:
                if backslash and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise SqlRefused(f"unterminated {ch} quote", "sql_syntax")
            out.append(_FILL * (j + 1 - i))
            i = j + 1
        elif ch == "[":
            end = sql.find("]", i)
            if end < 0:
                raise SqlRefused("unterminated [ identifier", "sql_syntax")
            out.append(_FILL * (end + 1 - i))
            i = end + 1
        elif ch == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if m is None or (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                out.append(ch)
                i += 1
                continue
            tag = m.group(0)
            end = sql.find(tag, i + len(tag))
            if end < 0:
                raise SqlRefused("unterminated dollar-quoted string", "sql_syntax")
            out.append(_FILL * (end + len(tag) - i))
            i = end + len(tag)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def check_read_only_sql(sql: str) -> str:
    """The query to run (without a trailing ``;``), or :class:`SqlRefused` saying what is wrong."""
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the query is longer than {MAX_SQL_CHARS} characters", "sql_too_long")
    bare = strip_sql(sql)
    body = bare.rstrip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    if not body.strip():
        raise SqlRefused("the query is empty", "sql_empty")
    if ";" in body:
        raise SqlRefused(
            "only one statement is allowed (found a ';' between statements)", "sql_multiple_statements"
        )
    first = body.lstrip()
    word = _WORD.match(first)
    if not (first.startswith("(") or (word is not None and word.group(0).lower() in _STARTS)):
        raise SqlRefused("a report query must start with SELECT or WITH", "sql_not_select")
    for m in _WORD.finditer(body):
        if m.group(0).lower() in FORBIDDEN:
            raise SqlRefused(
                f"the query may only read: {m.group(0).upper()} is not allowed in a report query "
                "(quote it if it is a column name)",
                "sql_not_read_only",
            )
    if re.search(r"\bfor\s+(no\s+key\s+)?(update|share|key\s+share)\b", body, re.IGNORECASE):
        raise SqlRefused("the query may only read: FOR UPDATE/SHARE is not allowed", "sql_not_read_only")
    return sql[: len(body)].strip()
