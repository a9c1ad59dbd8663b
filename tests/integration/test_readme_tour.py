"""The README works as written: `scripts/demo.sh` on a free port, then every command of the tour, in
order, in one shell, checked against the answers the README shows (tests/readme_tour.py)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import free_port
from tests.readme_tour import ROOT, run_tour, tour_blocks

TOOLS = ("bash", "curl", "jq", "unzip")


def _tools_or_skip() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        if os.environ.get("EXPENSEHUB_REQUIRE_BROWSER"):  # CI: scripts/test.sh installs them
            raise RuntimeError(f"the README tour needs {', '.join(missing)}")
        pytest.skip(f"the README tour needs {', '.join(missing)}")


def _clean_env(tmp: Path) -> dict[str, str]:
    """A user's shell: none of the test session's EXPENSEHUB_* settings, the demo's data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPENSEHUB_")}
    env["EXPENSEHUB_DATA_DIR"] = str(tmp / "demo-data")
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict[str, str]]]:
    """``scripts/demo.sh --port P`` as the README says, until the tests of this module end."""
    _tools_or_skip()
    tmp = tmp_path_factory.mktemp("readme")
    env = _clean_env(tmp)
    port = free_port()
    log = (tmp / "demo.log").open("w")
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "demo.sh"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600  # installs the package and seeds 5,000 claims first
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"scripts/demo.sh exited: {(tmp / 'demo.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("scripts/demo.sh did not serve within 600 s")
            time.sleep(0.5)
        yield port, env
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_the_tour_runs_as_written(demo: tuple[int, dict[str, str]], tmp_path: Path) -> None:
    port, env = demo
    # The README's paths are relative to the clone (docs/samples, tests/data/feeds); the files the tour
    # writes (exports, bundles, reports) go to a scratch folder.
    for name in ("docs", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    shell_env = {**env, "PORT": str(port), "PATH": f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"}
    outcome = run_tour(shell_env, tmp_path)
    assert outcome.returncode == 0, outcome.output[-6000:]
    assert not outcome.missing, (outcome.missing, outcome.output[-6000:])


def test_the_tour_shows_answers_and_no_placeholders() -> None:
    blocks = tour_blocks()
    assert len(blocks) >= 5
    assert sum(len(b.answers) for b in blocks) >= 20
    commands = [line for b in blocks for line in b.text.splitlines() if not line.lstrip().startswith("#")]
    placeholders = [line for line in commands if re.search(r"<[a-z][a-z _]*>", line)]
    assert not placeholders, f"placeholders for the reader to fill in: {placeholders}"
