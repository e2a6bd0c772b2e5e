"""The figures /metrics reads from Redis: what workers counted, and what Redis itself holds.

The job scripts (core/jobs.py) count finished jobs and LLM tokens in `metrics:counters` in
the same step as the job's status; workers add their durations to the histograms here. So
every API process reports exact totals for any number of workers, with no port on them.
"""

from __future__ import annotations

import time

from core.redis_connection import Redis
from core.redis_model import ACTIVE_SESSIONS, COUNTERS, histogram_key

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Figures:
    """Duration histograms, job and token counters, active sessions, queue depths."""

    def __init__(self, client: Redis, *, session_ttl: int):
        self.redis = client
        self.session_ttl = session_ttl

    def observe(self, **durations: float) -> None:
        """Count each duration (seconds) into its histogram, all in one round trip:
        observe(run_seconds=1.2, queue_wait_seconds=0.01). Buckets: DURATION_BUCKETS."""
        with self.redis.pipeline(transaction=True) as pipe:
            for name, seconds in durations.items():
                bucket = next((b for b in DURATION_BUCKETS if seconds <= b), "+Inf")
                pipe.hincrby(histogram_key(name), f"le:{bucket}", 1)
                pipe.hincrbyfloat(histogram_key(name), "sum", seconds)
            pipe.execute()

    def histogram(self, name: str) -> tuple[list[tuple[str, int]], float]:
        """Cumulative (upper bound, count) pairs ending with +Inf, and the sum of durations."""
        fields = self.redis.hgetall(histogram_key(name))
        running, buckets = 0, []
        for bound in (*DURATION_BUCKETS, "+Inf"):
            running += int(fields.get(f"le:{bound}", 0))
            buckets.append((str(bound), running))
        return buckets, float(fields.get("sum", 0))  # float: seconds, never money

    def active_sessions(self) -> int:
        """Sessions used within their TTL (expired ones are pruned in the same round trip)."""
        cutoff = time.time() - self.session_ttl
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(ACTIVE_SESSIONS, "-inf", f"({cutoff}")
            pipe.zcard(ACTIVE_SESSIONS)
            return int(pipe.execute()[1])

    def queue_depths(self, queues: tuple[str, ...]) -> dict[str, int]:
        """Jobs waiting in each queue, when the broker is this Redis (kombu keeps lists)."""
        with self.redis.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue)
            return dict(zip(queues, map(int, pipe.execute()), strict=True))

    def counters(self) -> dict[str, int]:
        """Worker-side totals (jobs by outcome, LLM tokens) kept by the job scripts."""
        return {k: int(v) for k, v in self.redis.hgetall(COUNTERS).items()}
