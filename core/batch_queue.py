"""Batch items served fairly across API keys, and a cap on what one key may have waiting.

A batch item is not published to the broker when its batch is accepted. It waits in its
owner's queue in Redis, and items move to the broker's `batch` queue in turns — one owner,
then the next — only as fast as the workers take them (at most `window` items dispatched and
not yet finished). So one key's five thousand waiting items sit in that key's own queue,
while another key's first item goes next in the rotation: it waits for at most one window of
items ahead of it, never for the whole backlog. Chat turns do not pass through here at all
(they have their own queue, taken first).

The keys (core/redis_model.py): each owner's waiting items (`batchq:pending:{owner}`) and
items accepted and not finished (`batchq:open:{owner}`, what BATCH_MAX_QUEUED_ITEMS counts),
the rotation of owners (`batchq:owners`, scored by when last served, `batchq:served` its
clock, `batchq:arrivals` the order items arrived in), and the items in flight
(`batchq:inflight`, from dispatch until final).

The finishing scripts (core/jobs.py) take a job out of flight and out of its owner's open
items. A dispatched item that is never published (a crash in between) is re-sent by the
worker's sweep, like any job lost on its way, because dispatching marks it in `jobs:queued`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from core.errors import RateLimited
from core.redis_connection import Redis
from core.redis_model import (
    BATCH_ARRIVALS,
    BATCH_INFLIGHT,
    BATCH_OWNERS,
    BATCH_PENDING_PREFIX,
    BATCH_SERVED,
    batch_open_key,
    batch_pending_key,
    lua,
)

# KEYS: pending, open, owners, arrivals   ARGV: owner, cap, now, forget_after, job ids...
# Returns {1, open} when queued, {0, open} when the cap would be passed (nothing queued).
_ENQUEUE = """
local pending, open, owners, arrivals = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner, cap, now, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), #ARGV - 4
-- items whose job expired without finishing (their record is gone) count no longer
redis.call("ZREMRANGEBYSCORE", open, "-inf", now - tonumber(ARGV[4]))
local waiting = redis.call("ZCARD", open)
if waiting + count > cap then return {0, waiting} end
local first = redis.call("INCRBY", arrivals, count) - count
for i = 5, #ARGV do
  redis.call("ZADD", pending, first + i - 4, ARGV[i])
  redis.call("ZADD", open, now, ARGV[i])
end
if not redis.call("ZSCORE", owners, owner) then
  -- a newcomer goes before everyone waiting: its first item is never behind a backlog
  local head = redis.call("ZRANGE", owners, 0, 0, "WITHSCORES")
  redis.call("ZADD", owners, (head[2] and tonumber(head[2]) or 0) - 1, owner)
end
return {1, waiting + count}
"""

# KEYS: owners, served, inflight   ARGV: window, now, pending prefix
# Moves up to (window - in flight) queued items, one owner at a time, into flight and returns
# their job ids for the caller to publish. Items no longer queued (cancelled, expired) are
# dropped on the way; so are in-flight entries of jobs that ended without a finishing script.
_DISPATCH = lua("""
local owners, served, inflight = KEYS[1], KEYS[2], KEYS[3]
local window, now, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for _, job_id in ipairs(redis.call("ZRANGE", inflight, 0, 9)) do
  local status = redis.call("HGET", "$JOB_PREFIX" .. job_id, "status")
  if status ~= "$STATUS_QUEUED" and status ~= "$STATUS_RUNNING" then
    redis.call("ZREM", inflight, job_id)
  end
