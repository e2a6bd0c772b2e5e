"""Claude on Amazon Bedrock through the Converse API.

One turn is one `converse` call, static part first so that Bedrock can cache it:

    toolConfig  update_invoice {reply, invoice} · cachePoint; toolChoice forces the tool
    system      SYSTEM_PROMPT · cachePoint · today's date and the invoice's currency
    messages    the last LLM_HISTORY_TURNS turns as plain text, then one user message with
                the current invoice JSON and the new message

The answer is the tool's input. A model that answers in text instead may put the same JSON
object in its text (a ```json fence or bare). botocore errors end here; callers see only:

    ThrottlingException, ServiceUnavailableException, InternalServerException,
    ModelNotReadyException, ModelTimeoutException, ModelErrorException, any 5xx,
    timeouts and connection errors                  -> ProviderTransient (the worker retries)
    AccessDeniedException                           -> ProviderError: enable the model, check IAM
    ValidationException, ResourceNotFoundException  -> ProviderError naming the model
    missing or rejected credentials                 -> ProviderError: how to configure them
    stopReason max_tokens, no or malformed answer   -> ProviderError (session untouched)

botocore itself retries throttling and 5xx answers a few times (standard mode, jittered
backoff) before a ProviderTransient reaches the worker, which retries the whole turn later.
`check_bedrock(settings)` (and `python -m core.providers.bedrock`) makes one tiny real call.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from functools import cache
from typing import Any

from core.attachments.bedrock import bedrock_content
from core.errors import ConfigurationError, ProviderError, ProviderTransient
from core.prompts import turn_context_note
from core.providers.base import ChatMessage, ProviderReply, ProviderRequest, Usage
from core.schemas import DecimalText, InvoiceDraftSchema
from core.settings import Settings

log = logging.getLogger(__name__)

TOOL_NAME = "update_invoice"
CONNECT_TIMEOUT = 5.0
# Converse answers only once the whole reply is generated: a long invoice at LLM_MAX_TOKENS
# can take minutes. The read timeout is shortened when JOB_TIME_LIMIT leaves less room.
READ_TIMEOUT = 180.0
MAX_ATTEMPTS = 3  # botocore's attempts per turn; the worker retries the turn on top of that
# What JOB_TIME_LIMIT must leave besides the attempts themselves: Celery's soft limit fires
# 10 s early, and botocore sleeps up to 1 + 2 s between throttled attempts (+5 s each when
# Bedrock sends x-amz-retry-after).
_TIME_LIMIT_MARGIN = 25.0
_MIN_READ_TIMEOUT = 10.0

_CACHE_POINT = {"cachePoint": {"type": "default"}}
_DECIMAL_PATTERN = r"^[0-9]+(\.[0-9]+)?$"

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ModelErrorException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
    }
)

CREDENTIALS_HELP = (
    "No AWS credentials were found for Bedrock. Set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or AWS_PROFILE for a "
    "profile in ~/.aws, or AWS_BEARER_TOKEN_BEDROCK for a Bedrock API key, or run on an "
    "instance or container with an IAM role. Without AWS, set LLM_PROVIDER=offline."
)

TOOL_DESCRIPTION = (
    "Answer the person and state the complete invoice draft after this turn. `reply` is the "
    "message shown to the person; `invoice` is the whole draft (every field kept that the "
    "person did not ask to change), or null when nothing changes. State facts only: amounts "
    "are decimal strings, and the server computes every total. VAT categories other than the "
    "rate's (reverse charge, exempt, export, intra-community) are set only when the person "
    "says so; ask when unsure."
)


# --- the tool's input schema -----------------------------------------------------------------


@cache
def tool_input_schema() -> dict[str, Any]:
    """JSON Schema of the tool input: {"reply": string, "invoice": InvoiceDraft or null}.

    Generated from InvoiceDraftSchema (the one source of truth), with OpenAPI-only keywords
    removed so that it is plain JSON Schema.
    """
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    # No schema names: nested schemas are inlined instead of becoming $refs to components.
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    APISpec("invoice-agent", "1", "3.1.0", plugins=[plugin])
    # Amounts are decimal strings (as in the API), never JSON numbers the model could round.
    plugin.map_to_openapi_type(DecimalText, "string", None)
    plugin.converter.add_attribute_function(_decimal_pattern)
    draft = _plain_json_schema(plugin.converter.schema2jsonschema(InvoiceDraftSchema))
    draft["type"] = ["object", "null"]
    draft["description"] = "The complete invoice draft after this turn, or null if unchanged."
    return {
        "type": "object",
        "properties": {
            "reply": {"type": "string", "description": "The message to show the person."},
            "invoice": draft,
        },
        "required": ["reply", "invoice"],
    }


def _decimal_pattern(converter: Any, field: Any, **_: Any) -> dict[str, Any]:
    return {"pattern": _DECIMAL_PATTERN} if isinstance(field, DecimalText) else {}


_OPENAPI_ONLY = frozenset({"nullable", "example", "discriminator", "xml", "externalDocs"})


def _plain_json_schema(schema: Any) -> Any:
    """`schema` without OpenAPI keywords (x-*, nullable, example, …); property names kept."""
    if not isinstance(schema, dict):
        return schema
    plain: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-") or key in _OPENAPI_ONLY:
            continue
        if key == "properties":
            plain[key] = {name: _plain_json_schema(sub) for name, sub in value.items()}
        elif key in {"anyOf", "oneOf", "allOf"}:
            plain[key] = [_plain_json_schema(sub) for sub in value]
        elif key in {"items", "additionalProperties", "not"}:
            plain[key] = _plain_json_schema(value)
        else:
            plain[key] = value
    return plain


# --- settings --------------------------------------------------------------------------------


def read_timeout_for(settings: Settings, connect_timeout: float, max_attempts: int) -> float:
    """READ_TIMEOUT, or less, so that every attempt of a turn ends before JOB_TIME_LIMIT.

    Raises ConfigurationError when JOB_TIME_LIMIT leaves too little time for one answer.
    """
    budget = (settings.job_time_limit - _TIME_LIMIT_MARGIN) / max_attempts - connect_timeout
    if budget < _MIN_READ_TIMEOUT:
        needed = int((_MIN_READ_TIMEOUT + connect_timeout) * max_attempts + _TIME_LIMIT_MARGIN)
        raise ConfigurationError(
            f"JOB_TIME_LIMIT={settings.job_time_limit} leaves Bedrock too little time per "
            f"attempt; set it to at least {needed} seconds."
        )
    return min(READ_TIMEOUT, budget)


# --- the provider ----------------------------------------------------------------------------


class BedrockProvider:
    """Claude (or any Converse model with forced tool use) on Amazon Bedrock.

    One boto3 client per instance, reused by every turn; boto3 clients are thread-safe.
    Raises ConfigurationError when the settings cannot be used.
    """

    name = "bedrock"
    reads_images = True  # attached files come as pictures + text (core/turns.py)

    def __init__(
        self,
        settings: Settings,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self.model_id = settings.bedrock_model_id
        self.region = settings.aws_region
        self.max_tokens = settings.llm_max_tokens
        # float: boto3's inferenceConfig wants a JSON number (Settings validated it: 0 to 1)
        self.temperature = float(settings.llm_temperature)
        self.history_turns = max(0, settings.llm_history_turns)
        self.prompt_cache = settings.llm_prompt_cache
        if read_timeout is None:
            read_timeout = read_timeout_for(settings, connect_timeout, max_attempts)
        self.client = _make_client(settings, connect_timeout, read_timeout, max_attempts)

    def respond(self, request: ProviderRequest) -> ProviderReply:
        """One Converse call. Raises ProviderTransient or ProviderError (see the module doc)."""
        response = self.converse(self.converse_params(request))
        return self._reply(response)

    # -- the request ---------------------------------------------------------------------

    def converse_params(self, request: ProviderRequest) -> dict[str, Any]:
        """The keyword arguments of `client.converse` for one turn."""
        currency = (request.invoice or {}).get("currency")
        system: list[dict[str, Any]] = [{"text": request.system_prompt}]
        tools: list[dict[str, Any]] = [
            {
                "toolSpec": {
                    "name": TOOL_NAME,
                    "description": TOOL_DESCRIPTION,
                    "inputSchema": {"json": tool_input_schema()},
                }
            }
        ]
        if self.prompt_cache:
            # Everything before a cache point must be the same on every turn, so the date
            # and the currency come after it.
            system.append(_CACHE_POINT)
            tools.append(_CACHE_POINT)
        system.append({"text": turn_context_note(request.today, currency)})
        return {
            "modelId": self.model_id,
            "system": system,
            "messages": self._messages(request),
            "inferenceConfig": {"maxTokens": self.max_tokens, "temperature": self.temperature},
            "toolConfig": {"tools": tools, "toolChoice": {"tool": {"name": TOOL_NAME}}},
        }

    def _messages(self, request: ProviderRequest) -> list[dict[str, Any]]:
        """History window and the new turn, merged so that roles alternate from a user turn."""
        window = request.history[-2 * self.history_turns :] if self.history_turns else ()
        turns = [*window, ChatMessage("user", _current_turn_text(request))]
        messages: list[dict[str, Any]] = []
        for turn in turns:
            if not turn.content.strip():
                continue  # Converse refuses blank text blocks
            if not messages and turn.role != "user":
                continue  # a conversation must start with the user
            if messages and messages[-1]["role"] == turn.role:
                messages[-1]["content"].append({"text": turn.content})
            else:
                messages.append({"role": turn.role, "content": [{"text": turn.content}]})
        if request.attachments:  # the files of the new message: text and image blocks
            messages[-1]["content"].extend(bedrock_content(request.attachments))
        return messages

    # -- the call ------------------------------------------------------------------------

    def converse(self, params: dict[str, Any]) -> dict[str, Any]:
        """`client.converse(**params)` with botocore's errors translated into ours."""
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        try:
            return self.client.converse(**params)
        except ClientError as error:
            raise self._client_error(error) from None
        except BotoCoreError as error:
            raise self._botocore_error(error) from None
        except ResponseParserError:
            # Not JSON from the endpoint: a proxy or load balancer page, most likely passing.
            log.warning("bedrock answer not parseable", exc_info=True)
            raise ProviderTransient("Bedrock sent an answer that could not be read.") from None
        except (AttributeError, TypeError, KeyError):
            # JSON of the wrong shape (a string body, an "output" that is not an object):
            # botocore's parser trips over it. The answer is unusable, not our bug.
            log.warning("bedrock answer of the wrong shape", exc_info=True)
            raise ProviderError("Bedrock sent an answer of the wrong shape.") from None

    def _client_error(self, error: Any) -> ProviderError:
        info = error.response.get("Error", {})
        code = info.get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        aws_message = str(info.get("Message", ""))
        log.warning(
            "bedrock call failed: %s (HTTP %s) %s",
            code,
            status,
            aws_message,
            extra={
                "model_id": self.model_id,
                "region": self.region,
                "aws_request_id": error.response.get("ResponseMetadata", {}).get("RequestId"),
            },
        )
        where = f"model {self.model_id} in region {self.region}"
        if code in _TRANSIENT_CODES or status >= 500 or status == 429:
            return ProviderTransient(f"Bedrock is busy or unavailable ({code or status}).")
        if code == "AccessDeniedException":
            # AWS's own message names the account and role: logged above, not shown.
            return ProviderError(
                f"Bedrock denied access to {where}: enable the model for this account and "
                "region in the Bedrock console (Model access), and check that the AWS "
                "identity is allowed bedrock:InvokeModel on it."
            )
        if code == "ResourceNotFoundException":
            return ProviderError(
                f"Bedrock has no {where}: check BEDROCK_MODEL_ID (a model or inference profile "
                "id available in that region) and AWS_REGION."
            )
        if code == "ValidationException":
            hint = " If the model does not support prompt caching, set LLM_PROMPT_CACHE=off."
            return ProviderError(
                f"Bedrock rejected the request for {where}: {_shorten(aws_message)} Check "
                "BEDROCK_MODEL_ID (some models need an inference profile id), LLM_MAX_TOKENS "
                f"and LLM_TEMPERATURE.{hint if self.prompt_cache else ''}"
            )
        if code in _CREDENTIAL_CODES:
            return ProviderError(
                f"AWS rejected the credentials used for Bedrock ({code}): they are wrong or "
                "expired. Refresh them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / "
                "AWS_SESSION_TOKEN, or the profile in AWS_PROFILE)."
            )
        if code == "ServiceQuotaExceededException":
            return ProviderError(
                f"Bedrock quota exceeded for {where}: request a higher quota in the Service "
                "Quotas console or wait until it resets."
            )
        return ProviderError(f"Bedrock refused the request for {where} ({code or status}).")

    def _botocore_error(self, error: Exception) -> ProviderError:
        from botocore import exceptions as bx

        log.warning("bedrock call failed: %r", error, extra={"model_id": self.model_id})
        if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
            return ProviderError(CREDENTIALS_HELP)
        if isinstance(
            error, bx.CredentialRetrievalError | bx.NoAuthTokenError | bx.TokenRetrievalError
        ):
            return ProviderError(
                "AWS credentials for Bedrock could not be loaded (an expired SSO login or a "
                "failing credential_process?). " + CREDENTIALS_HELP
            )
        if isinstance(error, bx.ReadTimeoutError):
            return ProviderTransient("Bedrock did not answer in time.")
        if isinstance(error, bx.ConnectionError | bx.HTTPClientError):
            return ProviderTransient(f"Bedrock could not be reached in region {self.region}.")
        if isinstance(error, bx.ParamValidationError):
            return ProviderError(f"The request built for Bedrock is not valid: {error}")
        return ProviderError(f"The call to Bedrock failed: {type(error).__name__}.")

    # -- the answer ----------------------------------------------------------------------

    def _reply(self, response: dict[str, Any]) -> ProviderReply:
        stop_reason = response.get("stopReason")
        if stop_reason == "max_tokens":
            raise ProviderError(
                f"The model's answer was cut off at LLM_MAX_TOKENS={self.max_tokens} tokens "
                "before the invoice was complete; nothing was changed. Raise LLM_MAX_TOKENS or "
                "ask for a smaller change."
            )
        if stop_reason == "model_context_window_exceeded":
            raise ProviderError(
                "The conversation no longer fits the model's context; nothing was changed. "
                "Start a new session or lower LLM_HISTORY_TURNS."
            )
        if stop_reason in {"guardrail_intervened", "content_filtered"}:
            raise ProviderError(
                "The model declined to answer this message (content filter); nothing was "
                "changed. Rephrase the request."
            )
        content = response.get("output", {}).get("message", {}).get("content") or []
        answer = _tool_input(content)
        if answer is None:
            answer = _json_in_text(content)
        reply, invoice = _answer_fields(answer)
        return ProviderReply(reply=reply, invoice=invoice, usage=_usage(response))


