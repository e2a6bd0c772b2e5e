"""`make check-bedrock` / `python -m core.providers.bedrock`: one tiny real Converse call with
the configured credentials, region and model; exit 0 when it works."""

from __future__ import annotations

import sys
import time
from typing import Any

from core.errors import ConfigurationError, ProviderError
from core.providers.bedrock.provider import BedrockProvider
from core.providers.bedrock.request import CACHE_POINT
from core.providers.bedrock.usage import usage_of
from core.settings import Settings

_CHECK_TOOL = {
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
}


def check_bedrock(settings: Settings) -> tuple[bool, str]:
    """One tiny real call with the configured credentials, region and model.

    It forces a one-field tool (and sends a cache point when LLM_PROMPT_CACHE is on), so a
    model that cannot serve invoices fails here too. Returns (ok, a message for a person).
    """
    try:
        provider = BedrockProvider(settings)
        system: list[dict[str, Any]] = [{"text": "You answer health checks."}]
        if provider.prompt_cache:
            system.append(CACHE_POINT)
        started = time.monotonic()
        response = provider.converse(
            {
                "modelId": provider.model_id,
                "system": system,
                "messages": [{"role": "user", "content": [{"text": "Call check with ok=true."}]}],
                "inferenceConfig": {"maxTokens": 100},
                "toolConfig": _CHECK_TOOL,
            }
        )
    except (ConfigurationError, ProviderError) as error:
        return False, error.message
    seconds = time.monotonic() - started
    where = f"model {provider.model_id} in region {provider.region}"
    content = response.get("output", {}).get("message", {}).get("content") or []
    if not any("toolUse" in block for block in content):
        return False, f"Bedrock answered but {where} did not use the forced tool."
    usage = usage_of(response)
    return True, (
        f"Bedrock works: {where} answered in {seconds:.1f} s "
        f"({usage.input_tokens} input and {usage.output_tokens} output tokens)."
    )


def main() -> int:
    """Check the Bedrock configuration; 0 when it works, 1 when not, 2 for bad settings."""
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(error.message, file=sys.stderr)
        return 2
    ok, message = check_bedrock(settings)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
