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

# Browser tests drive Debian's chromium (tests/browser); the README tour runs curl, jq and unzip
# (tests/integration/test_readme_tour.py). Install what is missing when allowed to (root with apt).
missing=()
for tool in chromium jq unzip curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== installing Debian's ${missing[*]} for the browser and README tests"
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== ruff format"; .venv/bin/ruff format --check src tests bench
echo "== mypy"; .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports --no-cache
echo "== pytest"
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@"