end
local free = window - redis.call("ZCARD", inflight)
local dispatched = {}
while free > 0 do
  local head = redis.call("ZRANGE", owners, 0, 0)
  if #head == 0 then break end
  local owner = head[1]
  local pending = prefix .. owner
  local popped = redis.call("ZPOPMIN", pending)
  if #popped > 0 then
    local job_id = popped[1]
    if redis.call("HGET", "$JOB_PREFIX" .. job_id, "status") == "$STATUS_QUEUED" then
      redis.call("ZADD", inflight, now, job_id)
      redis.call("ZADD", "$QUEUED_JOBS", now, job_id)
      table.insert(dispatched, job_id)
      free = free - 1
    end
    redis.call("ZADD", owners, redis.call("INCR", served), owner)  -- to the back of the line
  end
  if redis.call("ZCARD", pending) == 0 then redis.call("ZREM", owners, owner) end
end
return dispatched
""")


# KEYS: pending, open, owners, inflight   ARGV: owner, job ids...
_WITHDRAW = """
local pending, open, owners, inflight = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
for i = 2, #ARGV do
  redis.call("ZREM", pending, ARGV[i])
  redis.call("ZREM", open, ARGV[i])
  redis.call("ZREM", inflight, ARGV[i])
end
if redis.call("ZCARD", pending) == 0 then redis.call("ZREM", owners, ARGV[1]) end
return 1
"""


@dataclass(frozen=True)
class FairBatchQueue:
    """The owners' waiting batch items and the rotation that dispatches them."""

    redis: Redis
    max_waiting: int  # BATCH_MAX_QUEUED_ITEMS: items of one owner accepted and not finished
    forget_after: int = 86_400  # JOB_TTL_SECONDS: a job record older than this is gone

    def __post_init__(self) -> None:
        object.__setattr__(self, "_enqueue", self.redis.register_script(_ENQUEUE))
        object.__setattr__(self, "_dispatch", self.redis.register_script(_DISPATCH))
        object.__setattr__(self, "_withdraw", self.redis.register_script(_WITHDRAW))

    def enqueue(self, owner: str, job_ids: list[str]) -> None:
        """Queue the owner's items, all or none. Raises RateLimited past the cap, Unavailable."""
        accepted, waiting = self._enqueue(
            keys=[batch_pending_key(owner), batch_open_key(owner), BATCH_OWNERS, BATCH_ARRIVALS],
            args=[owner, self.max_waiting, time.time(), self.forget_after, *job_ids],
        )
        if not accepted:
            raise RateLimited(
                f"You already have {int(waiting):,} batch items waiting or running, and at "
                f"most {self.max_waiting:,} may at once; this batch has {len(job_ids):,}. "
                "Wait for some to finish (or cancel a batch), then send it again.",
                retry_after=30,
                details={"waiting_items": int(waiting), "limit": self.max_waiting},
            )

    def withdraw(self, owner: str, job_ids: list[str]) -> None:
        """Take items out of the queue and out of flight (a batch that was not accepted)."""
        self._withdraw(
            keys=[batch_pending_key(owner), batch_open_key(owner), BATCH_OWNERS, BATCH_INFLIGHT],
            args=[owner, *job_ids],
        )

    def dispatch(self, window: int) -> list[str]:
        """Job ids to publish now, taken in turns across owners. Raises Unavailable."""
        return list(
            self._dispatch(
                keys=[BATCH_OWNERS, BATCH_SERVED, BATCH_INFLIGHT],
                args=[window, time.time(), BATCH_PENDING_PREFIX],
            )
        )

    def waiting(self, owner: str) -> int:
        """How many of the owner's items are accepted and not finished (what the cap counts)."""
        return int(self.redis.zcard(batch_open_key(owner)))


def dispatch_window(worker_slots: int, *, default_slots: int) -> int:
    """Batch items in flight at once: the live workers' slots less an eighth kept free for
    chat turns, so that a person's turn starts at once on any broker instead of waiting for a
    batch item to finish (RabbitMQ, unlike our Redis queue order, does not serve the chat
    queue first). Items are dispatched as others finish, so the window stays full. With no
    worker alive yet, one worker of `default_slots` (WORKER_CONCURRENCY) is assumed."""
    slots = worker_slots or default_slots
    return max(1, slots - max(1, slots // 8))
