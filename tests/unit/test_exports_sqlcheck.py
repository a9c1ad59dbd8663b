"""Report SQL is one read-only SELECT: checked by text before the database enforces it."""

from __future__ import annotations

import pytest

from expensehub.exports.sqlcheck import SqlRefused, check_read_only_sql


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 1", "select 1"),
        ("SELECT * FROM report_expensables;", "SELECT * FROM report_expensables"),
        ("select 1 ;  ; \n", "select 1"),
        ("with a as (select 1 as x) select x from a", "with a as (select 1 as x) select x from a"),
        ("  (select 1) union (select 2)", "(select 1) union (select 2)"),
        ("values (1), (2)", "values (1), (2)"),
        ("select ';delete from x' as s", "select ';delete from x' as s"),
        ("select 'it''s; fine'", "select 'it''s; fine'"),
        ('select "update", "into;" from t', 'select "update", "into;" from t'),
        ("select 1 -- ; drop table x", "select 1"),
        ("select /* ; delete */ 1", "select /* ; delete */ 1"),
        ("select /* nested /* ; */ still */ 1", "select /* nested /* ; */ still */ 1"),
        ("select $$;drop$$, $tag$ ; insert $tag$", "select $$;drop$$, $tag$ ; insert $tag$"),
        ("select E'\\'; delete'", "select E'\\'; delete'"),
        (
            "select last_update, updated_at, created_at from t",
            "select last_update, updated_at, created_at from t",
        ),
        ("SELECT count(*) FROM t WHERE d LIKE '%a%'", "SELECT count(*) FROM t WHERE d LIKE '%a%'"),
        # Names that only look like forbidden ones: part of a longer word, in a literal, not called.
        (
            "select 'pg_read_file' as pg, mypg_x, xml_total from t",
            "select 'pg_read_file' as pg, mypg_x, xml_total from t",
        ),
        ("select lo_amount, hi_to_xml_x from t", "select lo_amount, hi_to_xml_x from t"),
        ("select 1 -- query_to_xml(", "select 1"),
        ('select "current setting" from t', 'select "current setting" from t'),
    ],
)
def test_accepted(sql: str, expected: str) -> None:
    assert check_read_only_sql(sql) == expected


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("", "sql_empty"),
        (" ; ", "sql_empty"),
        ("-- only a comment", "sql_empty"),
        ("select 1; select 2", "sql_multiple_statements"),
        ("select 1; delete from expensables", "sql_multiple_statements"),
        ("delete from expensables", "sql_not_select"),
        ("update expensables set amount = 0", "sql_not_select"),
        ("insert into t values (1)", "sql_not_select"),
        ("drop table expensables", "sql_not_select"),
        ("pragma query_only=off", "sql_not_select"),
        ("attach database 'x' as y", "sql_not_select"),
        ("explain select 1", "sql_not_select"),
        ("selectx 1", "sql_not_select"),
        ("with d as (delete from t returning *) select * from d", "sql_not_read_only"),
        ("with u as (update t set a = 1 returning *) select * from u", "sql_not_read_only"),
        ("select * into new_table from t", "sql_not_read_only"),
        ("select * from t for update", "sql_not_read_only"),
        ("select * from t for no key update", "sql_not_read_only"),
        ("select * from t for share", "sql_not_read_only"),
        ("select 'unterminated", "sql_syntax"),
        ("select /* unterminated", "sql_syntax"),
        ("select $x$ unterminated", "sql_syntax"),
        ("select 1" + " " * 100_001, "sql_too_long"),
        # Functions that run SQL text or touch the server, however they are spelled.
        ("select query_to_xml('select * from api_keys', true, false, '')", "sql_forbidden_function"),
        ("select \"query_to_xml\"('select 1', true, false, '')", "sql_forbidden_function"),
        ("select Query_To_Xml ('select 1', true, false, '')", "sql_forbidden_function"),
        ("select table_to_xml('api_keys', true, false, '')", "sql_forbidden_function"),
        ("select query_to_xml_and_xmlschema('select 1', true, false, '')", "sql_forbidden_function"),
        ("select cursor_to_xmlschema('c', true, false, '')", "sql_forbidden_function"),
        ("select set_config('role', 'none', true)", "sql_forbidden_function"),
        ("select current_setting('data_directory')", "sql_forbidden_function"),
        ("select pg_read_file('/etc/hostname')", "sql_forbidden_function"),
        ("select pg_read_binary_file('/etc/hostname')", "sql_forbidden_function"),
        ("select pg_ls_dir('.')", "sql_forbidden_function"),
        ("select pg_stat_file('x')", "sql_forbidden_function"),
        ("select pg_sleep(10)", "sql_forbidden_function"),
        ("select pg_sleep_for('1 hour')", "sql_forbidden_function"),
        ("select lo_import('/etc/passwd')", "sql_forbidden_function"),
        ("select lo_get(1)", "sql_forbidden_function"),
        ("select loread(0, 10)", "sql_forbidden_function"),
        ("select * from dblink('dbname=x', 'select 1') as t(a int)", "sql_forbidden_function"),
        ("select dblink_exec('x', 'y')", "sql_forbidden_function"),
        ("select load_extension('x')", "sql_forbidden_function"),
        ("select fts3_tokenizer('simple')", "sql_forbidden_function"),
        ("select sqlite_version()", "sql_forbidden_function"),
        # Catalogs: only the report views are there to read.
        ("select * from pg_stat_activity", "sql_not_allowed"),
        ("select * from pg_catalog.pg_class", "sql_not_allowed"),
        ('select * from "pg_authid"', "sql_not_allowed"),
        ("select * from information_schema.tables", "sql_not_allowed"),
        ('select * from "information_schema"."tables"', "sql_not_allowed"),
        ("select count(*) from sqlite_master", "sql_not_allowed"),
        ("select sql from temp.sqlite_temp_master", "sql_not_allowed"),
        ("select * from [sqlite_schema]", "sql_not_allowed"),
        ("select * from `sqlite_master`", "sql_not_allowed"),
        ("select * from pragma_table_info('expensables')", "sql_not_allowed"),
        ("select * from pragma_database_list", "sql_not_allowed"),
        ('select * from U&"\\0070g_class"', "sql_not_allowed"),
    ],
)
def test_refused(sql: str, code: str) -> None:
    with pytest.raises(SqlRefused) as info:
        check_read_only_sql(sql)
    assert info.value.code == code
    assert str(info.value)
