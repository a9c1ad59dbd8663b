"""Run the README's tour as written: its shell blocks, in order, in one shell, against a live server.

The tour is the ``bash`` blocks of the README section "A five-minute tour" (or of another section:
"Your own company" is run the same way). A line ``# => text`` after a
command is an answer the README shows: a line the commands print must be ``text`` (or, for a text of a
dozen characters or more, contain it), after the line of the previous answer (answers are checked in
order). A command that fails stops the tour (``set -euo
pipefail``), and so does an HTTP error: curl reads a ``.curlrc`` with ``fail-with-body``.

Used by tests/integration/test_readme_tour.py; also runnable by hand against a demo server:
``python tests/readme_tour.py`` (the demo's port in ``PORT``, its data folder in
``EXPENSEHUB_DATA_DIR``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TOUR_HEADING = "## A five-minute tour"
OWN_COMPANY_HEADING = "## Your own company"
POSTGRES_HEADING = "## Run on PostgreSQL"
ANSWER = re.compile(r"^\s*# => (.*)$")


@dataclass
class Block:
    """One shell block of the tour: its text and the answers it shows."""

    line: int
    text: str
    answers: list[str] = field(default_factory=list)


def tour_blocks(readme: Path = README, heading: str = TOUR_HEADING) -> list[Block]:
    """The ``bash`` blocks of the section ``heading`` (the tour by default), in order."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    blocks: list[Block] = []
    i = start
    while i < end:
        if lines[i].strip() == "```bash":
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            body = lines[i + 1 : j]
            answers = [m.group(1) for m in map(ANSWER.match, body) if m]
            blocks.append(Block(line=i + 1, text="\n".join(body), answers=answers))
            i = j
        i += 1
    return blocks


def _shows(line: str, answer: str) -> bool:
    """A printed line shows an answer when it is the answer, or, for an answer of a dozen characters
    or more (a phrase of a command's summary), when it contains it."""
    return line == answer or (len(answer) >= 12 and answer in line)


@dataclass
class Outcome:
    returncode: int
    output: str
    missing: list[tuple[int, str]]


def run_tour(
    env: dict[str, str], workdir: Path, timeout: float = 600, heading: str = TOUR_HEADING
) -> Outcome:
    """Run every block of the section ``heading`` in one bash process (variables carry over), in
    ``workdir``."""
    blocks = tour_blocks(heading=heading)
    curl_home = Path(tempfile.mkdtemp(prefix="curlrc-"))
    (curl_home / ".curlrc").write_text("fail-with-body\n")
    script = (
        "set -euo pipefail\n"
        + "\n".join(f"echo '--- README line {b.line}'\n{b.text}\n" for b in blocks)
        + "\nkill $(jobs -p) 2>/dev/null || true\n"
    )
    with subprocess.Popen(
        ["bash", "-c", script],
        cwd=workdir,
        env={**env, "CURL_HOME": str(curl_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            stderr += f"\nthe tour did not finish in {timeout:.0f} s"
        finally:
            with contextlib.suppress(ProcessLookupError):  # its background jobs (the receiver) end too
                os.killpg(proc.pid, signal.SIGKILL)
    output = stdout + stderr
    missing: list[tuple[int, str]] = []
    lines = [line.strip() for line in stdout.splitlines()]
    at = 0
    for block in blocks:
        for answer in block.answers:
            found = next((i for i in range(at, len(lines)) if _shows(lines[i], answer)), None)
            if found is None:
                missing.append((block.line, answer))
            else:
                at = found + 1
    return Outcome(proc.returncode, output, missing)


if __name__ == "__main__":
    outcome = run_tour(dict(os.environ), Path.cwd())
    print(outcome.output)
    for line, answer in outcome.missing:
        print(f"README line {line}: the answer {answer!r} was not printed", file=sys.stderr)
    sys.exit(outcome.returncode or bool(outcome.missing))
