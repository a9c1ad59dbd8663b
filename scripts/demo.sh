#!/usr/bin/env bash
# One command from a fresh clone: venv, install, migrate a SQLite database, seed the demo company,
# print an API key, and serve the API on http://127.0.0.1:8000 (API reference at /docs).
#
#   scripts/demo.sh                 a fresh demo company (the previous demo data is replaced)
#   scripts/demo.sh --port 8123     the same on another port (checked before anything is seeded)
#   scripts/demo.sh --keep          serve the existing demo data again: same company, same API key
#   scripts/demo.sh --webhook-url http://127.0.0.1:9000/hooks
#                                   subscribe that URL to the demo company's webhooks (the signing
#                                   secret is printed once); DEMO_WEBHOOK_URL=... does the same
#
# The demo lives in its own data folder (demo-data/ in this clone, or EXPENSEHUB_DATA_DIR): the
# database and the file store, never your own company's data.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

keep=0
webhook=0
args=()
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --webhook-url|--webhook-url=*) webhook=1; args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done
if [ -n "${DEMO_WEBHOOK_URL:-}" ] && [ "$webhook" = 0 ] && [ "$keep" = 0 ]; then
  args+=(--webhook-url "$DEMO_WEBHOOK_URL")
  webhook=1
fi
if [ "$keep" = 1 ] && [ "$webhook" = 1 ]; then
  echo "error: --webhook-url subscribes a new demo company; it cannot be combined with --keep" >&2
  exit 2
fi

export EXPENSEHUB_DATA_DIR="${EXPENSEHUB_DATA_DIR:-$PWD/demo-data}"
# The demo runs on this machine: webhook targets on it (the README's local receiver) are allowed.
export EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS="${EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS:-1}"
echo "demo data: $EXPENSEHUB_DATA_DIR. To use the command line on it, in another shell:"
echo "  export EXPENSEHUB_DATA_DIR=$EXPENSEHUB_DATA_DIR"
echo "  export PATH=$PWD/.venv/bin:\$PATH"
if [ "$keep" = 1 ] && [ -f "$EXPENSEHUB_DATA_DIR/expensehub.db" ]; then
  exec .venv/bin/expensehub serve ${args[@]+"${args[@]}"}
fi
if [ -z "${EXPENSEHUB_DATABASE_URL:-}" ] && [ -f "$EXPENSEHUB_DATA_DIR/expensehub.db" ]; then
  echo "replacing the previous demo data (scripts/demo.sh --keep serves it again instead)"
  rm -rf "$EXPENSEHUB_DATA_DIR"
fi
exec .venv/bin/expensehub demo --seed "${SEED:-42}" --serve ${args[@]+"${args[@]}"}
