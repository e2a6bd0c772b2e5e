"""The Converse request of one turn, static part first so that Bedrock can cache it:

toolConfig  update_invoice {reply, invoice} · cachePoint; toolChoice forces the tool
system      SYSTEM_PROMPT · cachePoint · today's date and the invoice's currency
messages    the last LLM_HISTORY_TURNS turns as plain text, then one user message with
            the current invoice JSON and the new message, followed by the blocks of
            the message's attached files (core/attachments/bedrock.py, `bedrock_content`:
            text per file, images within Bedrock's limits, no file names)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.attachments.bedrock import bedrock_content
from core.prompts import turn_context_note
from core.providers.base import ChatMessage, ProviderRequest
from core.providers.bedrock.tool import TOOL_NAME, tool_spec

CACHE_POINT = {"cachePoint": {"type": "default"}}


@dataclass(frozen=True)
class ModelOptions:
    """What every request of one provider shares (from the settings)."""

    model_id: str
    max_tokens: int
    temperature: float
    history_turns: int
    prompt_cache: bool


def converse_params(request: ProviderRequest, options: ModelOptions) -> dict[str, Any]:
    """The keyword arguments of `client.converse` for one turn."""
    currency = (request.invoice or {}).get("currency")
    system: list[dict[str, Any]] = [{"text": request.system_prompt}]
    tools: list[dict[str, Any]] = [tool_spec()]
    if options.prompt_cache:
        # Everything before a cache point must be the same on every turn, so the date
        # and the currency come after it.
        system.append(CACHE_POINT)
        tools.append(CACHE_POINT)
    system.append({"text": turn_context_note(request.today, currency)})
    return {
        "modelId": options.model_id,
        "system": system,
        "messages": messages(request, options.history_turns),
        "inferenceConfig": {"maxTokens": options.max_tokens, "temperature": options.temperature},
        "toolConfig": {"tools": tools, "toolChoice": {"tool": {"name": TOOL_NAME}}},
    }


def messages(request: ProviderRequest, history_turns: int) -> list[dict[str, Any]]:
    """History window and the new turn, merged so that roles alternate from a user turn."""
    window = request.history[-2 * history_turns :] if history_turns else ()
    turns = [*window, ChatMessage("user", current_turn_text(request))]
    merged: list[dict[str, Any]] = []
    for turn in turns:
        if not turn.content.strip():
            continue  # Converse refuses blank text blocks
        if not merged and turn.role != "user":
            continue  # a conversation must start with the user
        if merged and merged[-1]["role"] == turn.role:
            merged[-1]["content"].append({"text": turn.content})
        else:
            merged.append({"role": turn.role, "content": [{"text": turn.content}]})
    if request.attachments:  # the new message's files: after its text, in the same message
        merged[-1]["content"].extend(bedrock_content(request.attachments))
    return merged


def current_turn_text(request: ProviderRequest) -> str:
    """The last user message: the current invoice as JSON, then what the person wrote."""
    if request.invoice is None:
        invoice = "There is no invoice yet."
    else:
        as_json = json.dumps(request.invoice, ensure_ascii=False, separators=(",", ":"))
        invoice = f"The current invoice:\n```json\n{as_json}\n```"
    return f"{invoice}\n\nThe person's new message:\n{request.message}"
