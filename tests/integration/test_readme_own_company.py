"""A new install goes from nothing to its own company, legal entity, 50 imported employees, an API key,
an expense with a receipt and an export, with the README's section "Your own company" run as written
(tests/readme_tour.py) in a fresh data folder, the package's commands on the PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.live import free_port
from tests.readme_tour import OWN_COMPANY_HEADING, ROOT, run_tour, tour_blocks


def test_the_own_company_section_runs_as_written(tmp_path: Path) -> None:
    missing = [tool for tool in ("bash", "curl", "jq", "unzip") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("EXPENSEHUB_REQUIRE_BROWSER"):  # CI: scripts/test.sh installs them
            raise RuntimeError(f"the README section needs {', '.join(missing)}")
        pytest.skip(f"the README section needs {', '.join(missing)}")
    assert len(tour_blocks(heading=OWN_COMPANY_HEADING)) >= 2
    work = tmp_path / "clone"
    shutil.copytree(ROOT / "docs" / "samples", work / "docs" / "samples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPENSEHUB_")}
    env.update(
        EXPENSEHUB_DATA_DIR=str(tmp_path / "data"),
        PORT=str(free_port()),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    outcome = run_tour(env, work, timeout=300, heading=OWN_COMPANY_HEADING)
    assert outcome.returncode == 0, outcome.output[-3000:]
    assert outcome.missing == [], (outcome.missing, outcome.output[-3000:])
    assert (tmp_path / "data" / "expensehub.db").exists()
