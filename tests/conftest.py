"""Shared fixtures: a real database per backend (SQLite file, PostgreSQL server) built by migrations.

Tests that take ``db_url`` (directly or through ``session_factory``, ``client``, ``tenant``...) run
once on SQLite and once on PostgreSQL. PostgreSQL tests are skipped only when no server answers;
with ``EXPENSEHUB_REQUIRE_PG=1`` (set by .ci/run) a missing server is an error instead.
Each test works in its own freshly created company, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from expensehub.config import Settings
from expensehub.db.engine import make_engine, make_session_factory, transaction
from expensehub.db.migrate import upgrade
from tests.factories import ApiClient, Tenant, make_tenant

# Property tests explore new random examples on every local run (that is how they find bugs); CI
# (.ci/run sets HYPOTHESIS_PROFILE=ci) replays a fixed sequence, so a landing never fails by chance.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PG_ADMIN_URL = os.environ.get("EXPENSEHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    import psycopg

    url = make_url(PG_ADMIN_URL)
    try:
        conn = psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            dbname=url.database,
            connect_timeout=30,  # a refused connection fails at once; this bounds an unanswered one
        )
    except psycopg.OperationalError as exc:
        return str(exc)
    conn.close()
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a migrated, empty database of the requested backend (one per test session)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return

    with fresh_pg_database("expensehub_test") as url:
        upgrade(url)
        yield url


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards); skips, or fails under CI, without a server."""
    problem = _pg_available()
    if problem is not None:
        if os.environ.get("EXPENSEHUB_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required but does not answer: {problem}")
        pytest.skip(f"no PostgreSQL server answers at {PG_ADMIN_URL}: {problem}")
    import psycopg

    admin = make_url(PG_ADMIN_URL)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conninfo = {
        "host": admin.host,
        "port": admin.port or 5432,
        "user": admin.username,
        "dbname": admin.database,
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_pg_database(name)


def drop_pg_database(name: str) -> None:
    """Drop the database ``name`` of the test server, whoever is still connected to it."""
    import psycopg

    admin = make_url(PG_ADMIN_URL)
    conninfo = {
        "host": admin.host,
        "port": admin.port or 5432,
        "user": admin.username,
        "dbname": admin.database,
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def session_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed when the test ends (like one request)."""
    with transaction(session_factory) as s:
        yield s


@pytest.fixture(scope="session", autouse=True)
def storage_dir_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every ``Settings()`` built during the tests (live servers, CLI commands) keeps files in a temp dir."""
    path = str(tmp_path_factory.mktemp("files-env"))
    previous = os.environ.get("EXPENSEHUB_STORAGE_DIR")
    os.environ["EXPENSEHUB_STORAGE_DIR"] = path
    yield path
    if previous is None:
        os.environ.pop("EXPENSEHUB_STORAGE_DIR", None)
    else:
        os.environ["EXPENSEHUB_STORAGE_DIR"] = previous


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    storage = tmp_path_factory.mktemp(f"files-{db_url.split(':', 1)[0]}")
    return Settings(database_url=db_url, max_body_bytes=64 * 1024, storage_dir=str(storage))


@pytest.fixture(scope="session")
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from expensehub.api.app import create_app

    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def http(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tenant(session_factory: sessionmaker[Session]) -> Tenant:
    """A fresh company with two legal entities (ES/EUR, GB/GBP), three employees and an API key."""
    return make_tenant(session_factory)


@pytest.fixture
def other_tenant(session_factory: sessionmaker[Session]) -> Tenant:
    """A second, unrelated company, for tenancy tests."""
    return make_tenant(session_factory, name="Other Co")


@pytest.fixture
def api(http, tenant: Tenant) -> ApiClient:  # type: ignore[no-untyped-def]
    """Client for ``/api/2026-10-01/resources`` authenticated as ``tenant``."""
    return ApiClient(http, tenant.api_key)


@pytest.fixture
def api_v0401(http, tenant: Tenant) -> ApiClient:  # type: ignore[no-untyped-def]
    """Client for ``/api/2026-04-01/resources`` (integer ids) authenticated as ``tenant``."""
    return ApiClient(http, tenant.api_key, version="2026-04-01")


@pytest.fixture
def other_api(http, other_tenant: Tenant) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(http, other_tenant.api_key)
