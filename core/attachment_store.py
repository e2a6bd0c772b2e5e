"""Files attached to chat turns, kept with their session in Redis.

    session:{id}:files   hash  data:{attachment_id} -> the bytes, meta:{attachment_id} -> JSON
    session:{id}         field attachment_bytes: what the session's files weigh together

The API sniffs each upload on the request thread (`prepare_attachments`: cheap checks only,
core.attachments.accept_attachments) and stores the files in the same atomic step as the turn
(core/jobs.py, BEGIN_TURN), bounded per session by MAX_SESSION_ATTACHMENT_BYTES. The job
record carries the files' metadata and ids, never their bytes, and the broker carries only the
job id. A failed or cancelled turn removes its files again (FAIL_JOB, CANCEL_TURN), so the
session is left as it was; deleting the session deletes them. The worker reads them back
(`AttachmentStore.load`); the API serves one to its owner (`AttachmentStore.get`).

A file's name is kept for display only (`display_name`): without folders, control, bidi or
zero-width characters, at most 100 characters. It never reaches a prompt or an error message.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.attachments import AttachmentKind, AttachmentLimits, accept_attachments
from core.errors import AttachmentNotFound, AttachmentUnreadable, SessionGone
from core.ids import new_id
from core.redis_connection import Redis
from core.redis_model import attachments_key, session_key

MAX_NAME_CHARS = 100

EXTENSIONS = {
    AttachmentKind.PNG: "png",
    AttachmentKind.JPEG: "jpg",
    AttachmentKind.WEBP: "webp",
    AttachmentKind.PDF: "pdf",
    AttachmentKind.CSV: "csv",
    AttachmentKind.XLSX: "xlsx",
    AttachmentKind.UBL: "xml",
    AttachmentKind.CII: "xml",
}


@dataclass(frozen=True)
class NewAttachment:
    """A file accepted on upload, about to be stored with its turn."""

    attachment_id: str
    kind: AttachmentKind
    name: str
    data: bytes

    @property
    def meta(self) -> dict[str, Any]:
        """What clients and the conversation see of it (never the bytes)."""
        return {
            "attachment_id": self.attachment_id,
            "kind": self.kind.value,
            "content_type": self.kind.media_type,
            "size": len(self.data),
            "name": self.name,
        }


def display_name(filename: str | None, position: int, kind: AttachmentKind) -> str:
    """A name to show for the file: the last part of `filename` without control, format
    (bidi, zero-width) or separator characters other than spaces, at most MAX_NAME_CHARS;
    "attachment-N.ext" when nothing is left."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(c) in ("Zs", "Zl", "Zp") else c
        for c in name
        if unicodedata.category(c)[0] != "C"
    )
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 8:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME_CHARS].rstrip()
    return name or f"attachment-{position}.{EXTENSIONS[kind]}"


def prepare_attachments(
    uploads: Sequence[tuple[str | None, bytes]], limits: AttachmentLimits
) -> tuple[NewAttachment, ...]:
    """The uploads of one message, (file name, bytes) each, checked on the request thread:
    count, size, type sniffed from the content, pixels from the header, zip bombs, encrypted
    PDFs. Nothing is decoded or parsed here.

    Raises TooManyAttachments, UnsupportedAttachment, AttachmentTooLarge, AttachmentUnreadable
    (the first bad file's; details.attachment is its position, 1-based).
    """
    kinds = accept_attachments([data for _, data in uploads], limits)
    return tuple(
        NewAttachment(new_id(), kind, display_name(filename, position, kind), data)
        for position, ((filename, data), kind) in enumerate(
            zip(uploads, kinds, strict=True), start=1
        )
    )


@dataclass(frozen=True)
class StoredAttachment:
    meta: dict[str, Any]
    data: bytes

    @property
    def kind(self) -> AttachmentKind:
        return AttachmentKind(self.meta["kind"])


class AttachmentStore:
    """Reads the files of sessions (turns write and remove them: core/jobs.py). `client`
    must not decode responses (the files are bytes)."""

    def __init__(self, client: Redis):
        self.redis = client

    def load(self, session_id: str, attachment_ids: Sequence[str]) -> list[bytes]:
        """The files of a turn, in order. Raises SessionGone when they went with their session
        (deleted or expired), AttachmentUnreadable (reason `missing`) when only a file is gone."""
        if not attachment_ids:
            return []
        fields = [f"data:{aid}" for aid in attachment_ids]
        found = self.redis.hmget(attachments_key(session_id), fields)
        for position, data in enumerate(found, start=1):
            if data is None:
                if not self.redis.exists(session_key(session_id)):
                    raise SessionGone()
                raise AttachmentUnreadable(  # evicted: Redis ran out of memory, say
                    f"Attachment {position}: the file is no longer stored. Attach it again.",
                    attachment=position,
                    reason="missing",
                )
        return list(found)

    def get(self, session_id: str, owner: str, attachment_id: str) -> StoredAttachment:
        """One file of `owner`'s session, with its metadata. Not activity (no TTL touched).
        Raises AttachmentNotFound (also for another owner's session)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(session_key(session_id), "owner")
            pipe.hmget(
                attachments_key(session_id), [f"meta:{attachment_id}", f"data:{attachment_id}"]
            )
            session_owner, (meta, data) = pipe.execute()
        if session_owner is None or session_owner != owner.encode() or meta is None or data is None:
            raise AttachmentNotFound()
        return StoredAttachment(json.loads(meta), data)
