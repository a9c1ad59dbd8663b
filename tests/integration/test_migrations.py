"""Migrations build the schema the models describe, and can be rolled back, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from expensehub import models  # noqa: F401
from expensehub.db.base import Base
from expensehub.db.engine import make_engine
from expensehub.db.migrate import current, downgrade, upgrade


def test_migrated_schema_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "models changed without a migration: add one (alembic revision --autogenerate)"


def test_upgrade_downgrade_round_trip(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'rt.db'}"
    upgrade(url)
    assert current(url) is not None
    downgrade(url, "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        assert "expensables" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


# --- 0002: data written before it ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, not migrated (each test brings it to the revision it needs)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("expensehub_mig") as url:
        yield url


def _rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def _write(url: str, *statements: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


NOW = "'2026-11-01 10:00:00+00:00'"


def test_0002_gives_old_events_their_company_as_author(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0001")
    _write(
        empty_db_url,
        f"INSERT INTO companies (id, name, locale, created_at) VALUES (7, 'Old Co', 'es', {NOW})",
        "INSERT INTO webhook_events (id, company_id, msg_id, type, resource, payload, created_at) "
        f"VALUES (1, 7, 'msg_a', 'finance/cost_center/create', 'finance/cost_centers', '{{}}', {NOW})",
        "INSERT INTO webhook_events (id, company_id, msg_id, type, resource, payload, author_id, author_type,"
        " created_at) VALUES (2, 7, 'msg_b', 'api_public/webhook_subscription/create',"
        f" 'api_public/webhook_subscriptions', '{{}}', 7, 'company', {NOW})",
    )
    upgrade(empty_db_url, "0002")
    assert current(empty_db_url) == "0002"
    assert _rows(empty_db_url, "SELECT id, author_type, author_id FROM webhook_events ORDER BY id") == [
        (1, "company", 7),
        (2, "company", 7),
    ]
    downgrade(empty_db_url, "0001")
    assert current(empty_db_url) == "0001"


def test_0002_keeps_existing_subscriptions_strict_and_downgrades_without_losing_deliveries(
    empty_db_url: str,
) -> None:
    upgrade(empty_db_url, "0001")
    _write(
        empty_db_url,
        f"INSERT INTO companies (id, name, locale, created_at) VALUES (7, 'Old Co', 'es', {NOW})",
        "INSERT INTO webhook_subscriptions (id, company_id, type, target_url, enabled, api_version, secret,"
        " created_at, updated_at) VALUES (1, 7, 'finance/cost_center/create', 'https://x.example.com/',"
        f" true, '2026-10-01', 'whsec_x', {NOW}, {NOW})",
        "INSERT INTO webhook_events (id, company_id, msg_id, type, resource, payload, created_at) "
        f"VALUES (1, 7, 'msg_a', 'finance/cost_center/create', 'finance/cost_centers', '{{}}', {NOW})",
        "INSERT INTO webhook_deliveries (id, company_id, subscription_id, event_id, status, attempts,"
        f" created_at) VALUES (1, 7, 1, 1, 'pending', 0, {NOW})",
    )
    # two copies of a pending delivery (the old redeliver of a pending one made them)
    _write(
        empty_db_url,
        "INSERT INTO webhook_deliveries (id, company_id, subscription_id, event_id, status, attempts,"
        f" redelivery_of_id, created_at) VALUES (2, 7, 1, 1, 'pending', 0, 1, {NOW})",
    )
    upgrade(empty_db_url, "0002")
    assert _rows(
        empty_db_url, "SELECT delivery_order, failure_streak, failing_since FROM webhook_subscriptions"
    ) == [("strict", 0, None)]
    assert _rows(empty_db_url, "SELECT id, status FROM webhook_deliveries ORDER BY id") == [
        (1, "pending"),
        (2, "cancelled"),
    ]
    _write(empty_db_url, "DELETE FROM webhook_deliveries WHERE id = 2")
    _write(empty_db_url, "UPDATE webhook_deliveries SET status = 'parked' WHERE id = 1")
    downgrade(empty_db_url, "0001")
    # no table was rebuilt: on SQLite that would have cascaded to the deliveries
    assert _rows(empty_db_url, "SELECT id, status FROM webhook_deliveries") == [(1, "failed")]
    assert _rows(empty_db_url, "SELECT id FROM webhook_subscriptions") == [(1,)]
    upgrade(empty_db_url, "0002")
    assert current(empty_db_url) == "0002"


# --- 0003: employees' identifier and e-mail become unique ------------------------------------------


def _two_employees(url: str, identifiers: tuple[str, str], emails: tuple[str, str]) -> None:
    _write(
        url,
        f"INSERT INTO companies (id, name, locale, created_at) VALUES (7, 'Old Co', 'es', {NOW})",
        "INSERT INTO accesses (id, company_id) VALUES (1, 7), (2, 7)",
        *(
            "INSERT INTO employees (id, company_id, access_id, first_name, last_name, email,"
            f" company_identifier, is_manager, created_at, updated_at) VALUES ({n}, 7, {n}, 'A', 'B',"
            f" '{emails[n - 1]}', '{identifiers[n - 1]}', false, {NOW}, {NOW})"
            for n in (1, 2)
        ),
    )


def test_0003_adds_bank_details_and_soft_delete_and_downgrades_keeping_employees(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0002")
    _two_employees(empty_db_url, ("E1", "E2"), ("a@x.test", "b@x.test"))
    upgrade(empty_db_url, "0003")
    assert current(empty_db_url) == "0003"
    assert _rows(empty_db_url, "SELECT id, bank_number, termination_reason FROM employees ORDER BY id") == [
        (1, None, None),
        (2, None, None),
    ]
    assert _rows(empty_db_url, "SELECT COUNT(*) FROM projects WHERE deleted_at IS NULL") == [(0,)]
    downgrade(empty_db_url, "0002")
    assert _rows(empty_db_url, "SELECT id, company_identifier FROM employees ORDER BY id") == [
        (1, "E1"),
        (2, "E2"),
    ]


@pytest.mark.parametrize(
    ("identifiers", "emails", "named"),
    [
        (("E1", "E1"), ("a@x.test", "b@x.test"), "company_identifier"),
        (("E1", "E2"), ("a@x.test", "a@x.test"), "email"),
    ],
)
def test_0003_stops_before_changing_anything_when_two_employees_share_a_value(
    empty_db_url: str, identifiers: tuple[str, str], emails: tuple[str, str], named: str
) -> None:
    upgrade(empty_db_url, "0002")
    _two_employees(empty_db_url, identifiers, emails)
    with pytest.raises(RuntimeError, match=f"employees.{named} unique per company: company 7"):
        upgrade(empty_db_url, "0003")
    assert current(empty_db_url) == "0002"
    assert "bank_number" not in {c for (c,) in _columns(empty_db_url, "employees")}


def _columns(url: str, table: str) -> list[tuple[str]]:
    engine = make_engine(url)
    try:
        return [(c["name"],) for c in inspect(engine).get_columns(table)]
    finally:
        engine.dispose()
