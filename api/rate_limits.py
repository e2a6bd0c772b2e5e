"""Two request budgets per API key, kept in Redis so every API process shares them.

    turns   TURN_RATE_LIMIT (30/minute): POST /api/generate-invoice, /api/chat, /api/batches
            (a batch counts once; its items are paced by LLM_RATE_LIMIT in the workers)
    reads   READ_RATE_LIMIT (600/minute): every other /api/* call (polls, reads, exports;
            a long-poll counts once)

Health, metrics and the API documents are not limited. The key is the caller's API key
(hashed) when it is valid, else the client's address, so guessing keys is throttled too: the
check runs before authentication.

Moving windows (the `limits` library's Redis implementation: one script call per request):
no window of the limit's length ever holds more than the limit. A fixed window lets nearly
twice the limit through around a window edge; a token bucket (GCRA) lets the limit through
as a burst and then as much again over the window.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Literal

import redis
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from core.errors import RateLimited

log = logging.getLogger(__name__)

Budget = Literal["turns", "reads"]
TURN_ENDPOINTS = frozenset({"turns.generate_invoice", "turns.chat", "batches.create_batch"})


class RateLimits:
    """The turn and read budgets on one Redis."""

    def __init__(self, client: redis.Redis, *, turns: str, reads: str):
        storage = RedisStorage("redis://", connection_pool=client.connection_pool)
        self._limiter = MovingWindowRateLimiter(storage)
        self._limits: dict[Budget, RateLimitItem] = {"turns": parse(turns), "reads": parse(reads)}

    def hit(self, budget: Budget, caller: str) -> None:
        """Count one request. Raises RateLimited (with the seconds to wait) when over budget.

        When Redis cannot be reached the request is let through: the view then answers 503
        itself, which says more than a 429 would.
        """
        limit = self._limits[budget]
        try:
            if self._limiter.hit(limit, budget, caller):
                return
            reset_at = self._limiter.get_window_stats(limit, budget, caller).reset_time
        except (redis.ConnectionError, redis.TimeoutError):
            log.warning("rate limit not checked: Redis unavailable")
            return
        wait = min(max(1, math.ceil(reset_at - time.time())), limit.get_expiry())
        raise RateLimited(
            f"Too many {'turns' if budget == 'turns' else 'requests'} for this API key "
            f"(at most {limit.amount} per {_period(limit)}). Retry in {wait} seconds.",
            retry_after=wait,
        )


def _period(limit: RateLimitItem) -> str:
    unit = limit.GRANULARITY.name
    return unit if limit.multiples == 1 else f"{limit.multiples} {unit}s"
