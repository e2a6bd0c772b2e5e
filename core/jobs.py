"""Turn jobs in Redis: stored when accepted, started, applied or failed, each in one step.

A turn's user message waits in its job record (`job:{id}`); it joins the session together
with the assistant's reply when the turn succeeds, in one atomic script. A failed turn
therefore leaves the session exactly as it was. Every script here works on the keys it is
given, and the session's two keys always leave a script with the same TTL. A job of a batch
(field `batch_id`) moves its batch's counts in the same step as its own status, so the counts
of `batch:{id}` are always exact; the job scripts also count the workers' figures for
/metrics (`metrics:counters`). Key names: core/redis_model.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from core.attachment_store import NewAttachment
from core.clock import Clock, isoformat, utc_now
from core.errors import (
    AttachmentTooLarge,
    InvoiceAgentError,
    InvoiceIssued,
    SessionGone,
    SessionNotFound,
    TokenLimitExceeded,
    TurnInProgress,
)
from core.job_events import JobWaiters
from core.providers.base import ChatMessage, Usage
from core.redis_connection import Pipeline, Redis, ReplicaWait
from core.redis_model import (
    FINAL_STATUSES,
    QUEUED_JOBS,
    RUNNING_JOBS,
    JobStatus,
    TurnOutcome,
    attachments_key,
    job_key,
    lua,
    messages_key,
    session_key,
)
from core.request_budgets import WINDOW_HIT, Charge
from core.sessions import message_json
from core.workers import WORKER_DEAD_AFTER_SECONDS

# What every script that ends or moves a job shares (core/batches.py's CANCEL_BATCH too).
JOB_MOVES = """
local function not_queued(job)
  redis.call("ZREM", "$QUEUED_JOBS", string.sub(job, $JOB_PREFIX_LENGTH + 1))
end
local function finished(job)  -- a batch item's place in flight is free (core/batch_queue.py)
  local job_id = string.sub(job, $JOB_PREFIX_LENGTH + 1)
  redis.call("HDEL", "$RUNNING_JOBS", job_id)
  redis.call("ZREM", "$BATCH_INFLIGHT", job_id)
  redis.call("ZREM", "$BATCH_OPEN_PREFIX" .. (redis.call("HGET", job, "owner") or ""), job_id)
end
local function count(field, amount)
  redis.call("HINCRBY", "$COUNTERS", field, amount or 1)
end
local function move_batch_count(job, from, to)
  local batch = redis.call("HGET", job, "batch_id")
  if batch and batch ~= "" then
    redis.call("HINCRBY", "$BATCH_PREFIX" .. batch, from, -1)
    redis.call("HINCRBY", "$BATCH_PREFIX" .. batch, to, 1)
  end
end
local function is_final(status)
  return status == "$STATUS_SUCCEEDED" or status == "$STATUS_FAILED"
    or status == "$STATUS_CANCELLED"
end
local function alive(worker, dead_after)  -- its heartbeat (Redis's clock) is recent
  local beat = redis.call("ZSCORE", "$HEARTBEATS", worker)
  return beat and tonumber(redis.call("TIME")[1]) - tonumber(beat) < dead_after
end
"""

# A failed or cancelled turn's files leave its session again (core/attachment_store.py).
DROP_FILES = """
local function drop_files(job, session, files)
  local ids = redis.call("HGET", job, "attachment_ids")
  if not ids or ids == "" then return end
  for id in string.gmatch(ids, "%S+") do
    redis.call("HDEL", files, "data:" .. id, "meta:" .. id)
  end
  if redis.call("EXISTS", session) == 1 then
    local weight = tonumber(redis.call("HGET", job, "attachment_bytes") or "0")
    redis.call("HINCRBY", session, "attachment_bytes", -weight)
  end
end
"""

# KEYS: session, messages, job, files, and the caller's turn budget (core/request_budgets.py)
#       when the turn is charged to it
# ARGV: session_id, owner, create ("1"/"0"), job_id, kind, message, message_tokens, now,
#       token_limit, session_ttl, job_ttl, request_id, batch_id ("" for a chat turn),
#       attachments (JSON list of metadata, "" for none), attachment ids (space-separated),
#       their bytes together, the session's limit of bytes, the budget's limit and seconds
#       (0 0 when not charged), then (meta JSON, bytes) per file
# Returns {"ok", token_count} | {"not_found"} | {"issued", number} | {"in_progress", job_id}
#       | {"token_limit", count} | {"attachments_full", bytes the session holds}
#       | {"rate_limited", seconds to wait}
# The budget is charged first, as at the API's door: a turn refused for its session counts.
_BEGIN_TURN = lua(
    WINDOW_HIT
    + """
local session, messages, job, files = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local session_id, owner, create, job_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if KEYS[5] then
  local wait = window_hit(KEYS[5], tonumber(ARGV[18]), tonumber(ARGV[19]))
  if wait > 0 then return {"rate_limited", wait} end
end
local tokens, now = tonumber(ARGV[7]), ARGV[8]
local limit, session_ttl, job_ttl = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])