def _make_client(
    settings: Settings, connect_timeout: float, read_timeout: float, max_attempts: int
) -> Any:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},  # first try included
        # One connection per concurrent turn, or threads queue for the pool's default 10.
        max_pool_connections=max(10, settings.worker_concurrency),
        user_agent_extra="invoice-agent",
    )
    try:
        return boto3.session.Session().client(
            "bedrock-runtime",
            region_name=settings.aws_region,
            endpoint_url=settings.bedrock_endpoint_url or None,
            config=config,
        )
    except (BotoCoreError, ValueError) as error:
        raise ConfigurationError(
            f"A Bedrock client cannot be made for AWS_REGION={settings.aws_region!r}, "
            f"BEDROCK_ENDPOINT_URL={settings.bedrock_endpoint_url!r}: {error}"
        ) from None


def _current_turn_text(request: ProviderRequest) -> str:
    if request.invoice is None:
        invoice = "There is no invoice yet."
    else:
        as_json = json.dumps(request.invoice, ensure_ascii=False, separators=(",", ":"))
        invoice = f"The current invoice:\n```json\n{as_json}\n```"
    return f"{invoice}\n\nThe person's new message:\n{request.message}"


def _tool_input(content: list[dict[str, Any]]) -> Any | None:
    for block in content:
        tool_use = block.get("toolUse")
        if tool_use and tool_use.get("name") == TOOL_NAME:
            return tool_use.get("input")
    return None


