"""Structured logs: one JSON object per line with time, level, event and the ids in context.

    {"time": "...", "level": "INFO", "logger": "api.access", "event": "request",
     "request_id": "...", "session_id": "...", "job_id": "...", "status": 202, ...}

`log_context(request_id=..., job_id=...)` binds ids for everything logged inside it (a
contextvar, so each gevent greenlet or gunicorn thread keeps its own). Message text and
credentials are never logged: call sites log ids, codes and timings only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_CONTEXT: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039


class JsonFormatter(_JsonFormatter):
    """python-json-logger with our field names and the bound ids."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger", "message": "event"},
            timestamp="time",
        )

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        for key, value in _CONTEXT.get().items():
            log_record.setdefault(key, value)


@contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    """Add these ids to every log line written inside the block."""
    token = _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind(**ids: str | None) -> None:
    """Add ids to the current context until it ends or is started afresh."""
    _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in ids.items() if v}})


def start_context(**ids: str | None) -> None:
    """Begin a fresh context (a new request on a reused thread forgets the last one's ids)."""
    _CONTEXT.set({k: v for k, v in ids.items() if v})


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process; idempotent."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
