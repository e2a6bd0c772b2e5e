"""Which workers are alive, and how many turns they run at once (their heartbeats).

Each worker process writes its heartbeat every HEARTBEAT_SECONDS (worker/tasks.py), stamped
with Redis's own clock: a recent one means alive. Health reports the count; the batch queue
sizes its window by their slots; a running job whose worker stopped beating is handed back.
"""

from __future__ import annotations

from collections.abc import Collection

from core.redis_connection import Redis
from core.redis_model import HEARTBEATS, WORKER_SLOTS, worker_running_key

ALIVE_WITHIN_SECONDS = 30  # what health counts as a live worker
HEARTBEAT_SECONDS = 5  # how often a worker beats
# a worker silent this long has died: its running jobs are handed back (core/jobs.py)
WORKER_DEAD_AFTER_SECONDS = 15

# KEYS: heartbeats, slots, running   ARGV: worker, slots, now ("" = Redis's clock), job ids...
_BEAT = """
local now = ARGV[3] ~= "" and tonumber(ARGV[3]) or tonumber(redis.call("TIME")[1])
redis.call("ZADD", KEYS[1], now, ARGV[1])
redis.call("HSET", KEYS[2], ARGV[1], ARGV[2])
redis.call("DEL", KEYS[3])
if #ARGV > 3 then
  redis.call("SADD", KEYS[3], unpack(ARGV, 4))
  redis.call("EXPIRE", KEYS[3], 120)
end
return 1
"""

# KEYS: heartbeats, slots   ARGV: within (s), now ("" = Redis's clock)
# Prunes workers not heard from within the time; returns {how many live, their slots}.
_LIVE = """
local heartbeats, slots = KEYS[1], KEYS[2]
local now = ARGV[2] ~= "" and tonumber(ARGV[2]) or tonumber(redis.call("TIME")[1])
local cutoff = now - tonumber(ARGV[1])
for _, name in ipairs(redis.call("ZRANGEBYSCORE", heartbeats, "-inf", "(" .. cutoff)) do
  redis.call("ZREM", heartbeats, name)
  redis.call("HDEL", slots, name)
end
local names = redis.call("ZRANGE", heartbeats, 0, -1)
local total = 0
for _, name in ipairs(names) do
  total = total + tonumber(redis.call("HGET", slots, name) or "0")
end
return {#names, total}
"""


class WorkerRegistry:
    """Heartbeats of the worker processes."""

    def __init__(self, client: Redis):
        self.redis = client
        self._live = client.register_script(_LIVE)
        self._beat = client.register_script(_BEAT)

    def record_heartbeat(
        self,
        worker_name: str,
        *,
        slots: int = 0,
        running: Collection[str] = (),
        now: float | None = None,
    ) -> None:
        """The worker is alive, with `slots` turns it can run at once and the jobs it is
        `running` now (at Redis's time, so every machine's heartbeats compare; `now` for tests).
        A job recorded as running on this worker but not among these is handed back."""
        self._beat(
            keys=[HEARTBEATS, WORKER_SLOTS, worker_running_key(worker_name)],
            args=[worker_name, slots, now or "", *running],
        )

    def live_workers(
        self, *, within_seconds: float = ALIVE_WITHIN_SECONDS, now: float | None = None
    ) -> int:
        """Workers whose heartbeat is recent; stale entries are pruned in the same trip."""
        return int(self._live(keys=[HEARTBEATS, WORKER_SLOTS], args=[within_seconds, now or ""])[0])

    def live_slots(
        self, *, within_seconds: float = ALIVE_WITHIN_SECONDS, now: float | None = None
    ) -> int:
        """Turns the live workers can run at once, together (stale workers are pruned)."""
        return int(self._live(keys=[HEARTBEATS, WORKER_SLOTS], args=[within_seconds, now or ""])[1])
