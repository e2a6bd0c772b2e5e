"""Token counts of one Converse answer (cache reads and writes included)."""

from __future__ import annotations

from typing import Any

from core.providers.base import Usage


def usage_of(response: dict[str, Any]) -> Usage:
    """The answer's `usage` block as our Usage; missing counts are 0."""
    usage = response.get("usage") or {}
    return Usage(
        input_tokens=int(usage.get("inputTokens", 0)),
        output_tokens=int(usage.get("outputTokens", 0)),
        cache_read_tokens=int(usage.get("cacheReadInputTokens", 0)),
        cache_write_tokens=int(usage.get("cacheWriteInputTokens", 0)),
    )
