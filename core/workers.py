"""Which workers are alive, and how many turns they run at once (their heartbeats).

Each worker writes its heartbeat every 10 s (worker/tasks.py): a recent one means alive.
Health reports the count; the batch queue sizes its window by their slots.
"""

from __future__ import annotations

import time

from core.redis_connection import Redis
from core.redis_model import HEARTBEATS, WORKER_SLOTS

ALIVE_WITHIN_SECONDS = 30

# KEYS: heartbeats, slots   ARGV: cutoff (unix time)
# Prunes workers not heard from since the cutoff; returns the live ones' slots, together.
_LIVE_SLOTS = """
local heartbeats, slots = KEYS[1], KEYS[2]
for _, name in ipairs(redis.call("ZRANGEBYSCORE", heartbeats, "-inf", "(" .. ARGV[1])) do
  redis.call("ZREM", heartbeats, name)
  redis.call("HDEL", slots, name)
end
local total = 0
for _, name in ipairs(redis.call("ZRANGE", heartbeats, 0, -1)) do
  total = total + tonumber(redis.call("HGET", slots, name) or "0")
end
return total
"""


class WorkerRegistry:
    """Heartbeats of the worker processes."""

    def __init__(self, client: Redis):
        self.redis = client
        self._live_slots = client.register_script(_LIVE_SLOTS)

    def record_heartbeat(
        self, worker_name: str, *, slots: int = 0, now: float | None = None
    ) -> None:
        """The worker is alive, with `slots` turns it can run at once."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(HEARTBEATS, {worker_name: now or time.time()})
            pipe.hset(WORKER_SLOTS, worker_name, slots)
            pipe.execute()

    def live_workers(
        self, *, within_seconds: float = ALIVE_WITHIN_SECONDS, now: float | None = None
    ) -> int:
        """Workers whose heartbeat is recent; stale entries are pruned in the same trip."""
        cutoff = (now or time.time()) - within_seconds
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(HEARTBEATS, "-inf", f"({cutoff}")
            pipe.zcard(HEARTBEATS)
            return int(pipe.execute()[1])

    def live_slots(
        self, *, within_seconds: float = ALIVE_WITHIN_SECONDS, now: float | None = None
    ) -> int:
        """Turns the live workers can run at once, together (stale workers are pruned)."""
        cutoff = (now or time.time()) - within_seconds
        return int(self._live_slots(keys=[HEARTBEATS, WORKER_SLOTS], args=[cutoff]))
