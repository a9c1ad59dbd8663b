#!/usr/bin/env bash
# The whole test suite: lint, format check, types, layer contracts, then pytest on SQLite and PostgreSQL.
# Creates .venv and installs expensehub with its dev extras on first use (or when pyproject changes).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/api -k pagination
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.expensehub-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$want" > "$stamp"
fi

echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== ruff format"; .venv/bin/ruff format --check src tests bench
echo "== mypy"; .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports --no-cache
echo "== pytest"
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@"
