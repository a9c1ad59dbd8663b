"""The import-linter contracts catch what they claim.

Each case adds one forbidden import to a temporary copy of the source tree and runs ``lint-imports``
on the copy with the project's ``.importlinter``: it must fail, naming the broken contract. The
untouched copy must pass, so a failure can only come from the added line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"

# (file to edit, import line added at its end, contract name that must break)
FORBIDDEN = [
    ("client/__init__.py", "import expensehub.kit.money", "The client SDK imports nothing from the server"),
    (
        "client/__init__.py",
        "import expensehub.webhooks.signing",
        "The client SDK imports nothing from the server",
    ),
    ("client/__init__.py", "import expensehub.errors", "The client SDK imports nothing from the server"),
    (
        "expenses/service/drafts.py",
        "import expensehub.banking.repository",
        "A package imports no other package's repository",
    ),
    (
        "api/app.py",
        "import expensehub.expenses.repository",
        "A package imports no other package's repository",
    ),
    (
        "cli/main.py",
        "import expensehub.finance.repository",
        "A package imports no other package's repository",
    ),
    ("webhooks/delivery.py", "import fastapi", "Only the API package and the routers import FastAPI"),
    (
        "webhooks/worker.py",
        "import starlette.requests",
        "Only the API package and the routers import FastAPI",
    ),
    ("expenses/service/claims.py", "import fastapi", "Only the API package and the routers import FastAPI"),
    ("cli/main.py", "import fastapi", "Only the API package and the routers import FastAPI"),
    ("reconciliation/engine.py", "import aiohttp", "Pure modules"),
    ("webhooks/signing.py", "import httpx", "Pure modules"),
    ("banking/importers/csv.py", "import httpx", "Pure modules"),
    ("banking/importers/camt053.py", "import sqlalchemy", "Pure modules"),
    ("kit/money.py", "import sqlalchemy", "Pure modules"),
    ("expenses/schemas/expenses.py", "import expensehub.expenses.service", "Schemas (wire shapes)"),
    ("finance/schemas.py", "import expensehub.finance.repository", "Schemas (wire shapes)"),
    ("expenses/repository.py", "import expensehub.expenses.service", "Inside a domain"),
    ("finance/resources.py", "import expensehub.finance.service", "Inside a domain"),
    ("finance/repository.py", "import expensehub.finance.resources", "Inside a domain"),
    ("models/__init__.py", "import expensehub.expenses", "models, db and kit import no domain"),
    ("versions.py", "import expensehub.webhooks", "models, db and kit import no domain"),
    (
        "expenses/service/actions.py",
        "import expensehub.api.deps",
        "Nothing below the routers imports the API",
    ),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("contracts")
    shutil.copytree(
        ROOT / "src" / "expensehub", copy / "src" / "expensehub", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    return copy


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the installed (editable) package.
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_untouched_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _lint_path(tree).startswith(str(tree / "src"))


def _lint_path(tree: Path) -> str:
    """Where the linted package was found (proves the copy, not the installed tree, is analysed)."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    probe = subprocess.run(
        [sys.executable, "-c", "import expensehub; print(expensehub.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return probe.stdout


@pytest.mark.parametrize(
    ("target", "line", "contract"), FORBIDDEN, ids=[f"{t}: {ln}" for t, ln, _ in FORBIDDEN]
)
def test_each_forbidden_import_breaks_its_contract(tree: Path, target: str, line: str, contract: str) -> None:
    path = tree / "src" / "expensehub" / target
    original = path.read_text()
    try:
        path.write_text(f"{original}\n{line}  # added by the contract test\n")
        result = _lint(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0, f"{line!r} in {target} was not caught\n{result.stdout}"
    assert _status(result.stdout, contract) == "BROKEN", result.stdout


def _status(report: str, contract: str) -> str:
    """KEPT or BROKEN, as the report's summary says of the contract whose name starts with ``contract``
    (long names wrap over lines in the report)."""
    text = " ".join(report.split())
    start = text.index(contract)
    kept, broken = text.find("KEPT", start), text.find("BROKEN", start)
    candidates = [(pos, word) for pos, word in ((kept, "KEPT"), (broken, "BROKEN")) if pos >= 0]
    return min(candidates)[1]