local count = 0
if create == "1" then
  if redis.call("EXISTS", session) == 1 then return {"not_found"} end
else
  if redis.call("EXISTS", session) == 0 or redis.call("HGET", session, "owner") ~= owner then
    return {"not_found"}
  end
  local issued = redis.call("HGET", session, "issued_number")  -- an issued invoice never changes
  if issued then return {"issued", issued} end
  local pending = redis.call("HGET", session, "pending_job_id")
  if pending then
    local pending_status = redis.call("HGET", "$JOB_PREFIX" .. pending, "status")
    if pending_status == "$STATUS_QUEUED" or pending_status == "$STATUS_RUNNING" then
      return {"in_progress", pending}
    end
  end
  count = tonumber(redis.call("HGET", session, "token_count"))
end
if count + tokens > limit then return {"token_limit", count} end
local file_bytes = tonumber(ARGV[16])
if file_bytes > 0 then
  local held = 0
  if create ~= "1" then held = tonumber(redis.call("HGET", session, "attachment_bytes") or "0") end
  if held + file_bytes > tonumber(ARGV[17]) then return {"attachments_full", held} end
end

if create == "1" then
  redis.call("HSET", session, "session_id", session_id, "owner", owner, "created_at", now,
             "token_count", 0, "usage_input", 0, "usage_output", 0,
             "usage_cache_read", 0, "usage_cache_write", 0)
end
redis.call("HSET", session, "pending_job_id", job_id, "last_activity", now)
redis.call("ZADD", "$ACTIVE_SESSIONS", redis.call("TIME")[1], session_id)
redis.call("HSET", job, "job_id", job_id, "session_id", session_id, "owner", owner,
           "kind", ARGV[5], "message", ARGV[6], "message_tokens", tokens,
           "status", "$STATUS_QUEUED", "created_at", now, "request_id", ARGV[12],
           "attempts", 0, "batch_id", ARGV[13])
if ARGV[15] ~= "" then
  local i = 20
  for id in string.gmatch(ARGV[15], "%S+") do
    redis.call("HSET", files, "meta:" .. id, ARGV[i], "data:" .. id, ARGV[i + 1])
    i = i + 2
  end
  redis.call("HSET", job, "attachments", ARGV[14], "attachment_ids", ARGV[15],
             "attachment_bytes", file_bytes)
  redis.call("HINCRBY", session, "attachment_bytes", file_bytes)
end
redis.call("EXPIRE", session, session_ttl)
redis.call("EXPIRE", messages, session_ttl)
redis.call("EXPIRE", files, session_ttl)
redis.call("EXPIRE", job, job_ttl)
if ARGV[13] == "" then  -- a batch item waits in its owner's queue (core/batch_queue.py) first
  redis.call("ZADD", "$QUEUED_JOBS", redis.call("TIME")[1], job_id)  -- see _RECLAIM_QUEUED
