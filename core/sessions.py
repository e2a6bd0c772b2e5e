"""Sessions as clients read them: the conversation, the invoice, the token budget.

A session is three keys that always share one TTL (core/redis_model.py): the hash
`session:{id}`, the list `session:{id}:messages` and the hash of its attached files
`session:{id}:files` (when it has any). Turns write them (core/jobs.py); this
module reads and deletes them. Reading is activity: it refreshes the TTL of both keys in the
same step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.clock import Clock, isoformat, utc_now
from core.errors import SessionNotFound
from core.ids import new_id
from core.redis_connection import Redis
from core.redis_model import attachments_key, lua, messages_key, session_key

# KEYS: session, messages, files   ARGV: owner, now, session_ttl
_READ_SESSION = lua("""
local session, messages, files = KEYS[1], KEYS[2], KEYS[3]
if redis.call("EXISTS", session) == 0 or redis.call("HGET", session, "owner") ~= ARGV[1] then
  return false
end
redis.call("HSET", session, "last_activity", ARGV[2])
local session_id = redis.call("HGET", session, "session_id")
redis.call("ZADD", "$ACTIVE_SESSIONS", redis.call("TIME")[1], session_id)
redis.call("EXPIRE", session, tonumber(ARGV[3]))
redis.call("EXPIRE", messages, tonumber(ARGV[3]))
redis.call("EXPIRE", files, tonumber(ARGV[3]))
return {redis.call("HGETALL", session), redis.call("LRANGE", messages, 0, -1)}
""")

# KEYS: session, messages, files   ARGV: owner
_DELETE_SESSION = lua("""
if redis.call("HGET", KEYS[1], "owner") ~= ARGV[1] then return 0 end
redis.call("ZREM", "$ACTIVE_SESSIONS", redis.call("HGET", KEYS[1], "session_id"))
return redis.call("DEL", KEYS[1], KEYS[2], KEYS[3])
""")


# KEYS: session   ARGV: session_id, owner, now, session_ttl, invoice_json
# A new session holding `invoice` and no messages (a copy of an issued invoice, to edit);
# the same fields as BEGIN_TURN writes when it creates one. Returns 0 if the id is taken.
_CREATE_SESSION_WITH_INVOICE = lua("""
local session = KEYS[1]
if redis.call("EXISTS", session) == 1 then return 0 end
local now = ARGV[3]
redis.call("HSET", session, "session_id", ARGV[1], "owner", ARGV[2], "created_at", now,
           "last_activity", now, "token_count", 0, "usage_input", 0, "usage_output", 0,
           "usage_cache_read", 0, "usage_cache_write", 0, "invoice", ARGV[5])
redis.call("ZADD", "$ACTIVE_SESSIONS", redis.call("TIME")[1], ARGV[1])
redis.call("EXPIRE", session, tonumber(ARGV[4]))
return 1
""")

# KEYS: session   ARGV: owner, number
# The session's invoice was issued as `number`: from now on turns are refused (BEGIN_TURN) and
# reads show the issued invoice. Returns 0 when the session is gone (expired, deleted).
_MARK_ISSUED = lua("""
if redis.call("HGET", KEYS[1], "owner") ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "issued_number", ARGV[2])
return 1
""")


@dataclass(frozen=True)
class StoredMessage:
    role: str
    content: str
    created_at: str
    tokens: int
    attachments: tuple[dict[str, Any], ...] = ()  # metadata of the files sent with it


@dataclass(frozen=True)
class SessionView:
    """A session as a client sees it."""

    session_id: str
    created_at: str
    last_activity: str
    expires_at: str
    messages: tuple[StoredMessage, ...]
    invoice: dict[str, Any] | None
    token_count: int
    pending_job_id: str | None
    usage: dict[str, int]
    issued_number: str | None = None  # set once the invoice is issued (core/records)


class SessionStore:
    """Reads and deletes sessions (turns write them: core/jobs.py)."""

    def __init__(self, client: Redis, *, session_ttl: int, clock: Clock = utc_now):
        self.redis = client
        self.session_ttl = session_ttl
        self.clock = clock
        self._read = client.register_script(_READ_SESSION)
        self._delete = client.register_script(_DELETE_SESSION)
        self._create_with_invoice = client.register_script(_CREATE_SESSION_WITH_INVOICE)
        self._mark_issued = client.register_script(_MARK_ISSUED)

    def read_session(self, session_id: str, owner: str) -> SessionView:
        """The whole session; reading is activity (TTL refreshed). Raises SessionNotFound."""
        now = self.clock()
        answer = self._read(
            keys=[session_key(session_id), messages_key(session_id), attachments_key(session_id)],
            args=[owner, isoformat(now), self.session_ttl],
        )
        if not answer:
            raise SessionNotFound()
        fields_list, raw_messages = answer
        fields = dict(zip(fields_list[::2], fields_list[1::2], strict=True))
        return SessionView(
            session_id=session_id,
            created_at=fields["created_at"],
            last_activity=fields["last_activity"],
            expires_at=isoformat(now + timedelta(seconds=self.session_ttl)),
            messages=tuple(StoredMessage(**_message_fields(m)) for m in raw_messages),
            invoice=json.loads(fields["invoice"]) if fields.get("invoice") else None,
            token_count=int(fields["token_count"]),
            pending_job_id=fields.get("pending_job_id") or None,
            issued_number=fields.get("issued_number") or None,
            usage={
                "input_tokens": int(fields.get("usage_input", 0)),
                "output_tokens": int(fields.get("usage_output", 0)),
                "cache_read_tokens": int(fields.get("usage_cache_read", 0)),
                "cache_write_tokens": int(fields.get("usage_cache_write", 0)),
            },
        )

    def delete_session(self, session_id: str, owner: str) -> None:
        """Delete the session and its messages. Raises SessionNotFound."""
        deleted = self._delete(
            keys=[session_key(session_id), messages_key(session_id), attachments_key(session_id)],
            args=[owner],
        )
        if not deleted:
            raise SessionNotFound()

    def create_session_with_invoice(self, owner: str, invoice: dict[str, Any]) -> str:
        """A new session of `owner` whose invoice is `invoice` (JSON-ready), with no messages
        yet and the usual TTL; returns its id."""
        while True:  # a taken id (122 random bits) is as good as impossible; never overwrite
            session_id = new_id()
            created = self._create_with_invoice(
                keys=[session_key(session_id)],
                args=[session_id, owner, isoformat(self.clock()), self.session_ttl,
                      json.dumps(invoice)],
            )  # fmt: skip
            if created:
                return session_id

    def mark_issued(self, session_id: str, owner: str, number: str) -> bool:
        """Record that the session's invoice was issued as `number`: its turns are refused
        from now on (409 invoice_issued) and reads show the issued invoice. False when the
        session no longer exists. Not activity."""
        return bool(self._mark_issued(keys=[session_key(session_id)], args=[owner, number]))


def message_json(
    role: str,
    content: str,
    created_at: str,
    tokens: int,
    attachments: tuple[dict[str, Any], ...] = (),
) -> str:
    """A message as the session's list stores it (`attachments` only when it has files)."""
    message = {"role": role, "content": content, "created_at": created_at, "tokens": tokens}
    if attachments:
        message["attachments"] = list(attachments)
    return json.dumps(message)


def _message_fields(raw: str) -> dict[str, Any]:
    data = json.loads(raw)
    fields = {k: data[k] for k in ("role", "content", "created_at", "tokens")}
    fields["attachments"] = tuple(data.get("attachments") or ())
    return fields
