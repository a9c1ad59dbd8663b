#!/usr/bin/env bash
# One command from a fresh clone: venv, install, migrate a SQLite database, seed the demo company,
# print an API key, and serve the API on http://127.0.0.1:8000 (OpenAPI UI at /docs).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

export EXPENSEHUB_DATABASE_URL="${EXPENSEHUB_DATABASE_URL:-sqlite:///expensehub-demo.db}"
if [ "${EXPENSEHUB_DATABASE_URL}" = "sqlite:///expensehub-demo.db" ] && [ -f expensehub-demo.db ]; then
  echo "removing the previous demo database (expensehub-demo.db)"
  rm -f expensehub-demo.db expensehub-demo.db-wal expensehub-demo.db-shm
fi
exec .venv/bin/expensehub demo --seed "${SEED:-42}" --serve "$@"
