"""Fixtures for the abuse suite: hostile clients, hostile LLM answers, and the figures they give.

The app runs on the private Redis of tests/conftest.py; turns run in-process with
`run_job` (tests/api/conftest.py) and a provider that answers whatever the test says, so a
"model" can return 10,000 lines or a script tag without a message having to script it.

Each test may record figures (`figures["name"] = value`); they are printed at the end of the
run under "abuse figures", for docs/reliability.md.
"""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.providers.base import ProviderReply, ProviderRequest, Usage
from tests.support.api import GENERATE, run_job
from tests.support.providers import BUYER, SELLER

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
LEAKS = ("Traceback", 'File "', "redis.exceptions", "kombu", "werkzeug", "marshmallow.")

# status -> the error codes docs/api.md allows for it
ERROR_CODES = {
    400: {"invalid_json", "invalid_upload"},
    401: {"unauthorized"},
    404: {
        "session_not_found",
        "job_not_found",
        "batch_not_found",
        "no_invoice",
        "not_found",
        "invoice_not_found",
        "client_not_found",
        "attachment_not_found",
    },  # fmt: skip
    405: {"method_not_allowed"},
    409: {"turn_in_progress", "invoice_issued"},
    413: {
        "token_limit_exceeded",
        "payload_too_large",
        "too_many_attachments",
        "attachment_too_large",
    },  # fmt: skip
    415: {"unsupported_attachment"},
    422: {"validation_error", "einvoice_incomplete", "attachment_unreadable"},
    429: {"rate_limited"},
    503: {"unavailable"},
}

# An invoice with everything EN 16931 asks for, so every export renders (SELLER, BUYER).


def complete_draft(**facts: Any) -> dict[str, Any]:
    """A draft every export accepts: 40 h of consulting at 150 EUR, 8 % tax, plus `facts`."""
    draft = {
        "currency": "EUR",
        "issue_date": "2026-12-01",
        "due_date": "2026-12-31",
        "seller": dict(SELLER),
        "buyer": dict(BUYER),
        "items": [
            {"description": "Consulting", "quantity": "40", "unit_price": "150", "tax_rate": "8"}
        ],
    }
    draft.update(facts)
    return draft


class FixedAnswer:
    """A provider that answers `reply` and `invoice`, whatever the user said."""

    name = "fixed"

    def __init__(self, invoice: Any = None, reply: str = "Done."):
        self.invoice = invoice
        self.reply = reply
        self.requests: list[ProviderRequest] = []

    def respond(self, request: ProviderRequest) -> ProviderReply:
        self.requests.append(request)
        return ProviderReply(reply=self.reply, invoice=self.invoice, usage=Usage())


def turn(
    app: Flask,
    provider: Any,
    *,
    message: str = "Invoice Acme Corp",
    session_id: str | None = None,
    path: str = GENERATE,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a turn, run it in-process with `provider`; returns the 202 body plus `outcome`."""
    client = app.test_client()
    body: dict[str, Any] = {"message": message}
    if session_id:
        body["session_id"] = session_id
    response = client.post(path, json=body, headers=headers or {})
    assert response.status_code == 202, response.get_data(as_text=True)
    accepted = response.get_json()
    accepted["outcome"] = run_job(app, accepted["job_id"], provider)
    return accepted


def error_of(response) -> dict[str, Any]:
    """The error object of a 4xx/5xx response, after checking the one error shape.

    {"error": {"code", "message", "details"?}}: JSON, a documented code for the status, a
    message for a person, details a non-empty object when present, no internals.
    """
    text = response.get_data(as_text=True)
    assert response.mimetype == "application/json", (response.status_code, text[:300])
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, text[:300]
    error = body["error"]
    assert isinstance(error, dict), text[:300]
    assert {"code", "message"} <= set(error) <= {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and SNAKE_CASE.match(error["code"]), error
    assert error["code"] in ERROR_CODES.get(response.status_code, {error["code"]}), (
        response.status_code,
        error,
    )
    assert isinstance(error["message"], str) and error["message"].strip(), error
    if "details" in error:
        assert isinstance(error["details"], dict) and error["details"], error
    for leak in LEAKS:
        assert leak not in text, text[:500]
    assert response.headers.get("X-Request-ID"), dict(response.headers)
    return error


# -- memory ------------------------------------------------------------------------------------


def _status_kib(name: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE).group(1))


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process (Linux: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Peak:
    """Peak memory while a block ran: Python allocations, and the process's resident set."""

    python_bytes: int = 0
    rss_growth_bytes: int | None = None  # None where the kernel's peak cannot be reset

    @property
    def python_mb(self) -> float:
        return round(self.python_bytes / 2**20, 1)

    @property
    def rss_mb(self) -> float | None:
        return None if self.rss_growth_bytes is None else round(self.rss_growth_bytes / 2**20, 1)


@contextmanager
def peak_memory(*, python: bool = True) -> Iterator[Peak]:
    """Measure the block: tracemalloc's peak (Python) and peak RSS growth (C libraries too).

    `python=False` skips tracemalloc, which slows pure-Python code (WeasyPrint) severalfold.
    """
    peak = Peak()
    can_reset = _reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    if python:
        tracemalloc.start()
    try:
        yield peak
    finally:
        if python:
            _, peak.python_bytes = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        if can_reset:
            peak.rss_growth_bytes = max(0, _status_kib("VmHWM") - rss_before) * 1024


# -- figures -----------------------------------------------------------------------------------

_FIGURES: dict[str, Any] = {}


@pytest.fixture
def figures() -> dict[str, Any]:
    """A dict shared by the run; what tests put in it is printed under "abuse figures"."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("abuse figures")
    for name, value in _FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