end
return {"ok", count}
"""
)

# Undo BEGIN_TURN when the job could not be enqueued.
# KEYS: session, messages, job, files
# ARGV: job_id, created ("1" when BEGIN_TURN created the session)
_CANCEL_TURN = lua(
    DROP_FILES
    + """
local session, messages, job, files = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
drop_files(job, session, files)
redis.call("DEL", job)
redis.call("ZREM", "$QUEUED_JOBS", ARGV[1])
if ARGV[2] == "1" then
  redis.call("ZREM", "$ACTIVE_SESSIONS", redis.call("HGET", session, "session_id") or "")
  redis.call("DEL", session, messages, files)
elseif redis.call("HGET", session, "pending_job_id") == ARGV[1] then
  redis.call("HDEL", session, "pending_job_id")
end
return 1
"""
)

# KEYS: job   ARGV: now, history_turns (-1: the job alone), worker, dead_after (s)
# Returns {the job's fields (flat list), the session's fields, its last messages} (what a turn
# reads to run, in the same round trip), or {"missing"} / {"final"} / {"busy"} (another worker,
# alive, runs it: a second delivery). Reading the session is not activity: no TTL is touched.
_START_JOB = lua(
    JOB_MOVES
    + """
local job, worker = KEYS[1], ARGV[3]
local status = redis.call("HGET", job, "status")
if not status then return {"missing"} end
if is_final(status) then return {"final"} end
if status == "$STATUS_RUNNING" then
  local holder = redis.call("HGET", job, "worker")
  if holder and holder ~= "" and holder ~= worker and alive(holder, tonumber(ARGV[4])) then
    return {"busy"}
  end
end
if status == "$STATUS_QUEUED" then move_batch_count(job, "$STATUS_QUEUED", "$STATUS_RUNNING") end
not_queued(job)
local job_id = string.sub(job, $JOB_PREFIX_LENGTH + 1)
if worker ~= "" then redis.call("HSET", "$RUNNING_JOBS", job_id, worker) end
redis.call("HSET", job, "status", "$STATUS_RUNNING", "worker", worker,
           "held_at", redis.call("TIME")[1])
redis.call("HSETNX", job, "started_at", ARGV[1])
redis.call("HINCRBY", job, "attempts", 1)
local history = tonumber(ARGV[2])
if history < 0 then return {redis.call("HGETALL", job)} end
local session = "$SESSION_PREFIX" .. redis.call("HGET", job, "session_id")
local fields = redis.call("HMGET", session, "session_id", "invoice", "token_count",
                          "previous_invoice")
local messages = {}
if history > 0 then  -- LRANGE -0 -1 would be the whole list
  messages = redis.call("LRANGE", session .. ":messages", -2 * history, -1)
end
return {redis.call("HGETALL", job), fields, messages}
"""
)

# KEYS: session, messages, job, files
# ARGV: job_id, now, user_message, assistant_message, tokens_added, invoice_json ("" = keep),
#       usage_input, usage_output, usage_cache_read, usage_cache_write, result_json,
#       session_gone_error_json
# Returns "applied", "already" (a redelivered job finished before) or "session_gone".
_APPLY_TURN = lua(
    JOB_MOVES
    + """
local session, messages, job, files = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local job_id, now = ARGV[1], ARGV[2]
local status = redis.call("HGET", job, "status")
if not status or is_final(status) then return "$OUTCOME_ALREADY" end

local outcome = "$OUTCOME_APPLIED"
if redis.call("HGET", session, "pending_job_id") ~= job_id then
  -- deleted or expired while the turn ran: never bring the session back
  redis.call("HSET", job, "status", "$STATUS_FAILED", "error", ARGV[12], "finished_at", now)
  move_batch_count(job, status, "$STATUS_FAILED")
  count("jobs_failed:session_not_found")
  outcome = "$OUTCOME_SESSION_GONE"
