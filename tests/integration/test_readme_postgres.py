"""The README's section "Run on PostgreSQL", run as written on a fresh clone's commands: a new database
(`createdb`), the schema, a company, the API with two workers and the background worker, then a request
with the printed key. The test machine's server and role come in through libpq's variables."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL, _pg_available, drop_pg_database
from tests.live import free_port
from tests.readme_tour import POSTGRES_HEADING, run_tour


def test_the_postgres_section_runs_as_written(tmp_path: Path) -> None:
    needed = ("bash", "curl", "jq", "createdb")
    missing = [tool for tool in needed if shutil.which(tool) is None]
    problem = _pg_available()
    if missing or problem:
        reason = f"needs {', '.join(missing)}" if missing else f"no PostgreSQL server: {problem}"
        if os.environ.get("EXPENSEHUB_REQUIRE_PG") == "1":
            raise RuntimeError(f"the README's PostgreSQL section {reason}")
        pytest.skip(f"the README's PostgreSQL section {reason}")
    admin = make_url(PG_ADMIN_URL)
    name = f"expensehub_readme_{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXPENSEHUB_", "PG"))}
    env.update(
        PGHOST=admin.host or "127.0.0.1",
        PGUSER=admin.username or "postgres",
        DB=name,
        DATA=str(tmp_path / "data"),
        PORT=str(free_port()),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    try:
        outcome = run_tour(env, tmp_path, timeout=300, heading=POSTGRES_HEADING)
        assert outcome.returncode == 0, outcome.output[-3000:]
        assert outcome.missing == [], (outcome.missing, outcome.output[-3000:])
        assert (tmp_path / "serve.log").exists()
    finally:
        drop_pg_database(name)
