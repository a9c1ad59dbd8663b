"""The progress bars the CLI shows while seeding (nothing is shown without a console)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Bar:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        if progress is not None:
            self._ref = progress.add_task("reference data", total=1)
            self._claims = progress.add_task("expensables", total=total)

    def reference_done(self) -> None:
        if self._progress is not None:
            self._progress.update(self._ref, completed=1)

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._claims, n)


@contextmanager
def bar(console: Console | None, total: int) -> Iterator[Bar]:
    """A bar for the reference data and one for the ``total`` expensables, on ``console`` if given."""
    if console is None:
        yield Bar(None, total)
        return
    columns = (
        TextColumn("{task.description:<15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        yield Bar(progress, total)