else
  redis.call("RPUSH", messages, ARGV[3], ARGV[4])
  redis.call("HINCRBY", session, "token_count", ARGV[5])
  if ARGV[6] ~= "" then
    local replaced = redis.call("HGET", session, "invoice")
    if replaced then redis.call("HSET", session, "previous_invoice", replaced) end  -- for undo
    redis.call("HSET", session, "invoice", ARGV[6])
  end
  redis.call("HINCRBY", session, "usage_input", ARGV[7])
  redis.call("HINCRBY", session, "usage_output", ARGV[8])
  redis.call("HINCRBY", session, "usage_cache_read", ARGV[9])
  redis.call("HINCRBY", session, "usage_cache_write", ARGV[10])
  redis.call("HDEL", session, "pending_job_id")
  -- a finishing turn is not user activity: the messages list joins the session's TTL as it is
  redis.call("PEXPIRE", messages, redis.call("PTTL", session))
  if redis.call("EXISTS", files) == 1 then
    redis.call("PEXPIRE", files, redis.call("PTTL", session))
  end
  redis.call("HSET", job, "status", "$STATUS_SUCCEEDED", "result", ARGV[11], "finished_at", now)
  move_batch_count(job, status, "$STATUS_SUCCEEDED")
  count("jobs_succeeded")
  count("tokens_input", ARGV[7])
  count("tokens_output", ARGV[8])
  count("tokens_cache_read", ARGV[9])
  count("tokens_cache_write", ARGV[10])
end
finished(job)
redis.call("PUBLISH", "$FINISHED_CHANNEL", job_id)  -- wakes long-polls (core/job_events.py)
return outcome
"""
)

# KEYS: session, job, files   ARGV: job_id, error_json, now, error_code
# Returns "failed", "already" or "missing".
_FAIL_JOB = lua(
    JOB_MOVES
    + DROP_FILES
    + """
local session, job, files = KEYS[1], KEYS[2], KEYS[3]
local status = redis.call("HGET", job, "status")
if not status then return "missing" end
if is_final(status) then return "$OUTCOME_ALREADY" end
drop_files(job, session, files)
redis.call("HSET", job, "status", "$STATUS_FAILED", "error", ARGV[2], "finished_at", ARGV[3])
move_batch_count(job, status, "$STATUS_FAILED")
not_queued(job)
finished(job)
count("jobs_failed:" .. ARGV[4])
if redis.call("HGET", session, "pending_job_id") == ARGV[1] then
  redis.call("HDEL", session, "pending_job_id")
end
redis.call("PUBLISH", "$FINISHED_CHANNEL", ARGV[1])
return "$OUTCOME_FAILED"
"""
)

# A running job whose worker stopped beating (killed, its machine gone) goes back to queued,
# to be published again: another worker picks it up within seconds, instead of waiting for
# the broker's visibility timeout. So does a running job its live worker no longer runs (its
# heartbeat, beaten after the job started, does not list it): after a Redis failover the
# write that finished it may have been lost with the old primary. If a message of the job is
# delivered again later, START_JOB finds it final, or running on a live worker, and skips it.
# ARGV: dead_after (s)   Returns {job_id, batch_id, ...}
_RECLAIM_ORPHANS = lua(
    JOB_MOVES
    + """
local dead_after = tonumber(ARGV[1])
local now = tonumber(redis.call("TIME")[1])
local running = redis.call("HGETALL", "$RUNNING_JOBS")
local claimed = {}
for i = 1, #running, 2 do
  local job_id, worker = running[i], running[i + 1]
  local job = "$JOB_PREFIX" .. job_id
  if redis.call("HGET", job, "status") ~= "$STATUS_RUNNING"
     or redis.call("HGET", job, "worker") ~= worker then
    redis.call("HDEL", "$RUNNING_JOBS", job_id)
  elseif not alive(worker, dead_after) or (
    redis.call("SISMEMBER", "$WORKER_RUNNING_PREFIX" .. worker, job_id) == 0
    and tonumber(redis.call("ZSCORE", "$HEARTBEATS", worker))
        > tonumber(redis.call("HGET", job, "held_at") or "0") + 1) then
    redis.call("HSET", job, "status", "$STATUS_QUEUED", "worker", "")
    redis.call("HINCRBY", job, "handbacks", 1)
    move_batch_count(job, "$STATUS_RUNNING", "$STATUS_QUEUED")
    redis.call("HDEL", "$RUNNING_JOBS", job_id)
    redis.call("ZADD", "$QUEUED_JOBS", now, job_id)
    count("jobs_handed_back")
    table.insert(claimed, job_id)
    table.insert(claimed, redis.call("HGET", job, "batch_id") or "")
  end
