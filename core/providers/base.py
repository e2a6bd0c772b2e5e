"""The one interface every LLM provider implements.

A provider gets the system prompt, the recent conversation and the current invoice draft, and
returns the assistant's reply, the updated draft (or None when it changed nothing), and usage.
It never computes amounts: the core prices whatever draft it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from core.attachments import ExtractedDocument

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class Usage:
    """Tokens the provider reports for one call (zero for the offline engine)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class ProviderRequest:
    """Everything a provider needs for one turn.

    `invoice` is the current draft as JSON (InvoiceDraftSchema's shape, or the stored invoice
    with its computed fields) or None when there is none yet; `previous_invoice` is the
    invoice as it was before its last change (so "undo" can restore it); `history` holds the
    last turns before `message`, oldest first. `attachments` are the files sent with
    `message`, already read by the worker (core.attachments: OCR'd for a provider that reads
    no images, rendered to pictures for one whose `reads_images` is True), numbered 1, 2, …
    in upload order; their file names are not among them.
    """

    system_prompt: str
    history: tuple[ChatMessage, ...]
    message: str
    invoice: dict[str, Any] | None
    today: date
    previous_invoice: dict[str, Any] | None = None
    attachments: tuple[ExtractedDocument, ...] = ()


@dataclass(frozen=True)
class ProviderReply:
    """The reply text, the updated invoice draft as JSON (None = unchanged), and usage."""

    reply: str
    invoice: dict[str, Any] | None
    usage: Usage = field(default_factory=Usage)


class Provider(Protocol):
    """An LLM (or an offline engine) that turns a conversation into invoice drafts."""

    name: str
    # True: attachments come as pictures for the model to look at (PDF pages rendered, no
    # OCR); absent or False: read to text (OCR for images and scans). See core/turns.py.
    # reads_images: bool

    def respond(self, request: ProviderRequest) -> ProviderReply:
        """Answer one turn.

        Raises ProviderTransient for throttling and passing failures (the turn is retried) and
        ProviderError for failures that retrying cannot fix.
        """
        ...
