"""Waiting in tests: poll for the condition, never sleep a fixed time and hope.

The suite runs on loaded 2-core machines (CI runs two pytest workers beside other jobs), so a limit on
waiting only bounds a hang: it is generous, and it costs time only when something is broken. A test
that waits for something to happen polls for it with ``wait_for``; one that waits for a process or a
thread to end gives it ``HANG_S``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

# How long a test waits for what should happen (a server up, a delivery made, a thread done) before it
# calls it a hang.
HANG_S = 120.0


def wait_for(
    predicate: Callable[[], bool], timeout: float = HANG_S, what: str = "condition", interval: float = 0.02
) -> None:
    """Return as soon as ``predicate()`` holds; fail after ``timeout`` seconds without it."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def blocked_in_query(thread: threading.Thread, function: str) -> bool:
    """Whether ``thread`` runs a database statement (a driver call) from inside ``function``.

    Polled while the test holds a lock that statement needs, it tells when the thread has reached the
    statement and waits there, since the statement cannot return before the lock is released.
    """
    frame = sys._current_frames().get(thread.ident or -1)
    names: list[str] = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return function in names and any(name.startswith("do_execute") for name in names)