end
return claimed
"""
)

# A job can be queued in Redis with no message anywhere to run it: a worker killed between
# kombu's BRPOP and its own bookkeeping, or Redis lost between BEGIN_TURN and the publish.
# Queued jobs are tracked in jobs:queued (id -> when queued, dispatched or last deferred).
# This claims up to ARGV[3] of those still queued after ARGV[1] seconds (a chat turn: its
# queue drains fast) or ARGV[2] seconds (a batch item: it may wait behind hundreds), marking
# them as seen now, so that the caller publishes them again (a second delivery is harmless).
# ARGV: chat_seconds, batch_seconds, limit   Returns {job_id, batch_id, ...}
_RECLAIM_QUEUED = lua("""
local now = tonumber(redis.call("TIME")[1])
local chat_age, batch_age = tonumber(ARGV[1]), tonumber(ARGV[2])
local old = redis.call("ZRANGEBYSCORE", "$QUEUED_JOBS", "-inf",
                       now - math.min(chat_age, batch_age), "LIMIT", 0, tonumber(ARGV[3]))
local claimed = {}
for _, job_id in ipairs(old) do
  local job = "$JOB_PREFIX" .. job_id
  local status = redis.call("HGET", job, "status")
  local batch_id = redis.call("HGET", job, "batch_id") or ""
  local age = now - tonumber(redis.call("ZSCORE", "$QUEUED_JOBS", job_id))
  if status ~= "$STATUS_QUEUED" then
    redis.call("ZREM", "$QUEUED_JOBS", job_id)
  elseif age >= (batch_id == "" and chat_age or batch_age) then
    redis.call("ZADD", "$QUEUED_JOBS", now, job_id)
    table.insert(claimed, job_id)
    table.insert(claimed, batch_id)
  end