_FENCE = re.compile(r"```(?:json)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)


def _json_in_text(content: list[dict[str, Any]]) -> Any | None:
    """The first JSON object in the answer's text: in a ```json fence, else bare."""
    text = "\n".join(block["text"] for block in content if isinstance(block.get("text"), str))
    for fenced in _FENCE.findall(text):
        try:
            value = json.loads(fenced)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _answer_fields(answer: Any) -> tuple[str, dict[str, Any] | None]:
    """(reply, invoice) from the tool input. Raises ProviderError when it has another shape."""
    if answer is None:
        raise _unusable("it neither called update_invoice nor gave a JSON answer")
    if not isinstance(answer, dict):
        raise _unusable("its answer is not a JSON object")
    reply = answer.get("reply")
    if not isinstance(reply, str):
        raise _unusable("its answer has no reply text")
    if "invoice" not in answer:
        raise _unusable("its answer has no invoice field")
    invoice = answer["invoice"]
    if isinstance(invoice, str):
        # Models sometimes pass a nested object as JSON text.
        try:
            invoice = json.loads(invoice) if invoice.strip() not in {"", "null"} else None
        except ValueError:
            raise _unusable("its invoice is not a JSON object") from None
    if invoice is not None and not isinstance(invoice, dict):
        raise _unusable("its invoice is not a JSON object")
    if not reply.strip():
        if invoice is None:
            raise _unusable("its answer is empty")
        reply = "I updated the invoice."
    return reply, invoice


def _unusable(why: str) -> ProviderError:
    return ProviderError(
        f"The model's answer could not be used ({why}); nothing was changed. Please try again "
        "or rephrase the request."
    )


def _usage(response: dict[str, Any]) -> Usage:
    usage = response.get("usage") or {}
    return Usage(
        input_tokens=int(usage.get("inputTokens", 0)),
        output_tokens=int(usage.get("outputTokens", 0)),
        cache_read_tokens=int(usage.get("cacheReadInputTokens", 0)),
        cache_write_tokens=int(usage.get("cacheWriteInputTokens", 0)),
    )


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text if text.endswith((".", "…")) else text + "."


# --- the check -------------------------------------------------------------------------------


def check_bedrock(settings: Settings) -> tuple[bool, str]:
    """One tiny real call with the configured credentials, region and model.

    It forces a one-field tool (and sends a cache point when LLM_PROMPT_CACHE is on), so a
    model that cannot serve invoices fails here too. Returns (ok, a message for a person).
    """
    try:
        provider = BedrockProvider(settings)
        system: list[dict[str, Any]] = [{"text": "You answer health checks."}]
        if provider.prompt_cache:
            system.append(_CACHE_POINT)
        started = time.monotonic()
        response = provider.converse(
            {
                "modelId": provider.model_id,
                "system": system,
                "messages": [{"role": "user", "content": [{"text": "Call check with ok=true."}]}],
                "inferenceConfig": {"maxTokens": 100},
                "toolConfig": {
                    "tools": [
                        {
                            "toolSpec": {
                                "name": "check",
                                "inputSchema": {
                                    "json": {
                                        "type": "object",
                                        "properties": {"ok": {"type": "boolean"}},
                                        "required": ["ok"],
                                    }
                                },
                            }
                        }
                    ],
                    "toolChoice": {"tool": {"name": "check"}},
                },
            }
        )
    except (ConfigurationError, ProviderError) as error:
        return False, error.message
    seconds = time.monotonic() - started
    where = f"model {provider.model_id} in region {provider.region}"
    content = response.get("output", {}).get("message", {}).get("content") or []
    if not any("toolUse" in block for block in content):
        return False, f"Bedrock answered but {where} did not use the forced tool."
    usage = _usage(response)
    return True, (
        f"Bedrock works: {where} answered in {seconds:.1f} s "
        f"({usage.input_tokens} input and {usage.output_tokens} output tokens)."
    )


def main() -> int:
    """`python -m core.providers.bedrock`: check the Bedrock configuration; exit 0 when it works."""
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(error.message, file=sys.stderr)
        return 2
    ok, message = check_bedrock(settings)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
