#!/usr/bin/env bash
# Development helper (before the first release only): rebuild the initial migration from the models.
# Usage: scripts/regen-migration.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
rm -f src/expensehub/db/migrations/versions/0001_initial_schema.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from expensehub.db.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}/gen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
.venv/bin/ruff check --fix -q src/expensehub/db/migrations/versions/ || true
.venv/bin/ruff format -q src/expensehub/db/migrations/versions/
rm -rf "$tmp"
echo "regenerated src/expensehub/db/migrations/versions/0001_initial_schema.py"
