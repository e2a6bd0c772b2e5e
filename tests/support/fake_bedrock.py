"""A fake Amazon Bedrock Runtime that speaks the Converse wire format, for tests.

boto3 reaches it through BEDROCK_ENDPOINT_URL, so botocore's real serialisation, SigV4
signing, response parsing, error parsing and retries all run:

    with FakeBedrock() as fake:                      # 127.0.0.1:<free port>, in a thread
        fake.add(throttling(), tool_use("Created.", {...draft...}))
        settings = Settings.from_env({}, dotenv_path=None, bedrock_endpoint_url=fake.url)
        ...
        fake.requests[0].body["toolConfig"], fake.requests[0].headers["authorization"]

It answers `POST /model/{modelId}/converse` with the next scripted response, in order; with
none left it answers 400 `FakeBedrockUnscripted`. Errors come as AWS sends them: the status
of the error, `x-amzn-ErrorType: <Code>:http://internal.amazon.com/coral/...`, and a JSON body
`{"message": ...}`. Like the real service, it refuses (400 ValidationException, without using
up a scripted response) requests that break Converse's message rules: the conversation must
start with a user message, roles must alternate, text blocks must not be blank, and a forced
tool must be one of the tools offered.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

# A worker's environment for LLM_PROVIDER=bedrock against the fake (add BEDROCK_ENDPOINT_URL):
# dummy credentials, and no instance-metadata lookups.
BEDROCK_ENV = {
    "LLM_PROVIDER": "bedrock",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "not-a-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_REGION": "us-east-1",
}

_CONVERSE_PATH = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


@dataclass(frozen=True)
class ScriptedResponse:
    """One HTTP answer: status, JSON body, extra headers, and a delay before it is sent."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the fake received it (header names lower-cased, model id decoded)."""

    method: str
    path: str
    model_id: str | None
    headers: dict[str, str]
    body: Any


# --- responses -------------------------------------------------------------------------------


def converse_response(
    content: list[dict[str, Any]],
    *,
    stop_reason: str = "end_turn",
    usage: dict[str, int] | None = None,
    delay: float = 0.0,
) -> ScriptedResponse:
    """A successful Converse answer with `content` blocks from the assistant."""
    tokens = {"inputTokens": 1200, "outputTokens": 150, **(usage or {})}
    tokens["totalTokens"] = (
        tokens["inputTokens"]
        + tokens["outputTokens"]
        + tokens.get("cacheReadInputTokens", 0)
        + tokens.get("cacheWriteInputTokens", 0)
    )
    return ScriptedResponse(
        200,
        {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": tokens,
            "metrics": {"latencyMs": 842},
        },
        delay=delay,
    )


def tool_use(
    reply: str = "Done.",
    invoice: dict[str, Any] | None = None,
    *,
    tool_input: Any = None,
    name: str = "update_invoice",
    stop_reason: str = "tool_use",
    usage: dict[str, int] | None = None,
    delay: float = 0.0,
) -> ScriptedResponse:
    """The model calls the tool with {"reply", "invoice"} (or exactly `tool_input`)."""
    if tool_input is None:
        tool_input = {"reply": reply, "invoice": invoice}
    block = {"toolUse": {"toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}", "name": name}}
    block["toolUse"]["input"] = tool_input
    return converse_response([block], stop_reason=stop_reason, usage=usage, delay=delay)


def text(answer: str, *, stop_reason: str = "end_turn") -> ScriptedResponse:
    """The model answers in text instead of calling the tool."""
    return converse_response([{"text": answer}], stop_reason=stop_reason)


def aws_error(status: int, error_type: str, message: str) -> ScriptedResponse:
    """An error as Bedrock sends it."""
    return ScriptedResponse(
        status, {"message": message}, {"x-amzn-ErrorType": error_type + _ERROR_TYPE_SUFFIX}
    )


def throttling() -> ScriptedResponse:
    return aws_error(
        429, "ThrottlingException", "Too many requests, please wait before trying again."
    )


def service_unavailable() -> ScriptedResponse:
    return aws_error(
        503, "ServiceUnavailableException", "Bedrock is unable to process your request."
    )


def internal_error() -> ScriptedResponse:
    return aws_error(500, "InternalServerException", "The server encountered an internal error.")


def access_denied() -> ScriptedResponse:
    return aws_error(
        403,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
        "bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x",
    )


def validation(message: str = "The provided model identifier is invalid.") -> ScriptedResponse:
    return aws_error(400, "ValidationException", message)


def not_found(message: str = "Model not found.") -> ScriptedResponse:
    return aws_error(404, "ResourceNotFoundException", message)


# --- Converse's message rules ----------------------------------------------------------------


def converse_rule_violation(body: Any) -> str | None:
    """What the real service would refuse in this request body, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return "1 validation error detected: Value null at 'messages' failed to satisfy constraint"
    messages = body["messages"]
    if not messages:
        return "A conversation must start with a user message."
    if messages[0].get("role") != "user":
        return (
            "A conversation must start with a user message. Try again with a conversation "
            "that starts with a user message."
        )
    for index, message in enumerate(messages):
        if index and message.get("role") == messages[index - 1].get("role"):
            return (
                "A conversation must alternate between user and assistant roles. Make sure "
                "the conversation alternates between user and assistant roles and try again."
            )
        for block_index, block in enumerate(message.get("content") or []):
            if "text" in block and not str(block["text"]).strip():
                return (
                    f"The text field in the ContentBlock object at messages.{index}.content."
                    f"{block_index} is blank. Add text to the text field, and try again."
                )
    tool_config = body.get("toolConfig") or {}
    forced = (tool_config.get("toolChoice") or {}).get("tool", {}).get("name")
    offered = {t["toolSpec"]["name"] for t in tool_config.get("tools", []) if "toolSpec" in t}
    if forced is not None and forced not in offered:
        return f"The tool {forced} named in toolChoice is not in toolConfig.tools."
    return None


# --- the server ------------------------------------------------------------------------------


class FakeBedrock:
    """The fake Converse endpoint: a scripted queue of responses and a log of requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._responses: deque[ScriptedResponse] = deque()
        self._requests: list[ReceivedRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Scripted responses not yet sent."""
        with self._lock:
            return len(self._responses)

    def add(self, *responses: ScriptedResponse) -> FakeBedrock:
        with self._lock:
            self._responses.extend(responses)
        return self

    def reset(self) -> None:
        """Forget scripted responses and received requests (between tests)."""
        with self._lock:
            self._responses.clear()
            self._requests.clear()

    def start(self) -> FakeBedrock:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> FakeBedrock:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next(self) -> ScriptedResponse:
        with self._lock:
            if self._responses:
                return self._responses.popleft()
        return aws_error(400, "FakeBedrockUnscripted", "The test scripted no response for this.")


def _handler_for(fake: FakeBedrock) -> type[BaseHTTPRequestHandler]:
    class ConverseHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

        def do_POST(self) -> None:  # noqa: N802 - the name http.server looks for
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            path = urlsplit(self.path).path
            match = _CONVERSE_PATH.match(path)
            fake._record(
                ReceivedRequest(
                    method="POST",
                    path=path,
                    model_id=unquote(match["model"]) if match else None,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            if match is None:
                self._send(aws_error(404, "UnknownOperationException", f"No operation at {path}"))
                return
            problem = converse_rule_violation(body)
            self._send(validation(problem) if problem else fake._next())

        def _send(self, response: ScriptedResponse) -> None:
            if response.delay:
                time.sleep(response.delay)
            payload = json.dumps(response.body).encode()
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a read timeout): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: the requests are recorded instead

    return ConverseHandler