end
return claimed
""")


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    session_id: str
    owner: str
    kind: str
    status: JobStatus
    message: str
    message_tokens: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    request_id: str
    attempts: int
    batch_id: str = ""
    handbacks: int = 0  # how often its worker was lost while it ran
    attachments: tuple[dict[str, Any], ...] = ()  # the files' metadata (bytes: in the session)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class NewTurn:
    """A turn to store: its message (already counted) for a session, or a new session."""

    owner: str
    session_id: str | None  # None: create the session `new_session_id`
    new_session_id: str
    job_id: str
    kind: str
    message: str
    message_tokens: int
    request_id: str = ""
    batch_id: str = ""
    attachments: tuple[NewAttachment, ...] = ()  # sniffed files, stored with the turn
    charge: Charge | None = None  # the caller's turn budget, charged with the turn

    @property
    def creates_session(self) -> bool:
        return self.session_id is None

    @property
    def target_session_id(self) -> str:
        return self.new_session_id if self.session_id is None else self.session_id


@dataclass(frozen=True)
class AcceptedTurn:
    """A turn stored and waiting to be published."""

    job_id: str
    session_id: str
    session_created: bool
    token_count: int  # the session's count including this message


@dataclass(frozen=True)
class TurnContext:
    """What a worker reads to run a turn: the current invoice and the recent history."""

    session_id: str
    invoice: dict[str, Any] | None
    previous_invoice: dict[str, Any] | None  # the invoice before the last change, for undo
    token_count: int
    history: tuple[ChatMessage, ...]


@dataclass(frozen=True)
class TurnResult:
    """What a successful turn writes."""

    reply: str
    reply_tokens: int
    invoice: dict[str, Any] | None  # None keeps the current invoice
    usage: Usage
    result: dict[str, Any]  # the job's result as clients see it


class JobStore:
    """The turn lifecycle: accept (API), start, apply or fail (worker), wait (long-polls)."""

    def __init__(
        self,
        client: Redis,
        *,
        session_ttl: int,
        job_ttl: int,
        token_limit: int,
        max_session_attachment_bytes: int = 52_428_800,
        clock: Clock = utc_now,
        replica_wait: ReplicaWait | None = None,
    ):
        self.max_session_attachment_bytes = max_session_attachment_bytes
        self.redis = client
        self.replica_wait = replica_wait or ReplicaWait()  # accepted turns outlive a failover
        self.session_ttl = session_ttl
        self.job_ttl = job_ttl
        self.token_limit = token_limit
        self.clock = clock
        self.waiters = JobWaiters(client, self._is_final)
        self._begin = client.register_script(_BEGIN_TURN)
        self._cancel = client.register_script(_CANCEL_TURN)
        self._start = client.register_script(_START_JOB)
        self._apply = client.register_script(_APPLY_TURN)
        self._fail = client.register_script(_FAIL_JOB)
        self._reclaim = client.register_script(_RECLAIM_QUEUED)
        self._orphans = client.register_script(_RECLAIM_ORPHANS)

    # -- the API's side ---------------------------------------------------------------------

    def begin_turn(self, turn: NewTurn, *, pipeline: Pipeline | None = None) -> AcceptedTurn | None:
        """Store a new turn's job and mark the session busy; create the session if asked.

        With `pipeline`, the script is only queued on it (a batch stores all its turns in one
        round trip) and None is returned: read its answer with `accepted_turn`.
        Raises SessionNotFound, InvoiceIssued (the session's invoice is issued: nothing is
        stored), TurnInProgress, TokenLimitExceeded, Unavailable.
        """
        sid = turn.target_session_id
        keys = [session_key(sid), messages_key(sid), job_key(turn.job_id), attachments_key(sid)]
        charge = turn.charge
        if charge is not None:
            keys.append(charge.key)
        files = turn.attachments
        args = [
            sid, turn.owner, "1" if turn.creates_session else "0", turn.job_id, turn.kind,
            turn.message, turn.message_tokens, isoformat(self.clock()), self.token_limit,
            self.session_ttl, self.job_ttl, turn.request_id, turn.batch_id,
            json.dumps([f.meta for f in files]) if files else "",
            " ".join(f.attachment_id for f in files), sum(len(f.data) for f in files),
            self.max_session_attachment_bytes,
            charge.limit if charge else 0, charge.seconds if charge else 0,
        ]  # fmt: skip
        for file in files:
            args += [json.dumps(file.meta), file.data]
        if pipeline is not None:
            self._begin(keys=keys, args=args, client=pipeline)
            return None
        if not self.replica_wait.replicas:
            return self.accepted_turn(self._begin(keys=keys, args=args), turn)
        with self.redis.pipeline(transaction=False) as pipe:
            self._begin(keys=keys, args=args, client=pipe)
            self.replica_wait.queue(pipe)
            (answer,) = self.replica_wait.check(pipe.execute(), f"turn {turn.job_id}")
        return self.accepted_turn(answer, turn)

    def accepted_turn(self, answer: list, turn: NewTurn) -> AcceptedTurn:
        """Interpret BEGIN_TURN's answer. Raises the refusal it names."""
        message_tokens = turn.message_tokens
        match answer:
            case ["ok", count]:
                return AcceptedTurn(
                    turn.job_id,
                    turn.target_session_id,
                    turn.creates_session,
                    int(count) + message_tokens,
                )
            case ["issued", number]:
                raise InvoiceIssued(
                    f"This session's invoice was issued as {number} and can no longer change. "
                    f"Create a credit note to cancel it (POST /api/invoices/{number}/credit-note)"
                    f", or a copy to start a new invoice from it (POST /api/invoices/{number}/"
                    "copy).",
                    details={"number": number},
                )
            case ["in_progress", pending]:
                raise TurnInProgress(details={"job_id": pending})
            case ["rate_limited", wait] if turn.charge is not None:
                raise turn.charge.refusal(int(wait))
            case ["attachments_full", held]:
                limit = self.max_session_attachment_bytes
                raise AttachmentTooLarge(
                    f"This session already keeps {int(held):,} bytes of attached files; with "
                    f"these it would pass its limit of {limit:,} bytes. Start a new session "
                    "to attach more files.",
                    reason="session_bytes",
                    details={"limit": limit, "held": int(held)},
                )
            case ["token_limit", count]:
                raise TokenLimitExceeded(
                    f"This message ({message_tokens:,} tokens) would take the conversation past "
                    f"its limit of {self.token_limit:,} tokens ({int(count):,} used). Start a new "
                    "session to continue.",
                    details={
                        "token_count": int(count),
                        "token_limit": self.token_limit,
                        "message_tokens": message_tokens,
                    },
                )
            case _:
                raise SessionNotFound()

    def cancel_turn(self, turn: AcceptedTurn) -> None:
        """Undo `begin_turn` when the job could not be published."""
        sid = turn.session_id
        self._cancel(
            keys=[session_key(sid), messages_key(sid), job_key(turn.job_id), attachments_key(sid)],
            args=[turn.job_id, "1" if turn.session_created else "0"],
        )

    # -- the worker's side ------------------------------------------------------------------

    def start_job(self, job_id: str, *, worker: str = "") -> JobRecord | None:
        """Mark the job running; None when it is missing, already final (a redelivery) or
        running on another live worker."""
        answer = self._start(
            keys=[job_key(job_id)],
            args=[isoformat(self.clock()), -1, worker, WORKER_DEAD_AFTER_SECONDS],
        )
        if answer in (["missing"], ["final"], ["busy"]):
            return None
        return _job_from_list(answer[0])

    def start_turn(
        self, job_id: str, history_turns: int, *, worker: str = ""
    ) -> tuple[JobRecord, TurnContext | None] | None:
        """Mark the job running (held by `worker`, whose heartbeat keeps it) and read what its
        turn needs — the session's invoice and its last `history_turns` turns — in one round
        trip. None when the job is missing, final, or running on another live worker; the
        context is None when the session no longer exists (the job is running: fail it).
        Does not count as activity.
        """
        answer = self._start(
            keys=[job_key(job_id)],
            args=[
                isoformat(self.clock()),
                max(0, history_turns),
                worker,
                WORKER_DEAD_AFTER_SECONDS,
            ],
        )
        if answer in (["missing"], ["final"], ["busy"]):
            return None
        job = _job_from_list(answer[0])
        (exists, invoice, token_count, previous), raw_messages = answer[1], answer[2]
        if exists is None:
            return job, None
        history = tuple(
            ChatMessage(role=m["role"], content=m["content"]) for m in map(json.loads, raw_messages)
        )
        return job, TurnContext(
            session_id=job.session_id,
            invoice=json.loads(invoice) if invoice else None,
            previous_invoice=json.loads(previous) if previous else None,
            token_count=int(token_count or 0),
            history=history,
        )

    def apply_turn(self, job: JobRecord, result: TurnResult) -> TurnOutcome:
        """Write a successful turn atomically, once per job: APPLIED, ALREADY (finished before:
        a redelivery) or SESSION_GONE (the session was deleted or expired meanwhile; nothing
        was written to it and the job is marked failed)."""
        now = isoformat(self.clock())
        user = message_json("user", job.message, now, job.message_tokens, job.attachments)
        assistant = message_json("assistant", result.reply, now, result.reply_tokens)
        usage = result.usage
        sid = job.session_id
        answer = self._apply(
            keys=[session_key(sid), messages_key(sid), job_key(job.job_id), attachments_key(sid)],
            args=[
                job.job_id,
                now,
                user,
                assistant,
                job.message_tokens + result.reply_tokens,
                json.dumps(result.invoice) if result.invoice is not None else "",
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_write_tokens,
                json.dumps(result.result),
                json.dumps(SessionGone().to_dict()),
            ],
        )
        return TurnOutcome(answer)

    def fail_job(self, job_id: str, session_id: str, error: InvoiceAgentError) -> str:
        """Mark the job failed with `error` and free its session; the session is untouched.
        Returns "failed", "already" (it was final) or "missing"."""
        return self._fail(
            keys=[session_key(session_id), job_key(job_id), attachments_key(session_id)],
            args=[job_id, json.dumps(error.to_dict()), isoformat(self.clock()), error.code],
        )

    def reclaim_queued(
        self, *, chat_after: float, batch_after: float, limit: int = 100
    ) -> list[tuple[str, str]]:
        """Jobs still queued after `chat_after` seconds (chat turns) or `batch_after` (batch
        items): (job_id, batch_id) pairs, claimed for publishing again (_RECLAIM_QUEUED)."""
        flat = self._reclaim(args=[chat_after, batch_after, limit])
        return list(zip(flat[::2], flat[1::2], strict=True))

    def fail(self, job_id: str, error: InvoiceAgentError) -> None:
        """Fail a job from outside a run (its time limit stopped it, the worker cannot run
        turns at all); frees its session. Nothing happens to a missing or final job."""
        job = self.get_job(job_id)
        if job is not None:
            self.fail_job(job_id, job.session_id, error)

    def reclaim_orphans(self, *, dead_after: float = 0) -> list[tuple[str, str]]:
        """Running jobs whose worker has not beaten for `dead_after` seconds, put back to
        queued: (job_id, batch_id) pairs, for publishing again (_RECLAIM_ORPHANS)."""
        flat = self._orphans(args=[dead_after or WORKER_DEAD_AFTER_SECONDS])
        return list(zip(flat[::2], flat[1::2], strict=True))

    def still_queued(self, job_id: str) -> None:
        """A deferred job is not abandoned: restart its clock in jobs:queued."""
        self.redis.zadd(QUEUED_JOBS, {job_id: time.time()}, xx=True)

    # -- reads ------------------------------------------------------------------------------

    def on_hand(self) -> tuple[int, int]:
        """(queued, running) turns across all workers: chat turns and batch items waiting,
        dispatched or not, and the turns workers run now — what autoscaling sizes workers to.
        Jobs cancelled while queued may count for up to a minute (the sweep drops them)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(QUEUED_JOBS)
            pipe.hlen(RUNNING_JOBS)
            queued, running = pipe.execute()
        return int(queued), int(running)

    def get_job(self, job_id: str) -> JobRecord | None:
        fields = self.redis.hgetall(job_key(job_id))
        return _job_from_hash(fields) if fields else None

    def wait_for_job(self, job_id: str, timeout: float) -> None:
        """Wait up to `timeout` seconds until the job is final (returns early if it is).

        Holds no Redis connection while waiting (core/job_events.py). Raises Unavailable.
        """
        if timeout > 0:
            self.waiters.wait(job_id, timeout)

    def _is_final(self, job_id: str) -> bool:
        status = self.redis.hget(job_key(job_id), "status")
        return status is None or status in FINAL_STATUSES


def _job_from_list(flat: list[str]) -> JobRecord:
    return _job_from_hash(dict(zip(flat[::2], flat[1::2], strict=True)))


def _job_from_hash(fields: dict[str, str]) -> JobRecord:
    return JobRecord(
        job_id=fields["job_id"],
        session_id=fields["session_id"],
        owner=fields.get("owner", ""),
        kind=fields["kind"],
        status=JobStatus(fields["status"]),
        message=fields["message"],
        message_tokens=int(fields["message_tokens"]),
        created_at=fields["created_at"],
        started_at=fields.get("started_at"),
        finished_at=fields.get("finished_at"),
        result=json.loads(fields["result"]) if fields.get("result") else None,
        error=json.loads(fields["error"]) if fields.get("error") else None,
        request_id=fields.get("request_id", ""),
        attempts=int(fields.get("attempts", 0)),
        batch_id=fields.get("batch_id", ""),
        handbacks=int(fields.get("handbacks", 0)),
        attachments=tuple(json.loads(fields["attachments"])) if fields.get("attachments") else (),
    )
