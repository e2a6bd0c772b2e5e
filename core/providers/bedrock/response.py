"""A Converse answer read into (reply, invoice draft, usage).

The answer is the update_invoice tool's input. A model that answers in text instead may put the
same JSON object in its text (a ```json fence or bare). A cut-off, filtered or malformed answer
is a ProviderError and the session is left untouched.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.errors import ProviderError
from core.providers.base import ProviderReply
from core.providers.bedrock.tool import TOOL_NAME
from core.providers.bedrock.usage import usage_of

_FENCE = re.compile(r"```(?:json)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)


def read_reply(response: dict[str, Any], *, max_tokens: int) -> ProviderReply:
    """The turn's reply from a Converse answer. Raises ProviderError when it cannot be used."""
    _check_stop_reason(response.get("stopReason"), max_tokens)
    content = response.get("output", {}).get("message", {}).get("content") or []
    answer = tool_input(content)
    if answer is None:
        answer = json_in_text(content)
    reply, invoice = answer_fields(answer)
    return ProviderReply(reply=reply, invoice=invoice, usage=usage_of(response))


def _check_stop_reason(stop_reason: Any, max_tokens: int) -> None:
    if stop_reason == "max_tokens":
        raise ProviderError(
            f"The model's answer was cut off at LLM_MAX_TOKENS={max_tokens} tokens "
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


def tool_input(content: list[dict[str, Any]], name: str = TOOL_NAME) -> Any | None:
    """The input of the first call of tool `name` in the answer's content, or None."""
    for block in content:
        tool_use = block.get("toolUse")
        if tool_use and tool_use.get("name") == name:
            return tool_use.get("input")
    return None


def json_in_text(content: list[dict[str, Any]]) -> Any | None:
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


def answer_fields(answer: Any) -> tuple[str, dict[str, Any] | None]:
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
