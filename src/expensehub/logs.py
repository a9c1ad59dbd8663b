"""Structured logs, configured once per process: one JSON object per line on stderr.

Every entrypoint (the ASGI app, the worker, each CLI command) calls :func:`configure` with the
settings' level and format. Both ``structlog`` loggers and the standard library's ``logging`` (ours,
uvicorn's, SQLAlchemy's) go through the same processors, so every line has ``timestamp``, ``level``,
``logger`` and ``event``, plus whatever is bound to the current context: an API request binds its
``request_id`` (and the caller's ``company_id`` once known), so a traceback logged anywhere while
serving it carries both.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["json", "console"]

_configured: tuple[str, str, int] | None = None


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is emitted (not when configured), so a process
    that swaps stderr (a test runner capturing output, a daemon) never writes to a closed stream."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure(level: str = "INFO", fmt: LogFormat = "json", stream: TextIO | None = None) -> None:
    """Route every log of the process through structlog's processors to ``stream`` (stderr).

    Calling it again with the same arguments does nothing; with others, it reconfigures.
    """
    global _configured
    key = (level.upper(), fmt, id(stream))
    if _configured == key:
        return
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(formatter)
    handler.set_name("expensehub")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "expensehub"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own handlers would print a second, unstructured copy; let its records reach ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Alembic announces each of its plugins at INFO whenever it reads the migrations; its migration steps
    # ("Running upgrade ...") stay at INFO.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    _configured = key


def get_logger(name: str) -> Any:
    """A structlog logger writing through :func:`configure`'s handler."""
    return structlog.stdlib.get_logger(name)


def bind(**values: Any) -> Any:
    """Bind ``values`` to every log line of the current context; returns tokens for :func:`unbind`."""
    return structlog.contextvars.bind_contextvars(**values)


def unbind(tokens: Any) -> None:
    structlog.contextvars.reset_contextvars(**tokens)


def current(name: str) -> Any:
    """A value bound to the current context (e.g. ``request_id``), or None."""
    return structlog.contextvars.get_contextvars().get(name)


def reset() -> None:
    """Remove the handler :func:`configure` installed (for tests and embedding applications)."""
    global _configured
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "expensehub"]:
        root.removeHandler(old)
    _configured = None
