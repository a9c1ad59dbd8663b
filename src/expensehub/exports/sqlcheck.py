"""First line of defence for report SQL (pure, no parser): one read-only SELECT statement.

The text is scanned once, skipping string literals, quoted identifiers, dollar-quoted strings and
comments, so that keywords and semicolons inside them do not count. It must then be a single
statement (a trailing ``;`` is allowed) that starts with ``SELECT``, ``WITH``, ``VALUES`` or ``(``,
and contain no data-changing, DDL or session keyword (``INSERT``, ``UPDATE``, ``DELETE``, ``DROP``,
``PRAGMA``, ``ATTACH``, ``SET``, ``FOR UPDATE``...).

Names, bare or quoted, are then checked: no call of a function that runs SQL text or touches the
server (``query_to_xml`` and the other ``*_to_xml*`` functions, ``set_config``, ``current_setting``,
``pg_*``, ``lo_*``, ``dblink*``, ``load_extension``...: ``sql_forbidden_function``), and no name of a
system catalog (``pg_*``, ``information_schema``, ``sqlite_*``, ``pragma_*``: ``sql_not_allowed``).

This is defence in depth. The database is the real containment (docs/exports.md): on PostgreSQL
the query runs on a connection logged in as a role that may read the report views and nothing
else; on SQLite in a separate process, over the database attached read-only, under an authorizer
and with time, memory and size limits (exports/sandbox.py).
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
# Functions refused when called, whatever the database (they read files, run SQL text, change the
# session or reach other servers); plus every name with one of the prefixes below.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        "set_config",
        "current_setting",
        "loread",
        "lowrite",
        "load_extension",
        "fts3_tokenizer",
        "readfile",
        "writefile",
        "edit",
    }
)
FORBIDDEN_FUNCTION_PREFIXES = ("pg_", "lo_", "dblink", "sqlite_")
_XML_FUNCTION = re.compile(r"[a-z0-9_$]*_to_xml(schema|_and_xmlschema)?")
# System catalogs and statistics: report SQL reads the report views only.
CATALOG_PREFIXES = ("pg_", "sqlite_", "pragma_")
CATALOG_NAMES = frozenset({"information_schema"})
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
    return _scan(sql)[0]


def _scan(sql: str) -> tuple[str, list[tuple[int, int, str]]]:
    """:func:`strip_sql`, and the quoted identifiers: (start, end, name), the name unescaped.

    A ``U&"..."`` identifier (PostgreSQL's Unicode escapes) is reported with the name ``U&``.
    """
    names: list[tuple[int, int, str]] = []
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
            if ch != "'":
                unicode = sql[max(0, i - 2) : i].lower() == "u&"
                names.append((i, j + 1, "U&" if unicode else sql[i + 1 : j].replace(ch * 2, ch)))
            out.append(_FILL * (j + 1 - i))
            i = j + 1
        elif ch == "[":
            end = sql.find("]", i)
            if end < 0:
                raise SqlRefused("unterminated [ identifier", "sql_syntax")
            names.append((i, end + 1, sql[i + 1 : end]))
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
    return "".join(out), names


def check_read_only_sql(sql: str) -> str:
    """The query to run (without a trailing ``;``), or :class:`SqlRefused` saying what is wrong."""
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the query is longer than {MAX_SQL_CHARS} characters", "sql_too_long")
    bare, quoted = _scan(sql)
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
    names = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(body)]
    names += [q for q in quoted if q[0] < len(body)]
    for _, end, name in sorted(names):
        _check_name(name, called=body[end:].lstrip().startswith("("))
    return sql[: len(body)].strip()


def _check_name(name: str, *, called: bool) -> None:
    low = name.lower()
    if name == "U&":
        raise SqlRefused(
            'Unicode-escaped names (U&"...") are not allowed in a report query', "sql_not_allowed"
        )
    if called and (
        low in FORBIDDEN_FUNCTIONS
        or low.startswith(FORBIDDEN_FUNCTION_PREFIXES)
        or _XML_FUNCTION.fullmatch(low)
    ):
        raise SqlRefused(
            f"the function {name} is not allowed in a report query (it runs SQL text, changes the "
            "session or reaches the server)",
            "sql_forbidden_function",
        )
    if low in CATALOG_NAMES or low.startswith(CATALOG_PREFIXES):
        raise SqlRefused(
            f"{name} is a system catalog: a report query may read only the report views",
            "sql_not_allowed",
        )
